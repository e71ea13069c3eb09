"""The JSON a song's analysis is answered with: the library's one record of a song's answer
(:meth:`genriflow.SongAnswer.record`, what ``predict -f json`` prints too), and before it
what only the service knows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genriflow.inference.pipeline import SongAnswer


def song_result(name: str, answer: SongAnswer, model: dict[str, str], duration: float,
                similar: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    """One song's answer: ``file``, ``duration`` and ``model``, then the song's record
    (its keys mean what they mean in ``predict -f json``: none is renamed or redefined
    here), then ``similar`` when asked for.

    Parameters
    ----------
    name : str
        The file's name as the client gave it (``file``).
    answer : SongAnswer
        The song's genres and, when asked for, tags: its :meth:`~SongAnswer.record`.
    model : dict
        ``name``, ``identity`` and ``version`` of the model that answered (``model``).
    duration : float
        Seconds of audio that decode (``duration``, to the millisecond).
    similar : list of (path, similarity) or None
        The library's songs most like this one (``similar``).

    Examples
    --------
    >>> import numpy as np
    >>> from genriflow import Prediction, SongAnswer
    >>> p = Prediction("/tmp/upload-1", ["jazz", "rock"], np.array([0.25, 0.75]),
    ...                np.array([0.0, 3.0]), np.array([[0.5, 0.5], [0.0, 1.0]]))
    >>> out = song_result("x.wav", SongAnswer(p.path, p), {"name": "m"}, 6.0)
    >>> list(out)[:4], out["genres"], out["timeline"][1]["genre"]
    (['file', 'duration', 'model', 'genre'], [{'genre': 'rock', 'probability': 0.75}], 'rock')
    >>> out == {"file": "x.wav", "duration": 6.0, "model": {"name": "m"},
    ...         **SongAnswer(p.path, p).record()}
    True
    """
    out: dict[str, Any] = {"file": name, "duration": round(float(duration), 3),
                           "model": model, **answer.record()}
    if similar is not None:
        out["similar"] = [{"path": path, "similarity": s} for path, s in similar]
    return out
