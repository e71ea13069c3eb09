from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from genriflow.datasets.discover import DatasetError, discover
from genriflow.datasets.gtzan import GTZAN_GENRES, clip_key, fault_filtered_split
from genriflow.datasets.splits import (
    SplitConfig,
    assign_splits,
    groups_crossing,
    resolve_method,
)
from sample_audio import SR, tone


def _touch_audio(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(0.2), SR)


@pytest.mark.parametrize("layout,ext", [("genres", "au"), ("genres_original", "wav")])
def test_both_gtzan_layouts_are_recognised(tmp_path, layout, ext):
    for genre in ("jazz", "rock"):
        for n in (42, 43):
            _touch_audio(tmp_path / "GTZAN" / layout / genre / f"{genre}.{n:05d}.{ext}")
    frame = discover(tmp_path / "GTZAN")
    assert sorted(frame["label"]) == ["jazz", "jazz", "rock", "rock"]
    assert set(frame["key"]) == {"jazz.00042", "jazz.00043", "rock.00042", "rock.00043"}


def test_labels_come_from_the_parent_folder_at_any_depth(tmp_path):
    _touch_audio(tmp_path / "Music" / "Jazz" / "Miles" / "so-what.flac")
    _touch_audio(tmp_path / "Music" / "Metal" / "song.ogg")
    (tmp_path / "Music" / "Metal" / "cover.jpg").write_bytes(b"\xff\xd8")
    frame = discover(tmp_path / "Music")
    assert sorted(frame["label"]) == ["Metal", "Miles"]


def test_manifest_with_groups_and_splits(tmp_path):
    _touch_audio(tmp_path / "a.wav")
    _touch_audio(tmp_path / "b.wav")
    rows = "path,label,group,split\na.wav,pop,x,train\nb.wav,jazz,y,test\n"
    (tmp_path / "m.csv").write_text(rows)
    frame = discover(tmp_path / "m.csv")
    assert list(frame["label"]) == ["pop", "jazz"] and list(frame["split"]) == ["train", "test"]
    assert resolve_method(frame) == "manifest"


def test_unusable_folders_give_a_reason(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        discover(tmp_path / "missing")
    _touch_audio(tmp_path / "jazz" / "song.wav")  # a song given for its folder
    with pytest.raises(DatasetError, match="song.wav: not a folder of labelled audio"):
        discover(tmp_path / "jazz" / "song.wav")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no audio files"):
        discover(tmp_path / "empty")
    _touch_audio(tmp_path / "flat" / "song.wav")
    with pytest.raises(DatasetError, match="folder named after its genre"):
        discover(tmp_path / "flat")


def test_clip_keys_ignore_extension_and_segment():
    assert clip_key("genres/jazz/jazz.00054.au") == clip_key("jazz.00054.wav") == "jazz.00054"
    assert clip_key("blues.00003.7.wav") == "blues.00003"
    assert clip_key("my song.mp3") is None


def test_fault_filtered_split_ships_with_the_package():
    split = fault_filtered_split()
    counts = pd.Series(split).value_counts().to_dict()
    assert counts == {"train": 443, "test": 290, "valid": 197}
    assert {k.split(".")[0] for k in split} == set(GTZAN_GENRES)


def _gtzan_frame(n_per_genre: int = 100) -> pd.DataFrame:
    keys = [f"{g}.{i:05d}" for g in GTZAN_GENRES for i in range(n_per_genre)]
    return pd.DataFrame({"path": [k + ".wav" for k in keys],
                         "label": [k.split(".")[0] for k in keys],
                         "group": None, "split": None, "key": keys})


def test_auto_split_on_gtzan_is_fault_filtered():
    frame = _gtzan_frame()
    assert resolve_method(frame) == "gtzan-fault-filtered"
    (parts,) = assign_splits(frame, SplitConfig())
    assert parts.value_counts().to_dict() == {"train": 443, "test": 290, "valid": 197,
                                             "excluded": 70}


def test_stratified_split_ratios_are_seeded_and_balanced():
    frame = _gtzan_frame()
    (a,) = assign_splits(frame, SplitConfig(method="stratified", seed=3))
    (b,) = assign_splits(frame, SplitConfig(method="stratified", seed=3))
    (c,) = assign_splits(frame, SplitConfig(method="stratified", seed=4))
    assert a.equals(b) and not a.equals(c)
    assert a.value_counts().to_dict() == {"train": 700, "test": 200, "valid": 100}
    per_genre = pd.crosstab(frame["label"], a)
    assert (per_genre["test"] == 20).all()


def test_grouped_splits_never_put_a_group_in_two_parts():
    frame = _gtzan_frame(40)
    frame["group"] = [f"artist{i // 4}" for i in range(len(frame))]
    for method in ("stratified-grouped", "kfold-grouped"):
        for parts in assign_splits(frame, SplitConfig(method=method, n_folds=5)):
            assert groups_crossing(frame, parts) == 0
            assert set(parts) == {"train", "valid", "test"}
    (leaky,) = assign_splits(frame, SplitConfig(method="stratified"))
    assert groups_crossing(frame, leaky) > 0


def test_kfold_tests_every_item_exactly_once():
    frame = _gtzan_frame(20)
    rounds = assign_splits(frame, SplitConfig(method="kfold", n_folds=5))
    tested = np.sum([(r == "test").to_numpy() for r in rounds], axis=0)
    assert len(rounds) == 5 and (tested == 1).all()


def test_bad_split_configurations_are_refused():
    with pytest.raises(ValueError, match="`split` must be one of auto, "):
        SplitConfig(method="random")
    with pytest.raises(ValueError, match="ratios"):
        SplitConfig(ratios=(0.5, 0.5, 0.5))


def test_a_label_too_small_for_a_stratified_split_is_named():
    # 40 files of two labels and one of a third: scikit-learn cannot stratify it.
    frame = pd.DataFrame({"label": ["a"] * 20 + ["b"] * 20 + ["c"], "path": range(41)})
    with pytest.raises(DatasetError, match=r"too few files of 'c' \(1\) for a stratified "
                                           r"split.*at least 3 files"):
        assign_splits(frame, SplitConfig(method="stratified"))
    frame.loc[40:, "label"] = "b"  # 20 and 21: fine
    (parts,) = assign_splits(frame, SplitConfig(method="stratified"))
    assert set(parts) == {"train", "valid", "test"}


def test_kfold_names_the_labels_with_fewer_files_than_folds_once_in_its_words():
    import warnings

    from genriflow.errors import GenriflowWarning

    frame = pd.DataFrame({"label": ["a"] * 20 + ["b"] * 20 + ["c"] * 2, "path": range(42)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rounds = assign_splits(frame, SplitConfig(method="kfold", n_folds=5))
    assert len(rounds) == 5
    assert [(w.category, str(w.message)) for w in caught] == [
        (GenriflowWarning, "fewer files than the 5 folds of 'c' (2): some folds test "
                           "without that label, and the pooled figures count each file once")]


def test_a_corpus_too_small_for_a_grouped_holdout_is_one_line_not_a_crash():
    # 10 genres of 6 files, two files an artist (the demo corpus with a group column):
    # scikit-learn's StratifiedGroupKFold raised a bare ValueError on the valid cut.
    labels = [f"g{i}" for i in range(10) for _ in range(6)]
    frame = pd.DataFrame({"label": labels, "path": range(60),
                          "group": [f"artist{i // 2}" for i in range(60)]})
    with pytest.raises(DatasetError, match=r"too few files for a stratified-grouped split: "
                                           r"cutting the valid part .* use kfold-grouped"):
        assign_splits(frame, SplitConfig(method="stratified-grouped"))
    rounds = assign_splits(frame, SplitConfig(method="kfold-grouped", n_folds=3))
    assert all(groups_crossing(frame, parts) == 0 for parts in rounds)
    frame = pd.DataFrame({"label": [f"g{i}" for i in range(3) for _ in range(40)],
                          "path": range(120), "group": [f"a{i // 2}" for i in range(120)]})
    (parts,) = assign_splits(frame, SplitConfig(method="stratified-grouped"))
    assert set(parts) == {"train", "valid", "test"} and groups_crossing(frame, parts) == 0


def _gtzan_named_folder(root: Path, genres=("jazz", "metal", "rock"), numbers=range(30)):
    for genre in genres:
        for n in numbers:
            _touch_audio(root / "genres_original" / genre / f"{genre}.{n:05d}.wav")
    return root


@pytest.mark.parametrize("method", ["kfold-grouped", "stratified-grouped"])
def test_a_folder_of_gtzan_named_clips_is_grouped_by_blocks_of_ten_numbers(tmp_path, method):
    """No manifest, no group column: the grouped splits keep each block of 10 consecutive
    clip numbers of a genre (the artist proxy of the built-in model's cross-validation) in
    one part, instead of refusing the folder."""
    from genriflow.datasets.splits import groups_info, split_groups

    frame = discover(_gtzan_named_folder(tmp_path / "GTZAN"))
    assert frame["group"].isna().all()
    blocks = frame["key"].str[:-5] + (frame["key"].str[-5:].astype(int) // 10).astype(str)
    assert split_groups(frame).nunique() == 9
    rounds = assign_splits(frame, SplitConfig(method=method, n_folds=3))
    for parts in rounds:
        assert set(parts) == {"train", "valid", "test"}
        assert (pd.crosstab(blocks, parts) > 0).sum(axis=1).max() == 1  # a block: one part
        info = groups_info(frame, parts, method)
        assert info["groups_crossing"] == 0 and "blocks of 10" in info["groups"]
    if method == "kfold-grouped":
        tested = np.sum([(r == "test").to_numpy() for r in rounds], axis=0)
        assert (tested == 1).all()
    # an ungrouped split says nothing of derived groups
    (parts,) = assign_splits(frame, SplitConfig(method="stratified"))
    assert "groups" not in groups_info(frame, parts, "stratified")


def test_a_grouped_split_without_groups_is_one_line_asking_for_a_manifest(tmp_path):
    _gtzan_named_folder(tmp_path / "music", numbers=range(3))
    _touch_audio(tmp_path / "music" / "genres_original" / "jazz" / "so-what.wav")
    frame = discover(tmp_path / "music")
    for method in ("kfold-grouped", "stratified-grouped"):
        with pytest.raises(DatasetError) as caught:
            assign_splits(frame, SplitConfig(method=method, n_folds=2))
        said = str(caught.value)
        assert said.splitlines() == [said]
        assert said.startswith("a grouped split needs a group for every file, and 1 of 10 "
                               "files are not GTZAN-named (genre.NNNNN.wav, grouped by "
                               "blocks of 10 clip numbers), e.g. ")
        assert "so-what.wav" in said
        assert said.endswith("; give a manifest with path,label,group columns (group: the "
                             "artist, say), or a split that is not grouped")
    # a manifest that groups some files only: the data's groups are not mixed with blocks
    frame["group"] = ["a"] * 5 + [None] * 5
    with pytest.raises(DatasetError, match=r"and 5 of 10 files have none, e\.g\. .*; give a "
                                           r"manifest with path,label,group columns"):
        assign_splits(frame, SplitConfig(method="kfold-grouped", n_folds=2))


def _three_second_table(path: Path, n_per_genre: int = 30, segments: int = 10) -> Path:
    """A Kaggle-style ``features_3_sec.csv``: ``segments`` rows per GTZAN track."""
    from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS

    rng = np.random.default_rng(0)
    names = [f"{g}.{i:05d}.{s}.wav" for g in GTZAN_GENRES[:4] for i in range(n_per_genre)
             for s in range(segments)]
    table = pd.DataFrame(rng.random((len(names), len(GTZAN_TABLE_COLUMNS))),
                         columns=list(GTZAN_TABLE_COLUMNS))
    table.insert(0, "length", 66149)
    table.insert(0, "filename", names)
    table["label"] = [n.split(".")[0] for n in names]
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("method", ["stratified", "kfold"])
def test_an_ungrouped_split_keeps_a_tracks_segments_in_one_part(tmp_path, method):
    """A 3-second table's ten segments of a track are one item: an ungrouped split used to
    scatter them over train and test (965 of 1000 tracks crossed, accuracy 0.995)."""
    from genriflow.features.table import read_feature_table

    frame, _ = read_feature_table(_three_second_table(tmp_path / "features_3_sec.csv"))
    for parts in assign_splits(frame, SplitConfig(method=method, n_folds=5)):
        assert set(parts) == {"train", "valid", "test"}
        assert (pd.crosstab(frame["key"], parts) > 0).sum(axis=1).max() == 1
        assert groups_crossing(frame, parts) == 0
    # audio files with one key each are split as before: every file its own item
    audio = _gtzan_frame(20)
    for parts in assign_splits(audio, SplitConfig(method=method, n_folds=5)):
        assert (parts == "test").sum() == (200 // 5 if method == "kfold" else 40)


@pytest.mark.parametrize("method", ["stratified-grouped", "kfold-grouped"])
def test_a_grouped_split_of_a_feature_table_keeps_gtzans_blocks_as_audio_does(tmp_path,
                                                                              method):
    """A grouped split of the Kaggle tables groups their rows by GTZAN's blocks of 10 clip
    numbers, the artist proxy of a grouped split of the clips themselves; it grouped only
    by track, which on the 30-second table is no grouping at all."""
    from genriflow.datasets.splits import groups_info
    from genriflow.features.table import read_feature_table

    frame, _ = read_feature_table(_three_second_table(tmp_path / "features_3_sec.csv"))
    blocks = frame["key"].str[:-5] + (frame["key"].str[-5:].astype(int) // 10).astype(str)
    for parts in assign_splits(frame, SplitConfig(method=method, n_folds=3)):
        assert set(parts) == {"train", "valid", "test"}
        assert (pd.crosstab(blocks, parts) > 0).sum(axis=1).max() == 1  # a block: one part
        info = groups_info(frame, parts, method)
        assert info["groups_crossing"] == 0 and "blocks of 10" in info["groups"]


def test_a_label_held_out_whole_by_a_grouped_split_is_warned_of():
    """gtzan-sample's rock and reggae are ten clips each, one block: stratified-grouped put
    all of rock in test and all of reggae in valid, and the run scored 0/10 in silence."""
    from genriflow.errors import GenriflowWarning

    frame = _gtzan_frame(40)
    rock = [f"rock.{i:05d}" for i in range(10)]
    frame = pd.concat([frame[frame["label"] != "rock"], pd.DataFrame(
        {"path": [k + ".wav" for k in rock], "label": "rock", "group": None,
         "split": None, "key": rock})], ignore_index=True)
    with pytest.warns(GenriflowWarning) as said:
        (parts,) = assign_splits(frame, SplitConfig(method="stratified-grouped"))
    held = sorted(set(parts[frame["label"] == "rock"]))
    assert len(held) == 1 and held != ["train"]
    message = str(said[0].message)
    assert message.startswith(f"no training files of 'rock' (all in {held[0]}) under the "
                              "stratified-grouped split, which holds out a label of too few "
                              "groups whole")
    with pytest.warns(GenriflowWarning, match=r"'rock' \(all in (valid or test|test|valid)\)"
                                              " in some folds under the kfold-grouped"):
        assign_splits(frame, SplitConfig(method="kfold-grouped", n_folds=4))
    # four blocks a genre: every genre keeps training files, and nothing is said
    import warnings as stdlib_warnings

    with stdlib_warnings.catch_warnings():
        stdlib_warnings.simplefilter("error", GenriflowWarning)
        assign_splits(_gtzan_frame(40), SplitConfig(method="stratified-grouped"))


def test_a_genre_folder_that_cannot_be_listed_is_refused_not_left_out(tmp_path, unreadable):
    # os.walk passed over it: the genre was missing from training in silence
    for genre in ("jazz", "rock"):
        (tmp_path / genre).mkdir()
        sf.write(tmp_path / genre / f"{genre}.00000.wav", tone(1.0), SR)
    unreadable(tmp_path / "rock")
    with pytest.raises(DatasetError) as caught:
        discover(tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'rock'}: cannot be read: permission denied; "
                                 "its songs would be left out of the dataset")


def test_a_grouped_holdout_names_a_label_too_small_to_stratify_in_its_words():
    """scikit-learn said 'The least populated class in y has only 3 members, which is
    less than n_splits=5' (and again with n_splits=8), naming neither label nor part."""
    import warnings

    from genriflow.errors import GenriflowWarning

    labels = ["a"] * 40 + ["b"] * 40 + ["c"] * 3
    frame = pd.DataFrame({"label": labels, "path": range(83),
                          "group": [f"artist{i // 2}" for i in range(83)]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (parts,) = assign_splits(frame, SplitConfig(method="stratified-grouped"))
    assert groups_crossing(frame, parts) == 0
    said = [str(w.message) for w in caught if "least populated" not in str(w.message)]
    assert [w.category for w in caught].count(UserWarning) == 0, [str(w.message)
                                                                  for w in caught]
    too_few = [m for m in said if m.startswith("too few files of 'c' (3) for a split of "
                                               "whole groups to stratify: it cuts the test "
                                               "part as 1 of 5 folds")]
    assert len(too_few) == 1 and "\n" not in too_few[0]
    assert all(issubclass(w.category, GenriflowWarning) for w in caught)
