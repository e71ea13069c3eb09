"""``genriflow tune``'s run: search on train and validation, test the best trial once.

The trials (:mod:`genriflow.training.tune`) never read the test part. When the study
holds its trials, the best trial's values are trained as an ordinary model folder
(``RUN_DIR/model``, loadable by :func:`genriflow.load_model`) by the same functions as
``genriflow train`` (a classical head refitted on train + validation; a network trained
on train, stopped on validation), which test it once on the test part. The run folder
holds ``config.json`` (how to rerun it), the study's storage (``tune.db`` by default),
``trials.csv``, ``metrics.json``, the pictures and ``report.md``/``report.html``.

Rerunning the same command resumes: the study is loaded from its storage (its name is
the run folder's) and only the trials still due are run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from genriflow.audio.errors import AudioError
from genriflow.datasets.splits import assign_splits, groups_info, resolve_method
from genriflow.errors import ConfigError
from genriflow.evaluation.tune_report import trial_table, write_tune_report
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.training.space import SearchSpace, default_space
from genriflow.training.tune import (
    TuneConfig,
    best_values,
    classical_config,
    network_config,
    open_study,
    run_trials,
)
from genriflow.workflows.experiment import train_network_to_folder, train_to_folder


@dataclass
class TuneResult:
    """What a search produced.

    Attributes
    ----------
    folder : Path
        The run folder (``report.html``, ``trials.csv``, ``model/``).
    study : str
        The study's name in ``storage``.
    storage : str
    best : dict
        The best trial: ``number``, ``value`` (of ``objective``, ``validation accuracy``
        or ``validation loss``) and ``params``.
    test : dict
        The best model's figures on the test part (accuracy, ``correct``/``n``, its 95 %
        Wilson ``interval``), measured once.
    trials : pandas.DataFrame
        One row per trial.
    ran : int
        Trials run by this call (fewer than the study holds after a resume).
    errors : list of AudioError
    """

    folder: Path
    study: str
    storage: str
    best: dict
    test: dict
    trials: pd.DataFrame
    ran: int
    errors: list[AudioError] = field(default_factory=list)

    def __repr__(self) -> str:
        """The folder, the best trial and its test figure: the dataclass's own repr printed
        every test prediction and the trial table (4,000 characters for 20 test songs).

        >>> import pandas as pd
        >>> TuneResult(Path("run"), "run", "sqlite:///run/tune.db",
        ...            {"number": 3, "value": 0.6, "params": {"C": 72.51031596975683}},
        ...            {"part": "test (stratified, 20 items)", "accuracy": 0.75,
        ...             "predictions": [["a.wav", "jazz", "rock"]] * 20},
        ...            pd.DataFrame({"number": range(5)}), 5)
        TuneResult(folder='run', best={'number': 3, 'value': 0.6, 'params': {'C': 72.51}}, \
test={'accuracy': 0.75, 'part': 'test (stratified, 20 items)'}, trials=5, ran=5, errors=0)
        """
        best = {key: self.best.get(key) for key in ("number", "value")}
        best["params"] = {name: round(value, 4) if isinstance(value, float) else value
                          for name, value in (self.best.get("params") or {}).items()}
        test = {key: self.test[key] for key in ("accuracy", "part") if key in self.test}
        return (f"TuneResult(folder={str(self.folder)!r}, best={best}, test={test}, "
                f"trials={len(self.trials)}, ran={self.ran}, errors={len(self.errors)})")

    @property
    def model_folder(self) -> Path:
        return self.folder / "model"


def tune_to_folder(data: str | os.PathLike, out: str | os.PathLike, config: TuneConfig, *,
                   space: SearchSpace | None = None, storage: str | None = None,
                   options: RunOptions | None = None) -> TuneResult:
    """Search ``space`` for ``config.model`` on labelled audio; test the best once.

    Parameters
    ----------
    data : path
        Labelled audio (folder per genre or manifest).
    out : path
        The run folder; the study is named after it, so the same folder resumes.
    config : TuneConfig
    space : SearchSpace or None
        ``None``: the model's :func:`~genriflow.training.space.default_space`.
    storage : str or None
        An Optuna storage URL (``sqlite:///tune.db``); ``None``: ``tune.db`` in ``out``.
    options : RunOptions or None
        Feature store, engine, workers and progress bars of the feature extraction (and
        the trials' bar).

    Raises
    ------
    ConfigError
        A space for another model, a split without a validation part, a storage that
        cannot be opened or holds another search under this name, or a run folder another
        process is tuning.
    GenriflowError
        No trial completed.
    """
    options = options or RunOptions()
    out = Path(out)
    space = space or default_space(config.model)
    if space.model != config.model:
        raise ConfigError("space", f"{space.source}: is for {space.model!r}, not "
                          f"{config.model!r}")
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{(out / 'tune.db').resolve()}"
    name = out.resolve().name
    with _run_lock(out):
        dataset = from_audio(data, config.feature_config(), options=options)
        rounds = assign_splits(dataset.frame, config.split)
        parts = rounds[0].to_numpy()
        method = resolve_method(dataset.frame, config.split.method)
        split = {**asdict(config.split), "method": method,
                 "counts": rounds[0].value_counts().to_dict(),
                 **groups_info(dataset.frame, rounds[0], method)}
        _write_config(out, data, config, space, storage, name)
        study = open_study(storage, name, space, config)
        ran = run_trials(study, dataset, parts, space, config, progress=options.progress)
        best, values = best_values(study, space)
        model_dir = out / "model"
        if config.family == "network":
            metrics = train_network_to_folder(dataset, model_dir,
                                              network_config(config, values)).metrics
        else:
            metrics = train_to_folder(dataset, model_dir,
                                      classical_config(config, values)).metrics
        trials = trial_table(study, space, tracks=split.get("tracks", {}).get("valid"))
        best_info = {"number": best.number, "value": best.value, "objective": config.objective,
                     "params": values}
        write_tune_report(out, study, space, config, trials=trials, best=best_info,
                          split=split, model_metrics=metrics, storage=storage,
                          data=str(data), ran=ran, errors=dataset.errors)
    return TuneResult(out, name, storage, best_info, metrics["test"], trials, ran,
                      dataset.errors)


def _write_config(out: Path, data: str | os.PathLike, config: TuneConfig, space: SearchSpace,
                  storage: str, name: str) -> None:
    """``config.json``: everything needed to rerun (or resume) the search."""
    versions = {}
    for package in ("genriflow", "optuna", "scikit-learn", "torch"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    content = {"command": "tune", "data": str(data), "tune": config.to_dict(),
               "space": {**space.to_dict(), "source": space.source}, "storage": storage,
               "study": name, "versions": versions}
    (out / "config.json").write_text(json.dumps(content, indent=2, default=str) + "\n")


@contextlib.contextmanager
def _run_lock(out: Path) -> Iterator[None]:
    """One process at a time tunes a run folder (a killed one's lock goes with it)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(out / ".tune.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError("out", f"{out}: another genriflow tune is running on this "
                              "run folder") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

