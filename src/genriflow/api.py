"""The public API: what every interface (command line, service, notebooks) calls.

Everything here is reachable as ``genriflow.<name>`` (imported lazily, so ``import
genriflow`` stays fast). Data arguments come first; every option is keyword-only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genriflow.audio.errors import AudioError
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions, default_options
from genriflow.features.sampling import Sampling
from genriflow.models.registry import DEFAULT_MODEL

if TYPE_CHECKING:
    import pandas as pd

    from genriflow.audio import AudioInfo
    from genriflow.features.dataset import FeatureDataset
    from genriflow.inference.analysis import Analysis
    from genriflow.inference.predict import Prediction, Predictions
    from genriflow.inference.similar import IndexUpdate, SimilarityIndex
    from genriflow.inference.tags import SongTags, Tagged
    from genriflow.models.base import GenreClassifier
    from genriflow.models.ref import ModelRef
    from genriflow.models.registry import ModelDescription
    from genriflow.training.auto import AutoChoice
    from genriflow.workflows.tuning import TuneResult


Audio = str | os.PathLike | Sequence[str | os.PathLike] | np.ndarray
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


def model_identity(name_or_folder: Model) -> ModelRef:
    """The name and version of a model, as provenance for what it answers.

    Parameters
    ----------
    name_or_folder : str or path
        A built-in name or a model folder.

    Returns
    -------
    ModelRef
        ``name`` (the built-in name, or the folder's absolute path) and ``identity``,
        which changes whenever the model could answer differently: the built-in name with
        genriflow's version, or a digest of the folder's configuration, labels and weights.

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
    """
    from genriflow.models.ref import model_ref

    return model_ref(name_or_folder)


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
    from genriflow.audio import info

    return info(path)


def _is_single(audio: Audio) -> bool:
    return isinstance(audio, np.ndarray) or (
        isinstance(audio, str | os.PathLike) and not Path(audio).is_dir())


class Classifier:
    """A model kept warm, called like a function on songs or waveforms.

    Parameters
    ----------
    model : str, path or GenreClassifier
        A built-in name (:func:`available_models`), a model folder, or a loaded model.
    top : int
        Genres each prediction lists by default.
    excerpts : int or None
        How many 3 s excerpts of a song, spread evenly over it, the pretrained networks
        analyse (a model on 30 s clips takes the song's central clip, as in training).
        ``None`` (the default): as many as the song needs, from
        :data:`~genriflow.features.sampling.FIRST_EXCERPTS` (a song that sounds the same
        throughout) up to :data:`~genriflow.features.sampling.DEFAULT_EXCERPTS` (a varied
        one), see :mod:`genriflow.features.sampling`.
    full : bool
        Analyse the whole song instead: every excerpt, or clips tiling it.
    aggregation : {'mean', 'vote'}
        How the windows' probabilities make the song's.
    options : RunOptions or None
        Feature store, workers and progress bar; ``None``: :func:`default_options`.
    device : {'auto', 'cpu', 'cuda'}

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> classify = genriflow.Classifier("zero-shot", top=2)
    >>> t = np.arange(3 * 16000) / 16000
    >>> prediction = classify(np.sin(2 * np.pi * 440 * t), sr=16000)
    >>> len(prediction.top())
    2
    """

    def __init__(self, model: Model | GenreClassifier = DEFAULT_MODEL, *, top: int = 3,
                 excerpts: int | None = None, full: bool = False,
                 aggregation: str = "mean", options: RunOptions | None = None,
                 device: str = "auto") -> None:
        from genriflow.inference.predict import check_options

        check_options(aggregation=aggregation, top=top)
        self.sampling = Sampling.of(excerpts, full=full)
        self.model = (load_model(model, device=device) if isinstance(model, str | os.PathLike)
                      else model)
        self.top, self.aggregation = top, aggregation
        self.options = options if options is not None else default_options()

    @property
    def labels(self) -> list[str]:
        """The genres the model knows, in the order of its probabilities."""
        return list(self.model.labels)

    def __call__(self, audio: Audio, *, sr: int | None = None) -> Prediction | Predictions:
        """Classify ``audio``: see :func:`classify`."""
        from genriflow.inference.predict import predict_files, predict_waveform

        settings = {"sampling": self.sampling, "aggregation": self.aggregation,
                    "top": self.top}
        if isinstance(audio, np.ndarray):
            if sr is None:
                raise ConfigError("sr", "is needed with a waveform: its sample rate in Hz")
            return predict_waveform(self.model, audio, sr, **settings)
        if sr is not None:
            raise ConfigError("sr", "is for waveforms; files carry their own rate")
        paths = [audio] if isinstance(audio, str | os.PathLike) else list(audio)
        result = predict_files(self.model, paths, options=self.options, **settings)
        if _is_single(audio):
            if result.errors:
                raise result.errors[0]
            return result.predictions[0]
        return result


def classify(audio: Audio, *, model: Model | GenreClassifier = DEFAULT_MODEL,
             sr: int | None = None, top: int = 3, excerpts: int | None = None,
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
        Default ``"gtzan"``: the built-in GTZAN genre model, the mean of ``"gtzan-table"``
        (fitted on the real GTZAN feature table) and ``"zero-shot"`` (GTZAN's genres from
        the pretrained taggers, no training); see :func:`describe_models`.
    sr : int or None
        The waveform's sample rate; only with a waveform.
    top, excerpts, full, aggregation, options
        As for :class:`Classifier`.

    Returns
    -------
    Prediction or Predictions
        One input (a file or a waveform): its :class:`~genriflow.inference.predict.Prediction`.
        Several (a list or a folder): ``Predictions(predictions, errors)``, a bad file
        never stopping the others.

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
    classifier = Classifier(model, top=top, excerpts=excerpts, full=full,
                            aggregation=aggregation, options=options)
    return classifier(audio, sr=sr)


def tag(audio: Audio, *, sr: int | None = None, k: int = 5, excerpts: int | None = None,
        full: bool = False, options: RunOptions | None = None) -> SongTags | Tagged:
    """Top tags, vocal or instrumental, and moods, from the pretrained musicnn taggers.

    ``audio`` is taken as by :func:`classify`: one input gives its
    :class:`~genriflow.inference.tags.SongTags`, several give ``Tagged(tags, errors)``.
    ``excerpts`` and ``full`` as for :class:`Classifier`; the tags are averaged over the
    analysed excerpts.

    >>> import numpy as np, genriflow
    >>> t = np.arange(4 * 16000) / 16000
    >>> tags = genriflow.tag(np.sin(2 * np.pi * 330 * t), sr=16000, k=3)
    >>> len(tags.top), tags.voice in ("vocal", "instrumental")
    (3, True)
    """
    from genriflow.inference.tags import tag_files, tag_waveform

    sampling = Sampling.of(excerpts, full=full)
    if isinstance(audio, np.ndarray):
        if sr is None:
            raise ConfigError("sr", "is needed with a waveform: its sample rate in Hz")
        return tag_waveform(audio, sr, k=k, sampling=sampling)
    paths = [audio] if isinstance(audio, str | os.PathLike) else list(audio)
    result = tag_files(paths, k=k, sampling=sampling,
                       options=options if options is not None else default_options())
    if _is_single(audio):
        if result.errors:
            raise result.errors[0]
        return result.tags[0]
    return result


def analyse(audio: Audio, *, model: Model | GenreClassifier | None = DEFAULT_MODEL,
            tags: bool = True, sr: int | None = None, k: int = 5, top: int = 3,
            excerpts: int | None = None, full: bool = False, aggregation: str = "mean",
            options: RunOptions | None = None,
            min_confidence: float | None = None) -> Analysis:
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
    sr, k, top, excerpts, full, aggregation, options
        As for :func:`classify` and :func:`tag`.
    min_confidence : float or None
        A song not ``unknown`` whose top genre is below it is ``unsure`` (its
        prediction's ``unsure``); ``None``: the model's own, else 0.5
        (:func:`genriflow.models.base.min_confidence_of`).

    Returns
    -------
    Analysis
        ``predictions`` and ``tags``, each in input order, and ``errors``: the files that
        could not be used (one input that cannot be used raises its error instead).

    Examples
    --------
    >>> import numpy as np, genriflow
    >>> t = np.arange(7 * 16000) / 16000
    >>> both = genriflow.analyse(np.sin(2 * np.pi * 330 * t), sr=16000, k=3,
    ...                          model="zero-shot")
    >>> len(both.predictions), len(both.tags), len(both.tags[0].top)
    (1, 1, 3)
    >>> both.predictions[0].offsets.round(3).tolist()     # one excerpt per 3 s patch
    [0.0, 2.992]
    """
    from genriflow.inference.analysis import analyse_files, analyse_waveform

    loaded = load_model(model) if isinstance(model, str | os.PathLike) else model
    settings = {"model": loaded, "tags": tags, "k": k, "top": top, "aggregation": aggregation,
                "sampling": Sampling.of(excerpts, full=full),
                "min_confidence": min_confidence}
    if isinstance(audio, np.ndarray):
        if sr is None:
            raise ConfigError("sr", "is needed with a waveform: its sample rate in Hz")
        return analyse_waveform(audio, sr, **settings)
    if sr is not None:
        raise ConfigError("sr", "is for waveforms; files carry their own rate")
    paths = [audio] if isinstance(audio, str | os.PathLike) else list(audio)
    result = analyse_files(paths, options=options if options is not None
                           else default_options(), **settings)
    if _is_single(audio) and result.errors:
        raise result.errors[0]
    return result


def extract_features(data: str | os.PathLike, *,
                     feature_sets: str | Sequence[str] = "kaggle",
                     options: RunOptions | None = None
                     ) -> FeatureDataset | dict[str, FeatureDataset]:
    """Feature sets of a labelled folder (or manifest), each file decoded once.

    Parameters
    ----------
    data : path
        Folder per genre (any depth; both GTZAN layouts) or a CSV manifest.
    feature_sets : str or sequence of str
        One name (the result is its dataset) or several (a dict by name); see
        ``genriflow.features.FEATURE_SET_NAMES``.
    options : RunOptions or None

    Returns
    -------
    FeatureDataset or dict of FeatureDataset
        ``X`` (one row per file), ``y``, ``frame`` and ``errors``.
    """
    from genriflow.features.dataset import from_audio_sets
    from genriflow.features.sets import FeatureConfig

    names = [feature_sets] if isinstance(feature_sets, str) else list(feature_sets)
    if not names:
        raise ConfigError("feature_sets", "names no feature set")
    datasets = from_audio_sets(data, [FeatureConfig(set=name) for name in names],
                               options=options if options is not None else default_options())
    return datasets[names[0]] if isinstance(feature_sets, str) else datasets


@dataclass
class Run:
    """What a training or evaluation run produced: its folder, figures and unusable files.

    Attributes
    ----------
    folder : Path
        The model folder (training) or run folder (evaluation), with ``report.html``.
    metrics : dict
        What ``metrics.json`` holds; every figure names its split and part.
    errors : list of AudioError
    """

    folder: Path
    metrics: dict
    errors: list[AudioError] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Accuracy on the test part (mean over folds for k-fold)."""
        return float(self.metrics["test"]["accuracy"])

    @property
    def auto(self) -> AutoChoice | None:
        """What ``model="auto"`` tried: every candidate's validation accuracy with its 95 %
        interval, or why it was skipped, and the winner (``.table()`` as a DataFrame);
        ``None`` for a named model."""
        from genriflow.training.auto import AutoChoice

        data = self.metrics.get("auto")
        return None if data is None else AutoChoice.from_dict(data)


def train(data: str | os.PathLike | None = None, *, out: str | os.PathLike,
          table: str | os.PathLike | None = None, model: str = "auto", split: str = "auto",
          seed: int = 0, folds: int = 10, pca: int | None = None, epochs: int = 50,
          device: str = "auto", augment: str = "none", copies: int = 1,
          embeddings: str | None = None, calibration: str = "auto",
          multi_label: bool = False, thresholds: str = "tuned",
          options: RunOptions | None = None) -> Run:
    """Train a genre model, choose it on the validation part, test it once, save it.

    Parameters
    ----------
    data : path or None
        Labelled audio (folder per genre or manifest); or give ``table``.
    out : path
        The model folder to write (``load_model(out)`` reads it back).
    table : path or None
        A Kaggle-style GTZAN feature table instead of audio.
    model : str
        ``auto``: the best on the validation part of the classical heads on the GTZAN table,
        the same heads on pretrained embeddings (``msd-musicnn``) and, with at least 50
        training clips per genre, the short-chunk CNN (what it tried is ``Run.auto`` and
        ``auto.json``); a classical name (``svm``, ``knn``, ...; ``svm@msd-musicnn`` for
        another input), or a network (``shortchunk-cnn``, ``cs229-ffnn@cs229-raw``, ...).
    split : str
        ``auto``, ``gtzan-fault-filtered``, ``stratified``, ``stratified-grouped``,
        ``kfold``, ``kfold-grouped`` or ``manifest``; ``seed`` and ``folds`` go with it.
    pca : int or None
        Classical models: principal components after scaling.
    epochs, device, augment, copies
        Networks: most epochs, where to train, waveform augmentation and its copies.
    embeddings : str or None
        Classical models on a pretrained network's embeddings (transfer learning).
    calibration : str
        Fitted on the validation part: ``auto`` (temperature scaling for a network; none
        for a classical head, refitted on train + valid instead), ``none``,
        ``temperature``, ``sigmoid`` or ``isotonic`` (the last two for classical heads).
        Multi-label: a network's temperature before every sigmoid, a head's calibrator
        per genre. The report shows ECE, NLL and Brier score before and after.
    multi_label : bool
        Several genres per song, from the data's ``labels`` column (``rock;blues``): one
        sigmoid per genre (networks, binary cross-entropy) or one-vs-rest heads.
    thresholds : str
        Multi-label: ``tuned`` (per genre, best F1 on the validation songs with several
        genres; the 0.2 when there are none; ``metrics.json`` says which was used) or
        ``seed`` (the 2024 report's 0.2).
    options : RunOptions or None

    Returns
    -------
    Run
        The model folder, its metrics (with the split) and the files that could not be used.
    """
    from genriflow.datasets.splits import SplitConfig
    from genriflow.workflows.train_any import train_any

    options = options if options is not None else default_options()
    metrics, errors = train_any(model, out, data, table=table, split=SplitConfig(
        method=split, seed=seed, n_folds=folds), pca=pca, epochs=epochs, device=device,
        augment=augment, copies=copies, embeddings=embeddings, calibration=calibration,
        multi_label=multi_label, thresholds=thresholds, options=options)
    return Run(Path(out), metrics, errors)


def tune(data: str | os.PathLike, *, model: str, out: str | os.PathLike,
         space: str | os.PathLike | None = None, sampler: str = "tpe", trials: int = 20,
         storage: str | None = None, jobs: int = 1, split: str = "auto", seed: int = 0,
         epochs: int = 30, device: str = "auto",
         options: RunOptions | None = None) -> TuneResult:
    """Search a model's hyperparameters with Optuna, then test the best trial once.

    Trials are fitted on the training part and scored on the validation part (networks:
    their validation loss, pruned epoch by epoch by the median rule, through the one
    training loop; classical heads: their validation accuracy). The best trial's values
    are trained as an ordinary model folder, ``out/model`` (``load_model`` reads it), and
    tested once on the test part. Rerunning with the same ``out`` and ``storage`` resumes
    the search: finished trials are kept, not run again.

    Parameters
    ----------
    data : path
        Labelled audio (folder per genre or manifest).
    model : str
        One classical head (``svm``, ``logreg``, ...; ``svm@msd-musicnn`` for another
        input) or network (``mm-cnn``, ``shortchunk-cnn``, ...).
    out : path
        The run folder: ``report.html``, ``trials.csv``, ``config.json``, ``model/``; the
        study is named after it.
    space : path or None
        A YAML search space (see :mod:`genriflow.training.space`); ``None``: the model's
        default space.
    sampler : {'tpe', 'grid'}
    trials : int
        Trials the study holds when done (a grid runs at most its size).
    storage : str or None
        Optuna storage URL, e.g. ``sqlite:///tune.db``; ``None``: ``out/tune.db``.
    jobs : int
        Trials at once.
    split, seed : str, int
        A hold-out split with a validation part, and the seed of everything.
    epochs, device
        Networks: most epochs per trial, and where to train.
    options : RunOptions or None
        Feature store, engine, workers and progress bars.

    Returns
    -------
    TuneResult
        The run folder, the best trial, its test figures (accuracy with its 95 % Wilson
        interval) and the trial table.
    """
    from genriflow.datasets.splits import SplitConfig
    from genriflow.training.space import load_space
    from genriflow.training.tune import TuneConfig
    from genriflow.workflows.tuning import tune_to_folder

    config = TuneConfig(model=model, sampler=sampler, trials=trials, jobs=jobs, seed=seed,
                        split=SplitConfig(method=split, seed=seed), epochs=epochs,
                        device=device)
    loaded = load_space(space, model) if space is not None else None
    return tune_to_folder(data, out, config, space=loaded, storage=storage,
                          options=options if options is not None else default_options())


def _dataset(data: str | os.PathLike | None, table: str | os.PathLike | None,
             config: Any, options: RunOptions) -> FeatureDataset:
    from genriflow.features.dataset import from_audio, from_table

    if (data is None) == (table is None):
        raise ConfigError("data", "give either labelled audio or a feature table, not both "
                          "or neither")
    if table is not None:
        return from_table(table)
    return from_audio(data, config, options=options)


def evaluate(model: Model | GenreClassifier, data: str | os.PathLike | None = None, *,
             out: str | os.PathLike, table: str | os.PathLike | None = None,
             part: str = "test", options: RunOptions | None = None) -> Run:
    """Score a saved model on its own split's test part, or on data it never saw.

    The default ``gtzan`` (a head on each window of the ``musicnn`` analysis), a fused
    model (``gtzan-fusion``) and ``library-genres`` are scored song by song from audio,
    each song classified exactly as :func:`classify` does, on the model's split
    (``gtzan-fault-filtered``; a fusion's first part's), with the calibration figures of
    its probabilities (:mod:`genriflow.workflows.song_evaluation`).

    Parameters
    ----------
    model : str, path or GenreClassifier
    data, table : path
        Exactly one: labelled audio, or a Kaggle-style feature table.
    out : path
        The run folder: ``report.md``, ``report.html``, ``metrics.json``, confusion matrix.
    part : {'test', 'valid', 'train', 'all'}
        ``test`` re-applies the model's own split; ``all`` scores every item (for data the
        model never saw).
    options : RunOptions or None
    """
    from genriflow.models.fusion import FusedGenreModel
    from genriflow.workflows.evaluate_model import evaluate_to_folder

    loaded = load_model(model) if isinstance(model, str | os.PathLike) else model
    options = options if options is not None else default_options()
    # Models whose song is the mean of its windows' answers (the default gtzan, a
    # vocabulary, a fusion) are scored song by song, exactly as classify does.
    if isinstance(loaded, FusedGenreModel) or loaded.feature_config.set == "musicnn":
        from genriflow.workflows.song_evaluation import evaluate_songs_to_folder

        if data is None or table is not None:
            raise ConfigError("data", f"{loaded.config.get('model', 'this model')} is scored "
                              "song by song, as classify does: give labelled audio, not a "
                              "table")
        metrics, errors = evaluate_songs_to_folder(loaded, data, out, part=part,
                                                   options=options)
        return Run(Path(out), metrics, errors)
    dataset = _dataset(data, table, loaded.feature_config, options)
    metrics = evaluate_to_folder(loaded, dataset, out, part=part)
    return Run(Path(out), metrics, dataset.errors)


def open_set(model: Model | GenreClassifier, data: str | os.PathLike | None = None, *,
             out: str | os.PathLike, table: str | os.PathLike | None = None,
             scores: Sequence[str] = ("max-prob", "energy", "distance", "relative-distance"),
             target_tpr: float = 0.95, bootstrap: int = 1000, far_out: int = 5,
             far_out_seconds: float = 30.0, seed: int = 0,
             options: RunOptions | None = None) -> Run:
    """Leave-one-genre-out: how well unknown-genre scores tell a genre the model never saw.

    Each genre in turn is held out: ``model``'s recipe (its classical model, feature set
    and split) is refitted on the other genres' training part, each score's threshold
    chosen on their validation part, and the scores measured on their test part against
    every song of the held-out genre, and against far-out inputs (noise and speech-like
    babble in the same features). See :mod:`genriflow.workflows.leave_one_genre_out`.

    Parameters
    ----------
    model : str, path or GenreClassifier
        A classical model folder written by :func:`train` on a hold-out split.
    data, table : path
        Exactly one: labelled audio, or a Kaggle-style feature table.
    out : path
        The run folder: ``report.md``, ``report.html``, ``metrics.json``,
        ``risk-coverage.png``.
    scores : sequence of str
        ``max-prob``, ``energy``, ``distance``, ``relative-distance`` (see
        :mod:`genriflow.models.reject`); one the model cannot give is listed as unavailable.
    target_tpr : float
        Share of known songs each threshold accepts.
    bootstrap : int
        Resamples of each AUROC's 95 % interval.
    far_out : int
        Far-out clips of each kind (white, pink, brown noise, speech); 0 for none.
    far_out_seconds : float
    seed : int
        Of the far-out clips and the bootstrap.
    options : RunOptions or None

    Returns
    -------
    Run
        ``metrics["open_set"]``: ``pooled`` (score -> AUROC, interval, FPR at 95 % TPR,
        AURC, far-out figures) and ``rounds`` (one per held-out genre).
    """
    from genriflow.errors import at_least
    from genriflow.workflows.leave_one_genre_out import OpenSetConfig, open_set_to_folder

    at_least("far_out", far_out, 0)
    config = OpenSetConfig(scores=tuple(scores), target_tpr=target_tpr, bootstrap=bootstrap,
                           seed=seed, far_out_per_kind=far_out, far_out_seconds=far_out_seconds)
    loaded = load_model(model) if isinstance(model, str | os.PathLike) else model
    options = options if options is not None else default_options()
    dataset = _dataset(data, table, loaded.feature_config, options)
    metrics = open_set_to_folder(loaded, dataset, out, config, options=options)
    return Run(Path(out), metrics, dataset.errors)


def compare(data: str | os.PathLike, models: Sequence[str], *, out: str | os.PathLike,
            split: str = "auto", seed: int = 0, epochs: int = 50, device: str = "auto",
            options: RunOptions | None = None) -> pd.DataFrame:
    """Train several models on one dataset and split; the table of their accuracies.

    Writes ``comparison.md`` and ``comparison.csv`` into ``out``, beside one model folder
    per model. Models are named as for :func:`train`.
    """
    from genriflow.datasets.splits import SplitConfig
    from genriflow.workflows.train_any import compare as run_compare

    options = options if options is not None else default_options()
    return run_compare(data, list(models), out, split=SplitConfig(method=split, seed=seed),
                       epochs=epochs, device=device, options=options)


@dataclass
class Clustering:
    """Scores per method, each item's cluster, and the unusable files of a clustering run."""

    scores: pd.DataFrame
    assignments: pd.DataFrame
    feature_set: str
    folder: Path
    errors: list[AudioError] = field(default_factory=list)


def cluster(data: str | os.PathLike | None = None, *, out: str | os.PathLike,
            table: str | os.PathLike | None = None,
            methods: Sequence[str] = ("pca-gmm", "kmeans"), feature_set: str = "kaggle",
            n_clusters: int | None = None, components: int = 10, seed: int = 0,
            options: RunOptions | None = None) -> Clustering:
    """Find genres without labels and score the clusters against the labels (ARI, NMI).

    ``methods``: ``pca-gmm``, ``kmeans``, ``lstm-autoencoder`` (a frame set such as
    ``genriflow-stack``); ``n_clusters`` defaults to one per label.
    """
    from genriflow.features.sets import FeatureConfig
    from genriflow.training.clustering import ClusterConfig
    from genriflow.workflows.cluster_run import cluster_to_folder

    config = ClusterConfig(tuple(methods), n_clusters, components, seed)
    options = options if options is not None else default_options()
    dataset = _dataset(data, table, FeatureConfig(set=feature_set), options)
    run = cluster_to_folder(dataset, out, config)
    return Clustering(run.scores, run.assignments, run.feature_set, Path(out), dataset.errors)


@dataclass
class SimilarSongs:
    """The songs most like a song, and what updating the library's index did."""

    neighbours: list[tuple[str, float]]
    update: IndexUpdate
    index: SimilarityIndex
    precision: float | None = None


def similar(song: str | os.PathLike | None, library: str | os.PathLike, *, k: int = 5,
            excerpts: int | None = None, full: bool = False,
            options: RunOptions | None = None) -> SimilarSongs:
    """The ``k`` songs of ``library`` most like ``song``, by pretrained embedding (cosine).

    The library's index lives in the feature store and follows the folder: only new or
    changed files are embedded, and a song already analysed by :func:`classify`,
    :func:`tag` or :func:`analyse` (same ``excerpts`` and ``full``) is not analysed again.
    ``song=None`` only brings the index up to date. In a folder-per-genre library,
    ``precision`` is the share of each song's ``k`` nearest songs with its genre.
    """
    from genriflow.inference.similar import SimilarityIndex, library_labels, precision_at_k

    options = options if options is not None else default_options()
    if options.store is None:
        raise ConfigError("store", "is needed: similar keeps its index in the feature store")
    index = SimilarityIndex(library, options.store,
                            sampling=Sampling.of(excerpts, full=full))
    update = index.update(n_jobs=options.n_jobs, progress=options.progress)
    neighbours = index.query(song, k) if song is not None else []
    labels = library_labels(index)
    precision = precision_at_k(index, labels, k) if labels and len(index) > k else None
    return SimilarSongs(neighbours, update, index, precision)


def plot(target: str | os.PathLike, *, out: str | os.PathLike, offset: float = 0.0,
         duration: float = 30.0, options: RunOptions | None = None) -> list[Path]:
    """Pictures of a song (waveform, spectrograms, chroma, tonnetz, MFCC, ZCR) or of a
    dataset (a labelled folder or a feature table: box plots, PCA, correlations), with
    ``report.html``. Returns the PNG files."""
    from genriflow.plots.folder import plot_to_folder

    options = options if options is not None else default_options()
    return plot_to_folder(target, out, offset=offset, duration=duration, options=options)
