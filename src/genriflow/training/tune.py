"""Hyperparameter search over the one training loop, with Optuna: the trials.

Each trial draws values from a :class:`~genriflow.training.space.SearchSpace` and fits
the model on the training part of a hold-out split:

* a **network** through :func:`~genriflow.training.deep.train_network` (so through the
  one loop, :func:`~genriflow.training.loop.fit`); after every epoch the validation loss
  is reported to Optuna and the median pruner may stop the trial. The trial's value is
  its best validation loss (minimised);
* a **classical head** through :func:`~genriflow.training.classical.fit_pipeline`; the
  trial's value is its validation accuracy (maximised; nothing to prune, no epochs).

The test part is never read here. The study lives in an Optuna storage (SQLite by
default), so a killed search resumes: trials that finished are kept and not run again, a
trial the kill interrupted is marked failed and its values run again (for a grid, the
same point; for TPE, a new draw). ``grid`` puts every combination (or the first
``trials`` of them in a seeded order) in the study's queue; ``tpe`` is Optuna's TPE
sampler, seeded. ``jobs`` trials run at once, in threads of this process.

:mod:`genriflow.cli.tune` shares the name because every ``cli`` module is named after its
command (``genriflow tune``); the search's run folder is :mod:`genriflow.workflows.tuning`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from genriflow.errors import ConfigError, GenriflowError
from genriflow.features.dataset import FeatureDataset
from genriflow.progress import progress_bar
from genriflow.training.classical import TrainConfig, fit_pipeline
from genriflow.training.space import CLASSICAL_EXTRA, LOOP_PARAMS, SearchSpace, model_family
from genriflow.training.tune_config import SAMPLERS as SAMPLERS
from genriflow.training.tune_config import TuneConfig as TuneConfig


def classical_config(config: TuneConfig, values: dict[str, Any]) -> TrainConfig:
    """The :class:`~genriflow.training.classical.TrainConfig` of one set of values."""
    params = {k: v for k, v in values.items() if k not in CLASSICAL_EXTRA}
    return TrainConfig(model=model_family(config.model)[1], split=config.split,
                       pca=values.get("pca"), seed=config.seed, params=params)


def network_config(config: TuneConfig, values: dict[str, Any]) -> Any:
    """The :class:`~genriflow.training.deep.DeepTrainConfig` of one set of values (the
    loop on ``cores / jobs`` threads, so parallel trials share the cores)."""
    from genriflow.training.deep import DeepTrainConfig
    from genriflow.training.loop import LoopConfig

    loop = LoopConfig(epochs=config.epochs, seed=config.seed, device=config.device,
                      num_threads=max(1, (os.cpu_count() or 1) // config.jobs),
                      **{k: v for k, v in values.items() if k in LOOP_PARAMS})
    return DeepTrainConfig(network=config.model, split=config.split, loop=loop,
                           network_params={k: v for k, v in values.items()
                                           if k not in LOOP_PARAMS})


def objective(dataset: FeatureDataset, parts: np.ndarray, space: SearchSpace,
              config: TuneConfig) -> Callable[[Any], float]:
    """The function Optuna calls per trial (see the module docstring).

    Parameters
    ----------
    dataset : FeatureDataset
        Features of the model's input set.
    parts : np.ndarray of str
        ``train``/``valid``/``test``/``excluded`` per row, from ``config.split``; only the
        train and valid rows are read.
    space : SearchSpace
    config : TuneConfig

    Notes
    -----
    A trial whose values cannot train (a :class:`~genriflow.errors.GenriflowError` or
    scikit-learn's ``ValueError``, e.g. more PCA components than rows) fails with the
    reason in its ``error`` attribute; the search goes on.
    """
    import optuna

    train, valid = parts == "train", parts == "valid"
    if not train.any() or not valid.any():
        raise ConfigError("split", f"leaves no training or no validation rows "
                          f"(train {int(train.sum())}, valid {int(valid.sum())}); tune scores "
                          "trials on the validation part")

    def classical(trial: optuna.Trial) -> float:
        values = space.suggest(trial)
        pipeline = fit_pipeline(model_family(config.model)[1], dataset, train,
                                classical_config(config, values))
        correct = int(np.sum(pipeline.predict(dataset.X[valid]) == dataset.y[valid]))
        trial.set_user_attr("valid_correct", correct)
        trial.set_user_attr("valid_n", int(valid.sum()))
        return correct / int(valid.sum())

    def network(trial: optuna.Trial) -> float:
        from genriflow.training.deep import train_network

        values = space.suggest(trial)

        def report(history: Any) -> None:
            trial.report(history.valid_loss[-1], history.epochs)
            if trial.should_prune():
                trial.set_user_attr("epochs", history.epochs)
                raise optuna.TrialPruned(f"validation loss {history.valid_loss[-1]:.4f} "
                                         f"after epoch {history.epochs}")

        fitted = train_network(dataset, network_config(config, values), on_epoch=report)
        h = fitted.history
        trial.set_user_attr("epochs", h.epochs)
        trial.set_user_attr("best_epoch", h.best_epoch)
        n = int(valid.sum())
        trial.set_user_attr("valid_correct", round(h.valid_acc[h.best_epoch - 1] * n))
        trial.set_user_attr("valid_n", n)
        return float(min(h.valid_loss))

    run = network if config.family == "network" else classical

    def guarded(trial: optuna.Trial) -> float:
        try:
            return run(trial)
        except (GenriflowError, ValueError) as exc:
            trial.set_user_attr("error", str(exc).splitlines()[0] if str(exc) else
                                type(exc).__name__)
            raise

    return guarded


def finished(trial: Any) -> bool:
    """Whether a stored trial is done for good: completed, pruned, or failed with a
    reason (a trial a kill interrupted is run again)."""
    from optuna.trial import TrialState

    return (trial.state in (TrialState.COMPLETE, TrialState.PRUNED)
            or (trial.state == TrialState.FAIL and "error" in trial.user_attrs))


def open_study(storage: str, name: str, space: SearchSpace, config: TuneConfig) -> Any:
    """The study ``name`` in ``storage``, created or loaded (resumed).

    Trials left running by a killed run are marked failed (``interrupted``), so that
    their values are tried again; only one process may run a study at a time (the run
    folder's lock sees to it).

    Raises
    ------
    ConfigError
        The stored study was made for another model, space, sampler or direction.
    """
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.RandomSampler(seed=config.seed) if config.sampler == "grid"
               else optuna.samplers.TPESampler(seed=config.seed,
                                               n_startup_trials=min(10, max(1, config.trials
                                                                            // 2))))
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3)
    try:
        study = optuna.create_study(storage=storage, study_name=name, sampler=sampler,
                                    pruner=pruner, direction=config.direction,
                                    load_if_exists=True)
    except (ValueError, ImportError, RuntimeError) as exc:
        raise ConfigError("storage", f"{storage!r}: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # SQLAlchemy's errors: a bad URL or an unreachable database
        raise ConfigError("storage", f"{storage!r}: cannot be opened "
                          f"({type(exc).__name__})") from None
    identity = {"model": config.model, "sampler": config.sampler,
                "space": space.to_dict()["params"], "direction": config.direction}
    stored = study.user_attrs.get("identity")
    if stored is None:
        study.set_user_attr("identity", identity)
    elif stored != _jsonable(identity):
        raise ConfigError("out", f"its study {name!r} in {storage} is another search's "
                          f"(model {stored.get('model')!r}, sampler {stored.get('sampler')!r}, "
                          "or another space); give another `out` or `storage`")
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
    return study


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value))


def planned(study: Any, space: SearchSpace, config: TuneConfig) -> int:
    """Put a grid's missing points in the study's queue; the trials still to run."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if finished(t)]
    if config.sampler == "tpe":
        return max(0, config.trials - len(done))
    grid = space.grid()
    random.Random(config.seed).shuffle(grid)
    plan = [space.encode(values) for values in grid[:config.trials]]
    seen = [t.params for t in done]
    waiting = [t.system_attrs.get("fixed_params", {}) for t in trials
               if t.state == TrialState.WAITING]
    todo = [point for point in plan if point not in seen]
    for point in todo:
        if point not in waiting:
            study.enqueue_trial(point)
    return len(todo)


def run_trials(study: Any, dataset: FeatureDataset, parts: np.ndarray, space: SearchSpace,
               config: TuneConfig, *, progress: bool = False) -> int:
    """Run the trials still due (see :func:`planned`); returns how many ran now."""
    remaining = planned(study, space, config)
    if remaining == 0:
        return 0
    func = objective(dataset, parts, space, config)
    with progress_bar(progress, "trials") as bar:
        job = bar.add_task(f"tune [{config.model}, {config.sampler}]", total=remaining)
        study.optimize(func, n_trials=remaining, n_jobs=config.jobs,
                       catch=(GenriflowError, ValueError),
                       callbacks=[lambda _study, _trial: bar.advance(job)])
    return remaining


def best_values(study: Any, space: SearchSpace) -> tuple[Any, dict[str, Any]]:
    """The best completed trial and its values as the model takes them.

    Raises
    ------
    GenriflowError
        No trial completed (each failed or was pruned).
    """
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        reasons = sorted({t.user_attrs.get("error", "") for t in study.trials} - {""})
        raise GenriflowError("no trial completed" + (f": {reasons[0]}" if reasons else ""))
    best = study.best_trial
    return best, space.decode(best.params)

