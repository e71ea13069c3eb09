"""One song's answer as a JSON-ready record: the one shape every interface sends.

``predict -f json``, the service's ``POST /v1/classify`` and its batch jobs all answer a
song with :func:`song_record` (through :meth:`genriflow.SongAnswer.record`), so a key means
the same thing everywhere; each adds only what it alone knows (``predict``: the ``path``;
the service: ``file``, ``duration``, ``model``, ``similar``). The CSV and the table of
``predict`` are flat views of the same values (:mod:`genriflow.inference.output`).

Numbers are as computed (never rounded: the CSV and the table round for reading), except
times, in seconds to the millisecond (a window grid of 2.992 s would otherwise print
``8.975999999999999``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genriflow.inference.predict import Prediction
    from genriflow.inference.tags import SongTags

#: The record's keys from a genre model, in order.
GENRE_KEYS = ("genre", "genres", "probabilities", "timeline", "unknown", "unknown_score",
              "unsure", "min_confidence")
#: The record's keys from the taggers (when tags were asked for), in order.
TAG_KEYS = ("tags", "moods", "voice", "vocal_probability")


def song_record(prediction: Prediction | None, tags: SongTags | None = None
                ) -> dict[str, Any]:
    """One song's answer: its genres (when a model was asked), then its tags (when asked).

    Parameters
    ----------
    prediction : Prediction or None
        The song's genres; ``None``: no genre keys.
    tags : SongTags or None
        The song's tags, moods and voice; ``None``: no tag keys.

    Returns
    -------
    dict
        The genre keys (:data:`GENRE_KEYS`):

        - ``genre`` (str): the most probable genre, the best guess even when ``unknown``.
        - ``genres`` (list of ``{genre, probability}``): the song's genres, best first: a
          multi-label model's every genre at or above its threshold (at least the top
          one), else the top one (:attr:`Prediction.genres`).
        - ``probabilities`` (``{genre: probability}``): every label's probability for
          the whole song, in the model's label order (a single-label model's sum to 1).
        - ``timeline`` (list of ``{start, genre, probabilities}``): each analysed window
          (an excerpt, a clip or the whole file) in time order: its start in seconds, its
          most probable genre and every label's probability, as ``probabilities``.
        - ``unknown`` (bool or null): the model's reject rule calls the song none of its
          genres; ``null``: the model has no rule.
        - ``unknown_score`` (float or null): the rule's score (higher: more likely
          unknown), the mean of the windows'.
        - ``unsure`` (bool): not ``unknown``, and the top genre's probability below
          ``min_confidence``.
        - ``min_confidence`` (float): the threshold ``unsure`` used (0: never unsure).

        Then the tag keys (:data:`TAG_KEYS`):

        - ``tags`` (list of ``{tag, probability}``): the most probable tags, best first,
          named ``msd:...`` or ``mtt:...`` by their tagger.
        - ``moods`` (list of ``{mood, score}``): every mood, best first (a calibrated
          rank in [0, 1], see :class:`~genriflow.inference.tags.SongTags`).
        - ``voice`` (str): ``vocal`` or ``instrumental``.
        - ``vocal_probability`` (float): the vocal tags' share of the vocal and
          instrumental scores.

    Examples
    --------
    >>> import numpy as np
    >>> from genriflow import Prediction
    >>> p = Prediction("x.wav", ["jazz", "rock"], np.array([0.25, 0.75]),
    ...                np.array([0.0, 2.992]), np.array([[0.5, 0.5], [0.0, 1.0]]))
    >>> record = song_record(p)
    >>> record["genre"], record["genres"], record["probabilities"]
    ('rock', [{'genre': 'rock', 'probability': 0.75}], {'jazz': 0.25, 'rock': 0.75})
    >>> record["timeline"][1]
    {'start': 2.992, 'genre': 'rock', 'probabilities': {'jazz': 0.0, 'rock': 1.0}}
    >>> record["unknown"], record["unsure"]   # this model has no reject rule
    (None, False)
    """
    record: dict[str, Any] = {}
    if prediction is not None:
        labels = list(prediction.labels)

        def every_label(row) -> dict[str, float]:
            return {label: float(p) for label, p in zip(labels, row, strict=True)}

        record.update({
            "genre": prediction.genre,
            "genres": [{"genre": g, "probability": float(p)} for g, p in prediction.genres],
            "probabilities": every_label(prediction.probabilities),
            "timeline": [{"start": round(float(start), 3),
                          "genre": labels[int(row.argmax())],
                          "probabilities": every_label(row)}
                         for start, row in zip(prediction.offsets,
                                               prediction.window_probabilities, strict=True)],
            "unknown": None if prediction.unknown is None else bool(prediction.unknown),
            "unknown_score": (None if prediction.unknown_score is None
                              else float(prediction.unknown_score)),
            "unsure": bool(prediction.unsure),
            "min_confidence": float(prediction.min_confidence),
        })
    if tags is not None:
        record.update({
            "tags": [{"tag": t, "probability": float(p)} for t, p in tags.top],
            "moods": [{"mood": m, "score": float(s)} for m, s in tags.moods],
            "voice": tags.voice,
            "vocal_probability": float(tags.vocal_probability),
        })
    return record
