"""Labelled audio collections: discovery, GTZAN facts, splits and the synthetic demo corpus."""
