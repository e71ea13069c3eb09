"""Models: one interface (:class:`~genriflow.models.base.GenreClassifier`), classical
pipelines, networks, the zero-shot tagger mapping, the built-in names
(:mod:`~genriflow.models.registry`) and the model folder (:mod:`~genriflow.models.folder`).

Nothing here trains: fitting is :mod:`genriflow.training`'s.
"""

#: Network names (kept here so the command line lists them without importing torch;
#: ``tests/models`` checks it against :data:`genriflow.models.networks.NETWORKS`).
NETWORK_NAMES = ("genriflow-cnn", "genriflow-lstm-cnn", "cs229-cnn", "cs229-ffnn", "mm-cnn",
                 "shortchunk-cnn")
#: Classical model names (likewise without importing scikit-learn; ``tests/models``
#: checks it against :data:`genriflow.models.classical.CLASSICAL_MODELS`).
CLASSICAL_NAMES = ("knn", "svm", "logreg", "random-forest", "gradient-boosting", "mlp")
