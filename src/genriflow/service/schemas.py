"""The shapes of the service's answers, for the OpenAPI document and its docs page."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    code: str
    message: str


class Error(BaseModel):
    """Every error: one line of JSON, never a traceback."""

    error: ErrorDetail


class GenreProbability(BaseModel):
    genre: str
    probability: float


class Window(BaseModel):
    """One analysed window: its start in seconds, its most probable genre and every
    label's probability."""

    start: float
    genre: str
    probabilities: dict[str, float]


class TagScore(BaseModel):
    tag: str
    probability: float


class MoodScore(BaseModel):
    mood: str
    score: float


class SimilarSong(BaseModel):
    path: str
    similarity: float


class ModelInfo(BaseModel):
    name: str
    identity: str
    version: str


class SongRecord(BaseModel):
    """One song's answer, the record ``genriflow predict -f json`` prints too (there with
    the song's ``path``): the same keys with the same meaning
    (:func:`genriflow.inference.record.song_record`).

    ``genre``: the most probable genre (the best guess even when unknown); ``genres``: the
    song's genres, best first (a multi-label model's at or above their thresholds, else the
    top one); ``probabilities``: every label's, in the model's label order; ``timeline``:
    each analysed window; ``unknown``: the model's reject rule calls the song none of its
    genres (``null``: the model has no rule) with its ``unknown_score``; ``unsure``: not
    unknown and the top genre below ``min_confidence``. With ``?tags=true``: ``tags``,
    ``moods``, ``voice`` and ``vocal_probability``. Numbers unrounded, times to the
    millisecond."""

    model_config = ConfigDict(extra="forbid")

    genre: str
    genres: list[GenreProbability]
    probabilities: dict[str, float]
    timeline: list[Window]
    unknown: bool | None = None
    unknown_score: float | None = None
    unsure: bool = False
    min_confidence: float = 0.0
    tags: list[TagScore] | None = None
    moods: list[MoodScore] | None = None
    voice: str | None = None
    vocal_probability: float | None = None


class SongResult(SongRecord):
    """The service's answer for one song: :class:`SongRecord` and what only the service
    knows: the client's ``file`` name, the ``duration`` that decodes (seconds), the
    ``model`` that answered and, with ``?similar=true``, the library's ``similar`` songs."""

    file: str
    duration: float
    model: ModelInfo
    similar: list[SimilarSong] | None = None


class JobRequest(BaseModel):
    """Server files to analyse, inside the folders the operator allowed (``--allow-dir``);
    a path is absolute or relative to the first allowed folder; a folder stands for the
    audio files below it."""

    # a misspelt key ("tag") would otherwise be dropped and the job run without it
    model_config = ConfigDict(extra="forbid")

    paths: list[str]
    tags: bool = False


class JobError(BaseModel):
    file: str
    error: ErrorDetail


class JobStatus(BaseModel):
    """A job's progress: ``state`` is ``queued``, ``running``, ``done`` or ``cancelled``;
    once done or cancelled, its results (given once: a cancelled job's are the songs
    analysed before it was cancelled)."""

    id: str
    state: str
    total: int
    done: int
    failed: int
    created: float
    finished: float | None = None
    results: list[SongResult] | None = None
    errors: list[JobError] | None = None
