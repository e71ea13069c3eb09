"""Classifying the index: only what is new or changed since a model last ran, resumable."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import genriflow
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.library import Library, LibraryError


def _analysed_at(library: Library) -> dict[str, float]:
    return dict(library.connection.execute(
        "SELECT s.path, a.analysed_at FROM analyses a JOIN songs s ON s.id = a.song_id "
        "WHERE a.content = s.content").fetchall())


def test_a_second_run_analyses_exactly_the_new_and_changed_songs(music, tmp_path,
                                                                 feature_cache, write_song):
    options = RunOptions(store=feature_cache, n_jobs=1)
    library = Library(tmp_path / "library.db")
    library.scan([music])
    first = library.classify(options=options, batch_size=2)
    assert (first.due, first.analysed, first.failed) == (4, 4, 0)
    before = _analysed_at(library)
    # The user's week: one file re-encoded, one touched, one renamed, one deleted, two added.
    changed, touched = music / "rock" / "one.flac", music / "jazz" / "four.flac"
    write_song(changed, seed=21)
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    renamed = music / "rock" / "zwei.mp3"
    (music / "rock" / "two.mp3").rename(renamed)
    (music / "jazz" / "three.ogg").unlink()
    added = [write_song(music / "new" / "five.flac", seed=22),
             write_song(music / "new" / "six.m4a", seed=23)]
    scan = library.scan([music])
    assert (scan.new, scan.changed, scan.moved, scan.removed, scan.touched) == (2, 1, 1, 1, 1)
    second = library.classify(options=options, batch_size=2)
    assert (second.due, second.analysed, second.up_to_date) == (3, 3, 2)
    after = _analysed_at(library)
    earlier = set(before.values())
    again = {p for p, t in after.items() if t not in earlier}
    assert again == {str(changed), *map(str, added)}
    assert after[str(renamed)] == before[str(music / "rock" / "two.mp3")]
    assert after[str(touched)] == before[str(touched)]
    songs = library.songs()
    assert sorted(songs["path"]) == sorted(map(str, [changed, touched, renamed, *added]))
    assert songs["genre"].notna().all()
    assert library.classify(options=options).analysed == 0
    library.close()


def test_another_sampling_analyses_again_under_its_own_identity(music, tmp_path,
                                                                feature_cache):
    options = RunOptions(store=feature_cache, n_jobs=1)
    library = Library(tmp_path / "library.db")
    library.scan([music])
    default = library.classify(model="zero-shot", options=options)
    assert default.identity.startswith("zero-shot@") and "(" not in default.identity
    assert default.sampling is None and " on " not in str(default)
    fixed = library.classify(model="zero-shot", excerpts=2, options=options)
    assert (fixed.due, fixed.analysed) == (4, 4)
    assert fixed.identity == f"{default.identity} (2 excerpts)"
    assert "with zero-shot on 2 excerpts (0 already up to date" in str(fixed)
    assert library.classify(model="zero-shot", excerpts=2, options=options).due == 0
    assert library.classify(model="zero-shot", options=options).due == 0
    whole = library.classify(model="zero-shot", full=True, options=options)
    assert whole.analysed == 4 and whole.identity.endswith(" (full)")
    assert "with zero-shot on whole songs (" in str(whole)
    identities = {row[0] for row in library.connection.execute(
        "SELECT m.identity FROM analyses a JOIN models m ON m.id = a.model_id")}
    assert identities == {default.identity, fixed.identity, whole.identity}
    assert len(library.songs(model="zero-shot")) == 4  # the latest run's analyses
    # a song asked about by path is sampled as the latest run sampled the library's
    assert library.similarity_index(model="zero-shot").sampling.full
    library.classify(model="zero-shot", excerpts=2, retry_failed=True, options=options)
    assert library.similarity_index().sampling.excerpts == 2  # the latest run's model
    with pytest.raises(ConfigError, match="excerpts"):
        library.classify(model="zero-shot", excerpts=3, full=True, options=options)
    library.close()


@pytest.fixture(scope="module")
def classified(tmp_path_factory, feature_cache, write_song) -> Library:
    """A library of six songs classified by zero-shot (read-only in the tests using it)."""
    root = tmp_path_factory.mktemp("classified")
    for i, ext in enumerate(("flac", "mp3", "ogg", "flac", "wav", "m4a")):
        write_song(root / "music" / f"song-{i}.{ext}", seed=50 + i)
    library = Library(root / "library.db")
    library.scan([root / "music"])
    library.classify(options=RunOptions(store=feature_cache, n_jobs=1))
    yield library
    library.close()


def test_a_song_asked_about_is_sampled_on_the_genres_that_sampled_the_library(classified):
    """Library.similar embeds its song as classify embedded the library's: adaptive on the
    run's model's genres (library-genres), not the default model's (gtzan), or an indexed
    song of over 72 s got other excerpts than the ones stored (similarity 0.995 to itself
    where docs/python-api.md and the service promise 1)."""
    sampling = classified.similarity_index().sampling
    assert sampling.adaptive and sampling.on_genres is not None
    assert sampling.on_genres.model == "library-genres"


def test_songs_are_listed_with_their_genres_moods_and_voice(classified):
    songs = classified.songs()
    assert len(songs) == 6 and songs["genre"].notna().all()
    genres = [c for c in songs.columns if c.startswith("p_")]
    assert len(genres) == 19  # library-genres, the library's default
    np.testing.assert_allclose(songs[genres].sum(axis=1), 1.0, atol=1e-4)
    assert set(songs["voice"]) <= {"vocal", "instrumental"}
    genre = songs["genre"].iloc[0]
    assert list(classified.songs(genre=genre.upper())["path"]) == list(
        songs.loc[songs["genre"] == genre, "path"])
    mood = songs["mood"].iloc[0]
    assert len(classified.songs(mood=mood)) == (songs["mood"] == mood).sum()
    assert len(classified.songs(unsure=True, threshold=1.0)) == 6
    assert len(classified.songs(unsure=True, threshold=0.0)) == 0
    middle = float(songs["probability"].median())
    assert len(classified.songs(unsure=True, threshold=middle)) == (
        songs["probability"] < middle).sum()


def test_voice_and_moods_are_stored_per_song_and_queryable(classified):
    songs = classified.songs().set_index("path")
    stored = {r["path"]: r for r in classified.connection.execute(
        "SELECT s.path, a.voice, a.vocal_probability, a.moods FROM analyses a "
        "JOIN songs s ON s.id = a.song_id WHERE a.content = s.content")}
    assert set(stored) == set(songs.index)
    for path, row in stored.items():
        moods = json.loads(row["moods"])
        assert songs.loc[path, "mood"] == moods[0][0] and len(moods) == 9
        assert songs.loc[path, "vocal_probability"] == row["vocal_probability"]
        assert 0.0 <= row["vocal_probability"] <= 1.0
        assert row["voice"] == ("vocal" if row["vocal_probability"] >= 0.5 else "instrumental")
    for voice in ("vocal", "instrumental"):
        assert sorted(classified.songs(voice=voice)["path"]) == sorted(
            songs.index[songs["voice"] == voice])
    mood = songs["mood"].iloc[-1]
    both = classified.songs(voice=songs["voice"].iloc[-1], mood=mood)
    assert songs.index[-1] in set(both["path"]) and set(both["mood"]) == {mood}


def test_bad_filters_say_what_is_wrong(classified, tmp_path):
    with pytest.raises(ConfigError, match="`genre` must be one of blues"):
        classified.songs(genre="polka")
    with pytest.raises(ConfigError, match="`threshold`"):
        classified.songs(unsure=True, threshold=1.5)
    with pytest.raises(LibraryError, match="has not classified"):
        classified.songs(model="some-other-model")
    with Library(tmp_path / "empty.db") as empty, pytest.raises(LibraryError, match="classify"):
        empty.songs(genre="rock")


def test_a_learnt_model_is_named_in_refusals_as_the_user_named_it(tmp_path, cli):
    # "model /home/me/.local/share/genriflow/models/mine has not classified this library;
    # run `genriflow library classify --model /home/.../models/mine`": the user typed mine.
    db = tmp_path / "index" / "library.db"
    shutil.copytree(Path(genriflow.__file__).parent / "models" / "builtin" / "gtzan-table",
                    tmp_path / "index" / "models" / "mine")
    said = ("model mine has not classified this library; run "
            "`genriflow library classify --model mine`")
    with Library(db) as library:
        for ask in (lambda: library.songs(model="mine"), lambda: library.albums(model="mine"),
                    lambda: library.plan(["genre"], model="mine"),
                    lambda: library.playlists("mine", tmp_path / "lists")):
            with pytest.raises(LibraryError) as refused:
                ask()
            assert str(refused.value) == said
    for args in (["ls", "--model", "mine"], ["playlists", "--by", "mine", "-o", tmp_path]):
        result = cli("library", *args, "--db", db)
        assert result.returncode != 0 and result.stderr.strip() == f"error: {said}"
    by_path = cli("library", "ls", "--model", db.parent / "models" / "mine", "--db", db)
    assert f"--model {db.parent / 'models' / 'mine'}`" in by_path.stderr  # as typed: a path


@pytest.mark.parametrize("format", ["csv", "parquet", "json"])
def test_export_writes_the_index_as_a_table(classified, tmp_path, format):
    out = tmp_path / f"library.{format}"
    assert classified.export(out, embeddings=format != "csv") == out
    table = {"csv": pd.read_csv, "parquet": pd.read_parquet,
             "json": lambda p: pd.DataFrame(json.loads(Path(p).read_text()))}[format](out)
    songs = classified.songs()
    assert list(table["path"]) == list(songs["path"])
    assert list(table["genre"]) == list(songs["genre"])
    np.testing.assert_allclose(table["p_rock"], songs["p_rock"], rtol=1e-6)
    if format != "csv":
        lengths = {len(v) for v in table["embedding"]}
        assert len(lengths) == 1 and lengths.pop() > 100
    if format == "json":  # paths as they are, not pandas' "\/" escapes
        assert f'"path": "{songs["path"].iloc[0]}"' in out.read_text(encoding="utf-8")


def test_export_never_overwrites_a_song(classified):
    song = Path(classified.songs()["path"].iloc[0])
    before = song.read_bytes()
    with pytest.raises(LibraryError, match="one of the library's songs"):
        classified.export(song, format="csv")
    assert song.read_bytes() == before


def test_export_into_a_folder_or_below_a_file_is_one_line(classified, tmp_path):
    # `library export --out FOLDER` crashed with IsADirectoryError, and `--out song.mp3/x.csv`
    # with FileExistsError (exit 70)
    from commandline import in_process

    song = Path(classified.songs()["path"].iloc[0])
    before = song.read_bytes()
    db = str(classified.connection.execute("PRAGMA database_list").fetchone()[2])
    for out, why in [(tmp_path, f"{tmp_path} is a folder; give a file"),
                     (song / "songs.csv", f"{song} is a file, not a folder")]:
        with pytest.raises(ConfigError, match=re.escape(why)):
            classified.export(out, format="csv")
        result = in_process("library", "export", "--out", out, "--db", db)
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"error: `--out` {why}\n"
    assert song.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary


def test_each_model_analyses_the_library_once(classified, demo_model, feature_cache):
    options = RunOptions(store=feature_cache, n_jobs=1)
    report = classified.classify(model=demo_model, options=options)
    assert (report.due, report.analysed) == (6, 6)
    assert classified.classify(model=demo_model, options=options).due == 0
    assert classified.classify(options=options).due == 0  # the default's analyses are kept
    by_folder = classified.songs(model=str(demo_model))
    assert by_folder["genre"].notna().all() and by_folder["model"].iloc[0] == str(
        Path(demo_model).resolve())
    assert classified.songs(model="library-genres")["model"].iloc[0] == "library-genres"


def _count(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]


def test_a_killed_classify_resumes_with_only_the_unfinished_songs(tmp_path, feature_cache,
                                                                   write_song, cli):
    music, db = tmp_path / "music", tmp_path / "library.db"
    for i in range(10):
        write_song(music / f"song-{i:02d}.flac", seed=70 + i)
    with Library(db) as library:
        assert library.scan([music]).new == 10
    args = ["library", "classify", "--db", db, "--batch-size", "2", "--store", feature_cache,
            "-j", "1", "-q"]
    run = subprocess.Popen([sys.executable, "-m", "genriflow", *map(str, args)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while _count(db) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "classify finished before it could be killed"
    run.send_signal(signal.SIGKILL)
    run.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT probabilities, tags, moods, voice, embedding "
                            "FROM analyses").fetchall()
    committed = len(rows)
    assert 2 <= committed < 10 and committed % 2 == 0  # whole batches only
    for probabilities, tags, moods, voice, blob in rows:
        assert abs(sum(json.loads(probabilities).values()) - 1.0) < 1e-4
        assert json.loads(tags) and json.loads(moods) and voice
        assert len(blob) == len(rows[0][4]) > 0
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    left = 10 - committed
    assert f"analysed {left} of {left} songs due" in out.stdout
    assert f"({committed} already up to date, 0 failed)" in out.stdout
    assert _count(db) == 10


def test_the_bar_moves_song_by_song_not_batch_by_batch(music, tmp_path, feature_cache,
                                                       monkeypatch):
    # A library of 4 songs (one batch) showed `0/4` until every song was done, then `4/4`.
    import genriflow.library.classify as module

    real, seen = module.progress_bar, []

    def recording(enabled: bool, unit: str = "songs"):
        bar = real(enabled, unit)
        advance, update = bar.advance, bar.update

        def advance_(task, n=1.0):
            advance(task, n)
            seen.append(bar.tasks[0].completed)

        def update_(task, **kwargs):
            update(task, **kwargs)
            seen.append(bar.tasks[0].completed)

        bar.advance, bar.update = advance_, update_
        return bar

    monkeypatch.setattr(module, "progress_bar", recording)
    library = Library(tmp_path / "library.db")
    library.scan([music])
    stale = music / "jazz" / "four.flac"  # changed since the scan: skipped, still counted
    st = stale.stat()
    os.utime(stale, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    report = library.classify(options=RunOptions(store=feature_cache, n_jobs=1,
                                                 progress=True), batch_size=16)
    assert (report.due, report.analysed, report.stale) == (4, 3, 1)
    assert seen[:3] == [1, 2, 3]  # each analysed song, as it is done
    assert seen[-1] == 4 and seen == sorted(seen)
    library.close()
