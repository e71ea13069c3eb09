"""A search's report: the trial table, parameter importances and optimisation history.

Written into the run folder by :func:`~genriflow.workflows.tuning.tune_to_folder`:
``trials.csv``, ``history.png`` (each trial's value and the best so far),
``importances.png`` (Optuna's fANOVA importances, when at least two parameters vary over
at least two completed trials; otherwise the report says why there are none),
``metrics.json`` and ``report.md``/``report.html``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genriflow.audio.errors import AudioError
from genriflow.audio.formats import shown_name
from genriflow.evaluation.html import write_html_report
from genriflow.evaluation.report import write_errors
from genriflow.evaluation.tracks import item_interval
from genriflow.intervals import counted_text, tracks_words
from genriflow.training.space import SearchSpace
from genriflow.training.tune import TuneConfig


def trial_table(study: Any, space: SearchSpace, *, tracks: int | None = None) -> pd.DataFrame:
    """One row per trial: number, state, value, validation accuracy with its 95 % Wilson
    interval, epochs (networks), seconds, the values tried and why a trial failed.

    Where the validation items are segments of ``tracks`` tracks (a 3-second table's rows:
    the split's ``tracks["valid"]``), the interval is counted over the tracks
    (:func:`~genriflow.evaluation.tracks.item_interval`) and a ``valid_tracks`` column
    says so; otherwise there is no such column.
    """
    rows = []
    for t in study.get_trials(deepcopy=False):
        correct, n = t.user_attrs.get("valid_correct"), t.user_attrs.get("valid_n")
        low, high = item_interval(correct / n, n, tracks) if n else (None, None)
        seconds = ((t.datetime_complete - t.datetime_start).total_seconds()
                   if t.datetime_complete and t.datetime_start else None)
        error = t.user_attrs.get("error") or ("interrupted (run again)"
                                              if t.state.name == "FAIL" else "")
        rows.append({"trial": t.number, "state": t.state.name.lower(), "value": t.value,
                     "valid_accuracy": correct / n if n else None,
                     "valid_correct": correct, "valid_n": n, "valid_low": low,
                     "valid_high": high, **({"valid_tracks": tracks if n else None}
                                            if tracks else {}),
                     "epochs": t.user_attrs.get("epochs"),
                     "seconds": seconds,
                     **{f"param_{k}": json.dumps(v) if isinstance(v, list) else v
                        for k, v in space.decode(t.params).items()},
                     "error": error})
    return pd.DataFrame(rows)


def importances(study: Any, space: SearchSpace, seed: int = 0) -> tuple[dict[str, float], str]:
    """fANOVA importances of the parameters, or why there are none (the degenerate
    cases: one parameter, fewer than two completed trials, values that never varied)."""
    import optuna
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    varied = [name for name in space.names
              if len({json.dumps(t.params.get(name)) for t in complete}) > 1]
    if len(space.names) < 2:
        return {}, "the space has one parameter (importances compare two or more)"
    if len(complete) < 2:
        return {}, f"{len(complete)} trial(s) completed (importances need two or more)"
    if len(varied) < 2:
        return {}, "fewer than two parameters varied over the completed trials"
    if len({t.value for t in complete}) < 2:
        return {}, "every completed trial scored the same"
    try:
        found = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed),
            params=varied)
    except (ValueError, RuntimeError) as exc:
        return {}, f"not computed ({str(exc).splitlines()[0]})"
    return {k: float(v) for k, v in found.items()}, ""


def plot_history(trials: pd.DataFrame, config: TuneConfig, path: Path) -> Path:
    """Each trial's value (completed: dots; pruned: crosses at their last report) and the
    best so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    done = trials[trials["state"] == "complete"].sort_values("trial")
    ax.plot(done["trial"], done["value"], "o", label="completed trial")
    if len(done):
        best = (done["value"].cummin() if config.direction == "minimize"
                else done["value"].cummax())
        ax.step(done["trial"], best, where="post", label="best so far")
    pruned = trials[trials["state"] == "pruned"]
    if len(pruned):
        ax.plot(pruned["trial"], pruned["value"], "x", color="grey", label="pruned")
    ax.set_xlabel("trial")
    ax.set_ylabel(config.objective)
    ax.set_title(f"{config.model}: optimisation history ({config.sampler})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_importances(found: dict[str, float], model: str, path: Path) -> Path:
    """Horizontal bars of the importances, largest on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(found)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.5))
    ax.barh(names, [found[n] for n in names])
    ax.set_xlabel("importance (fANOVA, sums to 1)")
    ax.set_title(f"{model}: parameter importances")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_tune_report(out: Path, study: Any, space: SearchSpace, config: TuneConfig, *,
                      trials: pd.DataFrame, best: dict, split: dict, model_metrics: dict,
                      storage: str, data: str, ran: int,
                      errors: Sequence[AudioError] = ()) -> Path:
    """``trials.csv``, the pictures, ``metrics.json``, ``errors.csv`` and the report;
    returns the path of ``report.md``."""
    trials.to_csv(out / "trials.csv", index=False)
    plot_history(trials, config, out / "history.png")
    found, why_not = importances(study, space, config.seed)
    picture = out / "importances.png"
    if found:
        plot_importances(found, config.model, picture)
    elif picture.exists():
        picture.unlink()
    test = model_metrics["test"]
    counts = trials["state"].value_counts().to_dict()
    metrics = {"split": split, "data": data, "model": config.model, "sampler": config.sampler,
               "objective": config.objective, "direction": config.direction,
               "storage": storage, "study": study.study_name, "trials": counts,
               "ran_this_time": ran, "best": best, "importances": found,
               "test": {k: test[k] for k in ("accuracy", "correct", "n", "interval",
                                             "balanced_accuracy",
                                             "balanced_accuracy_interval", "part",
                                             "interval_method", "tracks")
                        if k in test}}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    write_errors(out, errors)
    lines = [f"# genriflow tune: {config.model} ({config.sampler}, "
             f"{len(trials)} trials)", "", f"Data: `{data}`", "",
             "## Split", "", f"- method: **{split['method']}** (seed {split.get('seed')})",
             "- items per part: " + ", ".join(f"{k}: {v}" for k, v in
                                               sorted(split["counts"].items())),
             *(["- tracks per part (each of several segments; the intervals count "
                "tracks): " + ", ".join(f"{k}: {v}" for k, v in sorted(split["tracks"].items()))]
               if split.get("tracks") else []),
             "- trials are fitted on train and scored on valid; the test part is used once, "
             "by the best trial's model", "",
             "## Study", "",
             f"- storage `{storage}`, study `{study.study_name}` (rerun the command to "
             "resume it)",
             f"- objective: {config.objective} ({config.direction}); "
             + ("median pruner on the validation loss after every epoch"
                if config.family == "network" else "no pruning (no epochs)"),
             f"- space ({space.source}): " + ", ".join(_describe(p) for p in space.params),
             "- trials: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
             + f"; {ran} run by the last call", "",
             "## Best trial", "",
             f"Trial {best['number']}: {config.objective} **{best['value']:.4f}**, "
             + ", ".join(f"`{k}` = {_value(v)}" for k, v in best["params"].items()), "",
             "## Test (once)", "",
             f"The best trial's values trained as an ordinary model folder (`model/`, "
             f"[its report](model/report.html)): accuracy **{test['accuracy']:.3f}** "
             f"({counted_text(test)}), "
             f"{_balanced(test)} on {test['part']}.", "",
             "## Trials", "", *_trial_lines(trials, space), "",
             "## Optimisation history", "", "![optimisation history](history.png)", "",
             "## Parameter importances", ""]
    if found:
        lines += ["| parameter | importance |", "| --- | --- |",
                  *(f"| {k} | {v:.3f} |" for k, v in found.items()), "",
                  "![parameter importances](importances.png)", ""]
    else:
        lines += [f"Not drawn: {why_not}.", ""]
    lines += [f"## Files that could not be used: {len(errors)}", "",
              *(f"- `{shown_name(str(e.path))}`: {e.reason}" for e in list(errors)[:50])]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    write_html_report(out, pictures=[out / "history.png", *([picture] if found else [])])
    return path


def _describe(param: Any) -> str:
    if param.choices is not None:
        return f"`{param.name}` in {json.dumps(list(param.choices))}"
    scale = " (log)" if param.log else (f" step {param.step}" if param.step else "")
    return f"`{param.name}` {param.low}..{param.high}{scale}"


def _trial_lines(trials: pd.DataFrame, space: SearchSpace) -> list[str]:
    header = ["trial", "state", "value", "valid accuracy (95 % interval)", "epochs",
              "seconds", *space.names, "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in trials.itertuples(index=False):
        r = row._asdict()
        acc = ("-" if r["valid_n"] is None or pd.isna(r["valid_n"]) else
               f"{r['valid_accuracy']:.3f} ({int(r['valid_correct'])}/{int(r['valid_n'])}; "
               f"{r['valid_low']:.3f}-{r['valid_high']:.3f}{_over(r.get('valid_tracks'))})")
        cells = [str(r["trial"]), r["state"], _num(r["value"]), acc, _num(r["epochs"], 0),
                 _num(r["seconds"], 1),
                 *(_value(r.get(f"param_{n}", "")) for n in space.names), r["error"] or ""]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _over(tracks: Any) -> str:
    """`` over 20 tracks`` where a trial's interval counts the validation part's tracks."""
    return "" if tracks is None or pd.isna(tracks) else f" over {int(tracks)} tracks"


def _value(value: Any) -> str:
    """A parameter's value, floats to 4 significant digits."""
    if isinstance(value, float) and not np.isnan(value):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, list | type(None)) else str(value)


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _balanced(test: dict) -> str:
    """``balanced accuracy (macro recall) 0.543 (95 % 0.440-0.706, per-genre Jeffreys
    draws)``: on unbalanced genres the figure accuracy hides."""
    if "balanced_accuracy_interval" not in test:
        return f"balanced accuracy (macro recall) {test['balanced_accuracy']:.3f}"
    low, high = test["balanced_accuracy_interval"]
    return (f"balanced accuracy (macro recall) {test['balanced_accuracy']:.3f} (95 % "
            f"{low:.3f}-{high:.3f}, per-genre Jeffreys draws{tracks_words(test)})")
