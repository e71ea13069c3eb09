"""Confidence intervals for the figures genriflow reports (every accuracy carries one)."""

from __future__ import annotations

import math


def wilson_interval(correct: int, n: int, *, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``correct / n`` (95 % by default).

    Unlike the normal approximation it stays inside [0, 1] and is honest for small ``n``
    and for proportions near 0 or 1. A 290-clip test part at 77 % is about ±5 points.

    >>> [round(v, 3) for v in wilson_interval(18, 20)]
    [0.699, 0.972]
    >>> [round(v, 3) for v in wilson_interval(223, 290)]
    [0.717, 0.814]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values, *, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """A 95 % percentile-bootstrap interval of the mean of ``values`` (one per item: the
    items resampled with replacement ``n`` times).

    >>> low, high = mean_interval([0.0, 0.2, 0.4, 0.6, 0.8, 1.0] * 10)
    >>> 0.4 < low < 0.5 < high < 0.6
    True
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return 0.0, 1.0
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def macro_recall_counts_interval(correct, n, *, draws: int = 2000,
                                 seed: int = 0) -> tuple[float, float]:
    """95 % interval of macro recall (balanced accuracy) from each class's counts.

    Each draw takes every class's recall from its Jeffreys posterior
    ``Beta(correct + 1/2, n - correct + 1/2)`` and averages them; the interval is the
    2.5 and 97.5 percentiles of ``draws`` such means. For a class of many items this is
    the percentile bootstrap that resamples items within each class (its binomial draw
    and the posterior have the same spread), but a class at 0/n or n/n still varies: a
    bootstrap of its items would repeat its 0 or 1 every time and add no width where the
    data are thinnest. As for the Jeffreys interval of one proportion (Brown, Cai and
    DasGupta 2001), the interval is then widened to hold the observed macro recall, which
    the posterior draws, pulled off 0 and 1, can miss when most classes sit there.

    Parameters
    ----------
    correct, n : sequence of int
        Per class, the items classified right and the items (``n`` at least 1).
    draws : int
        How many means are drawn.
    seed : int
        Seed of the draws (the same counts always give the same interval).

    Returns
    -------
    tuple of float
        ``(low, high)``, inside [0, 1] and around the observed macro recall.

    Examples
    --------
    >>> low, high = macro_recall_counts_interval([45, 6], [50, 10])   # macro 0.75
    >>> bool(0.55 < low < 0.75 < high < 0.95)   # wide: the second rests on 10 items
    True

    A class that is all right (or all wrong) still adds its uncertainty:

    >>> low, high = macro_recall_counts_interval([3, 3, 0], [3, 3, 3])   # macro 0.667
    >>> bool(0.4 < low < 0.667 < high < 0.9)
    True
    >>> macro_recall_counts_interval([1], [1])[1]   # one item, right: up to 1, down a lot
    1.0
    """
    import numpy as np

    correct = np.asarray(correct, dtype=float)
    n = np.asarray(n, dtype=float)
    if n.size == 0 or np.any(n < 1) or np.any(correct < 0) or np.any(correct > n):
        raise ValueError(f"macro recall needs 0 <= correct <= n and n >= 1 for every class "
                         f"(got correct {correct.tolist()}, n {n.tolist()})")
    rng = np.random.default_rng(seed)
    drawn = rng.beta(correct + 0.5, n - correct + 0.5, size=(draws, len(n))).mean(axis=1)
    low, high = np.percentile(drawn, [2.5, 97.5])
    observed = float(np.mean(correct / n))
    return min(float(low), observed), max(float(high), observed)


def figure_text(fig: dict, name: str = "auroc") -> str:
    """``0.543 (0.523-0.564)``: the figure ``fig[name]`` and its interval
    ``fig[name + "_interval"]`` (folders made before an interval was kept for it show the
    figure alone).

    >>> figure_text({"ece": 0.0621, "ece_interval": [0.041, 0.0893]}, "ece")
    '0.062 (0.041-0.089)'
    """
    if f"{name}_interval" not in fig:
        return f"{fig[name]:.3f}"
    low, high = fig[f"{name}_interval"]
    return f"{fig[name]:.3f} ({low:.3f}-{high:.3f})"


def tracks_words(test: dict) -> str:
    """`` over 200 tracks`` where figures on segments have intervals counted by track
    (:mod:`genriflow.evaluation.tracks`), else nothing."""
    return f" over {test['tracks']['n']} tracks" if "tracks" in test else ""


def counted_text(test: dict) -> str:
    """``8/10; 95 % Wilson 0.490-0.943``, or for segments of tracks ``1220/2000 segments;
    95 % Wilson 0.540-0.674 over 200 tracks``: the count behind an accuracy and its
    interval.

    >>> counted_text({"correct": 8, "n": 10, "interval": [0.49, 0.943]})
    '8/10; 95 % Wilson 0.490-0.943'
    """
    low, high = test["interval"]
    unit = " segments" if "tracks" in test else ""
    return (f"{test['correct']}/{test['n']}{unit}; 95 % Wilson {low:.3f}-{high:.3f}"
            f"{tracks_words(test)}")

