"""Features: named sets computed from shared spectra, the engine, the store, tables."""

#: Every feature set's name (kept here so the command line lists them without importing
#: librosa; ``tests/features`` checks it against the registry).
FEATURE_SET_NAMES = ("kaggle", "genriflow-stack", "cs229-raw", "cs229-mel", "mel-image",
                     "spectral-summary", "log-mel", "musicnn", "msd-musicnn", "mtt-musicnn",
                     "msd-vgg", "mtt-vgg", "musicnn-tags")
