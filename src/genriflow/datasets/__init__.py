"""Labelled audio collections: discovery, GTZAN facts, splits and the synthetic demo corpus."""

#: The ways to split a dataset (kept here so that the command line lists them without
#: importing pandas; :mod:`~genriflow.datasets.splits` implements them).
SPLIT_METHODS = (
    "auto",
    "gtzan-fault-filtered",
    "stratified",
    "stratified-grouped",
    "kfold",
    "kfold-grouped",
    "manifest",
)
