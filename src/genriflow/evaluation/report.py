"""Run folders: ``report.md``/``report.html``, ``metrics.json``, pictures, ``errors.csv``."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genriflow.audio import AudioError
from genriflow.audio.formats import shown_name
from genriflow.evaluation.html import write_html_report
from genriflow.evaluation.plots import plot_confusion, plot_per_class, plot_reliability
from genriflow.evaluation.tracks import item_interval
from genriflow.intervals import counted_text, figure_text, tracks_words, wilson_interval
from genriflow.training.auto import AutoChoice


def write_errors(folder: str | os.PathLike, errors: Sequence[AudioError]) -> Path:
    """``errors.csv`` with ``path,kind,reason`` for every file that could not be used (a
    path as the file system's bytes, UTF-8 or not)."""
    path = Path(folder) / "errors.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "kind", "reason"])
        for err in errors:
            writer.writerow([str(err.path), err.kind.value, err.reason])
    return path


def write_report(folder: str | os.PathLike, title: str, metrics: dict,
                 errors: Sequence[AudioError] = (), *,
                 curves: str | os.PathLike | None = None) -> Path:
    """Write a run folder's report and return the path of ``report.md``.

    Besides ``report.md``: ``metrics.json``, ``errors.csv``, the per-genre bars
    (``per-class.png``) and the confusion matrix (``confusion.png``, ``confusion.csv``) when
    the test figures have them, and last ``report.html`` (see
    :func:`~genriflow.evaluation.html.write_html_report`), which shows this run's pictures
    alone: a PNG left in the folder by an earlier run (or put there by the user) is
    neither shown nor removed.

    Parameters
    ----------
    folder : path
        Created if needed.
    title : str
    metrics : dict
        As produced by training or evaluation: ``split``, ``test`` (the figures of
        :func:`~genriflow.evaluation.metrics.classification_metrics`) and optionally
        ``chosen``, ``selection_valid_accuracy``, ``auto`` (what ``--model auto`` tried),
        ``train_accuracy`` and ``folds``.
    errors : sequence of AudioError
    curves : path or None
        A network's training curves, drawn by the run into ``folder``, shown in the report.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_errors(folder, errors)
    test = metrics["test"]
    lines = [f"# {title}", "", f"Data: `{metrics.get('data', '?')}`", ""]
    if metrics.get("model_folder"):  # an evaluation: which model it scored
        lines += [f"Model: `{metrics['model_folder']}`", ""]
    lines += _split_lines(metrics["split"])
    if metrics.get("selection_valid_accuracy"):
        lines += _selection_lines(metrics)
    if metrics.get("auto"):
        lines += AutoChoice.from_dict(metrics["auto"]).markdown()
    lines += ["## Result", "", "| figure | value | measured on |", "| --- | --- | --- |",
              f"| accuracy | {_fmt(test, 'accuracy')} | {test['part']} |",
              f"| balanced accuracy (macro recall) | {balanced_text(test)} | {test['part']} |"]
    if "tracks" in test:  # segments of tracks: what the tracks' majority votes score
        lines.append("| accuracy by track (the majority vote of its segments) | "
                     f"{_fmt(test['tracks'], 'accuracy')}; balanced "
                     f"{balanced_text(test['tracks'])} | {test['part']} |")
    lines += _fit_lines(metrics)
    lines.append("")
    if metrics.get("test_calibration"):
        lines += _calibration_lines(folder, metrics["test_calibration"], test["part"])
    if metrics.get("test_multilabel"):
        lines += _multilabel_lines(metrics["test_multilabel"], metrics.get("multi_label", {}))
    if "per_class" in test:
        lines += _per_class_lines(test)
        plot_per_class(test["per_class"], f"Precision and recall per genre, {test['part']}",
                       folder / "per-class.png")
    if "confusion" in test:
        _write_confusion(folder, test)
        lines += ["## Confusion matrix", "", "![confusion matrix](confusion.png)", "",
                  "Counts in `confusion.csv` (rows: true genre).", ""]
    lines += _open_set_lines(metrics.get("open_set"))
    if curves is not None:
        lines += ["## Training curves", "",
                  f"![loss and accuracy per epoch]({Path(curves).name})", ""]
    lines += [f"## Files that could not be used: {len(errors)}", ""]
    lines += [f"- `{shown_name(str(e.path))}`: {e.reason}" for e in errors[:50]]
    if len(errors) > 50:
        lines.append(f"- ... {len(errors) - 50} more in `errors.csv`")
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    write_html_report(folder, pictures=())  # each of its pictures is in report.md
    return path


def _fit_lines(metrics: dict) -> list[str]:
    """The accuracy on the data the model was fitted on and, for a network (fitted on train
    alone, its epoch chosen on valid), on the validation part."""
    if metrics.get("train_accuracy") is None:
        return []
    if "history" not in metrics:  # a classical head, refitted on train + valid
        return [f"| accuracy | {metrics['train_accuracy']:.3f} | train + valid (fit data) |"]
    counts = metrics["split"].get("counts", {})
    lines = [f"| accuracy | {share(metrics['train_accuracy'], counts.get('train'))} | train "
             f"({counts.get('train', '?')} items, fit data) |"]
    if metrics.get("valid_accuracy") is not None:
        lines.append(f"| accuracy | {share(metrics['valid_accuracy'], counts.get('valid'))} "
                     f"| valid ({counts.get('valid', '?')} items, chose the epoch) |")
    return lines


def share(accuracy: float, n: int | None) -> str:
    """``0.800 (8/10; 95 % Wilson 0.490-0.943)``, or the bare figure without a count.

    >>> share(0.8, 10), share(0.8, None)
    ('0.800 (8/10; 95 % Wilson 0.490-0.943)', '0.800')
    """
    if not n:
        return f"{accuracy:.3f}"
    correct = round(accuracy * n)
    low, high = wilson_interval(correct, n)
    return f"{accuracy:.3f} ({correct}/{n}; 95 % Wilson {low:.3f}-{high:.3f})"


def selection_rows(metrics: dict) -> list[dict]:
    """The validation figure of each head a classical model was chosen among.

    Parameters
    ----------
    metrics : dict
        A training run's metrics: ``selection_valid_accuracy``, ``chosen``, ``split``
        (its ``counts["valid"]``) and ``multi_label`` for a multi-label model.

    Returns
    -------
    list of dict
        Per head ``name``, ``score``, ``chosen`` and, for an accuracy on a validation part
        of known size, ``correct``, ``n`` and its 95 % Wilson ``interval`` (``None`` for a
        multi-label model's mean average precision, which has no count behind it); where
        the items are segments of tracks (``split["tracks"]``), the interval is over the
        validation part's ``tracks``.
    """
    n = metrics["split"].get("counts", {}).get("valid")
    tracks = metrics["split"].get("tracks", {}).get("valid")
    rows = []
    for name, score in (metrics.get("selection_valid_accuracy") or {}).items():
        row = {"name": name, "score": float(score), "chosen": name == metrics.get("chosen"),
               "correct": None, "n": None, "interval": None, "tracks": None}
        if n and "multi_label" not in metrics:
            correct = round(score * n)
            row.update(correct=correct, n=n, interval=item_interval(score, n, tracks),
                       tracks=tracks)
        rows.append(row)
    return rows


def _selection_lines(metrics: dict) -> list[str]:
    """The heads the model was chosen among, each with its count and interval where it
    has one, and the part that chose."""
    n = metrics["split"].get("counts", {}).get("valid")
    figure = "mean average precision" if "multi_label" in metrics else "accuracy"
    where = f"; on valid, {n} items, test never used" if n else ""
    lines = [f"## Model selection (validation {figure}{where})", "",
             f"| model | {figure} | 95 % interval |", "| --- | --- | --- |"]
    for row in selection_rows(metrics):
        if row["interval"] is None:
            lines.append(f"| {row['name']} | {row['score']:.3f} | |")
        else:
            low, high = row["interval"]
            over = f" over {row['tracks']} tracks" if row["tracks"] else ""
            lines.append(f"| {row['name']} | {row['score']:.3f} ({row['correct']}/{row['n']}) "
                         f"| Wilson {low:.3f}-{high:.3f}{over} |")
    return [*lines, "", f"Chosen: **{metrics['chosen']}**, refitted on train + valid.", ""]


def _open_set_lines(rule: dict | None) -> list[str]:
    """The reject option ("none of these") a trained model was given, if any."""
    if not rule:
        return []
    if "skipped" in rule:
        return ["## Reject option", "", f"None: {rule['skipped']}.", ""]
    test = (f" The saved model accepts {rule['test_accepted']:.1%} of the {rule['test_n']} "
            "known test songs." if "test_accepted" in rule else "")
    return ["## Reject option", "",
            f"A song whose `{rule['score']}` score is above **{rule['threshold']:.4g}** is "
            f"`unknown`: the threshold accepts {rule['valid_accepted']:.1%} of the "
            f"{rule['valid_n']} songs of the {rule['chosen_on']} part (target "
            f"{rule['target_tpr']:.0%}), scored by the model fitted without them.{test}", ""]


def balanced_text(test: dict) -> str:
    """Balanced accuracy, with its 95 % interval where the figures have one."""
    if "balanced_accuracy_interval" not in test:
        return f"{test['balanced_accuracy']:.3f}"
    low, high = test["balanced_accuracy_interval"]
    return (f"{test['balanced_accuracy']:.3f} ({low:.3f}-{high:.3f}, per-genre Jeffreys "
            f"draws{tracks_words(test)})")


def _fmt(test: dict, key: str) -> str:
    std = test.get(f"{key}_std")
    text = f"{test[key]:.3f}" + (f" ± {std:.3f}" if std is not None else "")
    if key == "accuracy" and "interval" in test:
        text += f" ({counted_text(test)})"
    return text


_CALIBRATION_FIGURES = (("ece", "expected calibration error ({bins} bins)"),
                        ("nll", "negative log-likelihood"), ("brier", "Brier score"),
                        ("accuracy", "accuracy"))


_CALIBRATION_INTERVALS = ("95 % intervals: a bootstrap of the songs (1000 draws), Wilson for "
                          "a single-genre model's accuracy.")


def _calibration_lines(folder: Path, calibration: dict, part: str) -> list[str]:
    plot_reliability(calibration, f"Reliability, {part}", folder / "reliability.png")
    if "as shipped" in calibration:
        shipped = calibration["as shipped"]
        lines = [f"## Calibration (the model's probabilities as they are: "
                 f"{calibration['method']}; measured on {part})", "",
                 "| figure | value |", "| --- | --- |"]
        for key, name in _CALIBRATION_FIGURES:
            lines.append(f"| {name.format(bins=shipped['bins'])} | "
                         f"{figure_text(shipped, key)} |")
        return [*lines, "", f"Lower is better for the first three. {_CALIBRATION_INTERVALS}",
                "", "![reliability diagram](reliability.png)", ""]
    before, after = calibration["before"], calibration["after"]
    lines = [f"## Calibration ({calibration['method']}, fitted on "
             f"{calibration['fitted_on']}; measured on {part})", ""]
    if calibration.get("per") == "genre":
        lines += [f"A multi-label model: each of the {before['pairs']} (song, genre) "
                  "probabilities is one yes/no forecast (accuracy: the pairs right at 0.5).",
                  ""]
    lines += ["| figure | before | after |", "| --- | --- | --- |"]
    for key, name in _CALIBRATION_FIGURES:
        lines.append(f"| {name.format(bins=before['bins'])} | {figure_text(before, key)} | "
                     f"{figure_text(after, key)} |")
    return [*lines, "", f"Lower is better for the first three. {_CALIBRATION_INTERVALS}", "",
            "![reliability diagram](reliability.png)", ""]


def _multilabel_lines(figures: dict, settings: dict) -> list[str]:
    lines = ["## Several genres per song", "",
             f"Thresholds: {settings.get('thresholds_from', '?')}. A song's genres are those "
             "at or above their threshold (its top genre when none is).", "",
             "| figure | at the model's thresholds | at 0.2 (the 2024 report) |",
             "| --- | --- | --- |"]
    at, seed = figures["at_thresholds"], figures["at_seed_threshold"]

    def counted(entry: dict) -> str:
        return share(entry["accuracy"], entry["n"])

    lines += [f"| all of the song's genres found | {counted(at['all_genres_found'])} | "
              f"{counted(seed['all_genres_found'])} |",
              f"| exact genre set | {counted(at['exact_set'])} | {counted(seed['exact_set'])} |",
              f"| micro F1 | {at['micro_f1']:.3f} | {seed['micro_f1']:.3f} |",
              f"| macro F1 | {at['macro_f1']:.3f} | {seed['macro_f1']:.3f} |",
              f"| mAP (mean average precision) | {at['mAP']:.3f} | (threshold-free) |", "",
              f"Measured on {at['part']}.", "",
              "| genre | threshold | ROC-AUC | average precision |", "| --- | --- | --- | --- |"]
    thresholds = dict(zip(settings.get("labels", []), at["thresholds"], strict=False))
    for genre, m in at["per_genre"].items():
        lines.append(f"| {genre} | {thresholds.get(genre, float('nan')):.2f} | "
                     f"{m['roc_auc']:.3f} | {m['average_precision']:.3f} |")
    return [*lines, ""]


def _split_lines(split: dict) -> list[str]:
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(split.get("counts", {}).items()))
    folds = split.get("n_folds") if str(split["method"]).startswith("kfold") else None
    per_part = f"items per part (the first of {folds} folds)" if folds else "items per part"
    lines = ["## Split", "", f"- method: **{split['method']}** (seed {split.get('seed')})",
             f"- {per_part}: {counts}"]
    if split.get("tracks"):  # rows are segments: the intervals count these
        tracks = ", ".join(f"{k}: {v}" for k, v in sorted(split["tracks"].items()))
        lines.append(f"- tracks per part (each of several segments; the intervals count "
                     f"tracks): {tracks}")
    crossing = split.get("groups_crossing")
    if crossing:
        lines.append(f"- **warning: {crossing} groups (artists or tracks) appear in more than "
                     "one part; these figures are inflated by leakage**")
    elif crossing == 0 and split.get("groups"):
        lines.append(f"- no group appears in more than one part (groups: {split['groups']})")
    elif crossing == 0:
        lines.append("- no group appears in more than one part (the data's `group`, such as "
                     "an artist, else each GTZAN track; artists not given as groups are not "
                     "checked)")
    if split.get("seen_by_the_model"):
        lines.append(f"- **warning: {split['seen_by_the_model']} of these items are among the "
                     "clips the model was fitted or chosen on: these figures are no test on "
                     "unseen data**")
    return [*lines, ""]


def _per_class_lines(test: dict) -> list[str]:
    lines = [f"## Per genre ({test['part']})", "",
             "| genre | precision | recall (95 % Wilson) | F1 | support |",
             "| --- | --- | --- | --- | --- |"]
    for label, m in test["per_class"].items():
        # metrics.json files written before recall intervals have none
        low, high = m.get("recall_interval") or (None, None)
        recall = f"{m['recall']:.3f}" + ("" if low is None else f" ({low:.3f}-{high:.3f})")
        if not m["support"]:  # scikit-learn's 0 for no test items is no recall
            recall = "- (no items)"
        lines.append(f"| {label} | {m['precision']:.3f} | {recall} | {m['f1']:.3f} "
                     f"| {m['support']} |")
    return [*lines, "", "![precision and recall per genre](per-class.png)", ""]


def _write_confusion(folder: Path, test: dict) -> None:
    labels, matrix = test["confusion"]["labels"], np.array(test["confusion"]["matrix"])
    with open(folder / "confusion.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted", *labels])
        for label, row in zip(labels, matrix, strict=True):
            writer.writerow([label, *row.tolist()])
    plot_confusion(matrix, labels, f"Confusion, {test['part']}", folder / "confusion.png")
