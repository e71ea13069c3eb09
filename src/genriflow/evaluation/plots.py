"""Pictures of a run (matplotlib, headless)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from genriflow.evaluation.metrics import contingency  # noqa: E402


def plot_confusion(matrix: np.ndarray, labels: list[str], title: str,
                   path: str | os.PathLike) -> None:
    """Save a confusion matrix (rows: true genre, columns: predicted), counts and row shares.

    Parameters
    ----------
    matrix : np.ndarray, shape (n_labels, n_labels)
        Counts, true labels as rows.
    labels : list of str
    title : str
        Should name the split and part, e.g. ``"test, gtzan-fault-filtered (290 clips)"``.
    path : path
        PNG file to write.
    """
    matrix = np.asarray(matrix)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.55 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted genre")
    ax.set_ylabel("true genre")
    ax.set_title(title)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if shares[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, label="share of the true genre's clips")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Lay out ``fig``, write it as a PNG, close it and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path
        PNG file to write; its folder must exist.
    dpi : int
    """
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path)


def plot_per_class(per_class: dict[str, dict], title: str, path: str | os.PathLike) -> Path:
    """Save grouped bars of precision and recall per genre.

    Parameters
    ----------
    per_class : dict
        Label -> ``{"precision", "recall", "f1", "support"}``, as in the ``per_class`` entry
        of :func:`~genriflow.evaluation.metrics.classification_metrics`.
    title : str
        Should name the split and part the figures were measured on.
    path : path
        PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    labels = list(per_class)
    x = np.arange(len(labels))
    width = 0.4
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(labels) + 2), 4.5))
    for shift, metric in ((-width / 2, "precision"), (width / 2, "recall")):
        ax.bar(x + shift, [per_class[label][metric] for label in labels], width, label=metric)
    ticks = [f"{label}\n(n={per_class[label]['support']})" for label in labels]
    ax.set_xticks(x, ticks, rotation=45, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("genre (number of true clips)")
    ax.set_ylabel("score (0 to 1)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right")
    return save_figure(fig, path)


def plot_cluster_assignments(labels_true: Sequence[str], clusters: Sequence[int],
                             title: str, path: str | os.PathLike) -> Path:
    """Save the contingency table of genres (rows) against clusters (columns) as a heatmap.

    Each cluster matched to a genre by the Hungarian algorithm (maximum total overlap,
    ``scipy.optimize.linear_sum_assignment``) is placed in that genre's column position, so
    a perfect clustering shows a diagonal; clusters left unmatched (more clusters than
    genres) follow, ordered by the genre they share most clips with.

    Parameters
    ----------
    labels_true : sequence of str, length n
        The genre of every clip.
    clusters : sequence of int, length n
        The cluster every clip was assigned to.
    title : str
    path : path
        PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    genres, cluster_ids, counts = contingency(labels_true, clusters)
    order = _cluster_order(counts)
    counts = counts[:, order]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(order) + 3),
                                    max(5.0, 0.5 * genres.size + 2)))
    image = ax.imshow(counts, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(order)), [str(c) for c in cluster_ids[order]])
    ax.set_yticks(range(genres.size), genres.tolist())
    ax.set_xlabel("cluster (ordered by best-matching genre)")
    ax.set_ylabel("genre")
    ax.set_title(title)
    threshold = counts.max() / 2
    for (i, j), count in np.ndenumerate(counts):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    fig.colorbar(image, ax=ax, label="clips")
    return save_figure(fig, path)


def _cluster_order(counts: np.ndarray) -> np.ndarray:
    """Column order of a (genres, clusters) contingency table: matched clusters by genre."""
    rows, cols = linear_sum_assignment(counts, maximize=True)
    matched = cols[np.argsort(rows)]
    rest = np.setdiff1d(np.arange(counts.shape[1]), matched)
    rest = rest[np.argsort(counts[:, rest].argmax(axis=0), kind="stable")]
    return np.concatenate([matched, rest]).astype(np.int64)
