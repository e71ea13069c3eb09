"""The public API: what every interface (command line, service, notebooks) calls.

Everything here is reachable as ``genriflow.<name>`` (imported lazily, so ``import
genriflow`` stays fast); the dataset-level jobs (``train``, ``evaluate``, ...) live in
:mod:`genriflow.api_training`. One shape throughout:

* Data arguments come first; every option is keyword-only (the model included).
* One input, one result; several, a list-like batch. :func:`classify`, :func:`tag` and
  :func:`analyse` (and :class:`Classifier`) take a file or a waveform and give its one
  result (a :class:`~genriflow.inference.predict.Prediction`, a
  :class:`~genriflow.inference.tags.SongTags`, a
  :class:`~genriflow.inference.pipeline.SongAnswer`), raising the
  :class:`~genriflow.audio.AudioError` of a file that cannot be used. A list of paths or
  a folder gives a :class:`~genriflow.inference.batch.Batch` (``Predictions``,
  ``Tagged``, ``Analysis``): the results in input order, and ``errors``, one per file
  that could not be used, which never stops the others. ``extract_features`` follows it:
  one feature-set name gives its dataset, several a dict by name.
* ``k`` is how many to list, everywhere: genres (``classify``), tags (``tag``; in
  ``analyse`` ``k_tags``), songs (``similar``). The command line keeps ``predict --top``.
* Each option is checked once per call, in one place
  (:func:`~genriflow.inference.answer_options.check_options`, ``check_input``), before
  any file is read: ``sr`` goes with a waveform and only with one, for every function.

All three go through one :class:`~genriflow.inference.pipeline.Pipeline`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING

from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.errors import ConfigError, a_path, at_least
from genriflow.features.options import RunOptions, given_options
from genriflow.features.sampling import Sampling
from genriflow.models.registry import DEFAULT_MODEL

if TYPE_CHECKING:
    from genriflow.audio import AudioInfo
    from genriflow.inference.pipeline import Analysis, Audio, SongAnswer
    from genriflow.inference.predict import Prediction, Predictions
    from genriflow.inference.similar import IndexUpdate, SimilarityIndex
    from genriflow.inference.tags import SongTags, Tagged
    from genriflow.models.base import GenreClassifier
    from genriflow.models.ref import ModelRef
    from genriflow.models.registry import ModelDescription


Model = str | os.PathLike


def available_models() -> list[str]:
    """The built-in model names :func:`load_model` and :func:`classify` accept.

    >>> import genriflow
    >>> "zero-shot" in genriflow.available_models()
    True
    """
    from genriflow.models.registry import available_models as names

    return names()


def describe_models() -> list[ModelDescription]:
    """What each built-in model is, what it was trained, chosen and tested on, and its
    honest accuracy with a 95 % interval (in :func:`available_models` order).

    Examples
    --------
    >>> import genriflow
    >>> [(m.name, m.n) for m in genriflow.describe_models()]
    [('gtzan', 194), ('gtzan-fusion', 47), ('gtzan-table', 290), ('library-genres', 194),
     ('zero-shot', 194)]
    """
    from genriflow.models.registry import describe_models as describe

    return describe()


def load_model(name_or_folder: Model, *, device: str = "auto") -> GenreClassifier:
    """A model folder written by :func:`train`, or a built-in model by name.

    Parameters
    ----------
    name_or_folder : str or path
        A folder (``config.json``, ``labels.json``, weights), or one of
        :func:`available_models`. Nothing in a folder is ever executed.
    device : {'auto', 'cpu', 'cuda'}
        Where a network runs.

    Returns
    -------
    GenreClassifier
        With ``labels``, ``feature_config``, ``predict_proba`` and ``predict``.

    Raises
    ------
    ModelError
        Neither a readable model folder nor a built-in name.

    Examples
    --------
    >>> import genriflow
    >>> model = genriflow.load_model("zero-shot")
    >>> model.labels[:3]
    ['blues', 'classical', 'country']
    """
    from genriflow.models.folder import load_model as load

    return load(name_or_folder, device=device)


def model_identity(name_or_folder: Model, *, excerpts: int | None = None,
                   full: bool = False) -> ModelRef:
    """The name and version of a model, as provenance for what it answers.

    Parameters
    ----------
    name_or_folder : str or path
        A built-in name or a model folder.
    excerpts, full : int or None, bool
        The sampling its answers are made on, as for :func:`classify`: other than the
        default (adaptive) it is part of the identity, ``gtzan@genriflow-0.1.0 (24
        excerpts)``.

    Returns
    -------
    ModelRef
        ``name`` (the built-in name, or the folder's absolute path) and ``identity``,
        which changes whenever the model could answer differently: the built-in name with
        genriflow's version, or a digest of the folder's configuration, labels and weights;
        and the sampling.

    Raises
    ------
    ModelError
        Neither a model folder nor a built-in name.

    Examples
    --------
    >>> import genriflow
    >>> ref = genriflow.model_identity("gtzan-table")
    >>> ref.name, ref.identity.startswith("gtzan-table@genriflow-")
    ('gtzan-table', True)
    >>> genriflow.model_identity("gtzan-table", full=True).identity.endswith(" (full)")
    True
    """
    from genriflow.models.ref import model_ref

    return model_ref(name_or_folder).sampled(Sampling.of(excerpts, full=full))


def probe(path: str | os.PathLike) -> AudioInfo:
    """What an audio file holds (duration, native rate, channels), read without decoding it.

    The check an interface makes before accepting a file: anything that is not audio,
    whatever its name, raises here, and a cut file's ``declared`` length differs from the
    ``duration`` that decodes.

    Parameters
    ----------
    path : str or path

    Returns
    -------
    AudioInfo
        ``duration`` (seconds that decode), ``sr``, ``channels``, ``declared``.

    Raises
    ------
    AudioError
        Missing, empty, not audio (``kind`` ``unsupported``) or nothing decodes
        (``corrupt``).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, soundfile as sf, genriflow
    >>> song = pathlib.Path(tempfile.mkdtemp()) / "a.wav"
    >>> sf.write(song, np.zeros(22050 * 2), 22050)
    >>> genriflow.probe(song).duration
    2.0
    >>> (song.parent / "notes.mp3").write_text("not a song") and None
    >>> try:
    ...     genriflow.probe(song.parent / "notes.mp3")
    ... except genriflow.AudioError as err:
    ...     print(err.kind.value)
    unsupported
    """
    if not isinstance(path, str | os.PathLike):
        raise ConfigError("path", f"must be a file's path (str or os.PathLike); got "
                          f"{type(path).__name__}")
    from genriflow.audio import info

    return info(path)


class Classifier:
    """A model kept warm, called like a function on songs or waveforms: the
    :class:`~genriflow.inference.pipeline.Pipeline` of one genre model.

    Parameters
    ----------
    model : str, path or GenreClassifier
        A built-in name (:func:`available_models`), a model folder, or a loaded model.
    k : int
        Genres each prediction lists by default.
    excerpts : int or None
        How many 3 s excerpts of a song, spread evenly over it, the pretrained networks
        analyse (a model on 30 s clips takes the song's central clip, as in training).
        ``None`` (the default): as many as the song needs, from
        :data:`~genriflow.features.sampling.FIRST_EXCERPTS` (the model's top genre clear
        at once) up to :data:`~genriflow.features.sampling.MOST_EXCERPTS` (a near tie
        between two genres), see :mod:`genriflow.features.sampling`.
    full : bool
        Analyse the whole song instead: every excerpt, or clips tiling it.
    aggregation : {'mean', 'vote'}
        How the windows' probabilities make the song's.
    options : RunOptions or None
        Feature store, workers and progress bar; ``None``: :func:`default_options`.
    device : {'auto', 'cpu', 'cuda'}
        Where a network model given by name runs (the pretrained analysis: ``options``).

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> classify = genriflow.Classifier("zero-shot", k=2)
    >>> t = np.arange(3 * 16000) / 16000
    >>> prediction = classify(np.sin(2 * np.pi * 440 * t), sr=16000)
    >>> len(prediction.top())
    2
    """

    def __init__(self, model: Model | GenreClassifier = DEFAULT_MODEL, *, k: int = 3,
                 excerpts: int | None = None, full: bool = False,
                 aggregation: str = "mean", options: RunOptions | None = None,
                 device: str = "auto") -> None:
        from genriflow.inference.pipeline import Pipeline

        self.pipeline = Pipeline(model, k=k, sampling=Sampling.of(excerpts, full=full),
                                 aggregation=aggregation, device=device,
                                 options=given_options(options))

    def __repr__(self) -> str:
        pipe = self.pipeline
        name = str(pipe.model.config.get("model") or type(pipe.model).__name__)
        return (f"Classifier({name!r}, k={pipe.k}, sampling={str(pipe.sampling)!r}, "
                f"aggregation={pipe.aggregation!r})")

    @property
    def model(self) -> GenreClassifier:
        """The loaded model."""
        return self.pipeline.model

    @property
    def labels(self) -> list[str]:
        """The genres the model knows, in the order of its probabilities."""
        return list(self.model.labels)

    def __call__(self, audio: Audio, *, sr: int | None = None) -> Prediction | Predictions:
        """Classify ``audio``: see :func:`classify`."""
        from genriflow.inference.pipeline import Analysis
        from genriflow.inference.predict import Predictions

        answer = self.pipeline(audio, sr=sr)
        if isinstance(answer, Analysis):
            return Predictions(answer.predictions, answer.errors)
        return answer.prediction


def classify(audio: Audio, *, model: Model | GenreClassifier = DEFAULT_MODEL,
             sr: int | None = None, k: int = 3, excerpts: int | None = None,
             full: bool = False, aggregation: str = "mean",
             options: RunOptions | None = None) -> Prediction | Predictions:
    """The genres of a song, a folder of songs, a list of them, or a waveform.

    Parameters
    ----------
    audio : path, sequence of paths, folder, or np.ndarray
        A file (mp3, m4a, flac, ogg, opus, wav, au, ...), several, a folder (searched
        recursively), or a waveform: shape (n,) or multi-channel, at any rate ``sr``
        (mixed down and resampled exactly as a file is).
    model : str, path or GenreClassifier
        Default ``"gtzan"``: the built-in GTZAN genre model, a head on the pretrained
        musicnn taggers' tags and embeddings, starting from ``"zero-shot"``'s genre
        shares (GTZAN's genres from the taggers, no training); see
        :func:`describe_models`.
    sr : int or None
        The waveform's sample rate (4000 to 768000 Hz); only with a waveform.
    k, excerpts, full, aggregation, options
        As for :class:`Classifier`.

    Returns
    -------
    Prediction or Predictions
        One input (a file or a waveform): its :class:`~genriflow.inference.predict.Prediction`.
        Several (a list or a folder): :class:`~genriflow.inference.predict.Predictions`, a
        list of them with ``errors``, a bad file never stopping the others.

    Raises
    ------
    AudioError
        One input that cannot be read (missing, corrupt, unsupported, too short).
    ModelError, ConfigError
        An unknown model or a bad option.

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> t = np.arange(5 * 22050) / 22050
    >>> chord = sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330))
    >>> prediction = genriflow.classify(chord, sr=22050)
    >>> prediction.path, len(prediction.labels)
    ('<array>', 10)
    >>> round(sum(p for _, p in prediction.top(10)), 6)
    1.0
    """
    classifier = Classifier(model, k=k, excerpts=excerpts, full=full,
                            aggregation=aggregation, options=options)
    return classifier(audio, sr=sr)


def tag(audio: Audio, *, sr: int | None = None, k: int = 5, excerpts: int | None = None,
        full: bool = False, options: RunOptions | None = None) -> SongTags | Tagged:
    """Top tags, vocal or instrumental, and moods, from the pretrained musicnn taggers.

    The tags are averaged over the analysed excerpts; without a genre model, the default
    model's genres decide how many excerpts a song needs, so tags share the feature store
    with :func:`classify`.

    Parameters
    ----------
    audio : path, sequence of paths, folder, or np.ndarray
        As for :func:`classify`.
    sr : int or None
        The waveform's sample rate (4000 to 768000 Hz); only with a waveform.
    k : int
        Tags listed per song (``top``).
    excerpts, full, options
        As for :class:`Classifier`.

    Returns
    -------
    SongTags or Tagged
        One input: its :class:`~genriflow.inference.tags.SongTags` (``top``, ``voice``,
        ``vocal_probability``, ``moods``). Several: :class:`~genriflow.inference.tags.Tagged`,
        a list of them in input order with ``errors``, a bad file never stopping the others.

    Raises
    ------
    AudioError
        One input that cannot be read (missing, corrupt, unsupported, too short).
    ConfigError
        A bad option, before any file is read.

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> t = np.arange(4 * 16000) / 16000
    >>> tags = genriflow.tag(np.sin(2 * np.pi * 330 * t), sr=16000, k=3)
    >>> len(tags.top), tags.voice in ("vocal", "instrumental")
    (3, True)
    """
    from genriflow.inference.pipeline import Analysis, Pipeline
    from genriflow.inference.tags import Tagged

    pipeline = Pipeline(None, tags=True, k_tags=k, sampling=Sampling.of(excerpts, full=full),
                        options=given_options(options), names={"k_tags": "k"})
    answer = pipeline(audio, sr=sr)
    if isinstance(answer, Analysis):
        return Tagged(answer.tags, answer.errors)
    return answer.tags


def analyse(audio: Audio, *, model: Model | GenreClassifier | None = DEFAULT_MODEL,
            tags: bool = True, sr: int | None = None, k: int = 3, k_tags: int = 5,
            excerpts: int | None = None, full: bool = False, aggregation: str = "mean",
            options: RunOptions | None = None,
            min_confidence: float | None = None) -> SongAnswer | Analysis:
    """Genres and tags of songs in one pass: each excerpt decoded once, each network run once.

    What :func:`classify` and :func:`tag` give, computed together: a genre model on 30 s
    clips (say, the GTZAN table) and the taggers share one decode of each stretch of a
    song, and the zero-shot genres, the tags and the similarity embedding (stored for a
    later :func:`similar`) come from one network pass per excerpt.

    Parameters
    ----------
    audio : path, sequence of paths, folder, or np.ndarray
        As for :func:`classify`.
    model : str, path, GenreClassifier or None
        The genre model (default :data:`DEFAULT_MODEL`); ``None`` for tags alone.
    tags : bool
        Also the top tags, voice and moods.
    k : int
        Genres each prediction lists by default (as :func:`classify`'s ``k``).
    k_tags : int
        Tags listed per song (as :func:`tag`'s ``k``).
    sr, excerpts, full, aggregation, options
        As for :func:`classify`.
    min_confidence : float or None
        A song not ``unknown`` whose top genre is below it is ``unsure`` (its
        prediction's ``unsure``); ``None``: the model's own, else 0.5
        (:func:`genriflow.models.answers.min_confidence_of`).

    Returns
    -------
    SongAnswer or Analysis
        One input: its :class:`~genriflow.inference.pipeline.SongAnswer` (``prediction``
        and ``tags``). Several: an :class:`~genriflow.inference.pipeline.Analysis`, a list
        of them in input order with ``errors`` (the files that could not be used) and the
        ``predictions`` and ``tags`` lists.

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> t = np.arange(7 * 16000) / 16000
    >>> both = genriflow.analyse(np.sin(2 * np.pi * 330 * t), sr=16000, k_tags=3,
    ...                          model="zero-shot")
    >>> both.prediction.model, len(both.tags.top)
    ('zero-shot', 3)
    >>> both.prediction.offsets.round(3).tolist()     # one excerpt per 3 s patch
    [0.0, 2.992]
    """
    from genriflow.inference.pipeline import Pipeline

    pipeline = Pipeline(model, tags=tags, k=k, k_tags=k_tags, aggregation=aggregation,
                        sampling=Sampling.of(excerpts, full=full),
                        min_confidence=min_confidence, options=given_options(options))
    return pipeline(audio, sr=sr)


@dataclass
class SimilarSongs:
    """The songs most like a song, and what updating the library's index did."""

    neighbours: list[tuple[str, float]]
    update: IndexUpdate
    index: SimilarityIndex
    precision: float | None = None
    precision_interval: tuple[float, float] | None = None

    def __repr__(self) -> str:
        """The neighbours and the counts: the index and its update list every song."""
        near = [(path, round(similarity, 3)) for path, similarity in self.neighbours]
        u = self.update
        precision = "" if self.precision is None else f", precision={self.precision:.3f}"
        return (f"SimilarSongs(neighbours={near}, index={len(self.index)} songs, "
                f"update={len(u.added)} added, {len(u.changed)} changed, "
                f"{len(u.removed)} removed, {len(u.errors)} failed{precision})")


def similar(song: str | os.PathLike | None, library: str | os.PathLike, *, k: int = 5,
            excerpts: int | None = None, full: bool = False,
            options: RunOptions | None = None) -> SimilarSongs:
    """The ``k`` songs of ``library`` most like ``song``, by pretrained embedding (cosine).

    The library's index lives in the feature store and follows the folder: only new or
    changed files are embedded, and a song already analysed by :func:`classify`,
    :func:`tag` or :func:`analyse` (same ``excerpts`` and ``full``, and the default model:
    adaptive sampling follows the model's genres) is not analysed again.
    ``song=None`` only brings the index up to date. In a folder-per-genre library,
    ``precision`` is the share of each song's ``k`` nearest songs with its genre, and
    ``precision_interval`` its 95 % interval (a bootstrap of the songs).

    Parameters
    ----------
    song : path or None
        Any audio file, in ``library`` or not; ``None``: only update the index.
    library : path
        The music folder (searched recursively) whose songs are ranked.
    k : int
        How many songs to list.
    excerpts, full, options
        As for :class:`Classifier`.

    Returns
    -------
    SimilarSongs
        ``neighbours`` (path, cosine similarity; the song itself left out), ``update``
        (what bringing the index up to date added, changed, removed and computed),
        ``index``, and ``precision`` with its interval (``None`` unless labelled).

    Raises
    ------
    AudioError
        A song that is missing, a folder, empty or not audio: said before the library is
        indexed.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, soundfile as sf, genriflow
    >>> music, store = (pathlib.Path(tempfile.mkdtemp()) for _ in range(2))
    >>> t = np.arange(4 * 16000) / 16000
    >>> for name, hz in (("a", 220), ("b", 330), ("c", 440)):
    ...     sf.write(music / f"{name}.wav", 0.3 * np.sin(2 * np.pi * hz * t), 16000)
    >>> found = genriflow.similar(music / "a.wav", music, k=2,
    ...                           options=genriflow.RunOptions(store=store, n_jobs=1))
    >>> sorted(pathlib.Path(path).name for path, _ in found.neighbours)
    ['b.wav', 'c.wav']
    >>> len(found.update.added), found.update.computed, found.precision   # not labelled
    (3, 3, None)
    >>> genriflow.similar(None, music, options=genriflow.RunOptions(store=store)).update.computed
    0
    """
    a_path("song", song, optional=True)
    a_path("library", library)
    at_least("k", k, 1, whole=True)  # before the index is brought up to date, which may take long
    sampling = Sampling.of(excerpts, full=full)
    if song is not None:  # a missing, empty or non-audio song: said before the library is
        from genriflow.audio import info  # indexed, which may take long

        info(song)
    from genriflow.inference.similar import (
        SimilarityIndex,
        library_labels,
        precision_with_interval,
    )

    options = given_options(options)
    if options.store is None:
        raise ConfigError("store", "is needed: similar keeps its index in the feature store")
    from genriflow.inference.pipeline import on_genres

    index = SimilarityIndex(library, options.store,
                            sampling=on_genres(sampling),
                            options=options)
    update = index.update(n_jobs=options.n_jobs, progress=options.progress)
    neighbours = index.query(song, k) if song is not None else []
    labels = library_labels(index)
    if labels and len(index) > k:
        return SimilarSongs(neighbours, update, index,
                            *precision_with_interval(index, labels, k))
    return SimilarSongs(neighbours, update, index)


def plot(target: str | os.PathLike, *, out: str | os.PathLike, offset: float = 0.0,
         duration: float = 30.0, options: RunOptions | None = None) -> list[Path]:
    """Pictures of a song (waveform, spectrograms, chroma, tonnetz, MFCC, ZCR) or of a
    dataset (a labelled folder or a feature table: box plots, PCA, correlations), with
    ``report.html``. Returns the PNG files (a song's: ``NAME-waveform.png``,
    ``NAME-spectrogram.png``, ``NAME-mel-spectrogram.png``, ``NAME-chroma.png``,
    ``NAME-tonnetz.png``, ``NAME-mfcc.png``, ``NAME-zcr.png``).

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.plot("song.mp3", out="pics", duration=0)
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `duration` must be positive; got 0
    """
    from genriflow.workflows.run_folder import a_run_folder, claim_run_folder

    a_path("target", target)
    at_least("offset", offset, 0)
    if isinstance(duration, bool) or not isinstance(duration, Real) or not duration > 0:
        raise ConfigError("duration", f"must be positive; got {duration!r}")
    at_least("duration", duration, 0)  # nor infinite
    options = given_options(options)
    a_run_folder("out", out, kind="plot")
    from genriflow.plots.folder import plot_to_folder

    if not os.path.lexists(target):  # said before the run folder is claimed
        raise AudioError(target, "file not found", AudioErrorKind.MISSING)
    claim_run_folder(out, kind="plot")
    return plot_to_folder(target, out, offset=offset, duration=duration, options=options)
