"""Local evaluate module folder; see meteor.py."""
