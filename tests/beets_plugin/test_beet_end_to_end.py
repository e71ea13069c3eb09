"""beets end to end, as a user runs it: `beet import -A` generated songs, `beet genriflow`,
queries on its fields, own categories, beets' genre into the files, and undo.

Every command is the real `beet` in a subprocess, with a beets configuration and library
in a temporary BEETSDIR; beets comes from the registry (the ``beets`` extra, in ``make
install-dev``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import FLAC

from genriflow.datasets.synthetic.arrange import synthesize_clip

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
GENRES = ["rock", "jazz", "classical", "metal", "blues", "reggae"]


def _songs(folder: Path, seconds: float = 6.0) -> list[Path]:
    """Six tagged FLAC songs in two album folders (three each)."""
    paths = []
    for i, genre in enumerate(GENRES):
        album = folder / f"Album {i % 2}"
        album.mkdir(parents=True, exist_ok=True)
        path = album / f"{i:02d} {genre}.flac"
        sf.write(path, synthesize_clip(genre, seconds, 22050, np.random.default_rng(i)), 22050)
        tags = FLAC(path)
        tags["title"], tags["artist"] = f"Song {i} [{genre}]", "Synth"
        tags["album"], tags["tracknumber"] = f"Album {i % 2}", str(i + 1)
        tags.save()
        paths.append(path)
    return paths


def _config(beetsdir: Path, music: Path, store: Path, **genriflow) -> None:
    beetsdir.mkdir(parents=True, exist_ok=True)
    settings = {"store": str(store), "jobs": 1, **genriflow}
    lines = [f"directory: {music}", f"library: {beetsdir / 'library.db'}",
             "plugins: genriflow", "import:", "  write: no", "  copy: no", "genriflow:"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in settings.items()]
    (beetsdir / "config.yaml").write_text("\n".join(lines) + "\n")


def _beet(beetsdir: Path, *args: str) -> str:
    env = {**os.environ, "BEETSDIR": str(beetsdir),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "beets", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"beet {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _state(beetsdir: Path) -> tuple[list, list]:
    """Every item's fixed fields (but the file's time, which a write changes) and flexible
    attributes, as beets stores them."""
    with sqlite3.connect(beetsdir / "library.db") as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(items)") if r[1] != "mtime"]
        items = sorted(db.execute(f"SELECT {', '.join(columns)} FROM items").fetchall())
        flex = sorted(db.execute("SELECT entity_id, key, value FROM item_attributes"))
    return items, flex


def _plan(path: Path) -> list[dict]:
    return json.loads(path.read_text())["changes"]


def test_beet_import_genriflow_query_learn_write_and_undo(tmp_path):
    music, store, beetsdir = tmp_path / "music", tmp_path / "store", tmp_path / "beets"
    paths = _songs(music)
    _config(beetsdir, music, store)
    _beet(beetsdir, "import", "-A", "-q", str(music))
    assert len(_beet(beetsdir, "ls").splitlines()) == 6
    before = _state(beetsdir)

    # analyse: every item gets its fields; the plan records each with its old value
    _beet(beetsdir, "genriflow", "--plan", str(tmp_path / "plan1.json"))
    plan1 = _plan(tmp_path / "plan1.json")
    assert {c["id"] for c in plan1} == set(range(1, 7))
    assert all(not c["old_set"] for c in plan1)
    listed = _beet(beetsdir, "ls", "-f", "$title|$genriflow_genre|$mood_happy")
    genre_of = {title: (genre, float(score)) for title, genre, score in
                (line.split("|") for line in listed.splitlines())}
    labels = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop",
              "reggae", "rock"]
    assert len(genre_of) == 6
    assert all(g in labels and 0.0 <= s <= 1.0 for g, s in genre_of.values())

    # the user's query: by genre, and a range over a typed float field
    some = next(iter(genre_of.values()))[0]
    found = _beet(beetsdir, "ls", "-f", "$title $genriflow_genre $mood_happy",
                  f"genriflow_genre:{some}").splitlines()
    assert sorted(line.split(f" {some} ")[0] for line in found) == sorted(
        t for t, (g, _) in genre_of.items() if g == some)
    middle = float(np.median([s for _, s in genre_of.values()]))
    above = _beet(beetsdir, "ls", "-f", "$title", f"mood_happy:{middle}..").splitlines()
    assert sorted(above) == sorted(t for t, (_, s) in genre_of.items() if s >= middle)
    assert 0 < len(above) < 6

    # a second run over unchanged files reads no audio: with every file's bytes zeroed
    # (same size and time), another model's analysis still comes from genriflow's store
    # (the two models share the taggers' analysis)
    saved = {p: p.read_bytes() for p in paths}
    for path in paths:
        st = path.stat()
        path.write_bytes(bytes(st.st_size))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _beet(beetsdir, "genriflow", "--model", "zero-shot", "--plan", str(tmp_path / "plan2.json"))
    plan2 = _plan(tmp_path / "plan2.json")
    models = {c["id"]: c["new"] for c in plan2 if c["field"] == "genriflow_model"}
    assert sorted(models) == list(range(1, 7))
    assert all(m.startswith("zero-shot@") for m in models.values())
    for path, data in saved.items():
        st = path.stat()
        path.write_bytes(data)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    # own categories from a beets field: learnt, then applied as genriflow_shelf
    _beet(beetsdir, "modify", "-y", "-W", "shelf=loud", "album:Album 1")
    _beet(beetsdir, "modify", "-y", "-W", "shelf=soft", "album:Album 0")
    learnt = _beet(beetsdir, "genriflow", "--learn", "shelf", "--from-field", "shelf")
    assert "2 categories, 6 songs; cross-validated right" in learnt
    assert (beetsdir / "genriflow" / "models" / "shelf" / "config.json").is_file()
    for shelf, album in (("loud", "Album 1"), ("soft", "Album 0")):  # or from playlists
        (tmp_path / f"{shelf}.m3u8").write_text("\n".join(
            str(p) for p in paths if p.parent.name == album) + "\n")
    learnt = _beet(beetsdir, "genriflow", "--learn", "lists", "--from-playlist",
                   str(tmp_path / "loud.m3u8"), "--from-playlist", str(tmp_path / "soft.m3u8"))
    assert "lists: 2 categories, 6 songs; cross-validated right" in learnt
    _beet(beetsdir, "genriflow", "--model", "zero-shot", "--category", "shelf",
          "--plan", str(tmp_path / "plan3.json"))
    shelves = _beet(beetsdir, "ls", "-f", "$genriflow_shelf").split()
    assert len(shelves) == 6 and set(shelves) <= {"loud", "soft", "unsure"}
    # the genre analysis this model already made is not repeated: only the categories
    assert {c["field"] for c in _plan(tmp_path / "plan3.json")} == {
        "genriflow_shelf", "genriflow_shelf_confidence", "genriflow_shelf_model"}

    # beets' own genre, only as configured, into the files only with --write; a genre
    # the user set stays
    _beet(beetsdir, "modify", "-y", "-W", "genres=Electronic", "title:Song 1")
    _config(beetsdir, music, store, write_genre=True, skip_unknown=False,
            genre_min_confidence=0.0)
    _beet(beetsdir, "genriflow", "--force", "--write", "--plan", str(tmp_path / "plan4.json"))
    genres = dict(line.split("|") for line in _beet(beetsdir, "ls", "-f",
                                                     "$title|$genres").splitlines())
    canonical = {"hiphop": "Hip-Hop"}
    for title, (genre, _) in genre_of.items():
        expected = "Electronic" if title == "Song 1 [jazz]" else canonical.get(
            genre, genre.title())
        assert genres[title] == expected
    written = {p.name: FLAC(p).get("genre") for p in paths}
    assert written["01 jazz.flac"] is None  # the user's genre was never in the file
    assert all(v for k, v in written.items() if k != "01 jazz.flac")

    # undo, newest plan first: every field as before, the files' genres gone again
    for plan in ("plan4", "plan3", "plan2", "plan1"):
        out = _beet(beetsdir, "genriflow", "--write", "--undo", str(tmp_path / f"{plan}.json"))
        assert ", 0 left alone" in out, out
    _beet(beetsdir, "modify", "-y", "-W", "shelf!")  # the user's own changes, by hand
    _beet(beetsdir, "modify", "-y", "-W", "genres=", "title:Song 1")
    items, flex = _state(beetsdir)
    assert flex == before[1]
    assert items == before[0]
    assert all(FLAC(p).get("genre") is None for p in paths)


def test_the_import_stage_analyses_new_items_when_auto_is_on(tmp_path):
    music, store, beetsdir = tmp_path / "music", tmp_path / "store", tmp_path / "beets"
    paths = _songs(music, seconds=4.0)[:2]
    for extra in set(music.rglob("*.flac")) - set(paths):
        extra.unlink()
    _config(beetsdir, music, store, auto=True)
    _beet(beetsdir, "import", "-A", "-q", str(music))
    listed = _beet(beetsdir, "ls", "-f", "$genriflow_model $voice_instrumental").splitlines()
    assert len(listed) == 2
    assert all(line.startswith("gtzan@genriflow-") and line.endswith(("voice",
                                                                       "instrumental"))
               for line in listed)
    shutil.rmtree(store)


def test_the_import_stage_logs_a_configuration_error_and_the_import_goes_on(tmp_path):
    music, store, beetsdir = tmp_path / "music", tmp_path / "store", tmp_path / "beets"
    _songs(music, seconds=4.0)
    _config(beetsdir, music, store, auto=True, categories=["nope"])
    env = {**os.environ, "BEETSDIR": str(beetsdir),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "beets", "import", "-A", "-q", str(music)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "genriflow: no category model 'nope': learn it first" in done.stderr
    assert len(_beet(beetsdir, "ls").splitlines()) == 6  # both albums imported


def test_a_fixed_sampling_is_part_of_the_identity_and_analyses_again(tmp_path):
    music, store, beetsdir = tmp_path / "music", tmp_path / "store", tmp_path / "beets"
    _songs(music, seconds=8.0)
    _config(beetsdir, music, store)
    _beet(beetsdir, "import", "-A", "-q", str(music))
    _beet(beetsdir, "genriflow", "--model", "zero-shot")
    models = set(_beet(beetsdir, "ls", "-f", "$genriflow_model").splitlines())
    assert len(models) == 1 and models.pop().startswith("zero-shot@genriflow-")
    _config(beetsdir, music, store, excerpts=2)
    _beet(beetsdir, "genriflow", "--model", "zero-shot")
    models = set(_beet(beetsdir, "ls", "-f", "$genriflow_model").splitlines())
    assert len(models) == 1 and models.pop().endswith(" (2 excerpts)")
    again = _beet(beetsdir, "genriflow", "--model", "zero-shot")
    assert "6 items already analysed by zero-shot@genriflow-" in again
    _config(beetsdir, music, store, excerpts=2, full=True)
    env = {**os.environ, "BEETSDIR": str(beetsdir),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    both = subprocess.run([sys.executable, "-m", "beets", "genriflow"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert both.returncode != 0 and "Traceback" not in both.stderr
    assert "`excerpts` cannot be combined with full" in both.stderr
