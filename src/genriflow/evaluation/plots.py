"""Pictures of a run (matplotlib, headless): confusion, per-genre scores, training curves,
cluster assignments and 2-D maps of features.

Why here and not in :mod:`genriflow.plots` (the package of exploratory pictures): the
reports of this layer (:mod:`~genriflow.evaluation.report`,
:mod:`~genriflow.evaluation.openset_report`) draw with these functions, and
:mod:`genriflow.plots` sits above evaluation (it writes its page through
:mod:`genriflow.evaluation.html`), so moving them up would make evaluation import a higher
layer; moving the ``plots`` layer below evaluation would break the other way
(:func:`plot_cluster_assignments` reads :func:`genriflow.evaluation.metrics.contingency`).
:mod:`genriflow.plots` imports its figure helpers from here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from genriflow.evaluation.metrics import contingency  # noqa: E402
from genriflow.models.transforms import flatten, reduce_pca  # noqa: E402

if TYPE_CHECKING:
    from genriflow.training.loop import History


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


def plot_history(history: History, path: str | os.PathLike, title: str) -> Path:
    """Save loss and accuracy per epoch, train vs validation, best epoch marked (PNG).

    Parameters
    ----------
    history : History
        What :func:`genriflow.training.loop.fit` returned; without accuracies (an
        autoencoder's fit) only the loss is drawn.
    path : path
        PNG file to write.
    title : str

    Returns
    -------
    Path
        ``path``.
    """
    epochs = np.arange(1, history.epochs + 1)
    panels = [("loss", history.train_loss, history.valid_loss)]
    if history.train_acc:
        panels.append(("accuracy", history.train_acc, history.valid_acc))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (name, train_values, valid_values) in zip(axes[0], panels, strict=True):
        ax.plot(epochs, train_values, label="train")
        if valid_values:
            ax.plot(epochs, valid_values, label="validation")
        if history.best_epoch:
            ax.axvline(history.best_epoch, color="grey", linestyle="--",
                       label=f"best epoch ({history.best_epoch})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


def plot_embedding_scatter(points2d: np.ndarray, labels: Sequence[str], title: str,
                           path: str | os.PathLike, *, xlabel: str, ylabel: str) -> Path:
    """Save a 2-D scatter of points coloured by label, with a legend.

    Parameters
    ----------
    points2d : np.ndarray, shape (n, 2)
        Coordinates (PCA, t-SNE, UMAP, ...).
    labels : sequence of str, length n
        Colour groups (genres, clusters); legend entries sorted.
    title : str
    path : path
        PNG file to write.
    xlabel, ylabel : str
        Axis labels, with units or explained variance.

    Returns
    -------
    Path
        ``path``.
    """
    points2d, labels = np.asarray(points2d), np.asarray(labels).astype(str)
    groups = np.unique(labels)
    colours = plt.get_cmap("tab10" if groups.size <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    for k, group in enumerate(groups):
        inside = labels == group
        ax.scatter(points2d[inside, 0], points2d[inside, 1], s=12, alpha=0.75,
                   color=colours(k % colours.N), label=group)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, markerscale=1.5)
    return save_figure(fig, path)


def pca_map(X: np.ndarray, *, log_columns: Sequence[int] = ()) -> tuple[np.ndarray, str, str]:
    """The first two principal components of standardised features, and their axis labels.

    Parameters
    ----------
    X : np.ndarray, shape (n, ...)
        Feature vectors, or frame arrays (flattened).
    log_columns : sequence of int
        Variance columns of a feature table, logged first (as the models do).

    Returns
    -------
    points : np.ndarray, shape (n, 2)
    xlabel, ylabel : str
        ``PC1 (31.2 % of variance)`` and the like.
    """
    pca = reduce_pca(2, 0, log_columns)
    points = pca.fit_transform(flatten(X))
    share = pca.named_steps["pca"].explained_variance_ratio_ * 100
    return points, f"PC1 ({share[0]:.1f} % of variance)", f"PC2 ({share[1]:.1f} % of variance)"


def plot_pca_scatter(X: np.ndarray, labels: Sequence[str], title: str,
                     path: str | os.PathLike, *, log_columns: Sequence[int] = ()) -> Path:
    """Save the first two principal components of standardised features, coloured by label
    (see :func:`pca_map`)."""
    points, xlabel, ylabel = pca_map(X, log_columns=log_columns)
    return plot_embedding_scatter(points, labels, title, path, xlabel=xlabel, ylabel=ylabel)


def plot_reliability(calibration: dict, title: str, path: str | os.PathLike) -> Path:
    """Save the reliability diagram of a calibration before and after.

    Parameters
    ----------
    calibration : dict
        As :func:`~genriflow.evaluation.calibration_metrics.before_after` returns it: ``before``
        and ``after`` each with ``reliability`` (per confidence bin: mean ``confidence``,
        ``accuracy``, ``count``) and ``ece``; or one ``as shipped`` of a saved model.
    title : str
        Should name the part the figures were measured on.
    path : path
        PNG file to write.

    Returns
    -------
    Path
    """
    fig, ax = plt.subplots(figsize=(5.5, 5.0))
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="perfectly calibrated")
    for when, marker in (("before", "o"), ("after", "s"), ("as shipped", "o")):
        if when not in calibration:
            continue
        bins = calibration[when]["reliability"]
        points = [(c, a, n) for c, a, n in zip(bins["confidence"], bins["accuracy"],
                                               bins["count"], strict=True) if n]
        if not points:
            continue
        conf, acc, n = (np.array(v, dtype=float) for v in zip(*points, strict=True))
        ax.plot(conf, acc, marker=marker, label=f"{when} (ECE {calibration[when]['ece']:.3f})")
        ax.scatter(conf, acc, s=8 + 120 * n / n.max(), alpha=0.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    if calibration.get("per") == "genre":   # a multi-label model: each genre's yes/no
        ax.set_xlabel("each genre's probability (15 bins)")
        ax.set_ylabel("share of the bin's songs that have the genre")
    else:
        ax.set_xlabel("confidence: top genre's probability (15 bins)")
        ax.set_ylabel("accuracy of the songs in the bin")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return save_figure(fig, path)
