"""Exploratory pictures: one song (:mod:`genriflow.plots.song`) and a feature table
(:mod:`genriflow.plots.dataset`), drawn headless with matplotlib (Agg backend).

The pictures of a run folder (confusion matrix, per-genre scores, cluster assignments) are in
:mod:`genriflow.evaluation.plots`.
"""
