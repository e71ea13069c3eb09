"""Runs from data to a folder: train any model by name, compare, auto-select, tune,
test once, leave one genre out, cluster, song-by-song evaluation.

The layer between :mod:`genriflow.inference` and :mod:`genriflow.library`: each module
orchestrates the lower layers (datasets, features, training, evaluation's metrics and
reports, inference) into one run and writes its run folder; none holds a metric, a model
or a training loop of its own.
"""
