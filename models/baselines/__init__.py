"""Baselines that set the floor (random, mean pose), simple references (nearest neighbour, copy the source pose)
and labelled reference rows (the automatic captioner on the ground truth)."""
