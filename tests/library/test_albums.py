"""Albums: each album's genre from its tracks' combined probabilities, and the tracks that
disagree with it; voice and moods stored per song and queryable."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.library import Library, LibraryError

#: (demo genre, clip index, tags): demo clips copied and tagged; the model was fitted on them.
#: Clip 1 and 6 are flac, 2 ogg, 3 and 8 mp3 in the demo corpus.
TRACKS = [
    ("classical", 1, {"album": "Greatest Hits", "album_artist": "Alpha", "artist": "Alpha"}),
    ("classical", 6, {"album": "Greatest Hits", "album_artist": "Alpha", "artist": "Alpha"}),
    ("classical", 2, {"album": "Greatest Hits", "album_artist": "Alpha", "artist": "Alpha"}),
    ("metal", 1, {"album": "Greatest Hits", "album_artist": "Alpha", "artist": "Alpha"}),
    ("jazz", 1, {"album": "Greatest Hits", "artist": "Beta"}),  # same title, other artist
    ("jazz", 6, {"album": "Greatest Hits", "artist": "Beta"}),
    ("disco", 3, {"album": "Night Mix", "album_artist": "Various", "artist": "C"}),
    ("disco", 8, {"album": "Night Mix", "album_artist": "Various", "artist": "D"}),
    ("reggae", 1, {"album": "Lone", "artist": "E"}),
    ("blues", 1, {"artist": "F", "title": "No album"}),
]


@pytest.fixture(scope="module")
def albums_library(tmp_path_factory, demo_corpus, demo_model, feature_cache, tag_song,
                   checksums):
    """Ten tagged copies of demo clips, scanned and classified by the demo model."""
    root = tmp_path_factory.mktemp("albums")
    music = root / "music"
    paths = {}
    for genre, index, tags in TRACKS:
        source = next((demo_corpus / genre).glob(f"synth-{genre}.{index:05d}.*"))
        target = music / tags.get("album", "singles") / f"{genre}-{index}{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        tag_song(target, tags)
        paths[genre, index] = str(target)
    before = checksums(music)
    library = Library(root / "library.db")
    library.scan([music])
    library.classify(model=demo_model, options=RunOptions(store=feature_cache, n_jobs=1))
    yield library, paths, music, before
    library.close()


@pytest.mark.slow
def test_albums_are_their_tracks_mean_genre_with_the_share_that_agree(albums_library,
                                                                      checksums):
    library, paths, music, before = albums_library
    report = library.albums()
    found = {(a.album, a.artist): a for a in report.albums.itertuples()}
    assert {key: a.tracks for key, a in found.items()} == {
        ("Greatest Hits", "Alpha"): 4, ("Greatest Hits", "Beta"): 2,
        ("Night Mix", "Various"): 2, ("Lone", "E"): 1}
    assert (report.untagged, report.unanalysed) == (1, 0)
    # Recomputed here from the stored per-song probabilities.
    songs = library.songs().set_index("path")
    genres = [c for c in songs.columns if c.startswith("p_")]
    members = {("Greatest Hits", "Alpha"): [("classical", 1), ("classical", 6),
                                            ("classical", 2), ("metal", 1)],
               ("Greatest Hits", "Beta"): [("jazz", 1), ("jazz", 6)],
               ("Night Mix", "Various"): [("disco", 3), ("disco", 8)],
               ("Lone", "E"): [("reggae", 1)]}
    disagreeing = set()
    for key, tracks in members.items():
        p = songs.loc[[paths[t] for t in tracks], genres]
        album_genre = genres[int(np.argmax(p.mean().to_numpy()))][2:]
        own = [genres[i][2:] for i in p.to_numpy().argmax(axis=1)]
        assert found[key].genre == album_genre
        assert found[key].probability == pytest.approx(p.mean().max())
        assert found[key].agreeing == sum(g == album_genre for g in own)
        assert found[key].agreement == pytest.approx(found[key].agreeing / len(tracks))
        disagreeing |= {paths[t] for t, g in zip(tracks, own, strict=True) if g != album_genre}
    # The model was fitted on these clips: it knows them, so the metal track stands out.
    assert found["Greatest Hits", "Alpha"].genre == "classical"
    assert found["Greatest Hits", "Alpha"].agreeing == 3
    assert set(report.disagreeing["path"]) == disagreeing
    metal = report.disagreeing.set_index("path").loc[paths["metal", 1]]
    assert (metal["genre"], metal["album_genre"], metal["album"]) == (
        "metal", "classical", "Greatest Hits")
    kept = library.albums(min_tracks=2)
    assert set(kept.albums["album"]) == {"Greatest Hits", "Night Mix"}
    assert checksums(music) == before


@pytest.mark.slow
def test_albums_on_the_command_line(albums_library, demo_model, cli):
    library, paths, _, _ = albums_library
    db = str(library.path)
    out = cli("library", "albums", "--db", db, "--disagree", "--min-tracks", "2")
    assert out.returncode == 0, out.stderr
    table, _, disagree = out.stdout.partition("tracks that disagree with their album")
    assert "Greatest Hits" in table and "Night Mix" in table and "Lone" not in table
    assert "75% (3/4)" in table and "classical" in table
    assert Path(paths["metal", 1]).name in disagree
    assert Path(paths["classical", 1]).name not in disagree
    assert "metal" in disagree and "3 albums by" in out.stderr
    # one untagged song (the blues single): counted in the singular
    assert "(1 analysed song without an album tag," in out.stderr
    plain = cli("library", "albums", "--db", db)
    assert "tracks that disagree" not in plain.stdout and "Lone" in plain.stdout
    for args in (("--min-tracks", "0"), ("--model", "no-such-model")):
        bad = cli("library", "albums", "--db", db, *args)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_albums_need_a_classified_library(tmp_path, write_song):
    write_song(tmp_path / "music" / "a.flac", album="X", artist="Y")
    with Library(tmp_path / "library.db") as library:
        library.scan([tmp_path / "music"])
        with pytest.raises(LibraryError, match="classify"):
            library.albums()
        with pytest.raises(ConfigError, match="`voice` must be one of vocal, instrumental"):
            library.songs(voice="humming")


def test_the_album_artist_tag_is_indexed(tmp_path, write_song):
    for ext in ("flac", "mp3", "ogg", "m4a"):
        write_song(tmp_path / "music" / f"a.{ext}", album="X", artist="Y", album_artist="Z")
    with Library(tmp_path / "library.db") as library:
        library.scan([tmp_path / "music"])
        songs = library.songs()
    assert list(songs["album_artist"]) == ["Z"] * 4 and list(songs["album"]) == ["X"] * 4
