"""Local evaluate module folder; see mpjpe.py."""
