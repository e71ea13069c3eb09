"""Built-in models: ready to use by name, with no model folder.

:func:`genriflow.models.folder.load_model` takes one of these names wherever it takes a
model folder; a folder of the same name wins.

``gtzan`` (the default)
    A head on the musicnn taggers' analysis of each 3 s window
    (:mod:`genriflow.models.heads`), starting from the zero-shot genre shares and trained
    on the 194 training-side GTZAN clips with audio; chosen by grouped cross-validation
    (``tools/default_head.py``). Its reject rule is the ``music-distance`` of the song's
    mean embedding. Shipped in ``genriflow/models/builtin/gtzan/``.
``gtzan-fusion`` (the default before it)
    ``gtzan-table`` and ``zero-shot`` together: the mean of their song-level probabilities
    (:class:`~genriflow.models.fusion.FusedGenreModel`, a fixed rule), sharpened by the
    temperature in ``genriflow/models/builtin/gtzan-fusion/fusion.json``
    (:func:`fusion_settings`).
``gtzan-table``
    A classical model on the 57 ``kaggle`` features, fitted on the real GTZAN clips of the
    Kaggle feature table (fault-filtered split), shipped as a model folder in
    ``genriflow/models/builtin/gtzan-table/`` and loaded like any other folder (the same
    trusted-types check). ``tools/build_default_model.py`` builds it.
``library-genres``
    GTZAN's ten genres and nine more a modern library holds (electronic, ambient, folk,
    soul-rnb, punk, funk, world, soundtrack, experimental), from the taggers' tags by the
    map ``genre_tags.json`` with the ``gtzan`` head splitting the GTZAN genres
    (:mod:`genriflow.models.vocabulary`); what ``library classify`` uses by default.
``zero-shot``
    GTZAN's genres from the pretrained musicnn taggers' tags, no training
    (:mod:`genriflow.models.zero_shot`).

:func:`describe_models` says what each was trained on and how accurate it is, with the
split of the figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the registry names models; loading one imports NumPy and the rest
    from genriflow.models.base import GenreClassifier

#: The model used wherever none is named (``genriflow.classify``, ``predict``): the
#: built-in GTZAN genre model.
DEFAULT_MODEL = "gtzan"
#: The model ``library classify`` uses when none is named: the library vocabulary.
DEFAULT_LIBRARY_MODEL = "library-genres"

#: The shipped model folders, by built-in name.
BUILTIN_FOLDERS: dict[str, Path] = {
    name: Path(__file__).resolve().parent / "builtin" / name
    for name in ("gtzan", "gtzan-table", "library-genres")
}


def builtin_folder(name: str) -> Path:
    """The shipped folder of the built-in model ``name`` (one of :data:`BUILTIN_FOLDERS`).

    Raises
    ------
    ModelError
        If the folder is missing from this installation.
    """
    from genriflow.models.base import ModelError

    folder = BUILTIN_FOLDERS[name]
    if not (folder / "config.json").is_file():
        raise ModelError(f"the built-in model {name} is missing ({folder}): reinstall "
                         "genriflow, or rebuild it with tools/build_default_model.py")
    return folder


def fusion_settings(name: str) -> dict:
    """The shipped settings of the built-in fusion ``name`` (``temperature`` and how it
    was fitted), written by ``tools/build_default_model.py``.

    Raises
    ------
    ModelError
        If the file is missing from this installation.
    """
    from genriflow.models.base import ModelError

    path = Path(__file__).resolve().parent / "builtin" / name / FUSION_FILE
    if not path.is_file():
        raise ModelError(f"the built-in model {name} is missing {path}: reinstall genriflow, "
                         "or rebuild it with tools/build_default_model.py")
    return json.loads(path.read_text())


def _zero_shot(device: str) -> GenreClassifier:
    from genriflow.models.zero_shot import ZeroShotGenreModel

    return ZeroShotGenreModel()


#: Built-in fused models: name -> the built-in models averaged per song
#: (:class:`~genriflow.models.fusion.FusedGenreModel`, built by ``load_model``).
BUILT_IN_FUSIONS: dict[str, tuple[str, ...]] = {
    "gtzan-fusion": ("gtzan-table", "zero-shot"),
}

#: The file of a built-in fusion's settings, in ``builtin/<name>/``.
FUSION_FILE = "fusion.json"


#: Built-in models without a folder: name -> factory ``(device) -> model``; a factory
#: imports its model only when called. (Those with a folder are in :data:`BUILTIN_FOLDERS`,
#: loaded by :func:`genriflow.models.folder.load_model` like any folder.)
BUILT_IN_MODELS: dict[str, Callable[[str], GenreClassifier]] = {
    "zero-shot": _zero_shot,
}


def available_models() -> list[str]:
    """The names of the built-in models:
    ``['gtzan', 'gtzan-fusion', 'gtzan-table', 'zero-shot']``."""
    return sorted([*BUILTIN_FOLDERS, *BUILT_IN_FUSIONS, *BUILT_IN_MODELS])


@dataclass(frozen=True)
class ModelDescription:
    """What a built-in model is, what it learnt from, and its honest accuracy.

    Attributes
    ----------
    name : str
        Its built-in name (``load_model(name)``).
    summary : str
        What it is, in a line.
    trained_on : str
        The data it was fitted on (``"nothing"`` for no training).
    chosen_on : str
        The data its model and settings were chosen on.
    tested_on : str
        The data of :attr:`accuracy`: never seen in fitting or choosing.
    accuracy : float
    correct, n : int
        The figure's counts.
    interval : tuple of float
        95 % Wilson score interval of :attr:`accuracy`.
    notes : str
        Anything else a user should know about the figure.
    macro_recall : float or None
        The mean of the per-genre recalls on the same songs (the genres are unbalanced).
    per_genre : dict
        Genre -> recall on the same songs (the genres present there).
    unknown_rate : float or None
        The share of those (real, in-genre) songs the model calls unknown; ``None`` for a
        model that never does.
    macro_recall_interval : tuple of float or None
        95 % interval of :attr:`macro_recall`: each genre's recall drawn from its Jeffreys
        posterior, like songs resampled within each genre but with width for a genre at
        0/n or n/n (:func:`~genriflow.intervals.macro_recall_counts_interval`).
    per_genre_counts : dict
        Genre -> ``(correct, n)``, the counts behind :attr:`per_genre` (a recall of 0 on
        one song is not one of 0 on fifty).
    unknown : int or None
        The count behind :attr:`unknown_rate`.
    """

    name: str
    summary: str
    trained_on: str
    chosen_on: str
    tested_on: str
    accuracy: float
    correct: int
    n: int
    interval: tuple[float, float]
    notes: str = ""
    macro_recall: float | None = None
    per_genre: dict = field(default_factory=dict)
    unknown_rate: float | None = None
    macro_recall_interval: tuple[float, float] | None = None
    per_genre_counts: dict = field(default_factory=dict)
    unknown: int | None = None


def describe_models() -> list[ModelDescription]:
    """One :class:`ModelDescription` per built-in model, in :func:`available_models` order.

    Every figure is read from the shipped ``metrics.json`` files, where
    ``tools/build_default_model.py`` recorded it: ``gtzan`` and ``zero-shot`` on the 194
    training-side GTZAN clips with audio (``gtzan`` out of fold, by grouped
    cross-validation), ``gtzan-table`` on the fault-filtered test part, ``gtzan-fusion``
    on the 47 clips of ``gtzan-sample``.
    """
    table = json.loads((BUILTIN_FOLDERS["gtzan-table"] / "metrics.json").read_text())
    head = json.loads((BUILTIN_FOLDERS["gtzan"] / "metrics.json").read_text())
    library = json.loads((BUILTIN_FOLDERS["library-genres"] / "metrics.json").read_text())
    described = {"gtzan": _describe_head(head), "gtzan-fusion": _describe_fused(table),
                 "gtzan-table": _describe_table(table),
                 "library-genres": _describe_library(library),
                 "zero-shot": _describe_zero_shot(head["zero_shot"])}
    return [described[name] for name in available_models() if name in described]


def _recalls(figures: dict) -> dict:
    """A description's recall fields from a figure's ``per_genre`` entry and its counts."""
    from genriflow.intervals import macro_recall_counts_interval

    genres = figures["per_genre"]
    counts = {g: (int(v["correct"]), int(v["n"])) for g, v in genres.items()}
    return {"macro_recall": float(figures["macro_recall"]),
            "macro_recall_interval": macro_recall_counts_interval(
                [c for c, _ in counts.values()], [n for _, n in counts.values()]),
            "per_genre": {g: round(float(v["recall"]), 4) for g, v in genres.items()},
            "per_genre_counts": counts}


def _describe_head(metrics: dict) -> ModelDescription:
    cv, rule = metrics["cross_validation"], metrics["open_set"]
    far = rule["far_out_refused"]
    refused = sum(v["refused"] for v in far.values())
    return ModelDescription(
        name="gtzan",
        summary=("a head on the musicnn taggers (each 3 s window's tags and embeddings), "
                 "starting from the zero-shot genre shares"),
        trained_on=_in_words(metrics["data"]),
        chosen_on=("5-fold cross-validation grouped by blocks of 10 clip numbers within a "
                   "genre, on the same 194 clips: input, penalties and reject threshold"),
        tested_on=(f"the same {cv['n']} clips out of fold (each from a head fitted without "
                   "its block; the recipe was chosen on these folds, so slightly "
                   "optimistic); GTZAN's valid and test parts were never used"),
        accuracy=float(cv["accuracy"]), correct=int(cv["correct"]), n=int(cv["n"]),
        interval=(float(cv["interval"][0]), float(cv["interval"][1])),
        notes=(f"unknown (music-distance of the song's mean embedding): "
               f"{cv['unknown']}/{cv['n']} in-genre clips out of fold, {refused}/"
               f"{sum(v['n'] for v in far.values())} far-out clips (noise, babble, "
               "near-silence); few clips of country, disco, metal, pop, reggae and rock, so "
               "their recalls are rough"),
        **_recalls(cv), unknown=int(cv["unknown"]), unknown_rate=float(cv["unknown_rate"]))


def _describe_library(metrics: dict) -> ModelDescription:
    clips, far = metrics["gtzan_clips"], metrics["far_out_refused"]
    refused = sum(v["refused"] for v in far.values())
    return ModelDescription(
        name="library-genres",
        summary=("GTZAN's ten genres and electronic, ambient, folk, soul-rnb, punk, funk, "
                 "world, soundtrack, experimental: a tag map, the gtzan head for GTZAN's"),
        trained_on="the gtzan head's 194 clips; the map (genre_tags.json) is written by hand",
        chosen_on=metrics["min_evidence_chosen_on"] + " (its unknown threshold)",
        tested_on=(f"the {clips['n']} training-side GTZAN clips, in-sample for the head "
                   "(optimistic); Debian's game music: see the docs' page Models and their "
                   "figures"),
        accuracy=float(clips["accuracy"]), correct=int(clips["correct"]), n=int(clips["n"]),
        interval=(float(clips["interval"][0]), float(clips["interval"][1])),
        notes=(f"unknown only when no genre fits: {clips['unknown']}/{clips['n']} GTZAN clips, "
               f"{refused}/{sum(v['n'] for v in far.values())} far-out clips (it calls pink "
               "and white noise electronic and babble jazz: use gtzan to refuse noise)"),
        **_recalls(clips), unknown=int(clips["unknown"]),
        unknown_rate=float(clips["unknown_rate"]))


def _describe_fused(metrics: dict) -> ModelDescription:
    fused, counts = metrics["sample"]["fused"], metrics["split"]["counts"]
    return ModelDescription(
        name="gtzan-fusion",
        summary=("the default before gtzan: the mean of gtzan-table's and zero-shot's "
                 "probabilities per song"),
        trained_on=(f"gtzan-table's {counts['train']} clips; zero-shot's taggers (nothing "
                    "from GTZAN)"),
        chosen_on=("gtzan-table's valid part; the rule (a plain mean) was chosen over a "
                   "product on the 47 clips below, so their figure is slightly optimistic"),
        tested_on=(f"the {fused['n']} real clips of {MINI_SUBSET} (never trained on; "
                   "training-side clips, their artists may be in train)"),
        accuracy=float(fused["accuracy"]), correct=int(fused["correct"]), n=int(fused["n"]),
        interval=(float(fused["interval"][0]), float(fused["interval"][1])),
        notes=("no test-part figure: the zero-shot half needs audio, and the test part's "
               "audio was kept out of the build; "
               + _calibration_note(metrics["sample"].get("fused_calibration"))
               + "; says unknown when gtzan-table's reject rule does"))


def _describe_table(metrics: dict) -> ModelDescription:
    test, counts = metrics["test"], metrics["split"]["counts"]
    audio = metrics["sample"]["audio"]
    return ModelDescription(
        name="gtzan-table",
        summary=metrics["description"],
        trained_on=(f"Kaggle GTZAN feature table: the fault-filtered train part less its "
                    f"40 clips in {MINI_SUBSET} ({counts['train']} real clips)"),
        chosen_on=f"fault-filtered valid part ({counts['valid']} clips)",
        tested_on=f"fault-filtered test part ({test['n']} clips, artists never shared)",
        accuracy=float(test["accuracy"]), correct=int(test["correct"]), n=int(test["n"]),
        interval=(float(test["interval"][0]), float(test["interval"][1])),
        notes=(f"from audio, on the 47 real clips of {MINI_SUBSET} (never trained "
               f"on, though their artists may be): {_figure(audio)}; "
               + _reject_note(metrics.get("open_set"))))


def _describe_zero_shot(zero: dict) -> ModelDescription:
    return ModelDescription(
        name="zero-shot",
        summary="GTZAN genres from the pretrained musicnn taggers' tags (never says reggae)",
        trained_on="nothing (musicnn: Million Song Dataset and MagnaTagATune tags)",
        chosen_on="nothing (a fixed tag-to-genre table)",
        tested_on=(f"the {zero['n']} training-side GTZAN clips with audio ({IN_WORDS[0][1]}, "
                   f"{IN_WORDS[1][1]})"),
        accuracy=float(zero["accuracy"]), correct=int(zero["correct"]), n=int(zero["n"]),
        interval=(float(zero["interval"][0]), float(zero["interval"][1])),
        notes=("the reggae clips cannot be right; its probabilities are relative beliefs, "
               "not calibrated"),
        **_recalls(zero))


#: The 47 real GTZAN clips the built-in models were scored on from audio, in words: the
#: repository's ``shared/data/gtzan-sample`` is no place a user of the package has.
MINI_SUBSET = "GTZAN's public mini subset"
#: The repository's data folders as the shipped ``metrics.json`` files name them
#: (``tools/default_head.py`` wrote them), and what a user reads instead.
IN_WORDS = (("shared/data/gtzan-sample 47", f"47 of {MINI_SUBSET}"),
            ("shared/data/gtzan-train-audio 147", "147 more of GTZAN's train part"))


def _in_words(text: str) -> str:
    """A recorded description with the repository's data folders described in words."""
    for path, words in IN_WORDS:
        text = text.replace(path, words)
    return text


def _calibration_note(calibration: dict | None) -> str:
    if calibration is None:
        return "probabilities not calibrated"
    before, after = calibration["before"], calibration["after"]
    return (f"probabilities sharpened by a temperature of {calibration['temperature']} fitted "
            f"on the 47 clips (cross-fitted calibration error {before['ece']:.3f} -> "
            f"{after['ece']:.3f})")


def _reject_note(rule: dict | None) -> str:
    if rule is None:
        return "no reject rule"
    return (f"reject rule: {rule['score']} score above {rule['threshold']:.2f} is unknown "
            f"(accepts {rule['valid_accepted']:.0%} of the valid part, "
            f"{rule['test_accepted']:.0%} of the test part)")


def _figure(figure: dict) -> str:
    return (f"{figure['accuracy']:.3f} ({figure['correct']}/{figure['n']}, 95 % interval "
            f"{figure['interval'][0]:.3f}-{figure['interval'][1]:.3f})")
