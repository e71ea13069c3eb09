"""What a model's answer means, without NumPy: the model error, the aggregation names,
the min-confidence in force and ``unsure``.

Kept apart from :mod:`genriflow.models.base` so that an interface checks its options
(``predict --min-confidence``, ``--aggregation``) before anything heavy is imported.
"""

from __future__ import annotations

from genriflow.errors import GenriflowError, fraction


class ModelError(GenriflowError, ValueError):
    """A model folder that cannot be loaded or written, with the reason."""


#: The min-confidence of a model without one of its own (the built-ins): a song whose top
#: genre is below it is ``unsure``.
DEFAULT_MIN_CONFIDENCE = 0.5


def min_confidence_of(model_config: dict, given: float | None = None) -> float:
    """The min-confidence in force: ``given`` (``--min-confidence``, ``--threshold``, the
    service's ``min_confidence``), else the model's own (``config["min_confidence"]``: a
    learnt model's threshold, chosen by ``library learn``), else
    :data:`DEFAULT_MIN_CONFIDENCE`.

    >>> min_confidence_of({}), min_confidence_of({"min_confidence": 0.35})
    (0.5, 0.35)
    >>> min_confidence_of({"min_confidence": 0.35}, 0.8)
    0.8
    >>> min_confidence_of({}, 1.5)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `min_confidence` must be between 0 and 1; got 1.5
    """
    value = given if given is not None else model_config.get("min_confidence")
    if value is None:
        return DEFAULT_MIN_CONFIDENCE
    return float(fraction("min_confidence", value))


def is_unsure(top_probability: float, min_confidence: float, unknown: bool | None) -> bool:
    """The one meaning of ``unsure``, in ``predict``, the library and the service: the song
    is not ``unknown`` (the model's reject rule did not call it none of its genres) and its
    most probable genre's probability is below ``min_confidence``
    (:func:`min_confidence_of`). ``unknown`` comes first: an unknown song is never unsure.

    >>> is_unsure(0.4, 0.5, None), is_unsure(0.4, 0.5, True), is_unsure(0.5, 0.5, False)
    (True, False, False)
    """
    return not unknown and float(top_probability) < min_confidence


#: How a song's windows' probabilities make the song's
#: (:func:`~genriflow.models.base.aggregate`).
AGGREGATIONS = ("mean", "vote")
