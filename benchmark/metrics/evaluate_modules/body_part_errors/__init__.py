"""Local evaluate module folder; see body_part_errors.py."""
