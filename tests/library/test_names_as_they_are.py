"""Names shown exactly as they are: a library full of brackets and accents, from `learn`
to `classify` (progress bars on, in a terminal) to `predict`, `scan`, `plan` and `apply`.

Music libraries are full of brackets (``Album [Deluxe] [2020]``, ``Song [Live].mp3``,
``[FLAC]``); rich would read them as markup (``02 Outro [bold].mp3`` printed as
``02 Outro .mp3``, a model folder ``[/…/models/mine]`` ending the command in a
``MarkupError``). Every path, category, tag value and reason must come out whole.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

#: Two categories named like a user's folders; songs of each in bracketed sub-folders.
CATEGORIES = {
    "Röck [Live]": ["Album [Deluxe] [2020]/02 Outro [bold].mp3", "Song [Live].mp3",
                    "[FLAC]/Ünïcødé [b] :fire:.flac"],
    "Jazz [i]": ["[FLAC]/Take [5].flac", "Bïg Band [1958]/01 [red]Intro.ogg", "Late.wav"],
}
#: A file no decoder reads, named with markup too.
BROKEN = "Röck [Live]/[FLAC]/Broken [bold].mp3"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def named(tmp_path_factory, write_song, cli, cli_process, feature_cache):
    """The library scanned, a model learnt from its folders and applied with bars on (in a
    real process: rich reads ``FORCE_COLOR`` when its console is made)."""
    root = tmp_path_factory.mktemp("names") / "Mùsic [bold]"
    sorted_ = root / "sorted"
    songs = []
    for c, (category, names) in enumerate(CATEGORIES.items()):
        for i, name in enumerate(names):
            # low tones for one category, high for the other: a model can tell them apart
            songs.append(write_song(sorted_ / category / name, seed=8 * c + i,
                                    title=f"[{name}]"))
    broken = sorted_ / BROKEN
    broken.write_bytes(b"[not] audio " * 64)
    env = {"GENRIFLOW_LIBRARY_DB": str(root.parent / "[index]" / "library.db")}
    common = ["--store", feature_cache, "-j", "1"]
    scanned = cli("library", "scan", sorted_, env=env)
    learnt = cli("library", "learn", "mine", "--from-folders", sorted_, "--folds", "2",
                 "--min-songs", "2", *common, "-q", env=env)
    folder = root.parent / "[index]" / "models" / "mine"
    # what `learn` tells the user to run, with the progress bars drawn in a terminal
    classified = cli_process("library", "classify", "--model", "mine", *common,
                             env={**env, "FORCE_COLOR": "1", "COLUMNS": "400"})
    return SimpleNamespace(root=root, sorted=sorted_, songs=songs, broken=broken, env=env,
                           common=common, folder=folder, scanned=scanned, learnt=learnt,
                           classified=classified)


def _listed(stderr: str, label: str = "") -> list[str]:
    """The paths of the indented ``  PATH: reason`` lines of an error list."""
    prefix = f"{label}: " if label else "  "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]


def _named_broken(named, lines: list[str]) -> bool:
    """The broken file is the one line listed, named exactly, with a reason."""
    return (len(lines) == 1 and lines[0].startswith(f"{named.broken}: ")
            and len(lines[0]) > len(f"{named.broken}: ") + 5)


def test_learn_then_classify_with_progress_bars_names_the_model_as_given(named):
    assert named.learnt.returncode == 0, named.learnt.stderr
    assert named.folder.is_dir()
    assert f"saved {named.folder}; apply it with `genriflow library classify --model mine`" \
        in named.learnt.stdout
    title, header, *rows = [line for line in named.learnt.stdout.splitlines()
                            if "\t" in line or line.startswith("mine: ")][:4]
    assert header.split("\t") == ["category", "songs", "precision", "recall"]
    assert {row.split("\t")[0] for row in rows} == set(CATEGORIES)
    assert _named_broken(named, _listed(named.learnt.stderr, "skipped"))
    done = named.classified
    assert done.returncode == 0, done.stderr  # 6 of 6 analysed
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr
    bar = ANSI.sub("", done.stderr)  # bars are drawn on stderr; the report is stdout's
    # the learnt model by the name the user gave (`learn` printed its folder), not the
    # folder's path; brackets in a bar's description are tested by the bar's own tests
    assert "classify [mine]" in bar and str(named.folder) not in bar
    report = ANSI.sub("", done.stdout)
    assert "analysed 6 of 6 songs due with mine (" in report, report
    assert str(named.folder) not in report


def test_scan_and_ls_name_every_file_exactly(named, cli):
    assert named.scanned.returncode == 1, named.scanned.stderr  # the broken file failed
    assert _named_broken(named, _listed(named.scanned.stderr))
    listed = cli("library", "ls", "--model", "mine", env=named.env)
    assert listed.returncode == 0, listed.stderr
    ends = [line.rsplit("  ", 1)[-1] for line in listed.stdout.splitlines()]
    assert sorted(ends) == sorted(map(str, named.songs))
    # one column each, whatever the categories' names ("Röck [Live]" used to push its
    # line's columns past the others')
    starts = {line.index(str(named.root)) for line in listed.stdout.splitlines()}
    assert len(starts) == 1, listed.stdout
    failed = cli("library", "ls", "--failed", env=named.env)
    assert _named_broken(named, [line.split("  ")[-1] for line in failed.stdout.splitlines()])


def test_predict_names_every_song_and_every_failure_exactly(named, cli):
    for fmt in ("csv", "table", "json"):
        out = cli("predict", named.folder, named.sorted, "-f", fmt, "-q", *named.common)
        assert out.returncode == 1, out.stderr  # the broken file failed
        assert _named_broken(named, _listed(out.stderr)), fmt
        if fmt == "csv":
            table = pd.read_csv(io.StringIO(out.stdout))
            paths, genres = table["path"], table["genre"]
        elif fmt == "json":
            table = pd.read_json(io.StringIO(out.stdout))
            paths, genres = table["path"], table["genre"]
        else:
            table = pd.read_csv(io.StringIO(out.stdout), sep="\t")
            paths = table["file"].map(lambda p: str(Path(p).resolve()))
            genres = table["#1"].str.rsplit(" ", n=1).str[0]
        assert sorted(paths) == sorted(map(str, named.songs)), fmt
        assert set(genres) <= set(CATEGORIES), fmt


def test_plan_and_apply_name_every_file_and_value_exactly(named, cli, write_song):
    plan = named.root.parent / "[plan].csv"
    made = cli("library", "plan", "--model", "mine", "--out", plan, env=named.env)
    assert made.returncode == 0, made.stderr
    with plan.open(newline="", encoding="utf-8") as f:
        planned = list(csv.DictReader(f))
    assert sorted(r["path"] for r in planned) == sorted(map(str, named.songs))
    assert {r["new"] for r in planned} <= set(CATEGORIES)
    dry = cli("library", "apply", plan, "-n", env=named.env)
    assert dry.returncode == 0, dry.stderr
    changes = [line for line in dry.stdout.splitlines() if line.startswith("  ")]
    assert sorted(changes) == sorted(f"  {r['path']}: genre '{r['old']}' -> '{r['new']}'"
                                     for r in planned)  # as they are, not as reprs
    changed = named.songs[0]  # changed since the plan: refused, and named exactly
    write_song(changed, seconds=4.0, seed=99)
    applied = cli("library", "apply", plan, "-q", env=named.env)
    assert applied.returncode == 1, applied.stderr
    refused = _listed(applied.stderr, "failed")
    assert len(refused) == 1 and refused[0].startswith(f"{changed}: ")
