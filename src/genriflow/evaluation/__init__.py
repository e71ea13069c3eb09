"""Evaluation: the figures of a test (metrics, calibration, multi-label, open-set,
cross-validation), the reports that carry them (Markdown, HTML, JSON) and the pictures of
those reports. The runs that produce them (test once, train and test, tune, clustering,
leave one genre out) are :mod:`genriflow.workflows`."""
