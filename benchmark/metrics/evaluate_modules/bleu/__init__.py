"""Local evaluate module folder; see bleu.py."""
