"""Training: the one loop every network goes through (:mod:`~genriflow.training.loop`), and
fitting models while choosing them on the validation part only. Testing, figures and
reports are :mod:`genriflow.evaluation`'s."""

# The names of training options, kept here so that the command line and the public API
# refuse a bad one before NumPy, scikit-learn or torch load (the modules that implement
# them import these).

#: Calibration methods of a classical head (``none`` keeps its probabilities;
#: :mod:`~genriflow.training.calibration`).
CALIBRATIONS = ("none", "sigmoid", "isotonic", "temperature")
#: Calibration methods of a network.
NETWORK_CALIBRATIONS = ("none", "temperature")
#: How a multi-label model's per-genre thresholds are set: tuned per genre for the best F1
#: on the validation songs with several genres (the fixed 0.2 when there are none), or the
#: 2024 report's fixed 0.2 (:func:`~genriflow.models.multilabel.choose_thresholds`).
THRESHOLD_CHOICES = ("tuned", "seed")
