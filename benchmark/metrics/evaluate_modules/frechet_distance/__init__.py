"""Local evaluate module folder; see frechet_distance.py."""
