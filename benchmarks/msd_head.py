"""Study: a ``gtzan`` head that needs only the MSD musicnn network, beside the shipped one.

The shipped ``gtzan`` head reads both musicnn networks (MSD ~11 ms a patch, MTT ~26 ms on
a CPU). Here its protocol (``tools/default_head.py``: the 194 training-side GTZAN clips,
5 grouped stratified folds, seed 0, the same C grid and selection rule) is rerun on the
shipped candidates and on candidates reading MSD parts alone: ``msd-tags`` (the 50 MSD
tags) and ``msd-embeddings+msd-tags`` (MSD ``penultimate`` and the 50 MSD tags), whose
prior is :data:`GENRE_TAGS` without its ``mtt:`` tags (classical and reggae then have none).

With ``--folders`` and ``--full-store`` (unlabelled songs analysed whole, loaded by
``benchmarks/stopping_rule.py``'s ``load``, which reuses the store where it holds them and
analyses the rest into it), the best MSD-only head fitted on all 194 clips is compared with
the shipped head on each whole song, and adaptive sampling (the shipped rule) and fixed
counts are replayed for both. Every rate is printed with its 95 % Wilson interval.

The input files, from a fresh clone:

``--cache FILE``
    the 194 clips' ``musicnn`` analyses (12 excerpts each, as predict), the .npz
    ``tools/default_head.py``'s ``analyse(clip_paths(data), FILE)`` writes. Made by
    ``python tools/build_default_model.py --only gtzan --cache FILE`` or
    ``python benchmarks/default_model.py --cache FILE``, or by this script itself when
    FILE is missing (or holds other clips): it analyses ``--data``'s clips into it.
``--far-out FILE``
    far-out clips' analyses (an .npz of ``paths``, ``n_windows``, ``musicnn``). No other
    command writes one: when FILE is missing this script writes it from
    ``tools/default_head.py``'s ``far_out_analysis`` (10 clips of each kind of
    ``write_far_out``, 30 s, seed 0, and 4 near-silent ones), the clips the shipped
    ``gtzan`` reject rule is checked on.

    python benchmarks/msd_head.py --cache /tmp/gtzan.npz \\
        --folders /tmp/deb60 /tmp/deb-rest /tmp/nexuiz /tmp/second /tmp/third /tmp/fourth \\
        --full-store /tmp/fullstore --far-out /tmp/farout.npz
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from default_head import (  # noqa: E402
    CANDIDATES,
    LABELS,
    N_FOLDS,
    SEED,
    analyse,
    clip_paths,
    far_out_analysis,
    songs_of,
)
from genriflow.features.embeddings import ANALYSIS_LAYOUT  # noqa: E402
from genriflow.intervals import wilson_interval  # noqa: E402
from genriflow.models.zero_shot import GENRE_TAGS, tag_scores  # noqa: E402
from genriflow.training.tag_head import (  # noqa: E402
    HeadRecipe,
    folds,
    recalls,
    song_probabilities,
    window_weights,
)
from genriflow.training.tag_head import make_head as tag_head_make  # noqa: E402

MSD_GENRE_TAGS = {g: tuple(t for t in tags if t.startswith("msd:"))
                  for g, tags in GENRE_TAGS.items()}
TAGS = ANALYSIS_LAYOUT[("tags", "")]
MSD_TAGS = slice(0, 50)
#: Inputs: name -> (analysis column ranges, prior tag map).
INPUTS = {
    "tags": ((TAGS,), GENRE_TAGS),
    "embeddings+tags": ((ANALYSIS_LAYOUT[("msd-musicnn", "penultimate")],
                         ANALYSIS_LAYOUT[("mtt-musicnn", "penultimate")], TAGS), GENRE_TAGS),
    "msd-tags": ((MSD_TAGS,), MSD_GENRE_TAGS),
    "msd-embeddings+msd-tags": ((ANALYSIS_LAYOUT[("msd-musicnn", "penultimate")], MSD_TAGS),
                                MSD_GENRE_TAGS),
}
MSD_INPUTS = ("msd-tags", "msd-embeddings+msd-tags")


def make_head(inputs: str, recipe: HeadRecipe):
    """The shipped builder's head (``tag_head.make_head``) reading ``inputs``' columns with
    ``inputs``' prior tag map."""
    parts, genre_tags = INPUTS[inputs]
    head = tag_head_make(replace(recipe, inputs="tags"), LABELS, genre_tags)
    return head.set_params(inputs__parts=tuple((p.start, p.stop) for p in parts))


def fit(inputs: str, recipe: HeadRecipe, songs):
    y = np.repeat(songs.labels, songs.n_windows)
    return make_head(inputs, recipe).fit(
        songs.windows, y, clf__sample_weight=window_weights(songs.labels, songs.n_windows))


def cross_validated(inputs: str, recipe: HeadRecipe, songs, splits) -> np.ndarray:
    out = np.zeros((len(songs.labels), len(LABELS)))
    for train, held in splits:
        out[held] = song_probabilities(fit(inputs, recipe, songs.subset(train)),
                                       songs.subset(held))
    return out


def zero_shot(rows: np.ndarray, genre_tags: dict) -> np.ndarray:
    """Window genre shares from the tags of ``rows`` (analysis rows) and a tag map, as
    :class:`~genriflow.models.zero_shot.ZeroShotGenreModel` computes them."""
    scores = tag_scores(rows[:, TAGS], {g: genre_tags[g] for g in LABELS}) + 1e-9
    return scores / scores.sum(axis=1, keepdims=True)


def song_zero_shot(songs, genre_tags: dict) -> np.ndarray:
    window, song = zero_shot(songs.windows, genre_tags), songs.song_of_window
    return np.stack([window[song == i].mean(axis=0) for i in range(len(songs.labels))])


def mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value of ``b`` against ``c`` discordant pairs."""
    from scipy.stats import binomtest

    return 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)


def interval(k: int, n: int) -> str:
    """``k/n``, the rate and its 95 % Wilson interval."""
    low, high = wilson_interval(k, n)
    return f"{k}/{n} {k / n:.3f} ({low:.3f}-{high:.3f})"


def rate(k: int, n: int, digits: int = 2) -> str:
    """The rate ``k/n`` and its 95 % Wilson interval, short (for a table's column)."""
    low, high = wilson_interval(k, n)
    return f"{k / n:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def table_row(name: str, figures: dict, genres: list[str], keeps: str) -> str:
    """A candidate's line: accuracy and each genre's recall with their Wilson intervals."""
    recall = figures["per_genre"]
    return (f"{name:<66}{rate(figures['correct'], figures['n'], 3):>20}"
            f"{figures['macro_recall']:7.3f} {keeps:>4}  "
            + " ".join(f"{rate(recall[g]['correct'], recall[g]['n']):<16}" for g in genres)
            ).rstrip()


def cross_validation(songs, splits) -> tuple[str, dict]:
    shipped_json = json.loads((Path(__file__).resolve().parents[1] / "src/genriflow/models/"
                               "builtin/gtzan/metrics.json").read_text())
    reference = shipped_json["selection"]["candidates"]
    zero = {name: recalls(songs.labels, np.array(LABELS)[song_zero_shot(songs, tags).argmax(1)],
                          LABELS) for name, tags in (("zero-shot", GENRE_TAGS),
                                                     ("msd zero-shot", MSD_GENRE_TAGS))}
    genres = list(zero["zero-shot"]["per_genre"])
    print("accuracy and each genre's recall with its 95 % Wilson interval; macro recall is "
          "the mean of the genres' recalls")
    print(f"{'candidate (out of fold, 194 clips)':<66}{'accuracy':>20}{'macro':>7} keeps  "
          + " ".join(f"{g:<16}" for g in genres))
    for name, figures in zero.items():
        print(table_row(name + " (nothing fitted)", figures, genres, "-"))
    grid = sorted({(r.C, r.intercept_C) for r in CANDIDATES})
    scores, probabilities = {}, {}
    for inputs in INPUTS:
        for c, ic in grid:
            recipe = HeadRecipe("tags", C=c, intercept_C=ic)
            name = recipe.name.replace("tags", inputs, 1)
            proba = cross_validated(inputs, recipe, songs, splits)
            figures = recalls(songs.labels, np.array(LABELS)[proba.argmax(1)], LABELS)
            keeps = all(figures["per_genre"][g]["recall"] >= 0.5 * v["recall"]
                        for g, v in zero["zero-shot"]["per_genre"].items())
            scores[name] = {"inputs": inputs, "recipe": recipe, "figures": figures,
                            "keeps": keeps}
            probabilities[name] = proba
            check = ""
            if name in reference:
                same = (abs(reference[name]["accuracy"] - figures["accuracy"]) < 1e-9
                        and abs(reference[name]["macro_recall"] - figures["macro_recall"])
                        < 1e-9)
                check = "  = metrics.json" if same else "  != metrics.json"
            print(table_row(name, figures, genres, "yes" if keeps else "no") + check)

    def chosen(names):
        allowed = [n for n in names if scores[n]["keeps"]] or list(names)
        return max(allowed, key=lambda n: (round(scores[n]["figures"]["macro_recall"], 6),
                                           scores[n]["figures"]["accuracy"]))

    shipped = chosen([n for n in scores if scores[n]["inputs"] in ("tags", "embeddings+tags")])
    msd = chosen([n for n in scores if scores[n]["inputs"] in MSD_INPUTS])
    # The rule against the msd zero-shot instead (a weaker guard: it knows no classical).
    msd_guard = {n for n in scores if scores[n]["inputs"] in MSD_INPUTS and all(
        scores[n]["figures"]["per_genre"][g]["recall"] >= 0.5 * v["recall"]
        for g, v in zero["msd zero-shot"]["per_genre"].items())}
    msd_alt = max(msd_guard or [n for n in scores if scores[n]["inputs"] in MSD_INPUTS],
                  key=lambda n: (round(scores[n]["figures"]["macro_recall"], 6),
                                 scores[n]["figures"]["accuracy"]))
    print("\nchosen by the rule (guard: half of the shipped zero-shot's recall per genre):")
    for label, name in (("shipped inputs", shipped), ("msd-only inputs", msd)):
        f = scores[name]["figures"]
        print(f"  {label:<16} {name}: accuracy {interval(f['correct'], f['n'])}, "
              f"macro recall {f['macro_recall']:.3f}")
    print(f"  msd-only, guard against the msd zero-shot instead: {msd_alt}")
    top_s = probabilities[shipped].argmax(1)
    top_m = probabilities[msd].argmax(1)
    truth = np.array([LABELS.index(g) for g in songs.labels])
    only_s = int(((top_s == truth) & (top_m != truth)).sum())
    only_m = int(((top_m == truth) & (top_s != truth)).sum())
    print(f"  paired: right only with the shipped inputs {only_s}, only msd-only {only_m} "
          f"(exact McNemar p = {mcnemar(only_s, only_m):.3f})")
    for g in ("classical", "blues", "rock"):
        for label, name in (("shipped", shipped), ("msd-only", msd)):
            v = scores[name]["figures"]["per_genre"][g]
            print(f"  {g} recall, {label}: {interval(v['correct'], v['n'])}")
    print(f"  out-of-fold top genre of the two chosen heads the same: "
          f"{interval(int((top_s == top_m).sum()), len(top_s))}")
    return msd, scores[msd]


def reject_check(songs, splits, far_out: Path) -> None:
    """The ``music-distance`` reject rule on each network's embeddings: threshold at 97.5 %
    of the out-of-fold training songs, far-out clips (an .npz as ``analyse`` writes) refused."""
    from genriflow.models.reject import ClassMeans
    from genriflow.training.tag_head import Songs

    far = np.load(far_out)
    kinds = np.array([Path(p).parent.name for p in far["paths"]])
    far_songs = Songs(far["musicnn"].astype(np.float64), far["n_windows"], kinds, kinds)
    print(f"\nreject rule (music-distance) per embedding; far-out clips of {far_out}:")
    for part in (("mtt-musicnn", "penultimate"), ("msd-musicnn", "penultimate"),
                 ("msd-musicnn", "mean_pool"), ("msd-musicnn", "max_pool")):
        columns = ANALYSIS_LAYOUT[part]
        oof = np.zeros(len(songs.labels))
        for train, held in splits:
            fitted = songs.subset(train)
            stats = ClassMeans.fit(fitted.song_means()[:, columns], fitted.labels)
            oof[held] = stats.background(songs.subset(held).song_means()[:, columns])
        threshold = float(np.quantile(oof, 0.975))
        stats = ClassMeans.fit(songs.song_means()[:, columns], songs.labels)
        scores = stats.background(far_songs.song_means()[:, columns])
        print(f"  {' '.join(part):<26} threshold {threshold:6.2f}, refused: " + ", ".join(
            f"{k} {interval(int((scores[kinds == k] > threshold).sum()), int((kinds == k).sum()))}"
            for k in sorted(set(kinds))))


def whole_songs(folders: list[Path], store: Path) -> list[tuple[str, dict, np.ndarray]]:
    """Each song of ``folders`` analysed whole: its path, its genres per patch for each model
    (``stopping_rule.load``) and its ``musicnn`` analysis rows, from ``store``."""
    from stopping_rule import load

    from genriflow.features.extract import extract
    from genriflow.features.options import RunOptions
    from genriflow.features.sampling import Sampling
    from genriflow.features.sets import FeatureConfig

    with contextlib.redirect_stdout(sys.stderr):  # load's progress bars, not the figures
        songs = load(folders, store)
    result = extract([s.path for s in songs], FeatureConfig(set="musicnn"),
                     sampling=Sampling(full=True), options=RunOptions(store=store, n_jobs=1))
    rows = {f.path: np.asarray(f.values, dtype=np.float64) for f in result.files}
    return [(s.path, s.genres, rows[s.path]) for s in songs if s.path in rows]


def far_out_file(path: Path) -> Path:
    """``path``, written first from ``far_out_analysis`` where it does not exist."""
    if not path.is_file():
        print(f"{path} missing: analysing far_out_analysis's clips (tools/default_head.py) "
              "into it ...")
        analysis = far_out_analysis(None)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **analysis)
    return path


def agreement(name: str, genres: list[np.ndarray], n_tags: list[int]) -> None:
    from stopping_rule import Song, replay

    from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling

    shipped = Sampling(excerpts=DEFAULT_SAMPLING.excerpts, first=DEFAULT_SAMPLING.first,
                       margin=DEFAULT_SAMPLING.margin)
    rules = {f"adaptive (first {shipped.first}, at most {shipped.excerpts}, margin "
             f"{shipped.margin:g})": (shipped, True)}
    rules.update({f"fixed {c}": (Sampling(excerpts=c), False) for c in (12, 16, 24, 32)})
    for label, (sampling, adaptive) in rules.items():
        agree, counts = 0, []
        for P, n in zip(genres, n_tags, strict=True):
            song = Song("", {"m": P}, np.zeros((n, 100)), "")
            chosen = replay(song, replace(sampling), "m" if adaptive else None)
            agree += song.agrees("m", chosen)
            counts.append(len(chosen))
        print(f"  {name:<24}{label:<42}{interval(agree, len(genres)):<28}"
              f"{np.mean(counts):6.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="From a fresh clone: --cache FILE is written by this script when missing (or "
               "by python tools/build_default_model.py --only gtzan --cache FILE); --far-out "
               "FILE is written by this script when missing, from tools/default_head.py's "
               "far_out_analysis (10 clips of each far-out kind, 30 s, seed 0, and 4 "
               "near-silent ones).")
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"),
                        help="the shared data folder holding gtzan-sample and "
                             "gtzan-train-audio (the 194 training-side clips)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="the 194 clips' musicnn analyses (.npz, as tools/default_head.py's "
                             "analyse writes it); analysed from --data and written when missing")
    parser.add_argument("--folders", type=Path, nargs="+", default=None,
                        help="folders of unlabelled songs, analysed whole into --full-store "
                             "(benchmarks/stopping_rule.py's load)")
    parser.add_argument("--full-store", type=Path, default=None,
                        help="the analysis store of --folders' whole songs (reused where it "
                             "holds them)")
    parser.add_argument("--far-out", type=Path, default=None,
                        help="far-out clips' analyses (.npz) for the reject-rule check; "
                             "written from tools/default_head.py's far_out_analysis when "
                             "missing")
    args = parser.parse_args(argv)
    if (args.folders is None) != (args.full_store is None):
        raise SystemExit("--folders and --full-store go together")
    for folder in args.folders or ():
        if not folder.is_dir():
            raise SystemExit(f"{folder}: not a folder (--folders)")
    print("$ python " + shlex.join(["benchmarks/msd_head.py",
                                    *(sys.argv[1:] if argv is None else argv)]))
    from threadpoolctl import threadpool_limits

    print("msd-only prior: genres with no msd: tag: "
          + ", ".join(g for g, t in MSD_GENRE_TAGS.items() if not t))
    with threadpool_limits(limits=1):
        songs = songs_of(analyse(clip_paths(args.data), args.cache))
        splits = folds(songs, n_folds=N_FOLDS, seed=SEED)
        name, best = cross_validation(songs, splits)
        if args.far_out is not None:
            reject_check(songs, splits, far_out_file(args.far_out))
        if args.folders is None:
            return
        head = fit(best["inputs"], best["recipe"], songs)
        from genriflow.models.folder import load_model

        shipped = load_model("gtzan")
        tracks = whole_songs(args.folders, args.full_store)
        print(f"\n{len(tracks)} whole songs (--folders); msd head = {name}, fitted on all "
              "194 clips")
        msd_genres, ship_genres, n_patches = [], [], []
        top = {"msd head": [], "gtzan (classify)": [], "gtzan (on the rows)": [],
               "zero-shot": [], "msd zero-shot": []}
        for _path, stored, rows in tracks:
            P = head.predict_proba(rows)
            msd_genres.append(P)
            ship_genres.append(stored["gtzan"])
            n_patches.append(len(rows))
            top["msd head"].append(P.mean(0).argmax())
            top["gtzan (classify)"].append(stored["gtzan"].mean(0).argmax())
            top["gtzan (on the rows)"].append(shipped.predict_proba(rows).mean(0).argmax())
            top["zero-shot"].append(zero_shot(rows, GENRE_TAGS).mean(0).argmax())
            top["msd zero-shot"].append(zero_shot(rows, MSD_GENRE_TAGS).mean(0).argmax())
        top = {k: np.array(v) for k, v in top.items()}
        n = len(tracks)
        for a, b in (("gtzan (on the rows)", "gtzan (classify)"),
                     ("msd head", "gtzan (classify)"), ("msd head", "zero-shot"),
                     ("msd zero-shot", "zero-shot"), ("gtzan (classify)", "zero-shot")):
            print(f"  whole-song top genre, {a} = {b}: "
                  f"{interval(int((top[a] == top[b]).sum()), n)}")
        for k in ("msd head", "gtzan (classify)"):
            counts = np.bincount(top[k], minlength=len(LABELS))
            print(f"  {k} top genres: " + ", ".join(f"{LABELS[i]} {c}" for i, c in
                                                     enumerate(counts) if c))
        from collections import Counter

        pairs = Counter((LABELS[a], LABELS[b]) for a, b in
                        zip(top["gtzan (classify)"], top["msd head"], strict=True) if a != b)
        print("  disagreements (gtzan -> msd head): "
              + ", ".join(f"{a}->{b} {c}" for (a, b), c in pairs.most_common(8)))
        print(f"\n  {'model':<24}{'rule':<40}{'agree with own whole song':<28}excerpts")
        agreement("gtzan (shipped)", ship_genres, n_patches)
        agreement("msd head", msd_genres, n_patches)


if __name__ == "__main__":
    main()
