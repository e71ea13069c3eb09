"""A model as the options name it (``svm``, ``svm@msd-musicnn``, ``shortchunk-cnn``,
``auto``), checked from the light name lists: a bad name is refused before NumPy, torch or
scikit-learn load.

>>> model_spec("model", "svm@msd-musicnn")
('classical', 'svm', 'msd-musicnn')
>>> model_spec("model", "cs229-ffnn")
('network', 'cs229-ffnn', '')
>>> model_spec("model", "auto", auto=False)
Traceback (most recent call last):
...
genriflow.errors.ConfigError: `model` must be a classical model (knn, svm, logreg, \
random-forest, gradient-boosting, mlp) or a network (genriflow-cnn, genriflow-lstm-cnn, \
cs229-cnn, cs229-ffnn, mm-cnn, shortchunk-cnn), optionally @feature-set; got 'auto'
"""

from __future__ import annotations

from genriflow.errors import ConfigError
from genriflow.features import FEATURE_SET_NAMES
from genriflow.models import CLASSICAL_NAMES, NETWORK_NAMES


def model_spec(field: str, spec: str, *, auto: bool = True) -> tuple[str, str, str]:
    """``(family, name, feature set)`` of ``spec``: family ``auto``, ``classical`` or
    ``network``; the feature set after ``@``, or ``''`` for the model's own input.

    Raises
    ------
    ConfigError
        Naming ``field``: neither ``auto`` (where ``auto`` is allowed), a classical model
        nor a network, or an unknown feature set after ``@``.
    """
    if not isinstance(spec, str):  # str.partition below would raise an AttributeError
        example = "auto or svm" if auto else "svm"
        raise ConfigError(field, f"must be a model's name (a str such as {example}); got "
                          f"{type(spec).__name__}")
    name, _, input_set = spec.partition("@")
    if name in NETWORK_NAMES:
        family = "network"
    elif name in CLASSICAL_NAMES:
        family = "classical"
    elif auto and name == "auto":
        family = "auto"
    else:
        raise ConfigError(
            field,
            f"must be {'auto, ' if auto else ''}a classical model "
            f"({', '.join(CLASSICAL_NAMES)}) or a network "
            f"({', '.join(NETWORK_NAMES)}), optionally @feature-set; "
            f"got {spec!r}",
        )
    if input_set and input_set not in FEATURE_SET_NAMES:
        raise ConfigError(
            field, f"names feature set {input_set!r}; choose from {', '.join(FEATURE_SET_NAMES)}"
        )
    return family, name, input_set
