"""Pictures a person can open: pose skeleton views (PNG)."""
