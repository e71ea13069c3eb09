"""Pictures of one song: seven labelled figures, PNGs from a file, typed errors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf

from genriflow.audio import AudioError
from genriflow.plots.song import plot_song, song_figures
from sample_audio import SR, tone

KEYS = ["waveform", "spectrogram", "mel-spectrogram", "chroma", "tonnetz", "mfcc", "zcr"]
IMAGES = {"spectrogram", "mel-spectrogram", "chroma", "tonnetz", "mfcc"}


def chord(seconds: float = 3.0) -> np.ndarray:
    """A major chord (A, C#, E), float32, peak below full scale."""
    y = sum(tone(seconds, freq, seed=k) for k, freq in enumerate((440.0, 554.37, 659.25)))
    return (y / 3).astype(np.float32)


def test_song_figures_are_labelled_with_colour_bars():
    figures = song_figures(chord(), SR, "chord")
    try:
        assert list(figures) == KEYS
        for key, fig in figures.items():
            main = fig.axes[0]
            assert "chord" in main.get_title(), key
            assert main.get_xlabel() == "time (s)", key
            assert main.get_ylabel(), key
            assert len(fig.axes) == (2 if key in IMAGES else 1), key
            if key in IMAGES:
                assert main.images or main.collections, key
                assert fig.axes[1].get_ylabel(), f"{key}: unlabelled colour bar"
    finally:
        for fig in figures.values():
            plt.close(fig)


def test_plot_song_writes_seven_pngs(tmp_path):
    path = tmp_path / "chord song.wav"
    sf.write(path, chord(4.0), SR)
    open_before = plt.get_fignums()
    written = plot_song(path, tmp_path / "out", offset=1.0, duration=2.0)
    assert [p.name for p in written] == [f"chord song-{key}.png" for key in KEYS]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == open_before


def test_plot_song_bad_file_raises_audio_error(tmp_path):
    bad = tmp_path / "notes.mp3"
    bad.write_text("shopping list, not a song\n" * 50)
    with pytest.raises(AudioError):
        plot_song(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("where", ["the file", "below the file"])
def test_an_out_folder_that_is_a_file_is_one_line_and_the_file_kept(tmp_path, where):
    # `genriflow plot song.mp3 --out other-song.flac` crashed (FileExistsError, exit 70)
    from commandline import in_process

    song, other = tmp_path / "song.wav", tmp_path / "other song [1].flac"
    sf.write(song, chord(), SR)
    sf.write(other, chord(), SR)
    before = other.read_bytes()
    out = other if where == "the file" else other / "pictures"
    result = in_process("plot", song, "--out", out)
    assert result.returncode == 2, result.stderr
    said = (f"{out} is a file, not a folder" if where == "the file" else
            f"cannot make {out}: {other} is a file")
    assert result.stderr == f"error: `--out` {said}\n"
    assert other.read_bytes() == before


def test_a_rerun_into_an_earlier_runs_folder_shows_only_its_own_pictures(tmp_path):
    from genriflow.plots.folder import plot_to_folder

    out = tmp_path / "pictures"
    for name in ("first", "second"):
        sf.write(tmp_path / f"{name}.wav", chord(2.0), SR)
        plot_to_folder(tmp_path / f"{name}.wav", out, duration=2.0)
    page = (out / "report.html").read_text()
    # it showed the first song's seven pictures too, as if of the second
    assert "<figcaption>second-waveform.png</figcaption>" in page
    assert "first-" not in page
    assert (out / "first-waveform.png").is_file()  # the earlier run's files are left alone
