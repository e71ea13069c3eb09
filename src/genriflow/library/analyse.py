"""One song's complete analysis, from the public inference functions, and the model's identity.

This is the library's only door to inference: genres, tags, voice and moods in one pass
(one :class:`~genriflow.inference.pipeline.Pipeline`: each song decoded once, the
pretrained networks run once), and the embedding "songs like this" compares
(:data:`~genriflow.inference.similar.SIMILARITY_FEATURES`, read from the same network
analysis through the feature store). A song's analysis exists only when both worked; a
song either refused comes back as its :class:`~genriflow.audio.AudioError`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from genriflow.audio import AudioError
from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.inference.pipeline import Pipeline
from genriflow.inference.similar import SIMILARITY_FEATURES
from genriflow.models.base import GenreClassifier
from genriflow.models.ref import ModelRef, model_ref  # noqa: F401 (ModelRef re-exported)
from genriflow.progress import counting_files

#: Top tags kept per song.
TOP_TAGS = 10

@dataclass
class SongAnalysis:
    """Everything the index keeps of one song's analysis by one model.

    Attributes
    ----------
    path : str
    probabilities : dict of str to float
        Genre -> probability, in the model's label order.
    tags : list of (str, float)
        The :data:`TOP_TAGS` most probable tags.
    moods : list of (str, float)
        Every mood, best first.
    voice : str
        ``"vocal"`` or ``"instrumental"``.
    vocal_probability : float
    embedding : np.ndarray, shape (n_values,), float32
    unknown : bool or None
        Whether the model's reject rule calls the song none of its genres (a podcast,
        noise, a genre it never learnt); ``None``: the model has no reject rule.
    unknown_score : float or None
        The rule's unknown-genre score.
    """

    path: str
    probabilities: dict[str, float]
    tags: list[tuple[str, float]]
    moods: list[tuple[str, float]]
    voice: str
    vocal_probability: float
    embedding: np.ndarray
    unknown: bool | None = None
    unknown_score: float | None = None

    @property
    def genre(self) -> str:
        """The most probable genre."""
        return max(self.probabilities, key=self.probabilities.__getitem__)


class Analyser:
    """A model kept loaded (one :class:`~genriflow.inference.pipeline.Pipeline`), analysing
    batches of songs.

    Parameters
    ----------
    model : str or path
        A built-in model name or a model folder.
    options : RunOptions
        Feature store and workers of the inference calls (their progress bars are off).
    device : str
    sampling : Sampling
        What of each song is analysed (default: the adaptive
        :data:`~genriflow.features.sampling.DEFAULT_SAMPLING`).

    Attributes
    ----------
    ref : ModelRef
        The model's name and identity.
    identity : str
        The identity of its analyses: the model's, with the sampling unless it is the
        default (:meth:`~genriflow.models.ref.ModelRef.sampled`).
    """

    def __init__(self, model: str | os.PathLike, options: RunOptions, *,
                 device: str = "auto", sampling: Sampling = DEFAULT_SAMPLING) -> None:
        self.ref = model_ref(model)
        self.identity = self.ref.sampled(sampling).identity
        self.options = replace(options, progress=False)
        self.pipeline = Pipeline(model, tags=True, k_tags=TOP_TAGS, options=self.options,
                                 device=device, sampling=sampling)
        self.model: GenreClassifier = self.pipeline.model

    @property
    def labels(self) -> list[str]:
        return list(self.model.labels)

    def __call__(self, paths: Sequence[str], *,
                 on_song: Callable[[], None] | None = None) -> list[SongAnalysis | AudioError]:
        """One result per path, in order: its analysis, or why it could not be analysed;
        ``on_song`` is called as each song's analysis is done (a bar's advance)."""
        keys = [str(Path(p)) for p in paths]
        with counting_files(on_song) if on_song else contextlib.nullcontext():
            analysis = self.pipeline(keys)
        # the embedding's pass below reads what the analysis just stored: not counted again
        vectors = extract(keys, SIMILARITY_FEATURES, options=self.options,
                          sampling=self.pipeline.sampling)  # the excerpts analysed above
        errors: dict[str, AudioError] = {}
        for error in [*analysis.errors, *vectors.errors]:
            errors.setdefault(str(error.path), error)
        by_path = {
            "genres": {p.path: p for p in analysis.predictions},
            "tags": {t.path: t for t in analysis.tags},
            "vectors": {f.path: f for f in vectors.files},
        }
        results: list[SongAnalysis | AudioError] = []
        for key in keys:
            parts = [by_path[name].get(key) for name in ("genres", "tags", "vectors")]
            if key in errors or any(part is None for part in parts):
                results.append(errors.get(key) or AudioError(
                    key, "analysis incomplete", "corrupt"))
                continue
            prediction, song_tags, vector = parts
            results.append(SongAnalysis(
                key, {label: float(p) for label, p in
                      zip(prediction.labels, prediction.probabilities, strict=True)},
                song_tags.top, song_tags.moods, song_tags.voice,
                float(song_tags.vocal_probability),
                np.asarray(vector.row(), dtype=np.float32).ravel().copy(),
                prediction.unknown, prediction.unknown_score))
        return results
