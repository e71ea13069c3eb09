"""Models: classical pipelines, networks, and the model folder that holds either."""

#: Network names (kept here so the command line lists them without importing torch;
#: ``tests/models`` checks it against :data:`genriflow.models.networks.NETWORKS`).
NETWORK_NAMES = ("genriflow-cnn", "genriflow-lstm-cnn", "cs229-cnn", "cs229-ffnn", "mm-cnn",
                 "shortchunk-cnn")
