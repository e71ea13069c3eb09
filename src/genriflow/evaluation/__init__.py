"""Evaluation: test a model once, compute the figures, draw the pictures and write run
folders (model folders with their reports, comparisons, clustering runs)."""
