"""Local evaluate module folder; see coco_caption.py."""
