"""How well can any unknown-genre score do on the real GTZAN feature table?

Leave-one-genre-out on the Kaggle table's 57 columns (genriflow's log of the variance
columns and standard scaling, fitted on the nine known genres' training part), pooled over
the ten rounds: AUROC of known test clips against every clip of the held-out genre, with
its 95 % bootstrap interval. Side by side: genriflow's four scores
(:mod:`genriflow.models.reject`, with a logistic regression as ``genriflow evaluate
--open-set`` uses), and the common outlier detectors of scikit-learn fitted on the same
training rows (k nearest neighbours, one Gaussian per genre, a Gaussian mixture, an
isolation forest, a one-class SVM), and the best confidence score plus the best density
score (each standardised on the validation part). Each on two splits: the fault-filtered
one (artists never shared; what genriflow reports) and a shuffled stratified 70/30 split
(artists shared: the leaky protocol of most papers).

It answers whether the table's figure (0.598 at best, README "None of these") is a
weakness of genriflow's scores or of the 57 summary numbers; it fits nothing of the
package and chooses nothing.

    python benchmarks/openset_table.py          # about 30 s on 2 cores; needs ../shared/data
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT.parent / "shared" / "data" / "gtzan-features" / "features_30_sec.csv"


def _scores(Z: np.ndarray, y: np.ndarray, train: np.ndarray, valid: np.ndarray,
            seed: int) -> dict[str, np.ndarray]:
    """Every detector's unknown-genre score of every row (higher = more likely unknown)."""
    from sklearn.ensemble import IsolationForest
    from sklearn.linear_model import LogisticRegression
    from sklearn.mixture import GaussianMixture
    from sklearn.neighbors import NearestNeighbors
    from sklearn.svm import OneClassSVM

    from genriflow.models.reject import ClassMeans, energy_score, max_prob_score

    logreg = LogisticRegression(max_iter=5000).fit(Z[train], y[train])
    stats = ClassMeans.fit(Z[train], y[train])
    out = {"max-prob (genriflow)": max_prob_score(logreg.predict_proba(Z)),
           "energy (genriflow)": energy_score(logreg.decision_function(Z)),
           "distance (genriflow)": stats.score(Z),
           "relative-distance (genriflow)": stats.relative(Z)}
    distances, _ = NearestNeighbors(n_neighbors=5).fit(Z[train]).kneighbors(Z)
    out["5 nearest neighbours, mean distance"] = distances.mean(axis=1)
    per_genre = [ClassMeans.fit(Z[train & (y == g)], y[train & (y == g)])
                 for g in sorted(set(y[train]))]
    out["one Gaussian per genre (own covariance)"] = np.min(
        [s.score(Z) for s in per_genre], axis=0)
    gmm = GaussianMixture(9, covariance_type="diag", random_state=seed).fit(Z[train])
    out["Gaussian mixture, 9 components"] = -gmm.score_samples(Z)
    out["isolation forest"] = -IsolationForest(random_state=seed).fit(Z[train]).score_samples(Z)
    out["one-class SVM"] = -OneClassSVM(gamma="scale", nu=0.1).fit(Z[train]).score_samples(Z)
    if valid.any():
        def z(s: np.ndarray) -> np.ndarray:
            return (s - s[valid].mean()) / s[valid].std()
        out["max-prob + isolation forest"] = z(out["max-prob (genriflow)"]) + z(
            out["isolation forest"])
    return out


def leave_one_genre_out(X: np.ndarray, y: np.ndarray, parts: np.ndarray,
                        seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Detector -> pooled AUROC and its 95 % bootstrap interval."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from genriflow.evaluation.openset import auroc, bootstrap_auroc
    from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
    from genriflow.models.transforms import LogColumns, variance_columns

    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for genre in sorted(set(y)):
        known = y != genre
        train, valid, test = (known & (parts == p) for p in ("train", "valid", "test"))
        unknown = (y == genre) & (parts != "excluded")
        scale = make_pipeline(LogColumns(variance_columns(GTZAN_TABLE_COLUMNS)),
                              StandardScaler()).fit(X[train])
        for name, s in _scores(scale.transform(X), y, train, valid, seed).items():
            pooled.setdefault(name, []).append((s[test], s[unknown]))
    out = {}
    for name, rounds in pooled.items():
        k = np.concatenate([a for a, _ in rounds])
        u = np.concatenate([b for _, b in rounds])
        out[name] = (auroc(k, u), *bootstrap_auroc(k, u, n=1000, seed=seed))
    return out


def main() -> int:
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    from genriflow.datasets.gtzan import fault_filtered_split
    from genriflow.features.dataset import from_table

    if not TABLE.is_file():
        print(f"{TABLE}: not found (the shared GTZAN feature table)", file=sys.stderr)
        return 1
    dataset = from_table(TABLE)
    X, y = np.asarray(dataset.X, dtype=np.float64), np.asarray(dataset.y)
    split = fault_filtered_split()
    filtered = np.array([split.get(k, "excluded") for k in dataset.frame["key"]], dtype=object)
    shuffled = np.full(len(y), "train", dtype=object)
    _, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    shuffled[test] = "test"
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        results = {"fault-filtered (artists never shared)": leave_one_genre_out(X, y, filtered),
                   "shuffled 70/30 (artists shared)": leave_one_genre_out(X, y, shuffled)}
    names = list(next(iter(results.values())))
    heads = list(results)
    print("Leave-one-genre-out on the Kaggle GTZAN table (57 columns), pooled AUROC of the "
          "unseen genre\n(95 % bootstrap interval); 0.5 = chance\n")
    print(f"  {'score':<42}" + "".join(f"{h:<40}" for h in heads))
    for name in names:
        cells = []
        for head in heads:
            value = results[head].get(name)
            cells.append("-" if value is None else
                         f"{value[0]:.3f} ({value[1]:.3f}-{value[2]:.3f})")
        print(f"  {name:<42}" + "".join(f"{c:<40}" for c in cells))
    best = {h: max(r.items(), key=lambda kv: kv[1][0]) for h, r in results.items()}
    for head, (name, value) in best.items():
        print(f"\nbest on {head}: {name}, {value[0]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
