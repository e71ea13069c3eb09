"""The public API's dataset-level jobs: features of labelled data, training, tuning,
evaluation, open-set rounds, comparisons, clustering and pictures.

Each writes a run folder (or returns a table) and is reachable as ``genriflow.<name>``.
The rule of :mod:`genriflow.api` holds here too: the data come first, every option is
keyword-only (the model included: ``evaluate(data, model=...)``). Every option's value,
and every combination of values, is checked first, from light name lists and configs
(:func:`~genriflow.training.train_config.training_config` for training), before NumPy,
torch or the data are touched: a bad one is a :class:`~genriflow.errors.ConfigError` at
once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genriflow.audio.errors import AudioError
from genriflow.datasets.discover import is_feature_table
from genriflow.datasets.split_config import EVALUATION_PARTS, SplitConfig
from genriflow.errors import ConfigError, a_path, at_least, one_of
from genriflow.errors import names as as_names
from genriflow.features import FEATURE_SET_NAMES
from genriflow.features.options import RunOptions, given_options
from genriflow.training.train_config import training_config
from genriflow.workflows.run_folder import a_run_folder, claim_run_folder

if TYPE_CHECKING:
    import pandas as pd

    from genriflow.features.dataset import FeatureDataset
    from genriflow.models.base import GenreClassifier
    from genriflow.training.auto import AutoChoice
    from genriflow.workflows.tuning import TuneResult

Model = str | os.PathLike


def _loaded(model: Model | GenreClassifier, device: str = "auto") -> GenreClassifier:
    from genriflow.models.base import GenreClassifier
    from genriflow.models.folder import load_model

    if isinstance(model, str | os.PathLike):
        return load_model(model, device=device)
    if not isinstance(model, GenreClassifier):
        raise ConfigError("model", "must be a built-in name, a model folder or a loaded "
                          f"model (GenreClassifier); got {type(model).__name__}")
    return model


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

    Examples
    --------
    >>> import tempfile, pathlib, genriflow
    >>> from genriflow.datasets.synthetic import make_demo_corpus
    >>> corpus = pathlib.Path(tempfile.mkdtemp()) / "corpus"
    >>> _ = make_demo_corpus(corpus, per_genre=1, seconds=3, seed=0)   # 10 genres, 1 clip each
    >>> table = genriflow.extract_features(corpus, options=genriflow.RunOptions(store=None,
    ...                                                                         n_jobs=1))
    >>> table.X.shape, sorted(set(table.y.tolist()))[:3], table.errors
    ((10, 57), ['blues', 'classical', 'country'], [])
    """
    a_path("data", data)
    names = as_names("feature_sets", feature_sets)
    options = given_options(options)
    if not names:
        raise ConfigError("feature_sets", "names no feature set")
    for name in names:
        one_of("feature_sets", name, FEATURE_SET_NAMES)
    from genriflow.features.dataset import from_audio_sets
    from genriflow.features.sets import FeatureConfig

    datasets = from_audio_sets(data, [FeatureConfig(set=name) for name in names],
                               options=options)
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

    def __repr__(self) -> str:
        """The folder, the test figure and what ``metrics`` holds, not every figure."""
        test = self.metrics.get("test")
        shown = (f"accuracy={round(float(test['accuracy']), 4)}, part={test.get('part')!r}, "
                 if isinstance(test, dict) and "accuracy" in test else "")
        return (f"Run(folder={str(self.folder)!r}, {shown}metrics={list(self.metrics)}, "
                f"errors={len(self.errors)})")

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
        The model folder to write (``load_model(out)`` reads it back). An earlier model
        folder there is replaced whole, and only once the new one is complete: an
        interrupted run leaves the old model as it was. A folder holding anything else
        is refused.
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

    Raises
    ------
    ConfigError
        A bad option or combination, before any file is read (the documentation's Python
        API page, ``docs/python-api.md``, trains a model end to end).

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.train("songs/", out="model", model="svm@nope")
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `model` names feature set 'nope'; choose from kaggle, genriflow-stack, ...
    """
    split_config = SplitConfig(method=split, seed=seed, n_folds=folds)
    training_config(model, split=split_config, table=table is not None, pca=pca,
                    epochs=epochs, device=device, augment=augment, copies=copies,
                    embeddings=embeddings, calibration=calibration, multi_label=multi_label,
                    thresholds=thresholds)
    _one_source(data, table)
    a_path("out", out)
    options = given_options(options)
    from genriflow.workflows.model_folder import check_replaceable

    check_replaceable(out)  # before the features, which can take minutes
    from genriflow.workflows.train_any import train_any

    metrics, errors = train_any(
        model, out, data, table=table, split=split_config, pca=pca, epochs=epochs,
        device=device, augment=augment, copies=copies, embeddings=embeddings,
        calibration=calibration, multi_label=multi_label, thresholds=thresholds,
        options=options)
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

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.tune("songs/", model="svm", out="run", sampler="random")
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `sampler` must be one of grid, tpe; got 'random'
    """
    from genriflow.training.tune_config import TuneConfig

    a_path("data", data)
    a_path("space", space, optional=True)
    if storage is not None and not isinstance(storage, str):
        raise ConfigError("storage", "must be an Optuna storage URL (a str such as "
                          f"sqlite:///tune.db) or None; got {type(storage).__name__}")
    options = given_options(options)
    config = TuneConfig(model=model, sampler=sampler, trials=trials, jobs=jobs, seed=seed,
                        split=SplitConfig(method=split, seed=seed), epochs=epochs,
                        device=device)
    from genriflow.training.space import load_space
    from genriflow.workflows.tuning import tune_to_folder

    loaded = load_space(space, model) if space is not None else None
    a_run_folder("out", out, kind="tune")
    claim_run_folder(out, kind="tune", data=data)
    return tune_to_folder(data, out, config, space=loaded, storage=storage, options=options)


def _one_source(data: str | os.PathLike | None, table: str | os.PathLike | None) -> None:
    """Exactly one of labelled audio and a feature table."""
    a_path("data", data, optional=True)
    a_path("table", table, optional=True)
    if data is None and table is None:
        raise ConfigError("data", "is missing: give labelled audio or a feature table")
    if data is not None and table is not None:
        raise ConfigError("data", "and a feature table are both given; give one of them")
    if data is not None and is_feature_table(data):
        raise ConfigError("table", f"takes a feature table such as {data}, which was given "
                          "as labelled audio (a manifest's columns are path,label)")


def _dataset(data: str | os.PathLike | None, table: str | os.PathLike | None,
             config: Any, options: RunOptions) -> FeatureDataset:
    from genriflow.features.dataset import from_audio, from_table

    _one_source(data, table)
    if table is not None:
        return from_table(table)
    return from_audio(data, config, options=options)


def evaluate(data: str | os.PathLike | None = None, *, model: Model | GenreClassifier,
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
    data, table : path
        Exactly one: labelled audio, or a Kaggle-style feature table.
    model : str, path or GenreClassifier
        A built-in name, a model folder or a loaded model.
    out : path
        The run folder: ``report.md``, ``report.html``, ``metrics.json``, confusion matrix;
        the metrics and the report name ``model`` (``model_folder``) when it is a name or
        a folder.
    part : {'test', 'valid', 'train', 'all'}
        ``test`` re-applies the model's own split; ``all`` scores every item (for data the
        model never saw). Under a split by named lists (GTZAN's fault-filtered one),
        ``metrics["split"]["seen_by_the_model"]`` counts the items of ``all`` that are in
        the model's own train or valid part, and the report warns of them.
    options : RunOptions or None

    Returns
    -------
    Run
        The run folder, ``metrics`` (accuracy, per-genre figures, the split and part) and
        the files that could not be used.

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.evaluate("songs/", model="gtzan", out="run", part="everything")
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `part` must be one of test, valid, train, all; got 'everything'
    """
    one_of("part", part, EVALUATION_PARTS)
    from genriflow.workflows.evaluate_model import evaluate_to_folder

    a_path("data", data, optional=True)
    options = given_options(options)
    loaded = _loaded(model, options.device)
    # the run folder names what it scored (a loaded model has no folder to name)
    source = str(model) if isinstance(model, str | os.PathLike) else None
    a_run_folder("out", out, kind="evaluate")
    # Models whose song is the mean of its windows' answers (the default gtzan, a
    # vocabulary) or that read several feature sets (a fusion: no one feature matrix)
    # are scored song by song, exactly as classify does.
    if len(loaded.feature_configs) > 1 or loaded.feature_config.set == "musicnn":
        from genriflow.workflows.song_evaluation import evaluate_songs_to_folder

        if data is None or table is not None:
            raise ConfigError("data", f"{loaded.config.get('model', 'this model')} is scored "
                              "song by song, as classify does: give labelled audio, not a "
                              "table")
        claim_run_folder(out, kind="evaluate", data=data)
        metrics, errors = evaluate_songs_to_folder(loaded, data, out, part=part,
                                                   options=options, model_folder=source)
        return Run(Path(out), metrics, errors)
    dataset = _dataset(data, table, loaded.feature_config, options)
    claim_run_folder(out, kind="evaluate", data=data)
    metrics = evaluate_to_folder(loaded, dataset, out, part=part, model_folder=source)
    return Run(Path(out), metrics, dataset.errors)


def open_set(data: str | os.PathLike | None = None, *, model: Model | GenreClassifier,
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
    data, table : path
        Exactly one: labelled audio, or a Kaggle-style feature table.
    model : str, path or GenreClassifier
        A classical model folder written by :func:`train` on a hold-out split.
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

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.open_set("songs/", model="gtzan-table", out="run", far_out=-1)
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `far_out` must be at least 0; got -1
    """
    from genriflow.workflows.open_set_config import OpenSetConfig

    at_least("far_out", far_out, 0)
    config = OpenSetConfig(scores=tuple(as_names("scores", scores)), target_tpr=target_tpr,
                           bootstrap=bootstrap, seed=seed, far_out_per_kind=far_out,
                           far_out_seconds=far_out_seconds)
    from genriflow.workflows.leave_one_genre_out import open_set_to_folder

    options = given_options(options)
    loaded = _loaded(model, options.device)
    a_run_folder("out", out, kind="open-set")
    dataset = _dataset(data, table, loaded.feature_config, options)
    claim_run_folder(out, kind="open-set")
    metrics = open_set_to_folder(loaded, dataset, out, config, options=options)
    return Run(Path(out), metrics, dataset.errors)


#: What :func:`compare` trains unless told: from audio; from a table (networks need audio).
COMPARE_MODELS = ("knn", "svm", "logreg", "shortchunk-cnn")
COMPARE_TABLE_MODELS = ("knn", "svm", "logreg")


def compare(data: str | os.PathLike | None = None, *, models: Sequence[str] | None = None,
            out: str | os.PathLike, table: str | os.PathLike | None = None,
            split: str = "auto", seed: int = 0, folds: int = 10, epochs: int = 50,
            device: str = "auto", options: RunOptions | None = None) -> pd.DataFrame:
    """Train several models on one dataset and split; the table of their accuracies.

    Writes ``comparison.md`` and ``comparison.csv`` into ``out``, beside one model folder
    per model. Each model trains as :func:`train` trains it, on the same data and split
    (``auto``: ``gtzan-fault-filtered`` on GTZAN, a table's included).

    Parameters
    ----------
    data : path or None
        Labelled audio (folder per genre or manifest); or give ``table``.
    models : sequence of str or None
        Named as for :func:`train`; ``None``: :data:`COMPARE_MODELS` from audio,
        :data:`COMPARE_TABLE_MODELS` from a table.
    out : path
    table : path or None
        A Kaggle-style GTZAN feature table instead of audio (classical models only).
    split, seed, folds, epochs, device, options
        As for :func:`train`.

    Returns
    -------
    pandas.DataFrame
        One row per model: validation and test accuracy with their 95 % Wilson intervals,
        balanced test accuracy with its 95 % interval, McNemar's p against the best.

    Raises
    ------
    ConfigError
        A bad model (naming ``models``), option or combination, before any trains.

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.compare("songs/", models=["svm", "bogus"], out="run")
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `models` must be auto, a classical model (...), optionally @feature-set; got 'bogus'
    >>> try:
    ...     genriflow.compare(table="features_30_sec.csv", models=["svm", "mm-cnn"],
    ...                       out="run")
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `table` cannot train a network: networks learn from audio; give data
    """
    if models is None:
        models = COMPARE_TABLE_MODELS if table is not None else COMPARE_MODELS
    models = as_names("models", models)
    if not models:
        raise ConfigError("models", "names no model")
    split_config = SplitConfig(method=split, seed=seed, n_folds=folds)
    for model in models:
        training_config(model, split=split_config, table=table is not None, epochs=epochs,
                        device=device, field="models")
    _one_source(data, table)
    options = given_options(options)
    a_run_folder("out", out, kind="compare")
    from genriflow.workflows.train_any import compare as run_compare

    claim_run_folder(out, kind="compare", data=data)
    return run_compare(data, models, out, table=table, split=split_config, epochs=epochs,
                       device=device, options=options)


@dataclass
class Clustering:
    """Scores per method, each item's cluster, and the unusable files of a clustering run;
    ``tracks``: where items are segments of tracks, how many tracks the intervals draw
    halves of (``None``: the items)."""

    scores: pd.DataFrame
    assignments: pd.DataFrame
    feature_set: str
    folder: Path
    errors: list[AudioError] = field(default_factory=list)
    tracks: int | None = None


def cluster(data: str | os.PathLike | None = None, *, out: str | os.PathLike,
            table: str | os.PathLike | None = None,
            methods: Sequence[str] = ("pca-gmm", "kmeans"), feature_set: str = "kaggle",
            n_clusters: int | None = None, components: int = 10, seed: int = 0,
            options: RunOptions | None = None) -> Clustering:
    """Find genres without labels and score the clusters against the labels (ARI, NMI).

    ``methods``: ``pca-gmm``, ``kmeans``, ``lstm-autoencoder`` (a frame set such as
    ``genriflow-stack``); ``n_clusters`` defaults to one per label. Returns a
    :class:`Clustering`: ``scores`` (one row per method: ARI, NMI, matched accuracy and
    matched balanced accuracy, the macro recall, with their intervals) and
    ``assignments`` (each item's cluster per method).

    Examples
    --------
    >>> import genriflow
    >>> try:                                # checked before the data is touched
    ...     genriflow.cluster("songs/", out="run", methods=["dbscan"])
    ... except genriflow.ConfigError as err:
    ...     print(err)
    `methods` must be one of pca-gmm, kmeans, lstm-autoencoder; got 'dbscan'
    """
    from genriflow.training.cluster_config import ClusterConfig

    methods = as_names("methods", methods)
    config = ClusterConfig(tuple(methods), n_clusters, components, seed)
    one_of("feature_set", feature_set, FEATURE_SET_NAMES)
    options = given_options(options)
    from genriflow.features.sets import FeatureConfig
    from genriflow.training.cluster_config import refuse_vectors_for_frame_methods

    refuse_vectors_for_frame_methods(methods, feature_set=feature_set, table=table)
    a_run_folder("out", out, kind="cluster")
    from genriflow.workflows.cluster_run import cluster_to_folder

    dataset = _dataset(data, table, FeatureConfig(set=feature_set), options)
    claim_run_folder(out, kind="cluster")
    run = cluster_to_folder(dataset, out, config)
    return Clustering(run.scores, run.assignments, run.feature_set, Path(out), dataset.errors,
                      run.tracks)

