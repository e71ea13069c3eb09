"""The JSON a song's analysis is answered with: what the API returned, reshaped, no more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genriflow.inference.predict import Prediction
    from genriflow.inference.tags import SongTags


def song_result(name: str, prediction: Prediction, tags: SongTags | None,
                model: dict[str, str], duration: float,
                similar: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    """One song's answer.

    Parameters
    ----------
    name : str
        The file's name as the client gave it.
    prediction : Prediction
        Genres overall (every label, most probable first) and per window (the timeline:
        each window's start in seconds and its probabilities in ``labels`` order);
        ``unknown`` (and its score) when the model's reject rule calls the song none of
        its genres (``null``: the model has no reject rule); ``unsure`` when it is not
        unknown and its top genre is below ``min_confidence`` (the model's own, else 0.5:
        :func:`genriflow.models.answers.is_unsure`).
    tags : SongTags or None
        Top tags, voice and moods, when asked for.
    model : dict
        ``name``, ``identity`` and ``version`` of the model that answered.
    duration : float
        Seconds of audio that decode.
    similar : list of (path, similarity) or None
        The library's songs most like this one.

    Examples
    --------
    >>> import numpy as np
    >>> from genriflow import Prediction
    >>> p = Prediction("x.wav", ["jazz", "rock"], np.array([0.25, 0.75]),
    ...                np.array([0.0, 3.0]), np.array([[0.5, 0.5], [0.0, 1.0]]))
    >>> out = song_result("x.wav", p, None, {"name": "m"}, 6.0)
    >>> out["genre"], out["genres"][0], out["timeline"]["windows"][1]["genre"]
    ('rock', {'genre': 'rock', 'probability': 0.75}, 'rock')
    >>> out["unknown"] is None   # this model has no reject rule
    True
    >>> out["unsure"], out["min_confidence"]   # 0.75 is not below the default 0.5
    (False, 0.0)
    """
    labels = list(prediction.labels)
    out: dict[str, Any] = {
        "file": name,
        "duration": round(float(duration), 3),
        "model": model,
        "genre": prediction.genre,
        "genres": [{"genre": g, "probability": p} for g, p in prediction.top(len(labels))],
        "unknown": prediction.unknown,
        "unknown_score": (None if prediction.unknown_score is None
                          else round(float(prediction.unknown_score), 4)),
        "unsure": prediction.unsure,
        "min_confidence": prediction.min_confidence,
        "timeline": {
            "labels": labels,
            "windows": [{"start": round(float(start), 3),
                         "genre": labels[int(row.argmax())],
                         "probabilities": [float(v) for v in row]}
                        for start, row in zip(prediction.offsets,
                                              prediction.window_probabilities, strict=True)],
        },
    }
    if tags is not None:
        out["tags"] = [{"tag": t, "probability": p} for t, p in tags.top]
        out["moods"] = [{"mood": m, "score": s} for m, s in tags.moods]
        out["voice"] = {"voice": tags.voice, "vocal_probability": tags.vocal_probability}
    if similar is not None:
        out["similar"] = [{"path": path, "similarity": s} for path, s in similar]
    return out
