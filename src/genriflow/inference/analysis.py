"""Everything asked of a batch of songs in one pass: genres and tags together.

A genre model's features and the taggers' come from one extraction
(:func:`~genriflow.features.extract.extract_sets`): each stretch of a song is decoded once
and resampled per rate, and the networks run once per excerpt for the zero-shot genres,
the tags and the similarity embedding alike (all read from the one ``musicnn`` analysis,
which the store then holds for a later ``similar``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from genriflow.audio import AudioError
from genriflow.errors import ConfigError, at_least
from genriflow.features.extract import extract_sets, extract_waveform_sets
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.features.sets import FeatureConfig
from genriflow.inference.predict import (
    Prediction,
    check_options,
    expand_inputs,
    predictions_from,
    song_prediction,
)
from genriflow.inference.tags import TAG_FEATURES, SongTags, describe, tags_of

if TYPE_CHECKING:
    from genriflow.models.base import GenreClassifier


class Analysis(NamedTuple):
    """Genres and tags of a batch, each in input order, and the files that could not be used.

    ``predictions`` is empty when no model was asked for, ``tags`` when no tags were.
    """

    predictions: list[Prediction]
    tags: list[SongTags]
    errors: list[AudioError]


def _check(model: GenreClassifier | None, tags: bool, k: int, aggregation: str,
           top: int, min_confidence: float | None = None) -> None:
    if model is None and not tags:
        raise ConfigError("model", "or tags must be asked for: nothing to analyse")
    check_options(aggregation=aggregation, top=top)
    at_least("k", k, 1)
    if model is not None:
        from genriflow.models.base import min_confidence_of

        min_confidence_of(model.config, min_confidence)


def _configs(model: GenreClassifier | None, tags: bool) -> list[FeatureConfig]:
    """The feature sets to extract: the model's and the taggers', each once."""
    configs = list(model.feature_configs) if model is not None else []
    if tags and TAG_FEATURES.digest() not in {c.digest() for c in configs}:
        configs.append(TAG_FEATURES)
    return configs


def analyse_files(paths: Sequence[str | os.PathLike], *, model: GenreClassifier | None,
                  tags: bool = False, k: int = 5, sampling: Sampling = DEFAULT_SAMPLING,
                  aggregation: str = "mean", top: int = 3,
                  options: RunOptions | None = None,
                  min_confidence: float | None = None) -> Analysis:
    """Genres by ``model`` and (with ``tags``) the taggers' tags of songs, in one pass.

    Parameters
    ----------
    paths : sequence of path
        Files and folders (searched recursively for audio).
    model : GenreClassifier or None
        The genre model; ``None`` for tags alone.
    tags : bool
        Also the top tags, voice and moods (:class:`~genriflow.inference.tags.SongTags`).
    k : int
        Tags listed per song.
    sampling, aggregation, top, options, min_confidence
        As for :func:`~genriflow.inference.predict.predict_files`.

    Returns
    -------
    Analysis
        A file that cannot be used is in ``errors`` once, and in neither list.
    """
    _check(model, tags, k, aggregation, top, min_confidence)
    configs = _configs(model, tags)
    result = extract_sets(expand_inputs(paths), configs, sampling=sampling, options=options)
    errors = {str(e.path): e for extraction in result.values() for e in extraction.errors}
    return Analysis(
        predictions_from(model, result, aggregation, top, min_confidence).predictions
        if model is not None else [],
        tags_of(result[TAG_FEATURES.set], k).tags if tags else [],
        list(errors.values()))


def analyse_waveform(y: np.ndarray, sr: int, *, model: GenreClassifier | None,
                     tags: bool = False, k: int = 5, sampling: Sampling = DEFAULT_SAMPLING,
                     aggregation: str = "mean", top: int = 3,
                     min_confidence: float | None = None) -> Analysis:
    """:func:`analyse_files` of a waveform held in memory (any rate, mono or not).

    Raises
    ------
    AudioError, ConfigError
        An unusable waveform or a bad option.
    """
    _check(model, tags, k, aggregation, top, min_confidence)
    result = extract_waveform_sets(y, sr, _configs(model, tags), sampling=sampling)
    predictions = ([song_prediction(model, result, aggregation, top, min_confidence)]
                   if model is not None else [])
    tagged = result.get(TAG_FEATURES.set) if tags else None
    return Analysis(predictions, [describe(tagged.path, tagged.values.mean(axis=0), k)]
                    if tagged is not None else [], [])
