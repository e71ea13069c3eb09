"""The shapes of the service's answers, for the OpenAPI document and its docs page."""

from __future__ import annotations

from pydantic import BaseModel


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
    start: float
    genre: str
    probabilities: list[float]


class Timeline(BaseModel):
    labels: list[str]
    windows: list[Window]


class TagScore(BaseModel):
    tag: str
    probability: float


class MoodScore(BaseModel):
    mood: str
    score: float


class Voice(BaseModel):
    voice: str
    vocal_probability: float


class SimilarSong(BaseModel):
    path: str
    similarity: float


class ModelInfo(BaseModel):
    name: str
    identity: str
    version: str


class SongResult(BaseModel):
    """One song: genres (every label, most probable first), whether the model calls it
    none of its genres (``unknown``: its reject rule; ``null`` for a model without one),
    whether it is ``unsure`` (not unknown, its top genre below ``min_confidence``: the
    model's own, else 0.5), the timeline, and with ``?tags=true`` the tags, moods and voice."""

    file: str
    duration: float
    model: ModelInfo
    genre: str
    genres: list[GenreProbability]
    unknown: bool | None = None
    unknown_score: float | None = None
    unsure: bool = False
    min_confidence: float = 0.0
    timeline: Timeline
    tags: list[TagScore] | None = None
    moods: list[MoodScore] | None = None
    voice: Voice | None = None
    similar: list[SimilarSong] | None = None


class JobRequest(BaseModel):
    """Server files to analyse, inside the folders the operator allowed (``--allow-dir``);
    a path is absolute or relative to the first allowed folder; a folder stands for the
    audio files below it."""

    paths: list[str]
    tags: bool = False


class JobError(BaseModel):
    file: str
    error: ErrorDetail


class JobStatus(BaseModel):
    """A job's progress; once ``state`` is ``done``, its results (given once)."""

    id: str
    state: str
    total: int
    done: int
    failed: int
    created: float
    finished: float | None = None
    results: list[SongResult] | None = None
    errors: list[JobError] | None = None
