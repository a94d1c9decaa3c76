"""Local evaluate module folder; see cross_modal_recall.py."""
