"""Local evaluate module folder; see pa_mpjpe_limbs12.py."""
