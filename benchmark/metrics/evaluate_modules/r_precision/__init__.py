"""Local evaluate module folder; see r_precision.py."""
