"""The unknown-genre scores' names and the check of a target share, without NumPy (so a bad
``--scores`` is refused at once); :mod:`.reject` computes the scores."""

from __future__ import annotations

from numbers import Real

from genriflow.errors import ConfigError

#: The unknown-genre scores, higher = more likely unknown.
SCORES = ("max-prob", "energy", "distance", "relative-distance", "music-distance")

#: The scores that need :class:`~genriflow.models.reject.ClassMeans`.
DISTANCE_SCORES = ("distance", "relative-distance", "music-distance")

#: The scores given once per song, to the mean of its windows' features (the others are
#: the mean of the windows' scores).
SONG_SCORES = ("music-distance",)

#: The share of known validation songs a threshold accepts by default.
DEFAULT_TARGET_TPR = 0.95


def check_target(field: str, value: float) -> float:
    """``value`` if it is a share in (0, 1], else :class:`ConfigError` naming ``field``: a
    NumPy float is one, ``True`` is not (it was taken for 1.0).

    >>> import numpy as np
    >>> check_target("target_tpr", np.float32(0.5)), check_target("target_tpr", 1)
    (0.5, 1.0)
    >>> check_target("target_tpr", True)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `target_tpr` must be a share above 0 and at most 1; got True
    """
    if isinstance(value, bool) or not (isinstance(value, Real) and 0 < value <= 1):
        raise ConfigError(field, f"must be a share above 0 and at most 1; got {value!r}")
    return float(value)
