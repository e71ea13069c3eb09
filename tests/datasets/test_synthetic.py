"""The synthetic demo corpus: clip synthesis, determinism, layout, formats and manifest."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genriflow.audio import load
from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.datasets.synthetic import (
    FORMATS,
    RECIPES,
    STEPS,
    TIMBRES,
    clip_rng,
    make_demo_corpus,
    parse_chord,
    synthesize_clip,
)

SR = 22050
SECONDS = 2.0
PER_GENRE = 6
ROTATION = ("wav", "flac", "ogg", "mp3", "au")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("demo")
    return out, make_demo_corpus(out, per_genre=PER_GENRE, seconds=SECONDS, seed=7)


def _decoded(path: Path) -> np.ndarray:
    return sf.read(str(path), dtype="float32")[0]


# --------------------------------------------------------------------------- single clips


@pytest.mark.parametrize("genre", GTZAN_GENRES)
def test_clip_is_float32_mono_normalised_and_exact_length(genre: str) -> None:
    y = synthesize_clip(genre, SECONDS, SR, np.random.default_rng(0))
    assert y.dtype == np.float32
    assert y.shape == (round(SECONDS * SR),)
    assert np.all(np.isfinite(y))
    assert 0.1 < np.abs(y).max() <= 0.9 + 1e-6
    assert y.std() > 0.01


@pytest.mark.parametrize(("seconds", "sr"), [(1.23456, 8000), (0.5, 16000), (3.0, 44100)])
def test_clip_length_is_rounded_seconds_times_rate(seconds: float, sr: int) -> None:
    y = synthesize_clip("jazz", seconds, sr, np.random.default_rng(1))
    assert y.size == round(seconds * sr)


def test_clip_is_deterministic_for_a_generator_state() -> None:
    a = synthesize_clip("reggae", SECONDS, SR, clip_rng(0, 8, 3))
    b = synthesize_clip("reggae", SECONDS, SR, clip_rng(0, 8, 3))
    c = synthesize_clip("reggae", SECONDS, SR, clip_rng(1, 8, 3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_clips_of_a_genre_differ() -> None:
    clips = [synthesize_clip("pop", SECONDS, SR, clip_rng(0, 7, i)) for i in range(3)]
    assert not np.array_equal(clips[0], clips[1])
    assert not np.array_equal(clips[1], clips[2])


@pytest.mark.parametrize(("genre", "seconds"), [("polka", 1.0), ("rock", 0.0), ("rock", -1.0)])
def test_bad_arguments_raise(genre: str, seconds: float) -> None:
    with pytest.raises(ValueError):
        synthesize_clip(genre, seconds, SR, np.random.default_rng(0))


# --------------------------------------------------------------------------- recipes


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("I", (0, (0, 4, 7))),
        ("vi", (9, (0, 3, 7))),
        ("V7", (7, (0, 4, 7, 10))),
        ("ii7", (2, (0, 3, 7, 10))),
        ("Imaj7", (0, (0, 4, 7, 11))),
        ("V9", (7, (0, 4, 7, 10, 14))),
        ("bVII5", (10, (0, 7, 12))),
        ("bII5", (1, (0, 7, 12))),
        ("iv", (5, (0, 3, 7))),
        ("VII", (11, (0, 4, 7))),
    ],
)
def test_parse_chord(symbol: str, expected: tuple[int, tuple[int, ...]]) -> None:
    assert parse_chord(symbol) == expected


@pytest.mark.parametrize("symbol", ["X", "I13", "", "Iv"])
def test_parse_chord_rejects_unknown_symbols(symbol: str) -> None:
    with pytest.raises(ValueError):
        parse_chord(symbol)


@pytest.mark.parametrize("genre", GTZAN_GENRES)
def test_recipe_is_well_formed(genre: str) -> None:
    recipe = RECIPES[genre]
    patterns = [c.pattern for c in recipe.comps] + [b.pattern for b in recipe.basses]
    patterns += [p for part in recipe.drums for p in part.patterns]
    assert all(len(p) == STEPS and set(p) <= set("Xxo?.") for p in patterns)
    for progression in recipe.progressions:
        for symbol in progression.split():
            parse_chord(symbol)
    assert set(recipe.timbres + recipe.bass_timbres + recipe.lead_timbres) <= set(TIMBRES)
    assert set(recipe.neighbours) <= set(GTZAN_GENRES) - {genre}
    assert recipe.tempo[0] < recipe.tempo[1]


def test_every_gtzan_genre_has_a_recipe() -> None:
    assert set(RECIPES) == set(GTZAN_GENRES)


# --------------------------------------------------------------------------- corpus


def test_corpus_layout_and_format_rotation(corpus: tuple[Path, list[Path]]) -> None:
    out, paths = corpus
    expected = [
        out / genre / f"synth-{genre}.{i:05d}.{ROTATION[i % len(ROTATION)]}"
        for genre in GTZAN_GENRES
        for i in range(PER_GENRE)
    ]
    assert paths == expected
    on_disk = {p for p in out.rglob("*") if p.is_file() and p.name != "manifest.csv"}
    assert on_disk == set(expected)
    assert {p.suffix[1:] for p in paths} == set(ROTATION)


def test_manifest_lists_every_clip_with_its_label(corpus: tuple[Path, list[Path]]) -> None:
    out, paths = corpus
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "label", "kind"]
    assert {r["kind"] for r in rows} == {"single"}
    assert [out / r["path"] for r in rows] == paths
    assert all(not Path(r["path"]).is_absolute() and "\\" not in r["path"] for r in rows)
    assert all(r["label"] == Path(r["path"]).parent.name for r in rows)
    assert Counter(r["label"] for r in rows) == {g: PER_GENRE for g in GTZAN_GENRES}


def test_every_file_decodes_to_the_right_duration(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    for path in paths:
        y = load(path, sr=SR)
        assert y.size / SR == pytest.approx(SECONDS, abs=0.1), path.name
        assert np.all(np.isfinite(y)) and np.abs(y).max() > 0.05, path.name


def test_lossless_files_hold_the_synthesised_clip(corpus: tuple[Path, list[Path]]) -> None:
    _, paths = corpus
    lossless = [p for p in paths if p.suffix in (".wav", ".flac", ".au")]
    for path in lossless[::4]:
        genre, index = path.parent.name, int(path.name.split(".")[1])
        clip = synthesize_clip(genre, SECONDS, SR, clip_rng(7, GTZAN_GENRES.index(genre), index))
        np.testing.assert_allclose(_decoded(path), clip, atol=1.5 / 32768)


def test_corpus_is_deterministic_for_a_seed(
    corpus: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    out, paths = corpus
    again = make_demo_corpus(tmp_path, per_genre=PER_GENRE, seconds=SECONDS, seed=7)
    for a, b in zip(paths, again, strict=True):
        assert a.relative_to(out) == b.relative_to(tmp_path)
        if a.suffix != ".ogg":  # Ogg streams carry a random serial number
            assert a.read_bytes() == b.read_bytes(), a.name
        np.testing.assert_array_equal(_decoded(a), _decoded(b))
    assert (out / "manifest.csv").read_bytes() == (tmp_path / "manifest.csv").read_bytes()


def test_another_seed_gives_other_audio(corpus: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = corpus
    other = make_demo_corpus(tmp_path, per_genre=1, seconds=SECONDS, seed=8, formats=("wav",))
    for path in other:
        assert path.read_bytes() != (out / path.relative_to(tmp_path)).read_bytes()


def test_a_clip_does_not_depend_on_corpus_size(
    corpus: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    out, _ = corpus
    small = make_demo_corpus(tmp_path, per_genre=2, seconds=SECONDS, seed=7, formats=("flac",))
    assert len(small) == 2 * len(GTZAN_GENRES)
    for genre in ("blues", "metal"):
        np.testing.assert_array_equal(
            _decoded(tmp_path / genre / f"synth-{genre}.00001.flac"),
            _decoded(out / genre / f"synth-{genre}.00001.flac"),
        )


def test_formats_are_case_and_dot_insensitive(tmp_path: Path) -> None:
    paths = make_demo_corpus(tmp_path, per_genre=2, seconds=0.5, formats=(".WAV", "Au"))
    assert [p.suffix for p in paths[:2]] == [".wav", ".au"]


def test_every_rotated_format_is_supported() -> None:
    assert set(ROTATION) <= set(FORMATS)


@pytest.mark.parametrize("formats", [(), ("wav", "aac"), ("m4a",)])
def test_unknown_formats_are_rejected(formats: tuple[str, ...], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_demo_corpus(tmp_path, per_genre=1, seconds=0.5, formats=formats)
    assert not any(tmp_path.iterdir())


def test_two_genre_clips_of_both_kinds_with_both_genres_in_the_manifest(tmp_path: Path) -> None:
    from genriflow.datasets.discover import discover

    paths = make_demo_corpus(tmp_path, per_genre=1, seconds=2.0, seed=3, multi=4)
    multi = [p for p in paths if p.parent.name == "multi"]
    assert len(paths) == len(GTZAN_GENRES) + 4 and len(multi) == 4
    frame = discover(tmp_path).set_index("path")
    for i, path in enumerate(multi):
        pair = path.name.split(".")[0].removeprefix("synth-").split("+")
        assert len(set(pair)) == 2 and set(pair) <= set(GTZAN_GENRES)
        assert path.suffixes[-2] == (".sequence" if i % 2 == 0 else ".blend")
        row = frame.loc[str(path.resolve())]
        assert (row["labels"], row["label"]) == (";".join(pair), pair[0])
        assert load(path, sr=SR).size / SR == pytest.approx(2.0, abs=0.1)
    assert frame.loc[str(paths[0].resolve()), "labels"] == paths[0].parent.name
