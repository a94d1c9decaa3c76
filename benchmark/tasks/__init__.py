"""Tasks: one typed spec per task (catalog), its data, requests and scoring."""
