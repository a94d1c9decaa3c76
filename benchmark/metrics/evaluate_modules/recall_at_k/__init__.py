"""Local evaluate module folder; see recall_at_k.py."""
