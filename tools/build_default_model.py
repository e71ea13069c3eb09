"""Build genriflow's built-in models: ``gtzan-table`` here, ``gtzan`` (the default) in
``tools/default_head.py``, both from ``--only all`` (the default).

    .venv/bin/python tools/build_default_model.py --only gtzan   # the default head alone

The rest of this docstring is the ``gtzan-table`` protocol
(``src/genriflow/models/builtin/gtzan-table/``).

The model reads the 57 ``kaggle`` features (which genriflow computes from audio exactly as
the Kaggle GTZAN table has them) and is fitted on that table's real clips only. The
protocol, fixed before the test part is read:

1. Parts: the fault-filtered GTZAN split (Kereliuk, Sturm & Larsen 2015; artists never
   shared), 443 / 197 / 290 clips. The 47 real clips of ``shared/data/gtzan-sample`` (40
   in the training part, 7 that the split excludes) are taken out of training, so that
   the whole pipeline (audio -> features -> model) can be scored on audio it never saw:
   403 training clips.
2. Candidates (:func:`candidates`: genriflow's pipelines, log of the variance columns and
   standardisation, each with a small grid, plus shrinkage LDA) are fitted on the
   training part and scored on the validation part; the best of each family is kept, and
   a soft vote of the three best families is added. The winner is the highest validation
   accuracy (ties: the lower validation log-loss).
3. Calibration on the validation part: ``none``, ``sigmoid``, ``isotonic`` or
   ``temperature``, chosen by 5-fold cross-validated log-loss within the validation part,
   then fitted on all of it (the classifier stays as fitted on the training part).
4. The reject option ("none of these"): the ``distance`` score (Mahalanobis distance of
   the scaled features to the nearest training genre mean), its threshold chosen on the
   validation part so that 95 % of those clips are accepted.
5. The shipped model is scored once on the 290 test clips (accuracy with its 95 % Wilson
   interval; expected calibration error before and after calibration; the share the
   reject rule accepts), and, with ``--sample``, on the 47 real clips from their audio,
   beside the zero-shot model and their fusion, the default ``gtzan``.
6. With ``--sample``: the fusion's temperature (:mod:`genriflow.models.fusion`; the mean
   of two models that disagree is timid) is fitted on the 47 clips, the only labelled
   audio here, by the negative log-likelihood; its effect is measured by 5-fold
   cross-fitting (each clip's probabilities from a temperature fitted on the other
   folds), and it is written to ``builtin/gtzan-fusion/fusion.json``. Far-out clips (noise and
   speech-like babble) show what the reject rule refuses.

Everything is seeded (``SEED``); the build is deterministic. From the repository root::

    .venv/bin/python tools/build_default_model.py            # search, build, score
    .venv/bin/python tools/build_default_model.py --no-sample  # without the audio scoring

``tests/models/test_builtin.py`` rebuilds the recorded recipe (:func:`build_recipe`) and
checks that it reproduces the shipped model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from genriflow.datasets.gtzan import clip_key, fault_filtered_split
from genriflow.datasets.splits import SplitConfig
from genriflow.evaluation.calibration_metrics import expected_calibration_error
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.openset import attach_open_set
from genriflow.features.dataset import from_table
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
from genriflow.intervals import wilson_interval
from genriflow.models.classical import ClassicalGenreModel, make_classical
from genriflow.models.transforms import LogColumns, variance_columns
from genriflow.training.calibration import CALIBRATIONS, calibrated

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "src" / "genriflow" / "models" / "builtin" / "gtzan-table"
TABLE = Path("gtzan-features") / "features_30_sec.csv"
SAMPLE = Path("gtzan-sample") / "genres_original"
SEED = 0
#: The built-in name (``genriflow.load_model("gtzan-table")``; ``gtzan-fusion`` is its
#: fusion with the zero-shot model).
NAME = "gtzan-table"


@dataclass(frozen=True)
class Parts:
    """The table's rows and their parts (``train``, ``valid``, ``test``, ``held-out``,
    ``excluded``)."""

    X: np.ndarray
    y: np.ndarray
    keys: np.ndarray
    part: np.ndarray
    held_out: tuple[str, ...]

    def rows(self, name: str) -> np.ndarray:
        return self.part == name


def load_parts(table: Path, sample: Path) -> Parts:
    """The Kaggle table split fault-filtered, the sample's clips held out of training."""
    dataset = from_table(table)
    keys = dataset.frame["key"].to_numpy(dtype=object)
    split = fault_filtered_split()
    part = np.array([split.get(k, "excluded") for k in keys], dtype=object)
    held_out = tuple(sorted(k for k in (clip_key(p.name) for p in sample.rglob("*.wav")) if k))
    if len(held_out) != 47:
        raise SystemExit(f"{sample}: expected the 47 real GTZAN clips, found {len(held_out)}")
    leaked = sorted(k for k in held_out if split.get(k) in ("valid", "test"))
    if leaked:
        raise SystemExit(f"sample clips outside the training side: {leaked}")
    part[np.isin(keys, held_out)] = "held-out"
    return Parts(dataset.X, dataset.y, keys, part, held_out)


# ----------------------------------------------------------------------------- candidates

def _genriflow(name: str, **params) -> Callable[[], object]:
    """genriflow's pipeline ``name`` (log of the variance columns, scaling, classifier)
    with ``params`` set on it."""
    def build():
        pipeline = make_classical(name, seed=SEED,
                                  log_columns=variance_columns(GTZAN_TABLE_COLUMNS))
        return pipeline.set_params(**params)
    return build


def _lda() -> object:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("log", LogColumns(variance_columns(GTZAN_TABLE_COLUMNS))),
                     ("scale", StandardScaler()),
                     ("clf", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"))])


def candidates() -> dict[str, tuple[str, Callable[[], object]]]:
    """Name -> (family, factory of the unfitted pipeline): the fixed search space."""
    out: dict[str, tuple[str, Callable[[], object]]] = {}
    for c in (0.01, 0.03, 0.1, 0.3, 1.0):
        out[f"logreg(C={c})"] = ("logreg", _genriflow("logreg", clf__C=c))
    for c in (1.0, 3.0, 10.0, 30.0):
        for gamma in ("scale", 0.003):
            out[f"svm(C={c},gamma={gamma})"] = ("svm", _genriflow(
                "svm", clf__estimator__C=c, clf__estimator__gamma=gamma))
    for alpha in (1e-3, 1e-2, 1e-1):
        for hidden in ((256, 128), (64,)):
            out[f"mlp(alpha={alpha},hidden={hidden})"] = ("mlp", _genriflow(
                "mlp", clf__alpha=alpha, clf__hidden_layer_sizes=hidden))
    for features in ("sqrt", 0.3):
        out[f"random-forest(max_features={features})"] = ("random-forest", _genriflow(
            "random-forest", clf__max_features=features, clf__n_jobs=1))
    out["gradient-boosting"] = ("gradient-boosting", _genriflow("gradient-boosting"))
    out["knn"] = ("knn", _genriflow("knn"))
    out["lda(shrinkage=auto)"] = ("lda", _lda)
    return out


def soft_vote(members: list[str]) -> Callable[[], object]:
    """Average of the members' probabilities (each fitted on the same rows)."""
    from sklearn.ensemble import VotingClassifier

    space = candidates()

    def build():
        return VotingClassifier([(f"m{i}", space[m][1]()) for i, m in enumerate(members)],
                                voting="soft")
    return build


def make(recipe: str | list[str]) -> object:
    """The unfitted estimator of a recipe: a candidate name or a soft vote's members."""
    return soft_vote(recipe)() if isinstance(recipe, list) else candidates()[recipe][1]()


def select(parts: Parts, *, log: Callable[[str], None] = print) -> dict:
    """Fit every candidate on the training part, score it on the validation part.

    Returns ``{"chosen": recipe, "valid": {name: {"accuracy", "log_loss", "family"}}}``;
    the test rows are never read.
    """
    from sklearn.metrics import log_loss

    train, valid = parts.rows("train"), parts.rows("valid")
    scores: dict[str, dict] = {}

    def score(name: str, family: str, estimator) -> None:
        start = time.perf_counter()
        estimator.fit(parts.X[train], parts.y[train])
        proba = estimator.predict_proba(parts.X[valid])
        predicted = estimator.classes_[proba.argmax(axis=1)]
        scores[name] = {"family": family,
                        "accuracy": float(np.mean(predicted == parts.y[valid])),
                        "log_loss": float(log_loss(parts.y[valid], proba,
                                                   labels=estimator.classes_))}
        log(f"  {name:42s} valid accuracy {scores[name]['accuracy']:.3f}  log-loss "
            f"{scores[name]['log_loss']:.3f}  ({time.perf_counter() - start:.1f} s)")

    def best(names) -> str:
        return min(names, key=lambda n: (-scores[n]["accuracy"], scores[n]["log_loss"]))

    for name, (family, factory) in candidates().items():
        score(name, family, factory())
    families = {s["family"] for s in scores.values()}
    per_family = {f: best([n for n in scores if scores[n]["family"] == f]) for f in families}
    top3 = sorted(per_family.values(), key=lambda n: (-scores[n]["accuracy"],
                                                     scores[n]["log_loss"]))[:3]
    vote = "soft-vote(" + " + ".join(top3) + ")"
    score(vote, "soft-vote", soft_vote(top3)())
    chosen = best(list(per_family.values()) + [vote])
    return {"chosen": top3 if chosen == vote else chosen, "chosen_name": chosen,
            "best_per_family": per_family, "valid": scores}


# ---------------------------------------------------------------------------- calibration

def choose_calibration(estimator, parts: Parts) -> dict:
    """Each method's log-loss, 5-fold cross-validated within the validation part."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    valid = parts.rows("valid")
    X, y = parts.X[valid], parts.y[valid]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(X, y)
    folds = list(folds)
    scores = {}
    for method in CALIBRATIONS:
        proba = np.zeros((len(y), len(estimator.classes_)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for fit, held in folds:
                proba[held] = calibrated(estimator, method, X[fit], y[fit]).predict_proba(X[held])
        scores[method] = float(log_loss(y, proba, labels=estimator.classes_))
    return {"method": min(scores, key=scores.get), "valid_cv_log_loss": scores}


def wilson(correct: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion, rounded for the shipped figures."""
    low, high = wilson_interval(correct, n)
    return round(low, 4), round(high, 4)


# ---------------------------------------------------------------------------------- build

def build_recipe(parts: Parts, recipe: str | list[str], method: str) -> tuple:
    """The shipped estimator: ``recipe`` fitted on the training part, calibrated by
    ``method`` on the validation part. Returns (uncalibrated, calibrated)."""
    train, valid = parts.rows("train"), parts.rows("valid")
    estimator = make(recipe).fit(parts.X[train], parts.y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator, calibrated(estimator, method, parts.X[valid], parts.y[valid])


def test_figures(raw, shipped, parts: Parts) -> dict:
    """The one look at the test part: the shipped model's figures and its calibration."""
    from sklearn.metrics import log_loss

    test = parts.rows("test")
    X, y = parts.X[test], parts.y[test]
    labels = [str(c) for c in shipped.classes_]
    figures = classification_metrics(y, shipped.predict(X), labels,
                                     part=f"test (gtzan-fault-filtered, {int(test.sum())} "
                                          "items)")
    correct = int(round(figures["accuracy"] * figures["n"]))
    figures.update(correct=correct, interval=list(wilson(correct, figures["n"])),
                   interval_method="95 % Wilson score interval")
    calibration = {}
    for when, model in (("before", raw), ("after", shipped)):
        proba = model.predict_proba(X)
        calibration[when] = {
            "accuracy": float(np.mean(model.classes_[proba.argmax(axis=1)] == y)),
            "ece": expected_calibration_error(proba, y, model.classes_),
            "log_loss": float(log_loss(y, proba, labels=model.classes_))}
    return {"test": figures, "test_calibration": calibration}


def sample_figures(folder: Path, sample: Path, parts: Parts, fusion: Path) -> dict:
    """The whole pipeline on the 47 real clips (audio -> kaggle features -> model, as
    ``genriflow predict`` does it), beside the zero-shot model and the table's own rows;
    the fusion's temperature fitted on them (written to ``fusion``); far-out clips."""
    from genriflow.models.folder import load_model
    from genriflow.models.fusion import FusedGenreModel

    built_in = load_model(folder)
    plain = FusedGenreModel([built_in, load_model("zero-shot")],
                            config={"kind": "fused", "model": "gtzan-fusion"})
    audio, audio_predictions = _score(built_in, sample)
    fused, fused_predictions = _score(plain, sample)
    rows = parts.rows("held-out")
    from_table = built_in.predict(parts.X[rows])
    table_hits = int(np.sum(from_table == parts.y[rows]))
    calibration = fusion_calibration(fused_predictions)
    fusion.parent.mkdir(parents=True, exist_ok=True)
    fusion.write_text(json.dumps({"temperature": calibration["temperature"],
                                  "fitted_on": calibration["fitted_on"]}, indent=2) + "\n")
    return {"part": "the 47 real GTZAN clips of shared/data/gtzan-sample, none seen in "
                    "training (40 train-side, 7 excluded by the split; their artists may "
                    "appear in the training part)",
            "audio": audio, "zero_shot": _score(load_model("zero-shot"), sample)[0],
            "fused": fused, "fused_rule": "mean of the song-level probabilities "
            "(a product was also tried on these clips: 27/47)",
            "fused_calibration": calibration,
            "accepted_by_reject_rule": _accepted(audio_predictions),
            "far_out": far_out_figures(built_in),
            "table_rows": {"n": int(rows.sum()), "correct": table_hits,
                           "accuracy": table_hits / int(rows.sum())}}


def _score(model, clips: Path) -> tuple[dict, list]:
    import genriflow
    from genriflow.api import default_options

    result = genriflow.classify(clips, model=model, options=default_options())
    if result.errors:
        raise SystemExit(f"unreadable clips: {result.errors}")
    truth = [Path(p.path).parent.name for p in result.predictions]
    hits = sum(p.genre == t for p, t in zip(result.predictions, truth, strict=True))
    n = len(result.predictions)
    return ({"n": n, "correct": hits, "accuracy": hits / n, "interval": list(wilson(hits, n)),
             "predicted": {Path(p.path).stem: p.genre for p in result.predictions}},
            result.predictions)


def _accepted(predictions: list) -> dict:
    accepted = sum(not p.unknown for p in predictions)
    return {"n": len(predictions), "accepted": accepted,
            "share": accepted / len(predictions)}


def fusion_calibration(predictions: list, *, folds: int = 5) -> dict:
    """The fusion's temperature fitted on the clips of ``predictions`` (plain-mean
    probabilities), and its 5-fold cross-fitted before/after figures."""
    from sklearn.model_selection import KFold

    from genriflow.evaluation.calibration_metrics import calibration_figures
    from genriflow.models.fusion import sharpen
    from genriflow.training.calibration import fit_temperature

    labels = predictions[0].labels
    truth = np.array([Path(p.path).parent.name for p in predictions])
    index = np.array([labels.index(t) for t in truth])
    proba = np.stack([p.probabilities for p in predictions])
    logits = [np.log(np.clip(row, 1e-12, None))[None] for row in proba]
    after = np.zeros_like(proba)
    temperatures = []
    for fit, held in KFold(folds, shuffle=True, random_state=SEED).split(proba):
        t = fit_temperature([logits[i] for i in fit], index[fit])
        temperatures.append(round(t, 4))
        after[held] = sharpen(proba[held], t)
    before_figures = calibration_figures(proba, truth, labels)
    after_figures = calibration_figures(after, truth, labels)
    for figures in (before_figures, after_figures):
        figures.pop("reliability")
    return {"method": "temperature", "temperature": round(fit_temperature(logits, index), 4),
            "fitted_on": f"the {len(proba)} real GTZAN clips of shared/data/gtzan-sample "
                         "(negative log-likelihood)",
            "measured_by": f"{folds}-fold cross-fitting on the same clips: each clip's "
                           "probabilities from the temperature of the other folds",
            "fold_temperatures": temperatures,
            "before": before_figures, "after": after_figures}


def far_out_figures(model, *, per_kind: int = 5, seconds: float = 30.0) -> dict:
    """The share of far-out clips (noise, speech-like babble) the reject rule refuses."""
    import tempfile

    from genriflow.datasets.synthetic.farout import write_far_out

    with tempfile.TemporaryDirectory(prefix="genriflow-far-out-") as folder:
        write_far_out(folder, per_kind=per_kind, seconds=seconds, seed=SEED)
        _, predictions = _score(model, Path(folder))
        kinds = sorted({Path(p.path).parent.name for p in predictions})
        return {kind: {"n": sum(Path(p.path).parent.name == kind for p in predictions),
                       "refused": sum(bool(p.unknown) for p in predictions
                                      if Path(p.path).parent.name == kind)}
                for kind in kinds}


def build(data: Path = DATA, out: Path = OUT, *, recorded: dict | None = None,
          sample: bool = True, log: Callable[[str], None] = print) -> dict:
    """Search, build, score and write the folder; return its metrics.

    ``recorded``: the ``metrics.json`` of an earlier build, whose recipe and calibration
    are rebuilt without searching again (its selection figures are kept).
    """
    from threadpoolctl import threadpool_limits

    # One thread for BLAS and OpenMP: the same sums in the same order on any machine (and
    # no OpenMP oversubscription on a busy one).
    with threadpool_limits(limits=1):
        return _build(data, out, recorded=recorded, sample=sample, log=log)


def _build(data: Path, out: Path, *, recorded: dict | None, sample: bool,
           log: Callable[[str], None]) -> dict:
    parts = load_parts(data / TABLE, data / SAMPLE)
    counts = {str(k): int(v) for k, v in zip(*np.unique(parts.part, return_counts=True),
                                             strict=True)}
    log(f"parts: {counts}")
    if recorded is None:
        log("candidates, fitted on train, scored on valid:")
        selection = select(parts, log=log)
        raw = make(selection["chosen"]).fit(parts.X[parts.rows("train")],
                                            parts.y[parts.rows("train")])
        calibration = choose_calibration(raw, parts)
        log(f"calibration (5-fold log-loss within valid): {calibration['valid_cv_log_loss']}"
            f" -> {calibration['method']}")
    else:
        selection = recorded["selection"]
        calibration = {k: v for k, v in recorded["calibration"].items() if k != "fitted_on"}
    recipe, method = selection["chosen"], calibration["method"]
    raw, shipped = build_recipe(parts, recipe, method)
    figures = test_figures(raw, shipped, parts)
    test = figures["test"]
    log(f"test: {test['accuracy']:.3f} ({test['correct']}/{test['n']}), 95 % interval "
        f"{test['interval'][0]:.3f}-{test['interval'][1]:.3f}; ECE "
        f"{figures['test_calibration']['before']['ece']:.3f} -> "
        f"{figures['test_calibration']['after']['ece']:.3f}")
    split = SplitConfig(method="gtzan-fault-filtered", seed=SEED)
    description = (f"GTZAN genres from the 57 kaggle features: {selection['chosen_name']}, "
                   f"{method} calibration")
    config = {"model": NAME, "description": description, "recipe": recipe,
              "calibration": method, "seed": SEED,
              "train": {"model": NAME, "split": asdict(split)},
              "data": str(TABLE)}
    metrics = {
        "model": NAME,
        "description": description,
        "data": f"Kaggle GTZAN feature table ({TABLE}, 1000 real clips)",
        "protocol": ("fitted on the fault-filtered train part less the 47 sample clips; "
                     "candidates and calibration chosen on the valid part; tested once on "
                     "the test part"),
        "split": {"method": "gtzan-fault-filtered", "seed": SEED, "counts": counts,
                  "groups_crossing": 0,
                  "held_out_of_training": list(parts.held_out),
                  "held_out_note": "the 47 clips of shared/data/gtzan-sample: 40 from the "
                                   "train part, 7 excluded by the split"},
        "chosen": selection["chosen_name"],
        "recipe": recipe,
        "selection": selection,
        "calibration": {**calibration, "fitted_on": "valid"},
        **figures,
    }
    model = ClassicalGenreModel(shipped, _feature_config(), config)
    # The pipeline was fitted on the training part alone: it scores validation clips it
    # never saw, and the class means are its training clips'.
    metrics["open_set"] = attach_open_set(model, parts, parts.part)
    log(f"reject rule: {metrics['open_set']['score']} above "
        f"{metrics['open_set']['threshold']:.3f}; accepts "
        f"{metrics['open_set']['test_accepted']:.3f} of the test clips")
    if out.exists():
        for old in out.iterdir():
            if old.is_file():
                old.unlink()
    model.save(out, metrics)
    if sample:
        metrics["sample"] = sample_figures(out, data / SAMPLE, parts,
                                           out.parent / "gtzan-fusion" / "fusion.json")
        audio, zero = metrics["sample"]["audio"], metrics["sample"]["zero_shot"]
        calibration = metrics["sample"]["fused_calibration"]
        log(f"fusion temperature {calibration['temperature']}: cross-fitted ECE "
            f"{calibration['before']['ece']:.3f} -> {calibration['after']['ece']:.3f}, NLL "
            f"{calibration['before']['nll']:.3f} -> {calibration['after']['nll']:.3f}; "
            f"far out refused: {metrics['sample']['far_out']}")
        log(f"47 real clips from audio: {audio['accuracy']:.3f} ({audio['correct']}/47, "
            f"{audio['interval'][0]:.3f}-{audio['interval'][1]:.3f}); zero-shot "
            f"{zero['accuracy']:.3f} ({zero['correct']}/47, {zero['interval'][0]:.3f}-"
            f"{zero['interval'][1]:.3f}); table rows "
            f"{metrics['sample']['table_rows']['correct']}/47")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def _feature_config():
    from genriflow.features.sets import FeatureConfig

    return FeatureConfig(set="kaggle", clip_seconds=30.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="shared/data folder")
    parser.add_argument("--out", type=Path, default=OUT, help="model folder to write")
    parser.add_argument("--no-sample", action="store_true",
                        help="skip scoring the 47 real clips from audio")
    parser.add_argument("--recorded", action="store_true",
                        help="rebuild the recipe and calibration recorded in --out's "
                             "metrics.json instead of searching")
    parser.add_argument("--only", choices=("all", "gtzan-table", "gtzan", "library-genres",
                                           "moods"),
                        default="all",
                        help="which built-in to build (default: all of them)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="an .npz keeping the clips' musicnn analyses between runs")
    args = parser.parse_args(argv)
    if args.only in ("all", "gtzan-table"):
        recorded = (json.loads((args.out / "metrics.json").read_text()) if args.recorded
                    else None)
        build(args.data, args.out, recorded=recorded, sample=not args.no_sample)
    if args.only in ("all", "gtzan"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from default_head import build_gtzan

        build_gtzan(args.data, OUT.parent / "gtzan", cache=args.cache)
    if args.only in ("all", "library-genres"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from default_head import build_library

        build_library(args.data, OUT.parent / "library-genres", cache=args.cache)
    if args.only in ("all", "moods"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from default_head import build_moods

        build_moods(args.data, OUT.parent / "moods.json", cache=args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
