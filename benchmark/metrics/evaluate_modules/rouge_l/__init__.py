"""Local evaluate module folder; see rouge_l.py."""
