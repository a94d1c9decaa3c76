"""Local evaluate module folder; see posecode_agreement.py."""
