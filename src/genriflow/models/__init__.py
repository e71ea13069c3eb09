"""Models: one interface (:class:`~genriflow.models.base.GenreClassifier`), classical
pipelines, networks, the zero-shot tagger mapping, the built-in names
(:mod:`~genriflow.models.registry`) and the model folder (:mod:`~genriflow.models.folder`).

Nothing here trains: fitting is :mod:`genriflow.training`'s.
"""

#: The feature set (see :mod:`genriflow.features`) each network reads by default, kept
#: here so that the command line and the training configurations know the networks
#: without importing torch (``tests/models`` checks it against
#: :data:`genriflow.models.networks.NETWORKS`). ``cs229-ffnn`` also reads ``cs229-raw``
#: with ``n_inputs=44100``.
NETWORK_INPUTS: dict[str, str] = {
    "genriflow-cnn": "genriflow-stack",
    "genriflow-lstm-cnn": "genriflow-stack",
    "cs229-cnn": "cs229-mel",
    "cs229-ffnn": "cs229-mel",
    "mm-cnn": "mel-image",
    "shortchunk-cnn": "log-mel",
}
#: Network names.
NETWORK_NAMES = tuple(NETWORK_INPUTS)
#: Classical model names (likewise without importing scikit-learn; ``tests/models``
#: checks it against :data:`genriflow.models.classical.CLASSICAL_MODELS`).
CLASSICAL_NAMES = ("knn", "svm", "logreg", "random-forest", "gradient-boosting", "mlp")
