"""Pictures of a run (matplotlib, headless)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


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
