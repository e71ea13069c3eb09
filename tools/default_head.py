"""Build the default ``gtzan`` model: a head on the musicnn taggers, chosen by grouped CV.

Used by ``tools/build_default_model.py`` (``--only gtzan``) and by
``benchmarks/default_model.py``. The protocol:

1. Songs: the 194 training-side GTZAN clips with audio (``shared/data/gtzan-sample``, 47,
   and ``shared/data/gtzan-train-audio``, 147). Each is analysed as ``genriflow predict``
   does it (12 excerpts of 3 s, the ``musicnn`` analysis of each). No valid or test clip.
2. Folds: 5 stratified folds, grouped by blocks of 10 clip numbers within a genre (an
   artist proxy), seed 0.
3. Candidates: the head's inputs (``tags`` or ``embeddings+tags``) and its two penalties,
   each cross-validated. The rule: the highest macro recall among the candidates that
   keep, on every genre, at least half of the zero-shot model's cross-validated recall
   (a head must not forget what the taggers know of a genre with few clips); ties go to
   the higher accuracy. Set before the final build, written into ``metrics.json``.
4. The reject rule (``music-distance``): each song's distance from the statistics of the
   other folds; the threshold accepts 97.5 % of those out-of-fold scores. Far-out clips
   (noise, babble, near-silence) are scored against the final statistics.
5. The chosen recipe refitted on all 194 songs is shipped; the figures in ``metrics.json``
   are the cross-validated ones (out of fold), never the refitted model's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from genriflow.datasets.gtzan import GTZAN_GENRES, clip_key, fault_filtered_split
from genriflow.datasets.splits import SplitConfig
from genriflow.features.sets import FeatureConfig
from genriflow.intervals import wilson_interval
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.reject import OpenSet, RejectRule
from genriflow.models.zero_shot import GENRE_TAGS, ZeroShotGenreModel
from genriflow.training.tag_head import (
    HeadRecipe,
    Songs,
    cross_validated,
    cross_validated_music_distance,
    fewer_than_folds,
    fit_head,
    folds,
    music_statistics,
    recalls,
    window_weights,
)

SEED = 0
N_FOLDS = 5
#: The share of out-of-fold training songs the reject threshold accepts.
ACCEPT = 0.975
LABELS = list(GTZAN_GENRES)
CANDIDATES = [HeadRecipe(inputs, C=c, intercept_C=ic)
              for inputs in ("tags", "embeddings+tags")
              for c in (1e-4, 3e-4, 1e-3) for ic in (0.03, 0.1)]
RULE = ("highest cross-validated macro recall among the candidates whose recall on every "
        "genre is at least half of zero-shot's cross-validated recall on it; ties: higher "
        "accuracy")


def clip_paths(data: Path) -> list[Path]:
    """The 194 training-side clips, in a fixed order."""
    paths = (sorted((data / "gtzan-sample" / "genres_original").glob("*/*.wav"))
             + sorted((data / "gtzan-train-audio" / "genres_original").glob("*/*.flac")))
    if len(paths) != 194:
        raise SystemExit(f"{data}: expected 194 training-side GTZAN clips, found {len(paths)}")
    return paths


def analyse(paths: list[Path], cache: Path | None, *, sets: tuple[str, ...] = ("musicnn",),
            log: Callable[[str], None] = print) -> dict[str, np.ndarray]:
    """Each file's windows of the ``musicnn`` analysis (12 excerpts, as predict), and the
    central clip's ``kaggle`` features when asked; kept in ``cache`` (an .npz) if given."""
    if cache is not None and cache.is_file():
        stored = dict(np.load(cache))
        if list(stored["paths"]) == [str(p) for p in paths] and all(s in stored for s in sets):
            return stored
    from genriflow.features.extract import extract_sets
    from genriflow.features.options import RunOptions

    configs = [FeatureConfig(set="musicnn")]
    if "kaggle" in sets:
        configs.append(FeatureConfig(set="kaggle", clip_seconds=30.0))
    log(f"analysing {len(paths)} files ({', '.join(sets)}) ...")
    result = extract_sets([str(p) for p in paths], configs, options=RunOptions(store=None))
    if result["musicnn"].errors:
        raise SystemExit(f"unreadable: {result['musicnn'].errors}")
    files = result["musicnn"].files
    out = {"paths": np.array([str(p) for p in paths]),
           "n_windows": np.array([len(f.values) for f in files]),
           "musicnn": np.concatenate([np.asarray(f.values) for f in files]).astype(np.float32)}
    if "kaggle" in sets:
        out["kaggle"] = np.stack([f.row() for f in result["kaggle"].files])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **out)
    return out


def songs_of(analysis: dict[str, np.ndarray]) -> Songs:
    paths = [Path(p) for p in analysis["paths"]]
    keys = np.array([re.sub(r"\.(wav|flac|au)$", "", p.name) for p in paths])
    return Songs(analysis["musicnn"].astype(np.float64), analysis["n_windows"],
                 np.array([p.parent.name for p in paths]), keys)


def zero_shot_probabilities(songs: Songs) -> np.ndarray:
    window = ZeroShotGenreModel().predict_proba(songs.windows[:, :100])
    song = songs.song_of_window
    return np.stack([window[song == i].mean(axis=0) for i in range(len(songs.labels))])


def with_intervals(figures: dict) -> dict:
    """``recalls`` figures with 95 % Wilson intervals on accuracy and each recall."""
    out = dict(figures)
    out["interval"] = [round(v, 4) for v in wilson_interval(figures["correct"], figures["n"])]
    out["per_genre"] = {g: {**v, "interval": [round(x, 4) for x in
                                              wilson_interval(v["correct"], v["n"])]}
                        for g, v in figures["per_genre"].items()}
    return out


def select(songs: Songs, splits, *, log: Callable[[str], None] = print) -> dict:
    """Every candidate's cross-validated figures and the chosen one (:data:`RULE`)."""
    zero = recalls(songs.labels, np.array(LABELS)[zero_shot_probabilities(songs).argmax(1)],
                   LABELS)
    scores = {}
    for recipe in CANDIDATES:
        proba = cross_validated(recipe, songs, LABELS, GENRE_TAGS, splits)
        figures = recalls(songs.labels, np.array(LABELS)[proba.argmax(1)], LABELS)
        keeps = all(figures["per_genre"][g]["recall"] >= 0.5 * v["recall"]
                    for g, v in zero["per_genre"].items())
        scores[recipe.name] = {"recipe": recipe.to_dict(), "accuracy": figures["accuracy"],
                               "macro_recall": figures["macro_recall"], "keeps_zero_shot": keeps,
                               "recall": {g: round(v["recall"], 4)
                                          for g, v in figures["per_genre"].items()}}
        log(f"  {recipe.name:52s} accuracy {figures['accuracy']:.3f}  macro recall "
            f"{figures['macro_recall']:.3f}  {'keeps' if keeps else 'forgets'} zero-shot")
    allowed = [n for n in scores if scores[n]["keeps_zero_shot"]] or list(scores)
    chosen = max(allowed, key=lambda n: (round(scores[n]["macro_recall"], 6),
                                         scores[n]["accuracy"]))
    return {"rule": RULE, "chosen": chosen, "candidates": scores,
            "zero_shot": {"accuracy": zero["accuracy"], "macro_recall": zero["macro_recall"]}}


#: Levels of the near-silent far-out clips (Gaussian noise, standard deviation).
SILENCE_LEVELS = (0.0, 1e-5, 1e-4, 1e-3)
#: What a far-out cache holds; a cache of another recipe is recomputed.
FAR_OUT_RECIPE = f"10 a kind, 30 s, seed {SEED}, silences {SILENCE_LEVELS}"


def far_out_analysis(cache: Path | None, *, log: Callable[[str], None] = print) -> dict:
    """Far-out clips (10 of each noise and babble kind, 30 s, seed 0; and 4 near-silent
    ones) analysed as predict does; kept in ``cache`` (an .npz) if given.

    The clips are written to a temporary folder, so the cache is keyed by their names
    within it (kind/file) and by :data:`FAR_OUT_RECIPE`, not by their paths."""
    import tempfile

    import soundfile as sf

    from genriflow.datasets.synthetic.farout import write_far_out

    if cache is not None and cache.is_file():
        stored = dict(np.load(cache))
        if str(stored.get("recipe")) == FAR_OUT_RECIPE:
            return stored
    with tempfile.TemporaryDirectory(prefix="genriflow-far-out-") as folder:
        paths = write_far_out(folder, per_kind=10, seconds=30.0, seed=SEED)
        silence = Path(folder) / "silence"
        silence.mkdir()
        for i, level in enumerate(SILENCE_LEVELS):
            y = np.random.default_rng([SEED, i]).standard_normal(30 * 22050) * level
            sf.write(silence / f"silence.{i:05d}.wav", y.astype(np.float32), 22050,
                     subtype="FLOAT")
            paths.append(silence / f"silence.{i:05d}.wav")
        analysis = analyse(sorted(paths), None, log=log)
        analysis["paths"] = np.array([str(Path(p).relative_to(folder))
                                      for p in analysis["paths"]])
    analysis["kinds"] = np.array([Path(p).parent.name for p in analysis["paths"]])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, recipe=np.array(FAR_OUT_RECIPE), **analysis)
    return analysis


def outside_the_train_list(paths: list[Path]) -> list[str]:
    """The keys of the clips among ``paths`` that GTZAN's fault-filtered train list does
    not hold (of the 194: the 7 of ``gtzan-sample`` that the lists exclude)."""
    split = fault_filtered_split()
    return sorted(k for k in (clip_key(p.name) for p in paths) if split.get(k) != "train")


def build_gtzan(data: Path, out: Path, *, cache: Path | None = None,
                log: Callable[[str], None] = print) -> dict:
    """Select, fit and write the ``gtzan`` folder; return its metrics."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        songs = songs_of(analyse(clip_paths(data), cache, log=log))
        splits = folds(songs, n_folds=N_FOLDS, seed=SEED)
        log(f"{len(songs.labels)} songs, {int(songs.n_windows.sum())} windows; candidates "
            f"({N_FOLDS}-fold grouped CV):")
        few = fewer_than_folds(songs.labels, N_FOLDS)
        if few:
            log("fewer songs than folds, so held out in fewer folds than the others: "
                + ", ".join(f"{g} ({n})" for g, n in few.items()))
        selection = select(songs, splits, log=log)
        recipe = HeadRecipe(**selection["candidates"][selection["chosen"]]["recipe"])
        proba = cross_validated(recipe, songs, LABELS, GENRE_TAGS, splits)
        oof_distance = cross_validated_music_distance(songs, splits)
        threshold = float(np.quantile(oof_distance, ACCEPT))
        head = fit_head(recipe, songs, LABELS, GENRE_TAGS)
        stats = music_statistics(songs)
        far = far_out_analysis(None if cache is None else cache.with_name("far-out.npz"),
                               log=log)
    far_songs = Songs(far["musicnn"].astype(np.float64), far["n_windows"], far["kinds"],
                      far["kinds"])
    from genriflow.features.embeddings import ANALYSIS_LAYOUT

    far_scores = stats.background(
        far_songs.song_means()[:, ANALYSIS_LAYOUT[("mtt-musicnn", "penultimate")]])
    refused = {k: {"n": int((far["kinds"] == k).sum()),
                   "refused": int((far_scores[far["kinds"] == k] > threshold).sum())}
               for k in sorted(set(far["kinds"]))}
    predicted = np.array(LABELS)[proba.argmax(1)]
    unknown = oof_distance > threshold
    figures = with_intervals(recalls(songs.labels, predicted, LABELS))
    per_genre_unknown = {g: int(unknown[songs.labels == g].sum())
                         for g in LABELS if (songs.labels == g).any()}
    metrics = {
        "model": "gtzan",
        "description": ("GTZAN genres from the musicnn taggers: a logistic head on each 3 s "
                        "window's analysis, starting from the zero-shot genre shares "
                        f"({recipe.name}); a song is the mean of its windows"),
        "data": ("the 194 training-side GTZAN clips with audio (shared/data/gtzan-sample 47, "
                 "shared/data/gtzan-train-audio 147); no valid or test clip"),
        "protocol": (f"{N_FOLDS}-fold stratified cross-validation grouped by blocks of 10 "
                     "clip numbers within a genre (seed 0); candidates chosen by the rule; "
                     "the chosen recipe refitted on all 194 clips is shipped"),
        "class_counts": {g: int((songs.labels == g).sum()) for g in LABELS},
        "selection": selection,
        "recipe": recipe.to_dict(),
        "zero_shot": {**with_intervals(recalls(
            songs.labels, np.array(LABELS)[zero_shot_probabilities(songs).argmax(1)], LABELS)),
            "part": "the same 194 clips (nothing fitted)"},
        "cross_validation": {**figures, "part": "out of fold, 194 training-side clips",
                             "unknown": int(unknown.sum()),
                             "unknown_rate": float(unknown.mean()),
                             "unknown_per_genre": per_genre_unknown},
        "open_set": {"score": "music-distance", "threshold": threshold,
                     "chosen_on": "out-of-fold scores of the 194 training-side clips",
                     "accepts": ACCEPT, "far_out_refused": refused},
    }
    config = {"model": "gtzan", "description": metrics["description"],
              "recipe": recipe.to_dict(), "seed": SEED,
              # Trained on training-side clips only (fault-filtered train, and 7 clips the
              # split excludes): `genriflow evaluate gtzan GTZAN/` scores the test part.
              "train": {"model": "gtzan", "split": asdict(SplitConfig(
                  method="gtzan-fault-filtered", seed=SEED)),
                        # what `evaluate --part all` counts as seen: the train list, and
                        # the clips of the 194 that GTZAN's lists leave out
                        "fitted_on": ["train"],
                        "fitted_on_clips": outside_the_train_list(clip_paths(data))},
              "data": metrics["data"]}
    model = ClassicalGenreModel(head, FeatureConfig(set="musicnn"), config)
    model.open_set = OpenSet(RejectRule("music-distance", threshold, ACCEPT,
                                        "grouped-cv out-of-fold training songs"), stats)
    if out.exists():
        for old in out.iterdir():
            if old.is_file():
                old.unlink()
    model.save(out, metrics)
    log(f"chosen {recipe.name}: CV accuracy {figures['accuracy']:.3f} "
        f"({figures['interval'][0]:.3f}-{figures['interval'][1]:.3f}), macro recall "
        f"{figures['macro_recall']:.3f}; unknown {unknown.mean():.3f} of in-genre songs; "
        f"far out refused {json.dumps(refused)}")
    return metrics


def build_library(data: Path, out: Path, *, cache: Path | None = None,
                  log: Callable[[str], None] = print) -> dict:
    """Write the ``library-genres`` folder (the map is ``out/genre_tags.json``, edited by
    hand: the vocabulary is data); its ``min_evidence`` is the 5 % quantile of the
    training-side GTZAN clips' strongest genre score. Figures on the 194 clips are
    in-sample for the head (it was fitted on them)."""
    from genriflow.models.base import song_unknown_score
    from genriflow.models.folder import load_model
    from genriflow.models.vocabulary import MAP_FILE, VocabularyGenreModel, read_genre_map

    head = load_model(out.parent / "gtzan")
    genre_map = read_genre_map(out / MAP_FILE)
    songs = songs_of(analyse(clip_paths(data), cache, log=log))
    probe = VocabularyGenreModel(genre_map, head, 0.0)
    song = songs.song_of_window
    evidence = np.array([probe.evidence(songs.windows[song == i])
                         for i in range(len(songs.labels))])
    min_evidence = round(float(np.quantile(evidence, 0.05)), 4)
    about = json.loads((out / MAP_FILE).read_text())["about"]
    config = {"model": "library-genres", "head": "gtzan", "min_evidence": min_evidence,
              "about": about,
              "description": ("GTZAN's ten genres and nine more from the taggers' tags "
                              "(genre_tags.json); the gtzan head splits the GTZAN share")}
    model = VocabularyGenreModel(genre_map, head, min_evidence, config=config)
    predicted, unknown = [], []
    for i in range(len(songs.labels)):
        rows = songs.windows[song == i]
        predicted.append(model.labels[int(model.predict_proba(rows).mean(axis=0).argmax())])
        distant = bool(head.open_set.rule.rejects(song_unknown_score(model, rows)))
        unknown.append(model.no_genre_fits(rows, distant))
    far = far_out_analysis(None, log=log)
    far_song = np.repeat(np.arange(len(far["n_windows"])), far["n_windows"])
    refused = {}
    for kind in sorted(set(far["kinds"])):
        idx = np.where(far["kinds"] == kind)[0]
        hits = 0
        for i in idx:
            rows = far["musicnn"][far_song == i].astype(np.float64)
            distant = bool(head.open_set.rule.rejects(song_unknown_score(model, rows)))
            hits += model.no_genre_fits(rows, distant)
        refused[kind] = {"n": len(idx), "refused": int(hits)}
    figures = with_intervals(recalls(songs.labels, np.array(predicted), model.labels))
    metrics = {"model": "library-genres", "min_evidence": min_evidence,
               "min_evidence_chosen_on": ("5 % quantile of the strongest genre score of the "
                                          "194 training-side GTZAN clips"),
               "gtzan_clips": {**figures, "part": ("the 194 training-side GTZAN clips; "
                                                   "in-sample for the gtzan head"),
                               "unknown": int(np.sum(unknown)),
                               "unknown_rate": float(np.mean(unknown))},
               "far_out_refused": refused}
    model.save(out, metrics)
    log(f"library-genres: min_evidence {min_evidence}; GTZAN clips (head in-sample) accuracy "
        f"{figures['accuracy']:.3f}, macro recall {figures['macro_recall']:.3f}, unknown "
        f"{np.mean(unknown):.3f}; far out refused {json.dumps(refused)}")
    return metrics


def build_moods(data: Path, out: Path, *, cache: Path | None = None,
                log: Callable[[str], None] = print) -> dict:
    """Write ``out`` (``builtin/moods.json``): each mood's raw score quantiles (0 to 100 %)
    over the 194 training-side GTZAN clips, every genre weighing the same (the base rates
    the moods are ranked against)."""
    from genriflow.models.zero_shot import MOOD_TAGS, tag_scores

    songs = songs_of(analyse(clip_paths(data), cache, log=log))
    raw = tag_scores(songs.song_means()[:, :100], MOOD_TAGS)
    weights = window_weights(songs.labels, np.ones(len(songs.labels), dtype=int))
    levels = np.linspace(0.0, 1.0, 101)
    quantiles = {}
    for j, mood in enumerate(MOOD_TAGS):
        order = np.argsort(raw[:, j])
        cumulative = np.cumsum(weights[order]) / weights.sum()
        quantiles[mood] = [round(float(v), 6) for v in
                           np.interp(levels, cumulative, raw[order, j])]
    reference = {"about": ("Quantiles (0 %, 1 %, ..., 100 %) of each mood's raw tag score "
                           "(genriflow.models.zero_shot.MOOD_TAGS) over the reference "
                           "songs; a song's mood score is its rank among them."),
                 "reference": ("the 194 training-side GTZAN clips with audio, every genre "
                               "weighing the same (12 excerpts each, as predict)"),
                 "quantiles": quantiles}
    out.write_text(json.dumps(reference, indent=1) + "\n")
    log(f"moods: reference quantiles of {len(MOOD_TAGS)} moods written to {out}")
    return reference
