"""Train/validation/test assignments that keep evaluation honest.

Every method returns one or more assignments: a :class:`pandas.Series` aligned with the
dataset whose values are ``train``, ``valid``, ``test`` or ``excluded``. Hold-out methods
give one; k-fold gives k (fold i is the test part, fold i+1 the validation part).
Every method keeps the rows of one GTZAN clip (the ten segments of a 3-second feature
table) inside one part. Grouped methods also keep every ``group`` (artist, album) inside one
part: the data's own (a manifest's ``group`` column), else, where every file is GTZAN-named
(``blues.00012.wav``, a feature table's rows too), blocks of
:data:`~genriflow.datasets.gtzan.GROUP_SPAN` consecutive clip numbers within a genre, a
proxy for the artist (:func:`split_groups`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from genriflow.audio.formats import shown_name
from genriflow.datasets.discover import DatasetError
from genriflow.datasets.gtzan import GROUP_SPAN, clip_group, fault_filtered_split
from genriflow.datasets.split_config import PARTS as PARTS
from genriflow.datasets.split_config import SplitConfig as SplitConfig
from genriflow.errors import GenriflowWarning


def resolve_method(frame: pd.DataFrame, method: str = "auto") -> str:
    """The concrete split method ``auto`` stands for on this dataset."""
    if method != "auto":
        return method
    if "split" in frame and frame["split"].notna().all():
        return "manifest"
    if _looks_like_gtzan(frame):
        return "gtzan-fault-filtered"
    if "group" in frame and frame["group"].notna().all():
        return "stratified-grouped"
    return "stratified"


def _looks_like_gtzan(frame: pd.DataFrame) -> bool:
    """Nearly every file is a GTZAN clip, and they cover most of the fault-filtered lists."""
    if "key" not in frame or frame["key"].isna().mean() > 0.1:
        return False
    listed = set(fault_filtered_split())
    return len(listed & set(frame["key"].dropna())) >= 0.5 * len(listed)


def assign_splits(frame: pd.DataFrame, config: SplitConfig) -> list[pd.Series]:
    """Split a dataset.

    Parameters
    ----------
    frame : pandas.DataFrame
        A dataset with at least ``label``; ``key``, ``group`` and ``split`` where the method
        needs them.
    config : SplitConfig

    Returns
    -------
    list of pandas.Series
        One assignment per evaluation round (one, or ``n_folds`` for k-fold).
    """
    method = resolve_method(frame, config.method)
    labels = frame["label"].to_numpy()
    if method == "manifest":
        return [frame["split"].fillna("excluded").rename("split")]
    if method == "gtzan-fault-filtered":
        table = fault_filtered_split()
        return [frame["key"].map(table).fillna("excluded").rename("split")]
    groups = _groups(frame, grouped=method.endswith("-grouped"))
    if method.startswith("stratified"):
        parts = _holdout(labels, groups, config.ratios, config.seed)
        rounds = [pd.Series(parts, index=frame.index, name="split")]
    else:
        folds = _fold_ids(labels, groups, config.n_folds, config.seed)
        rounds = []
        for i in range(config.n_folds):
            parts = np.where(folds == i, "test",
                             np.where(folds == (i + 1) % config.n_folds, "valid", "train"))
            rounds.append(pd.Series(parts, index=frame.index, name="split"))
    names, counts = np.unique(labels, return_counts=True)
    # k-fold has named the labels with fewer files than folds already (_fold_ids)
    said = set() if len(rounds) == 1 else set(names[counts < config.n_folds])
    _warn_unlearnable(labels, rounds, method, said)
    return rounds


def _warn_unlearnable(labels: np.ndarray, rounds: list[pd.Series], method: str,
                      said: set) -> None:
    """Warn of labels held out whole: a grouped split moves a label that is one group (all
    ten GTZAN clips of a genre in one block) into test or valid entire, where the model,
    never trained on it, can only be wrong."""
    missing: dict[str, set[str]] = {}
    for parts in rounds:
        parts = parts.to_numpy()
        trained = set(labels[parts == "train"])
        for part in ("test", "valid"):
            for label in set(labels[parts == part]) - trained - said:
                missing.setdefault(str(label), set()).add(part)
    if not missing:
        return
    listed = ", ".join(f"'{label}' (all in {' or '.join(p for p in PARTS if p in parts)})"
                       for label, parts in sorted(missing.items()))
    where = "" if len(rounds) == 1 else " in some folds"
    warnings.warn(GenriflowWarning(
        f"no training files of {listed}{where} under the {method} split, which holds out "
        "a label of too few groups whole: each of their files is scored by a model never "
        "trained on its label; add files of other groups, or leave the labels out"),
        stacklevel=3)


#: What ``metrics.json`` says of groups derived from GTZAN file names.
GTZAN_BLOCKS = (f"blocks of {GROUP_SPAN} consecutive clip numbers within a genre, from the "
                "GTZAN file names, a proxy for the artist")


def split_groups(frame: pd.DataFrame) -> pd.Series:
    """The group of each file that a grouped split keeps inside one part.

    Parameters
    ----------
    frame : pandas.DataFrame
        A dataset frame (``group`` and ``key`` columns where known).

    Returns
    -------
    pandas.Series
        The data's ``group`` where every file has one; else, where every file is a GTZAN
        clip (``key``), its block of :data:`~genriflow.datasets.gtzan.GROUP_SPAN` clip
        numbers within its genre.

    Raises
    ------
    DatasetError
        When neither holds for every file: one line asking for a manifest's group column.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"label": ["blues"] * 3, "group": None,
    ...                       "key": ["blues.00003", "blues.00009", "blues.00012"]})
    >>> split_groups(frame).tolist()
    ['blues-0', 'blues-0', 'blues-1']
    """
    given = frame["group"] if "group" in frame else pd.Series(None, index=frame.index,
                                                                dtype=object)
    if given.notna().all():
        return given
    keys = frame["key"] if "key" in frame else pd.Series(None, index=frame.index,
                                                          dtype=object)
    if given.isna().all() and keys.notna().all():
        return keys.map(clip_group).rename("group")
    if given.isna().all():
        lacking = keys.isna()
        detail = (f"{int(lacking.sum())} of {len(frame)} files are not GTZAN-named "
                  f"(genre.NNNNN.wav, grouped by blocks of {GROUP_SPAN} clip numbers)")
    else:
        lacking = given.isna()
        detail = f"{int(lacking.sum())} of {len(frame)} files have none"
    example = shown_name(str(frame["path"][lacking].iloc[0])) if "path" in frame else None
    raise DatasetError(f"a grouped split needs a group for every file, and {detail}"
                       f"{f', e.g. {example}' if example else ''}; give a manifest with "
                       "path,label,group columns (group: the artist, say), or a split that "
                       "is not grouped")


def groups_info(frame: pd.DataFrame, split: pd.Series, method: str) -> dict:
    """What ``metrics.json`` says of a split's groups: ``groups_crossing`` (see
    :func:`groups_crossing`), where a grouped split derived them from GTZAN file names
    ``groups`` (:data:`GTZAN_BLOCKS`), and where rows are segments of tracks (a 3-second
    table) ``tracks``: each part's count of tracks, the items its intervals count."""
    tracks = track_counts(frame, split)
    extra = {"tracks": tracks} if tracks else {}
    if not method.endswith("-grouped") or ("group" in frame and frame["group"].notna().any()):
        return {"groups_crossing": groups_crossing(frame, split), **extra}
    used = frame.assign(group=split_groups(frame))
    return {"groups_crossing": groups_crossing(used, split), "groups": GTZAN_BLOCKS, **extra}


def track_counts(frame: pd.DataFrame, split: pd.Series) -> dict[str, int] | None:
    """Each part's number of GTZAN tracks where rows are their segments (rows share a
    clip ``key``), else ``None``.

    >>> frame = pd.DataFrame({"key": ["blues.00000"] * 2 + ["blues.00001"] * 2})
    >>> track_counts(frame, pd.Series(["train", "train", "test", "test"]))
    {'train': 1, 'test': 1}
    """
    if "key" not in frame or not frame["key"].dropna().duplicated().any():
        return None
    used = pd.DataFrame({"key": frame["key"].to_numpy(), "split": split.to_numpy()})
    used = used[used["key"].notna() & used["split"].isin(PARTS)]
    counts = used.groupby("split", sort=False)["key"].nunique()
    return {str(part): int(n) for part, n in counts.items()}


def groups_crossing(frame: pd.DataFrame, split: pd.Series) -> int:
    """How many groups (or GTZAN tracks, where no group is given) sit in more than one part."""
    groups = frame["group"].fillna(frame["key"]) if "key" in frame else frame["group"]
    used = pd.DataFrame({"group": groups, "split": split})
    used = used[used["group"].notna() & used["split"].isin(PARTS)]
    return int((used.groupby("group")["split"].nunique() > 1).sum())


def _groups(frame: pd.DataFrame, grouped: bool) -> np.ndarray:
    if grouped:
        return pd.factorize(split_groups(frame))[0]
    # Not grouped by artist, but the rows of one GTZAN clip (a 3-second table's ten
    # segments) are one item: split apart, a test segment's twin would sit in train.
    if "key" not in frame:
        return np.arange(len(frame))
    codes = pd.factorize(frame["key"])[0]
    unkeyed = codes < 0
    codes[unkeyed] = codes.max(initial=-1) + 1 + np.arange(int(unkeyed.sum()))
    return codes


def _holdout(labels: np.ndarray, groups: np.ndarray, ratios, seed: int) -> np.ndarray:
    from sklearn.model_selection import train_test_split  # slow import, kept off start-up

    train, valid, test = ratios
    parts = np.full(len(labels), "train", dtype=object)
    if len(np.unique(groups)) == len(groups):
        n, n_labels = len(labels), len(np.unique(labels))
        if min(round(valid * n), round(test * n)) < n_labels:
            raise DatasetError(
                f"too few files for a stratified {train:.0%}/{valid:.0%}/{test:.0%} split: "
                f"{n} files, {n_labels} labels; the validation and test parts need at least "
                f"one file per label ({int(np.ceil(n_labels / min(valid, test)))} files)")
        names, counts = np.unique(labels, return_counts=True)
        if counts.min() < 3:  # stratification needs 2 per label before the test cut and after
            few = ", ".join(f"'{name}' ({count})" for name, count in
                            zip(names, counts, strict=True) if count < 3)
            raise DatasetError(
                f"too few files of {few} for a stratified split, which puts each label in "
                "train, valid and test: each needs at least 3 files; add files, leave the "
                "label out, or use a k-fold split")
        rest, test_idx = train_test_split(np.arange(n), test_size=round(test * n),
                                          stratify=labels, random_state=seed)
        _, valid_idx = train_test_split(rest, test_size=round(valid * n),
                                        stratify=labels[rest], random_state=seed)
        parts[test_idx], parts[valid_idx] = "test", "valid"
        return parts
    test_folds, valid_folds = round(1 / test), round((train + valid) / valid)
    test_idx = _one_group_fold(labels, groups, test_folds, seed, part="test")
    rest = np.setdiff1d(np.arange(len(labels)), test_idx)
    valid_idx = rest[_one_group_fold(labels[rest], groups[rest], valid_folds, seed,
                                     part="valid")]
    _warn_too_few_to_stratify(labels, test_folds, valid_folds)
    parts[test_idx], parts[valid_idx] = "test", "valid"
    return parts


def _warn_too_few_to_stratify(labels: np.ndarray, test_folds: int, valid_folds: int) -> None:
    """Name the labels a grouped hold-out cannot stratify, in one line: scikit-learn says
    'The least populated class in y has only 3 members, which is less than n_splits=5'
    (and again for the valid cut) without naming the label, the part or the split."""
    names, counts = np.unique(labels, return_counts=True)
    few = [(name, count) for name, count in zip(names, counts, strict=True)
           if count < max(test_folds, valid_folds)]
    if not few:
        return
    listed = ", ".join(f"'{name}' ({count})" for name, count in few)
    warnings.warn(GenriflowWarning(
        f"too few files of {listed} for a split of whole groups to stratify: it cuts "
        f"the test part as 1 of {test_folds} folds of whole groups and the valid part as 1 "
        f"of {valid_folds}, so such a label may have no test or no valid files and its "
        "figures rest on few; add files, or leave the label out"), stacklevel=4)


def _one_group_fold(labels, groups, n_splits: int, seed: int, *, part: str) -> np.ndarray:
    from sklearn.model_selection import StratifiedGroupKFold

    n_splits = max(2, min(n_splits, len(np.unique(groups))))
    most = int(np.unique(labels, return_counts=True)[1].max())
    if most < n_splits:  # scikit-learn's own error names neither the part nor a way out
        raise DatasetError(
            f"too few files for a stratified-grouped split: cutting the {part} part (1 in "
            f"{n_splits} of whole groups) needs a label with at least {n_splits} files, and "
            f"the most any label has there is {most}; add files or use kfold-grouped")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # said in the labels' words (_warn_too_few_to_stratify)
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        _, held_out = next(splitter.split(np.zeros(len(labels)), labels, groups))
    return held_out


def _fold_ids(labels: np.ndarray, groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if len(np.unique(groups)) == len(groups):
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    names, counts = np.unique(labels, return_counts=True)
    if counts.max() < n_folds:  # scikit-learn's ValueError, in the data's words
        fewer = (f"use {counts.max()} folds or fewer (--folds)" if counts.max() >= 2 else
                 "k-fold needs 2 files of some label")
        raise DatasetError(f"too few files for {n_folds} folds: the largest label, "
                           f"'{names[counts.argmax()]}', has {counts.max()}; {fewer}, or add "
                           "files")
    if counts.min() < n_folds:
        few = ", ".join(f"'{name}' ({count})" for name, count in
                        zip(names, counts, strict=True) if count < n_folds)
        warnings.warn(GenriflowWarning(
            f"fewer files than the {n_folds} folds of {few}: some folds test without that "
            "label, and the pooled figures count each file once"), stacklevel=2)
    folds = np.empty(len(labels), dtype=int)
    grouping = None if isinstance(splitter, StratifiedKFold) else groups
    with warnings.catch_warnings():  # said above, in the labels' words
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        for i, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels,
                                                         grouping)):
            folds[held_out] = i
    return folds
