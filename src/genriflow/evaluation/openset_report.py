"""The open-set run's report: ``report.md`` and the pooled risk-coverage curves."""

from __future__ import annotations

from pathlib import Path

from genriflow.evaluation.plots import save_figure
from genriflow.intervals import figure_text as figure_text


def plot_curves(curves: dict, path: Path, name: str, feature_set: str) -> Path:
    """``risk-coverage.png``: one curve per score (score -> (coverage, risk))."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for score, (coverage, risk) in curves.items():
        ax.plot(coverage, risk, label=f"{score} (AURC {risk.mean():.3f})")
    ax.set(xlabel="coverage (share of songs accepted, lowest score first)",
           ylabel="risk (share of accepted songs wrong)", ylim=(0, 1), xlim=(0, 1),
           title=f"leave-one-genre-out, pooled: {name} on {feature_set}")
    ax.legend()
    return save_figure(fig, path)


def report_markdown(metrics: dict) -> str:
    """``report.md`` of an open-set run."""
    o = metrics["open_set"]
    recipe, cfg = o["recipe"], o["config"]
    tpr = f"{cfg['target_tpr']:.0%}"
    lines = [f"# genriflow open-set evaluation: {recipe['model']} on {recipe['features']}",
             "", f"Data: `{metrics['data']}`; split {metrics['split']['method']} "
             f"(seed {metrics['split']['seed']}, counts {metrics['split']['counts']}).", "",
             f"Protocol: {o['protocol']}. Far-out inputs: {cfg['far_out_per_kind']} clips "
             f"each of white, pink and brown noise and speech-like babble, "
             f"{cfg['far_out_seconds']:g} s, seed {cfg['seed']}. Intervals: percentile "
             f"bootstrap 95 %, {cfg['bootstrap']} resamples of the known and unknown songs "
             "(the FPR's threshold chosen again on each). "
             f"FPR@{tpr}: unknown songs accepted at the threshold accepting {tpr} of the known "
             "test songs. AURC: area under the risk-coverage curve (risk: misclassified "
             "known songs and accepted unknown ones).", "",
             "## Pooled over the rounds", "",
             f"| score | AUROC (95 % interval) | FPR@{tpr} (95 %) | AURC (95 %) | "
             "mean of the rounds' AUROC (each below) | "
             "far-out AUROC | far-out per kind |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for score, fig in o["pooled"].items():
        far = fig.get("far_out")
        per_kind = ", ".join(f"{k} {figure_text(v) if isinstance(v, dict) else f'{v:.3f}'}"
                             for k, v in far["per_kind"].items()) if far else "-"
        cells = [figure_text(fig), figure_text(fig, "fpr_at_tpr"), figure_text(fig, "aurc"),
                 f"{fig['mean_round_auroc']:.3f}", figure_text(far) if far else "-", per_kind]
        lines.append(f"| {score} | " + " | ".join(cells) + " |")
    for score, reason in o["unavailable"].items():
        lines.append(f"| {score} | not available: {reason} | | | | | |")
    lines += ["", "![risk-coverage](risk-coverage.png)", "", "## Per held-out genre", "",
              "Known accuracy: the round's model on the known test songs. At the "
              "validation threshold: known test songs accepted / unknown songs rejected.",
              ""]
    scores = list(o["pooled"])
    lines.append("| held out | known / unknown songs | known accuracy | " + " | ".join(
        f"{s}: AUROC (95 %), FPR@{tpr}, accepted/rejected" for s in scores) + " |")
    lines.append("| --- " * (3 + len(scores)) + "|")
    for r in o["rounds"]:
        cells = [f"{figure_text(f)}, {figure_text(f, 'fpr_at_tpr')}, {f['known_accepted']:.2f}/"
                 f"{f['unknown_rejected']:.2f}" for f in (r["scores"][s] for s in scores)]
        lines.append(f"| {r['held_out']} | {r['n_known']} / {r['n_unknown']} | "
                     f"{r['known_accuracy']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
