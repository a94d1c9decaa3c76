"""Local evaluate module folder; see root_orientation_error.py."""
