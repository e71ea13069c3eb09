"""``library learn``: the user's own categories, learnt from the songs they already sorted.

One generated library serves the whole module (analysed once): five categories of
synthetic songs, 4 s each, sorted by the user into folders with unbalanced counts and
tagged (three albums a category: the groups the folds keep on one side); an inbox of
unsorted songs of the same categories (the held-out set, its truth known from the
generator) and of ambiguous mixtures of two categories.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import FLAC

from close import assert_close
from commandline import in_process
from genriflow.datasets.synthetic import clip_rng, synthesize_clip
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.intervals import wilson_interval
from genriflow.library import Library, LibraryError
from genriflow.library.labels import read_playlist
from genriflow.library.learn import song_groups, ungrouped
from genriflow.training.head import HEAD_INPUTS
from genriflow.training.head_select import THRESHOLDS, grouped_folds
from sample_audio import SR, tone

#: Labelled songs per category: unbalanced, as a user's sorting is.
SORTED = {"rock": 14, "metal": 12, "country": 10, "pop": 8, "blues": 6}
#: Unsorted songs of known category, in about the same proportions (as the rest of a library
#: resembles what its owner sorted): the held-out set.
HELD_OUT = {"rock": 10, "metal": 8, "country": 7, "pop": 6, "blues": 5}
#: Ambiguous songs: the first category at a share of 0.5-0.6, the second making up the rest.
MIXES = [("rock", "metal"), ("country", "pop"), ("blues", "rock"), ("metal", "country"),
         ("pop", "blues"), ("rock", "country"), ("metal", "blues"), ("country", "rock")]
SECONDS = 4.0
#: The draw of songs (see the held-out test for what a draw may change).
SEED = 8
MOODS = {"rock": "energetic", "country": "calm"}
#: Albums per sorted category (tagged): the groups cross-validation keeps on one side.
ALBUMS = 3


def _clip(category: str, index: int) -> np.ndarray:
    return synthesize_clip(category, SECONDS, SR, clip_rng(SEED, list(SORTED).index(category),
                                                            index))


def _write(path: Path, y: np.ndarray, **tags: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, SR)
    if tags:
        flac = FLAC(path)
        for key, value in tags.items():
            flac[key] = value
        flac.save()
    return path


@pytest.fixture(scope="module")
def own(tmp_path_factory, feature_cache, checksums):
    """The generated library, scanned, learnt from its folders and classified by it."""
    root = tmp_path_factory.mktemp("own")
    music = root / "music"
    truth = {}
    for category, count in SORTED.items():
        for i in range(count):
            # two thirds of the tags spelt as the folder, a third capitalised
            tags = {"genre": category.capitalize() if i % 3 == 2 else category,
                    "album": f"{category} album {i % ALBUMS}"}
            if category in MOODS:
                tags["mood"] = MOODS[category]
            _write(music / "sorted" / category / f"{category}-{i:02d}.flac",
                   _clip(category, i), **tags)
        for i in range(HELD_OUT[category]):
            path = _write(music / "inbox" / f"{category}-{i}.flac", _clip(category, 100 + i))
            truth[str(path)] = category
    _write(music / "sorted" / "pop" / "pop-sad.flac", _clip("pop", 50), genre="pop",
           mood="sad")
    rng = np.random.default_rng(SEED)
    for i, (first, second) in enumerate(MIXES):
        share = rng.uniform(0.5, 0.6)
        y = share * _clip(first, 200 + i) + (1 - share) * _clip(second, 300 + i)
        path = _write(music / "inbox" / f"mix-{i}.flac", y.astype(np.float32))
        truth[str(path)] = first
    before = checksums(music)
    options = RunOptions(store=feature_cache, n_jobs=2)
    library = Library(root / "index" / "library.db")
    library.scan([music])
    report = library.learn("mine", from_folders=music / "sorted", suggest=8, options=options)
    classified = library.classify(model="mine", options=options)
    yield SimpleNamespace(root=root, music=music, truth=truth, before=before,
                          options=options, library=library, report=report,
                          classified=classified,
                          env={"GENRIFLOW_LIBRARY_DB": str(library.path)})
    library.close()


def _inbox(own) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Truth, most probable category, its probability and the listed genre of the inbox."""
    songs = own.library.songs(model="mine").set_index("path").loc[list(own.truth)]
    columns = [f"p_{c}" for c in own.report.evaluation.labels]
    p = songs[columns].to_numpy(dtype=float)
    best = np.asarray(own.report.evaluation.labels)[p.argmax(axis=1)]
    return np.asarray(list(own.truth.values())), best, p.max(axis=1), songs["genre"].to_numpy()


def test_the_printed_rate_is_what_held_out_songs_get_unsure_counted_wrong(own):
    e = own.report.evaluation
    counts = {**SORTED, "pop": SORTED["pop"] + 1}
    assert e.n == sum(counts.values()) and e.folds == 5
    assert {k: v.songs for k, v in e.per_category.items()} == dict(sorted(counts.items()))
    assert all(0 <= v.precision <= 1 and 0 <= v.recall <= 1 for v in e.per_category.values())
    low, high = e.right_interval
    assert low < e.right_rate < high and 0.3 < e.right_rate < 0.95  # a task with real errors
    assert e.sure_correct + e.unsure == e.n - (e.sure - e.sure_correct)
    assert_close(e.unsure_rate + e.sure / e.n, 1.0)
    truth, best, confidence, genre = _inbox(own)
    floor = own.report.choice.config.min_confidence
    held_out = np.array([not Path(p).name.startswith("mix") for p in own.truth])
    right = (best == truth) & (confidence >= floor)
    measured = float(np.mean(right[held_out]))
    # The printed rate is what choosing and fitting gives songs it never saw, unsure songs
    # counted wrong; 36 held-out songs have their own spread: at these sizes the held-out
    # rate falls inside the stated interval for about 9 draws of songs in 10 (this draw is
    # fixed). benchmarks/own_categories.py repeats the check on real songs and many draws.
    assert low <= measured <= high, (measured, e.right_interval)
    assert abs(measured - e.right_rate) < 0.2
    # the head fitted on every labelled song is a little surer than the folds' heads
    assert abs(float(np.mean(confidence[held_out] < floor)) - e.unsure_rate) < 0.2
    # the model folder: what the report measured, the chosen head and threshold
    folder = own.library.models_dir / "mine"
    assert own.report.folder == folder
    config = json.loads((folder / "config.json").read_text())
    assert config["min_confidence"] == floor and floor in THRESHOLDS
    assert config["kind"] == "classical" and config["features"]["set"] == "musicnn"
    assert config["train"]["input"] in HEAD_INPUTS
    assert config["data"]["groups"] == len(SORTED) * ALBUMS + 1  # pop-sad: its folder
    metrics = json.loads((folder / "metrics.json").read_text())
    cross_validation = metrics["cross_validation"]
    assert_close(cross_validation["right"]["rate"], e.right_rate)
    assert_close(cross_validation["right"]["interval"], list(e.right_interval))
    assert_close(cross_validation["unsure"]["rate"], e.unsure_rate)
    assert_close(cross_validation["accuracy"], e.accuracy)
    assert len(cross_validation["chosen"]) == e.folds
    table = metrics["choice"]["table"]
    assert len(table) == len(HEAD_INPUTS) * 2
    best_row = min(table, key=lambda row: row["cost"])
    assert (best_row["input"], best_row["c"]) == (config["train"]["input"],
                                                  config["train"]["c"])
    assert json.loads((folder / "labels.json").read_text()) == e.labels
    assert sorted(p.name for p in folder.parent.iterdir()) == ["mine"]  # no leftovers
    printed = str(own.report)
    assert f"right {e.right_rate:.3f} (unsure counted wrong" in printed


def test_a_learnt_model_is_reported_by_the_name_it_was_given(own):
    assert own.classified.model == "mine" and str(own.classified).endswith(
        " due with mine (0 already up to date, 0 failed)"), str(own.classified)
    assert own.library.songs(model="mine")["model"].notna().all()  # found by name still


def test_a_learnt_model_is_named_by_its_name_where_songs_are_listed(own):
    # the model column, export's and the albums' line showed models/mine's folder path
    assert set(own.library.songs(model="mine")["model"]) == {"mine"}
    assert own.library.albums(model="mine").model == "mine"
    out = in_process("library", "export", "--model", "mine", env=own.env)
    assert out.returncode == 0, out.stderr
    assert {row["model"] for row in csv.DictReader(io.StringIO(out.stdout))} == {"mine"}
    folder = str(own.library.models_dir / "mine")  # the folder still finds it
    assert set(own.library.songs(model=folder)["model"]) == {"mine"}


def test_albums_are_the_groups_and_never_on_both_sides(own):
    sorted_paths = sorted(p for p in own.library.songs()["path"] if "/sorted/" in p)
    labels = [Path(p).parent.name for p in sorted_paths]
    groups, shared = song_groups(own.library._conn, sorted_paths, labels)
    assert shared == 0.0  # the inbox: no album the user sorted
    by_label = {}
    for group, label in zip(groups, labels, strict=True):
        by_label.setdefault(label, set()).add(group)
    # three tagged albums per category; pop's untagged extra song is grouped by folder
    assert {k: len(v) for k, v in by_label.items()} == {k: ALBUMS + (k == "pop")
                                                        for k in SORTED}
    # a category all in one folder and untagged: its songs are their own groups
    inbox = sorted(own.truth)[:4]
    assert song_groups(own.library._conn, inbox, ["x"] * 4)[0] == [f"song:{p}" for p in inbox]
    # most unlabelled songs of the labelled songs' albums: every song its own group
    index = sqlite3.connect(":memory:")
    index.row_factory = sqlite3.Row
    index.execute("CREATE TABLE songs (path TEXT, album TEXT, artist TEXT, title TEXT, "
                  "content TEXT, audio TEXT, status TEXT)")
    index.executemany("INSERT INTO songs VALUES (?, ?, ?, NULL, NULL, NULL, 'ok')",
                      [(f"/m/{a}/{i}.flac", f"album {a}", "x") for a in "ab" for i in range(4)])
    labelled = ["/m/a/0.flac", "/m/a/1.flac", "/m/b/0.flac", "/m/b/1.flac"]
    own_groups, share = song_groups(index, labelled, ["p", "q", "p", "q"])
    assert share == 1.0 and own_groups == [f"song:{p}" for p in labelled]
    index.execute("INSERT INTO songs VALUES ('/n/new.flac', 'other', 'y', NULL, NULL, NULL, "
                  "'ok')")
    index.executemany("INSERT INTO songs VALUES (?, 'c', 'z', NULL, NULL, NULL, 'ok')",
                      [(f"/n/c{i}.flac",) for i in range(5)])
    album_groups, share = song_groups(index, labelled, ["p", "q", "p", "q"])
    assert_close(share, 4 / 10)
    assert album_groups == ["album:x/album a"] * 2 + ["album:x/album b"] * 2
    for train, test in grouped_folds(labels, groups, 5, 0):
        assert not {groups[i] for i in train} & {groups[i] for i in test}


def _pieces_index(rows: list[tuple[str, str | None, str | None, str | None]]
                  ) -> sqlite3.Connection:
    """An index of the songs ``rows`` (path, album, artist, title), each of its own bytes
    unless its name says it is a copy of another (``copy of NAME``), each of its own audio
    unless its name says it is the same audio tagged otherwise (``retagged NAME``)."""
    index = sqlite3.connect(":memory:")
    index.row_factory = sqlite3.Row
    index.execute("CREATE TABLE songs (path TEXT, album TEXT, artist TEXT, title TEXT, "
                  "content TEXT, audio TEXT, status TEXT)")
    index.executemany("INSERT INTO songs VALUES (?, ?, ?, ?, ?, ?, 'ok')",
                      [(*row, row[0].split("copy of ")[-1],
                        "audio of " + row[0].split("retagged ")[-1].split("copy of ")[-1])
                       for row in rows])
    return index


def test_pieces_of_one_recording_never_sit_on_both_sides_of_a_fold():
    # A user cuts each of three tracks into three pieces (ffmpeg keeps the tags) and sorts
    # them: "calm" is all one album and artist, "machines" untagged with a sub-folder per
    # track. Before, both categories fell back to one group per piece, so the pieces of
    # one track were on both sides and the printed figures were optimistic.
    rows, labels = [], []
    for track in ("A New Journey", "Nebula", "Through Space"):
        for piece in range(3):
            rows.append((f"/s/calm/{track} - part {piece}.ogg", "Endgame", "Maxstack", track))
            labels.append("calm")
    for track in ("track1", "track10", "track20"):
        for piece in range(3):
            rows.append((f"/s/machines/{track}/{piece}.ogg", None, None, None))
            labels.append("machines")
    rows.append(("/library/other.ogg", "Elsewhere", "Someone", "Other"))
    paths = [r[0] for r in rows[:-1]]
    groups, shared = song_groups(_pieces_index(rows), paths, labels)
    assert shared == 0.0
    assert len(set(groups)) == 6
    for track in ("A New Journey", "Nebula", "Through Space", "track1/", "track10/"):
        assert len({g for p, g in zip(paths, groups, strict=True) if track in p}) == 1, track
    for train, test in grouped_folds(labels, groups, 3, 0):
        tracks = {Path(paths[i]).stem.split(" - ")[0] if "calm" in paths[i]
                  else Path(paths[i]).parent.name for i in train}
        assert not tracks & {Path(paths[i]).stem.split(" - ")[0] if "calm" in paths[i]
                             else Path(paths[i]).parent.name for i in test}
    assert ungrouped(groups, labels) == []
    # the user sorted part of each album: recordings are the groups, not albums
    rows.extend((f"/library/journey{i}.ogg", "Endgame", "Maxstack", f"Other {i}")
                for i in range(3))
    groups, shared = song_groups(_pieces_index(rows), paths, labels)
    assert_close(shared, 3 / 4)
    assert groups[:9] == [f"track:Maxstack/{t}" for t in
                          ("A New Journey", "Nebula", "Through Space") for _ in range(3)]
    assert groups[9:] == [f"song:{p}" for p in paths[9:]]
    assert ungrouped(groups, labels) == ["machines"]


def test_copies_of_one_song_are_one_group_wherever_they_lie():
    # sorted folders are often copies of the collection: the same bytes labelled twice (an
    # untagged copy in another sub-folder) were two groups, one on each side of a fold
    rows = [(f"/s/p/{i}/{i}.ogg", None, None, None) for i in range(3)]
    rows += [(f"/s/q/{i}.ogg", "Q", "B", f"Q{i}") for i in range(3)]
    rows += [("/s/p/extra/copy of /s/p/0/0.ogg", None, None, None),
             ("/s/q/copy of /s/q/1.ogg", None, None, None)]
    paths = [r[0] for r in rows]
    labels = ["p"] * 3 + ["q"] * 3 + ["p", "q"]
    groups, _ = song_groups(_pieces_index(rows), paths, labels)
    assert groups[6] == groups[0] and groups[7] == groups[4]
    assert len(set(groups)) == 4  # p's three folders; q's album (its copy's folder joined)
    for _, test in grouped_folds(labels, groups, 3, 0):
        for a, b in ((0, 6), (4, 7)):
            assert (a in test) == (b in test)


def test_a_song_on_an_album_and_on_a_compilation_is_one_group():
    # the same recording tagged twice (its album, a compilation): other bytes, the same
    # audio; it was two groups, one on each side of a fold
    rows = [(f"/s/a/{i}.ogg", "A", "X", f"A{i}") for i in range(3)]
    rows += [(f"/s/b/{i}.ogg", "B", "Y", f"B{i}") for i in range(3)]
    rows += [("/s/hits/retagged /s/a/0.ogg", "Hits", "Various", "Hit")]
    paths = [r[0] for r in rows]
    labels = ["a"] * 3 + ["b"] * 3 + ["a"]
    groups, _ = song_groups(_pieces_index(rows), paths, labels)
    assert groups[6] == groups[0]
    for _, test in grouped_folds(labels, groups, 2, 0):
        assert (0 in test) == (6 in test)


def test_learn_notes_a_category_it_could_only_fold_song_by_song(tmp_path):
    # untagged pieces side by side in a category's folder: nothing says which belong to
    # one recording, and the user is told the figures may be optimistic
    sorted_ = tmp_path / "sorted"
    for category, freq in (("low", 220.0), ("high", 1760.0)):
        for i in range(3):
            (sorted_ / category).mkdir(parents=True, exist_ok=True)
            sf.write(sorted_ / category / f"{i}.flac", tone(3.0, freq * (1 + 0.05 * i)), SR)
    (sorted_ / "empty").mkdir()
    (sorted_ / "tiny").mkdir()
    sf.write(sorted_ / "tiny" / "0.flac", tone(3.0, 440.0), SR)
    env = {"GENRIFLOW_LIBRARY_DB": str(tmp_path / "lib.db"),
           "GENRIFLOW_STORE": str(tmp_path / "store")}
    out = in_process("library", "learn", "mine", "--from-folders", str(sorted_),
                     "--dry-run", "--folds", "3", "-q", env=env)
    assert out.returncode == 0, out.stderr
    # one note names every such category (it was the same long line once per category)
    [note] = [line for line in out.stderr.splitlines() if line.startswith("note: ")]
    assert note.startswith("note: high, low: the folds take their songs one by one"), note
    assert "optimistic" in note
    # the warning says what was needed (it said "fewer than needed")
    assert "warning: category 'empty' dropped: 0 usable songs, fewer than --min-songs 3" \
        in out.stderr
    assert "warning: category 'tiny' dropped: 1 usable song, fewer than --min-songs 3" \
        in out.stderr


def test_a_fold_trained_on_one_category_has_no_threshold_and_its_songs_are_unsure():
    from genriflow.evaluation.crossval import cross_validate_head
    from genriflow.features.embeddings import ANALYSIS_SIZE
    from genriflow.training.head import HeadConfig

    rng = np.random.default_rng(0)
    windows = [rng.random((2, ANALYSIS_SIZE)) for _ in range(4)]
    # both "a" songs are one album: the fold testing it trains on "b" alone
    e = cross_validate_head(windows, list("aabb"), HeadConfig(), ["g1", "g1", "g2", "g3"])
    alone = [i for i, c in enumerate(e.chosen) if c["input"] is None]
    assert len(alone) == 1 and e.min_confidence[alone[0]] is None
    assert all(m is not None for i, m in enumerate(e.min_confidence) if i not in alone)
    assert e.unsure >= 2  # the "a" songs, with nothing to tell them from
    assert json.loads(json.dumps(e.to_dict()))["min_confidence"][alone[0]] is None

def test_unsure_songs_are_less_accurate_than_the_rest(own):
    truth, best, confidence, genre = _inbox(own)
    unsure = confidence < own.report.choice.config.min_confidence
    assert list(genre == best) == [True] * len(best)  # the best guess, unsure or not
    assert 3 <= unsure.sum() <= len(unsure) - 8
    assert np.mean(best[unsure] == truth[unsure]) < np.mean(best[~unsure] == truth[~unsure])
    e = own.report.evaluation
    assert e.sure + e.unsure == e.n and e.unsure > 0
    assert e.unsure_correct / e.unsure < e.sure_correct / e.sure
    listed = own.library.songs(model="mine", unsure=True)
    assert set(listed["path"]) == {p for p, u in zip(own.truth, unsure, strict=True) if u}
    assert listed["unsure"].all()
    assert len(own.library.songs(model="mine", genre="unsure")) == len(listed)


def test_an_unsure_song_keeps_its_best_guess_as_genre_in_every_export(own, tmp_path):
    """``genre`` is the best guess and ``unsure`` its own key, in the export as in
    ``predict -f json`` and the service; what is filed (tags, playlists, ``ls``) still
    leaves an unsure song out of its category."""
    env = {**own.env, "COLUMNS": "200"}
    floor = own.report.choice.config.min_confidence
    records = json.loads(in_process("library", "export", "-f", "json", "--model", "mine",
                                    env=env).stdout)
    rows = list(csv.DictReader(io.StringIO(in_process(
        "library", "export", "-f", "csv", "--model", "mine", env=env).stdout)))
    assert [r["path"] for r in rows] == [r["path"] for r in records]
    labels = own.report.evaluation.labels
    unsure = set()
    for record, row in zip(records, rows, strict=True):
        p = {c: record[f"p_{c}"] for c in labels}
        best = max(p, key=p.get)
        assert record["genre"] == row["genre"] == best, record["path"]
        assert record["unsure"] is (p[best] < floor and record["unknown"] is not True)
        assert row["unsure"] == str(record["unsure"]).lower()
        assert row["unknown"] == ("" if record["unknown"] is None
                                  else str(record["unknown"]).lower())
        assert_close(record["min_confidence"], floor)
        if record["unsure"]:
            unsure.add(record["path"])
    assert 3 <= len(unsure) < len(records)
    forced = json.loads(in_process("library", "export", "-f", "json", "--model", "mine",
                                   "--threshold", "1", env=env).stdout)
    assert all(r["unsure"] is (r["unknown"] is not True) for r in forced)
    assert {r["min_confidence"] for r in forced} == {1.0}

    listed = in_process("library", "ls", "--model", "mine", env=env).stdout.splitlines()
    shown = {line.split()[-1]: line.split()[0] for line in listed}
    assert {path for path, genre in shown.items() if genre == "unsure"} == unsure

    plan = {r.path: r for r in own.library.plan(["genre"], policy="overwrite",
                                                model="mine").rows}
    for path in unsure:
        assert plan[path].new == plan[path].old and plan[path].note.startswith("unsure")
    sure = next(r for r in records if not r["unsure"] and not r["unknown"])
    assert plan[sure["path"]].new == sure["genre"].capitalize()
    # named as ls names it (and as GENRIFLOW_MODEL is written), not by the folder's path
    assert {r.model for r in plan.values()} == {"mine"}

    report = own.library.playlists("mine", tmp_path / "lists")
    assert report.model == "mine"
    assert all(p.read_text().splitlines()[1] == "#GENRIFLOW:by=model:mine;model=mine"
               for p in report.written)
    assert sum(report.written.values()) == len(records) - len(unsure)
    listed_paths = {line for playlist in report.written for line in read_playlist(playlist)}
    assert not listed_paths & unsure


def test_learning_from_genriflow_s_own_playlists_warns_that_the_figures_say_little(
        own, tmp_path, cli, feature_cache):
    # The playlists `library playlists --by mine` wrote are mine's answers: a model learnt
    # from them was printed a cross-validated accuracy, without a word, that only says how
    # well it agrees with mine.
    written = sorted(own.library.playlists("mine", tmp_path / "lists").written)
    mixed = [*written[:2], _playlists(own, tmp_path / "own")[0]]  # one the user made
    learnt = cli("library", "learn", "again", "--from-playlist", *mixed, "--dry-run",
                 "--store", feature_cache, "-j", "1", "-q", env=own.env)
    assert learnt.returncode == 0, learnt.stderr
    warned = [line for line in learnt.stderr.splitlines() if "written by genriflow" in line]
    names = ", ".join(p.name for p in written[:2])
    assert warned == [f"warning: {names}: written by genriflow (model mine), so these "
                      "categories are that model's answers, not your sorting: the "
                      "cross-validated figures only measure how well again agrees with it, "
                      "not how right either is"]
    assert "cross-validated accuracy" in learnt.stdout  # measured all the same
    assert not (own.library.models_dir / "again").exists()


def test_an_index_moved_with_its_models_folder_still_reads_its_learnt_model(own, tmp_path):
    # The user moves the index and the models folder beside it (as one folder). The runs
    # are stored under the model folder's old path; before, `ls --model mine` said it had
    # not classified the library, while `classify --model mine` found every song up to date.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    source, copy = sqlite3.connect(own.library.path), sqlite3.connect(moved / "library.db")
    source.backup(copy)
    source.close()
    copy.close()
    shutil.copytree(own.library.models_dir, moved / "models")
    before = own.library.songs(model="mine").set_index("path")
    with Library(moved / "library.db") as library:
        after = library.songs(model="mine").set_index("path")
        assert set(after["model"]) == {"mine"}
        columns = [f"p_{c}" for c in own.report.evaluation.labels]
        assert_close(after.loc[before.index, columns].to_numpy(float),
                     before[columns].to_numpy(float))
        assert (after.loc[before.index, "genre"] == before["genre"]).all()
        assert_close(library.own_min_confidence(model="mine"),
                     own.report.choice.config.min_confidence)
        assert {r.model for r in library.plan(["genre"], model="mine").rows} == {"mine"}
    listed = in_process("library", "ls", "--model", "mine",
                        env={"GENRIFLOW_LIBRARY_DB": str(moved / "library.db")})
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == len(before)
    # learnt again (here: its threshold changed by hand): its former self's analyses are
    # not shown under its name, as they were, silently, with the old threshold
    with Library(moved / "library.db") as library:  # every song up to date: runs it here
        assert library.classify(model="mine", options=own.options).analysed == 0
    config = moved / "models" / "mine" / "config.json"
    config.write_text(config.read_text().replace('"min_confidence"', '"min_confidence" ', 1))
    with Library(moved / "library.db") as library, pytest.raises(
            LibraryError, match=r"^model mine has changed since it classified this library "
                                r"\(learnt again\); run `genriflow library classify "
                                r"--model mine` "):
        library.songs(model="mine")
    refused = in_process("library", "plan", "--model", "mine", "-o", tmp_path / "plan.csv",
                         env={"GENRIFLOW_LIBRARY_DB": str(moved / "library.db")})
    assert refused.returncode != 0 and "model mine has changed since" in refused.stderr
    assert not (tmp_path / "plan.csv").exists()


def test_suggestions_are_the_unlabelled_songs_it_is_least_sure_of(own):
    suggestions = own.report.suggestions
    assert len(suggestions) == 8
    assert {s.path for s in suggestions} <= set(own.truth)  # never a labelled song
    margins = [s.margin for s in suggestions]
    assert margins == sorted(margins)
    songs = own.library.songs(model="mine").set_index("path").loc[list(own.truth)]
    p = np.sort(songs[[f"p_{c}" for c in own.report.evaluation.labels]].to_numpy(float))
    classified = dict(zip(songs.index, p[:, -1] - p[:, -2], strict=True))
    for s in suggestions:  # the margins classify then gives, and the smallest ones
        assert abs(classified[s.path] - s.margin) < 1e-4
    assert max(margins) <= sorted(classified.values())[len(suggestions) - 1] + 1e-4


def test_a_copy_of_a_labelled_song_is_never_suggested(own, tmp_path, tag_song):
    # Sorted folders are often copies of the collection: songs labelled through their
    # copies must not be suggested for labelling, also a copy a tagger retagged since. A
    # library of its own, of copies of the shared one's songs (their analyses are in the
    # store already).
    music = tmp_path / "music"
    (music / "inbox").mkdir(parents=True)
    unlabelled = []
    for category in ("rock", "metal"):
        (music / "sorted" / category).mkdir(parents=True)
        inbox = sorted(p for p in own.truth if Path(p).name.startswith(f"{category}-"))
        for song in inbox[:3]:  # labelled through a copy in the sorted folders
            shutil.copy(song, music / "inbox")
            shutil.copy(song, music / "sorted" / category)
        tag_song(music / "sorted" / category / Path(inbox[0]).name, {"title": "Retagged"})
        shutil.copy(inbox[3], music / "inbox")
        unlabelled.append(Path(inbox[3]).name)
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        report = library.learn("copies", from_folders=music / "sorted", suggest=100,
                               save=False, options=own.options)
    assert sorted(Path(s.path).name for s in report.suggestions) == sorted(unlabelled)


def test_the_same_labels_from_tags_give_the_same_figures_and_tiny_categories_drop(own):
    by_tag = own.library.learn("by-genre-tag", from_tag="genre", save=False,
                               options=own.options)
    folders = own.report.evaluation
    assert by_tag.folder is None and not (own.library.models_dir / "by-genre-tag").exists()
    assert by_tag.evaluation.labels == folders.labels
    assert np.allclose(by_tag.evaluation.probabilities, folders.probabilities)
    by_mood = own.library.learn("moods", from_tag="mood", options=own.options)
    assert by_mood.dropped == {"sad": 1}
    e = by_mood.evaluation
    assert e.labels == ["calm", "energetic"] and e.n == SORTED["rock"] + SORTED["country"]
    # two categories: the held-out rock and country songs get what cross-validation said
    own.library.classify(model="moods", options=own.options)
    songs = own.library.songs(model="moods").set_index("path")
    truth = {p: MOODS[c] for p, c in own.truth.items()
             if c in MOODS and not Path(p).name.startswith("mix")}
    p = songs.loc[list(truth), ["p_calm", "p_energetic"]].to_numpy(float)
    right = ((np.asarray(e.labels)[p.argmax(axis=1)] == np.asarray(list(truth.values())))
             & (p.max(axis=1) >= by_mood.choice.config.min_confidence))
    # 17 held-out songs against 24 cross-validated ones: each figure has its own spread
    # (here 15/17 held out, 17/24 printed), so the printed rate must lie inside the held-out
    # songs' own 95 % interval, and the two intervals overlap
    low, high = wilson_interval(int(right.sum()), len(right))
    assert low <= e.right_rate <= high, (right.mean(), e.to_dict())
    assert e.right_interval[1] >= low


def _playlists(own, folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    sorted_ = own.music / "sorted"
    metal = folder / "metal.m3u8"
    metal.write_text("#EXTM3U\n" + "".join(f"{p}\n" for p in sorted(
        (sorted_ / "metal").iterdir())))
    pop = folder / "pop.m3u"
    pop.write_text("#EXTM3U\n" + "".join(
        f"#EXTINF:4,Pop {i}\n{os.path.relpath(p, folder)}\n"
        for i, p in enumerate(sorted((sorted_ / "pop").iterdir()))))
    blues = folder / "blues.m3u8"
    blues.write_text("\n".join([*(p.as_uri() for p in sorted((sorted_ / "blues").iterdir())),
                                str(sorted_ / "blues" / "gone.flac"),
                                "http://radio.example/stream"]) + "\n")
    return [metal, pop, blues]


def test_playlists_on_the_command_line_and_the_model_applies_anywhere(own, tmp_path, cli,
                                                                       feature_cache):
    playlists = _playlists(own, tmp_path / "lists")
    assert len(read_playlist(playlists[1])) == SORTED["pop"] + 1
    learnt = cli("library", "learn", "three", "--from-playlist", *playlists,
                 "--min-confidence", "0.6", "--store", feature_cache, "-j", "1", "-q",
                 env=own.env)
    assert learnt.returncode == 0, learnt.stderr
    lines = learnt.stdout.splitlines()  # piped: the table's title, then tab-separated rows
    start = lines.index("category\tsongs\tprecision\trecall")
    assert lines[start - 1].startswith("three: ")
    rows = {row[0]: row[1] for row in (line.split("\t") for line in lines[start + 1:])
            if len(row) == 4}
    assert rows == {"blues": str(SORTED["blues"]), "metal": str(SORTED["metal"]),
                    "pop": str(SORTED["pop"] + 1)}
    assert "cross-validated accuracy" in learnt.stdout and "95 % interval" in learnt.stdout
    assert "macro recall" in learnt.stdout  # beside accuracy: the categories are unbalanced
    assert "gone.flac: no such file" in learnt.stderr and "radio.example" in learnt.stderr
    assert "written by genriflow" not in learnt.stderr  # the user's own playlists
    folder = own.library.models_dir / "three"
    assert json.loads((folder / "config.json").read_text())["min_confidence"] == 0.6
    song = next(p for p in own.truth if "metal" in Path(p).name)
    predicted = cli("predict", folder, song, "--store", feature_cache, "-j", "1", "-q",
                    "-f", "json")
    assert predicted.returncode == 0, predicted.stderr
    record = json.loads(predicted.stdout)[0]
    assert record["genre"] in ("blues", "metal", "pop")
    # unsure: below the model's own min-confidence, or the one given
    assert record["min_confidence"] == 0.6
    assert record["unsure"] == (max(record["probabilities"].values()) < 0.6)
    forced = cli("predict", folder, song, "--min-confidence", "1", "--store", feature_cache,
                 "-j", "1", "-q", "-f", "csv")
    assert forced.returncode == 0, forced.stderr
    assert next(csv.DictReader(io.StringIO(forced.stdout)))["unsure"] == "true"
    bad = cli("predict", folder, song, "--min-confidence", "2", "-q")
    assert bad.returncode == 2 and "`--min-confidence` must be between 0 and 1" in bad.stderr


def test_bad_inputs_are_one_line_errors_with_status_2(tmp_path):
    one = tmp_path / "one" / "only"
    flat = tmp_path / "flat"
    for folder in (one, flat):
        for i in range(3):
            folder.mkdir(parents=True, exist_ok=True)
            sf.write(folder / f"song-{i}.flac", tone(1.0, seed=i), SR)
    env = {"GENRIFLOW_LIBRARY_DB": str(tmp_path / "index" / "library.db")}
    cases = {
        "no such playlist": ["--from-playlist", tmp_path / "nowhere.m3u8"],
        "need at least two categories": ["--from-folders", tmp_path / "one"],
        "no sub-folders": ["--from-folders", flat],
        "song-0.flac: not a folder": ["--from-folders", flat / "song-0.flac"],
    }
    for expected, args in cases.items():  # one at a time: one writer per index (a lock)
        process = in_process("library", "learn", "mine", *args, env=env)
        assert process.returncode == 2, (expected, process.stderr)
        assert len(process.stderr.strip().splitlines()) == 1, process.stderr
        assert expected in process.stderr, process.stderr
    assert not (tmp_path / "index" / "models").exists()


def test_api_errors(own, tmp_path):
    with pytest.raises(LibraryError, match="exactly one source"):
        own.library.learn("x")
    with pytest.raises(LibraryError, match="exactly one source"):
        own.library.learn("x", from_tag="genre", from_folders=own.music / "sorted")
    with pytest.raises(LibraryError, match="built-in model"):
        own.library.learn("gtzan", from_tag="genre")
    with pytest.raises(ConfigError, match="min_confidence"):
        own.library.learn("x", from_tag="genre", min_confidence=2.0)
    with pytest.raises(ConfigError, match="from_tag"):
        own.library.learn("x", from_tag="artist")
    for name in ("Unsure.m3u8", "calm.m3u8"):
        (tmp_path / name).write_text("#EXTM3U\n")
    with pytest.raises(LibraryError, match="reserved"):
        own.library.learn("x", from_playlists=[tmp_path / "Unsure.m3u8",
                                               tmp_path / "calm.m3u8"])
    with pytest.raises(LibraryError, match="model name"):
        own.library.learn("../escape", from_tag="genre")


def test_read_playlist_reads_comments_relative_absolute_and_file_addresses(tmp_path):
    (tmp_path / "lists").mkdir()
    playlist = tmp_path / "lists" / "calm.m3u8"
    playlist.write_bytes(("\ufeff#EXTM3U\n#EXTINF:3,Café\n../songs/café.flac\n\n"
                          f"{tmp_path}/abs.mp3\r\nfile://{tmp_path}/with%20space.ogg\n"
                          "# a comment\n").encode())
    assert read_playlist(playlist) == [str(tmp_path / "songs" / "café.flac"),
                                       str(tmp_path / "abs.mp3"),
                                       str(tmp_path / "with space.ogg")]
    old = tmp_path / "old.m3u"
    old.write_bytes("caf\xe9.mp3\n".encode("latin-1"))
    assert read_playlist(old) == [str(tmp_path / "café.mp3")]


def test_music_files_are_never_modified(own, checksums):
    assert checksums(own.music) == own.before
    assert not any(p.suffix == ".db" for p in own.music.rglob("*"))


def test_suggest_with_no_unlabelled_song_says_so_on_the_command_line(own, tmp_path, cli,
                                                                      feature_cache):
    # Every song of this index is labelled: `--suggest` has nothing to list, and says so
    # in a note rather than printing nothing.
    sorted_ = tmp_path / "sorted"
    for category in ("rock", "metal"):
        (sorted_ / category).mkdir(parents=True)
        for song in sorted((own.music / "sorted" / category).iterdir())[:4]:
            shutil.copy(song, sorted_ / category)
    learnt = cli("library", "learn", "two", "--from-folders", sorted_, "--suggest", "3",
                 "--folds", "2", "--dry-run", "--db", tmp_path / "library.db",
                 "--store", feature_cache, "-j", "1", "-q")
    assert learnt.returncode == 0, learnt.stderr
    assert "label these next" not in learnt.stdout
    [note] = [line for line in learnt.stderr.splitlines() if "--suggest" in line]
    assert note.startswith("note: --suggest: no unlabelled song to suggest")
