"""The one way from songs to their answers: preprocess, forward, postprocess.

Shaped like a Hugging Face pipeline. :meth:`Pipeline.preprocess` expands the inputs (a
file, a list, a folder, or a waveform) and extracts every feature set the model and the
taggers read in one pass (:func:`~genriflow.features.extract.extract_sets`: each stretch
of a song decoded once, each network run once per excerpt, the ``musicnn`` analysis kept
in the store for a later ``similar``). :meth:`Pipeline.forward` asks the model for each
song's probabilities through its one method,
:meth:`~genriflow.models.base.GenreClassifier.song_probabilities` (a fused model
overrides it; nothing here asks what kind of model it is). :meth:`Pipeline.postprocess`
builds the answers: genres, unknown and unsure
(:class:`~genriflow.inference.predict.Prediction`), tags, voice and moods
(:class:`~genriflow.inference.tags.SongTags`).

``genriflow.classify``, ``tag`` and ``analyse``, the library's ``Analyser``, the
service's ``Worker`` and the song-by-song evaluation all call it.

One input (a file or a waveform) gives one :class:`SongAnswer`, or raises the
:class:`~genriflow.audio.AudioError` of a file that cannot be used; several (a list or a
folder) give an :class:`Analysis`: the answers in input order and the files that could
not be used.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from genriflow.audio import AudioError
from genriflow.audio.waveform import waveform_rate
from genriflow.errors import ConfigError
from genriflow.features.extract import FileFeatures, extract_sets, extract_waveform_sets
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, GenreMargin, Sampling
from genriflow.features.sets import FeatureConfig
from genriflow.inference.answer_options import check_options
from genriflow.inference.batch import Batch
from genriflow.inference.predict import Prediction, expand_inputs
from genriflow.inference.record import song_record
from genriflow.inference.tags import TAG_FEATURES, SongTags, describe
from genriflow.models.base import GenreClassifier, SongProbabilities, min_confidence_of

#: What the song-answering functions take: a file, several, a folder, or a waveform.
Audio = str | os.PathLike | Sequence[str | os.PathLike] | np.ndarray


def is_single(audio: Audio) -> bool:
    """Whether ``audio`` is one input (a waveform, or a path that is not a folder), which
    gets one result; anything else (a list, a folder) gets a batch."""
    return isinstance(audio, np.ndarray) or (
        isinstance(audio, str | os.PathLike) and not Path(audio).is_dir()
    )


def check_input(audio: Audio, sr: int | None) -> None:
    """``sr`` goes with a waveform, and only with one; no path is ``""`` (an unset
    variable, which ``Path`` would read as the current folder); anything else than a path,
    a collection of paths or an array is refused, naming its type."""
    if not isinstance(audio, str | os.PathLike | np.ndarray) and (
            isinstance(audio, bytes) or not isinstance(audio, Iterable)
            or isinstance(audio, Sequence)
            and not all(isinstance(p, str | os.PathLike) for p in audio)):
        raise ConfigError("audio", "must be a path, a list of paths, a folder or a waveform "
                          f"(np.ndarray); got {describe_type(audio)}")
    paths = [audio] if isinstance(audio, str) else (
        audio if isinstance(audio, Sequence) and not isinstance(audio, np.ndarray) else [])
    if any(isinstance(p, str) and not p for p in paths):
        raise ConfigError("audio", 'is an empty path (""); the current folder is "."')
    if isinstance(audio, np.ndarray):
        if audio.dtype.kind in "USO":  # df["path"].to_numpy(): said `sr` is needed
            raise ConfigError("audio", f"is an array of {audio.dtype} values, not a waveform "
                              "(numbers); give several files as a list of paths "
                              "(array.tolist())")
        if sr is None:
            raise ConfigError("sr", "is needed with a waveform: its sample rate in Hz")
        waveform_rate(sr)  # before a model is loaded
    elif sr is not None:
        raise ConfigError("sr", "is for waveforms; files carry their own rate")


def describe_type(value: object) -> str:
    """``value``'s type as a message names it: ``int``, ``list of float``."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and value:
        kinds = sorted({type(item).__name__ for item in value})
        return f"{type(value).__name__} of {', '.join(kinds)}"
    return type(value).__name__


def on_genres(sampling: Sampling, model: GenreClassifier | None = None) -> Sampling:
    """``sampling``, adaptive on ``model``'s genres where it is adaptive and the model can
    say its genres per window (:meth:`~genriflow.models.base.GenreClassifier.window_genres`):
    a song is analysed until the model's top genre is clear, not until its tags settle.

    ``model=None`` (tags alone, a similarity index) takes the default model's genres, so
    that :func:`genriflow.tag`, :func:`genriflow.similar` and :func:`genriflow.classify`
    with the default model choose the same excerpts and share them in the store.

    >>> from genriflow.features.sampling import DEFAULT_SAMPLING
    >>> from genriflow.models.zero_shot import ZeroShotGenreModel
    >>> str(on_genres(DEFAULT_SAMPLING, ZeroShotGenreModel()))
    "4-24 excerpts (adaptive on zero-shot's genres, margin 1.5 then 1)"
    >>> str(on_genres(DEFAULT_SAMPLING)), str(on_genres(Sampling(excerpts=8)))
    ("4-24 excerpts (adaptive on gtzan's genres, margin 1.5 then 1)", '8 excerpts')
    """
    if not sampling.adaptive or sampling.on_genres is not None:
        return sampling
    if model is None:
        from genriflow.models.folder import load_model
        from genriflow.models.registry import DEFAULT_MODEL

        model = load_model(DEFAULT_MODEL)
    genres = model.window_genres()
    if genres is None:
        return sampling
    name = str(model.config.get("model") or type(model).__name__)
    return replace(sampling, on_genres=GenreMargin(name, genres.config.stored().digest(), genres))


@dataclass
class SongAnswer:
    """One song's answer.

    Attributes
    ----------
    path : str
        The file, or ``"<array>"`` for a waveform.
    prediction : Prediction or None
        Its genres; ``None`` when no model was asked for.
    tags : SongTags or None
        Its tags, voice and moods; ``None`` when no tags were asked for.
    """

    path: str
    prediction: Prediction | None = None
    tags: SongTags | None = None

    def __repr__(self) -> str:
        """The song's path once: its prediction and tags are shown without their copies
        of it (kept where one differs)."""
        shown = [f"path={self.path!r}"]
        for name in ("prediction", "tags"):
            value = getattr(self, name)
            text = repr(value)
            if value is not None and getattr(value, "path", None) == self.path:
                text = text.replace(f"(path={self.path!r}, ", "(", 1)
            shown.append(f"{name}={text}")
        return f"SongAnswer({', '.join(shown)})"

    def record(self) -> dict[str, Any]:
        """The song's answer as JSON-ready data, the one shape ``predict -f json`` and the
        service send (:func:`~genriflow.inference.record.song_record` lists its keys); the
        path is not in it: each interface names the song its own way."""
        return song_record(self.prediction, self.tags)


class Analysis(Batch[SongAnswer]):
    """The answers of a batch, in input order (a sequence of :class:`SongAnswer`), and
    ``errors``: a file that cannot be used is there once, and has no answer."""

    @property
    def predictions(self) -> list[Prediction]:
        """The songs' predictions, in input order; empty when no model was asked for."""
        return [a.prediction for a in self.results if a.prediction is not None]

    @property
    def tags(self) -> list[SongTags]:
        """The songs' tags, in input order; empty when no tags were asked for."""
        return [a.tags for a in self.results if a.tags is not None]


@dataclass
class Features:
    """What :meth:`Pipeline.preprocess` extracted: per usable song, set name -> its
    windows' features, in input order; the files that could not be used; whether the
    input was one song."""

    songs: list[dict[str, FileFeatures]]
    errors: list[AudioError] = field(default_factory=list)
    single: bool = False


class Pipeline:
    """A genre model and the taggers, kept warm, answering songs.

    Parameters
    ----------
    model : str, path, GenreClassifier or None
        A built-in name, a model folder or a loaded model; ``None`` for tags alone.
    tags : bool
        Also the top tags, voice and moods.
    k : int
        Genres each prediction lists by default (``Prediction.top()``).
    k_tags : int
        Tags listed per song.
    sampling : Sampling
        How much of each song is analysed.
    aggregation : {'mean', 'vote'}
        How the windows' probabilities make the song's.
    min_confidence : float or None
        Below it a song's top genre is ``unsure``; ``None``: the model's own, else 0.5.
    options : RunOptions or None
        Feature store, workers and progress bar of the extraction.
    device : {'auto', 'cpu', 'cuda'}
        Where a network runs, for a model given by name.

    Raises
    ------
    ModelError, ConfigError
        An unknown model or a bad option (checked once, here).

    Examples
    --------
    >>> import numpy as np
    >>> from genriflow.inference.pipeline import Pipeline
    >>> pipe = Pipeline("zero-shot", tags=True, k_tags=3)
    >>> t = np.arange(4 * 16000) / 16000
    >>> answer = pipe(np.sin(2 * np.pi * 330 * t), sr=16000)
    >>> answer.prediction.model, len(answer.tags.top)
    ('zero-shot', 3)
    """

    def __init__(
        self,
        model: str | os.PathLike | GenreClassifier | None,
        *,
        tags: bool = False,
        k: int = 3,
        k_tags: int = 5,
        sampling: Sampling = DEFAULT_SAMPLING,
        aggregation: str = "mean",
        min_confidence: float | None = None,
        options: RunOptions | None = None,
        device: str = "auto",
        names: dict[str, str] | None = None,
    ) -> None:
        if isinstance(model, str | os.PathLike):
            from genriflow.models.folder import load_model

            model = load_model(model, device=device)
        elif model is not None and not isinstance(model, GenreClassifier):
            raise ConfigError("model", "must be a built-in name, a model folder or a loaded "
                              f"model (GenreClassifier); got {type(model).__name__}")
        if options is not None and not isinstance(options, RunOptions):
            raise ConfigError("options", "must be a genriflow.RunOptions or None; got "
                              f"{type(options).__name__}")
        check_options(
            model,
            tags=tags,
            k=k,
            k_tags=k_tags,
            aggregation=aggregation,
            min_confidence=min_confidence,
            names=names,
        )
        self.model: GenreClassifier | None = model
        self.tags, self.k, self.k_tags = tags, k, k_tags
        self.sampling, self.aggregation = on_genres(sampling, model), aggregation
        self.min_confidence, self.options = min_confidence, options

    def feature_configs(self, tags: bool) -> list[FeatureConfig]:
        """The feature sets to extract: the model's and (with ``tags``) the taggers', each
        once."""
        configs = list(self.model.feature_configs) if self.model is not None else []
        if tags and TAG_FEATURES.digest() not in {c.digest() for c in configs}:
            configs.append(TAG_FEATURES)
        return configs

    def preprocess(
        self, audio: Audio, *, sr: int | None = None, tags: bool | None = None
    ) -> Features:
        """Expand ``audio`` and extract every feature set in one pass.

        Raises
        ------
        ConfigError
            ``sr`` without a waveform, or a waveform without ``sr``.
        AudioError
            An unusable waveform.
        """
        check_input(audio, sr)
        configs = self.feature_configs(self.tags if tags is None else tags)
        if isinstance(audio, np.ndarray):
            assert sr is not None  # check_input
            song = extract_waveform_sets(audio, sr, configs, sampling=self.sampling)
            return Features([song], [], single=True)
        paths = [audio] if isinstance(audio, str | os.PathLike) else list(audio)
        files, empty_folders = expand_inputs(paths)
        result = extract_sets(files, configs, sampling=self.sampling, options=self.options)
        errors = {str(e.path): e for e in empty_folders}
        errors |= {str(e.path): e for extraction in result.values() for e in extraction.errors}
        sets = [config.set for config in configs]
        by_set = [{item.path: item for item in result[name].files} for name in sets]
        songs = [
            {name: found[item.path] for name, found in zip(sets, by_set, strict=True)}
            for item in result[sets[0]].files
            if all(item.path in found for found in by_set)
        ]
        return Features(songs, list(errors.values()), single=is_single(audio))

    def forward(self, features: Features) -> list[SongProbabilities | None]:
        """Each song's probabilities by the model (``None`` each without one)."""
        if self.model is None:
            return [None] * len(features.songs)
        return [
            self.model.song_probabilities(song, aggregation=self.aggregation)
            for song in features.songs
        ]

    def postprocess(
        self,
        features: Features,
        outputs: Sequence[SongProbabilities | None],
        *,
        tags: bool | None = None,
    ) -> SongAnswer | Analysis:
        """Each song's :class:`SongAnswer`; one input's alone (or its error raised)."""
        tags = self.tags if tags is None else tags
        answers = [
            self._answer(song, output, tags)
            for song, output in zip(features.songs, outputs, strict=True)
        ]
        if not features.single:
            return Analysis(answers, features.errors)
        if features.errors:
            raise features.errors[0]
        return answers[0]

    def __call__(
        self, audio: Audio, *, sr: int | None = None, tags: bool | None = None
    ) -> SongAnswer | Analysis:
        """Answer ``audio``: one input gives its :class:`SongAnswer`, several an
        :class:`Analysis`. ``tags`` (``None``: as constructed) asks for the tags or not
        for this call alone."""
        if tags is False and self.model is None:
            raise ConfigError("model", "or tags must be asked for: nothing to analyse")
        features = self.preprocess(audio, sr=sr, tags=tags)
        return self.postprocess(features, self.forward(features), tags=tags)

    def _answer(
        self, song: dict[str, FileFeatures], output: SongProbabilities | None, tags: bool
    ) -> SongAnswer:
        path = next(iter(song.values())).path
        prediction = None
        if output is not None and self.model is not None:
            prediction = Prediction(
                path,
                list(self.model.labels),
                output.probabilities,
                output.offsets,
                output.window_probabilities,
                str(self.model.config.get("model", "")),
                self.k,
                self.model.thresholds,
                output.unknown,
                output.unknown_score,
                min_confidence_of(self.model.config, self.min_confidence),
            )
        tagged = song.get(TAG_FEATURES.set) if tags else None
        return SongAnswer(
            path,
            prediction,
            describe(tagged.path, tagged.values.mean(axis=0), self.k_tags)
            if tagged is not None
            else None,
        )
