"""Local evaluate module folder; see pa_mpjpe.py."""
