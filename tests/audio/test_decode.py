import os
import warnings
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from genriflow.audio import AudioError, fix_length, info, load, load_native, window_offsets
from genriflow.audio.errors import AudioWarning
from sample_audio import SR, tone, write_bad_files, write_truncated


def _write_m4a(path: Path, y: np.ndarray, sr: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=sr)
        frame = av.AudioFrame.from_ndarray(y[None, :], format="flt", layout="mono")
        frame.sample_rate = sr
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3", "au", "aiff", "m4a"])
def test_every_container_decodes_to_mono_float32_at_target_rate(tmp_path, ext):
    y = tone(3.0, sr=44100)
    stereo = np.stack([y, 0.5 * y], axis=1)
    path = tmp_path / f"song.{ext}"
    if ext == "m4a":
        _write_m4a(path, y, 44100)
    else:
        sf.write(path, stereo, 44100)
    out = load(path, sr=SR)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(out.size / SR - 3.0) < 0.1
    assert 0.05 < np.abs(out).max() <= 1.0


@pytest.mark.parametrize("ext", ["flac", "ogg", "mp3"])
def test_window_read_matches_the_same_samples_of_a_full_decode(tmp_path, ext):
    y = 0.3 * np.random.default_rng(1).standard_normal(SR * 8).astype(np.float32)
    path = tmp_path / f"noise.{ext}"
    sf.write(path, y, SR)
    whole = load(path, sr=None)
    window = load(path, sr=None, offset=3.3, duration=1.5)
    start = int(round(3.3 * SR))
    assert window.size == int(round(1.5 * SR))
    np.testing.assert_allclose(window, whole[start:start + window.size], atol=1e-6)


def test_resampling_keeps_duration_and_pitch(tmp_path):
    path = tmp_path / "a440.wav"
    sf.write(path, tone(2.0, freq=440.0, sr=48000), 48000)
    y = load(path, sr=16000)
    assert y.size == 32000
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 16000 / y.size - 440.0) < 2.0


def test_info_reads_header_without_decoding(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, tone(4.0), SR)
    meta = info(path)
    assert meta.sr == SR and meta.channels == 1 and abs(meta.duration - 4.0) < 1e-3


def test_bad_files_raise_typed_one_line_errors(tmp_path):
    expected = write_bad_files(tmp_path)
    for name, kind in expected.items():
        with pytest.raises(AudioError) as caught:
            load(tmp_path / name, min_duration=1.0)
        assert caught.value.kind.value == kind, name
        message = str(caught.value)
        assert name in message and "\n" not in message


@pytest.mark.parametrize("name", ["notes.flac", "notes.ogg", "notes.wav", "noise.flac"])
def test_a_file_that_is_not_audio_is_unsupported_whatever_its_ending(tmp_path, name):
    # FFmpeg opens any bytes called .flac as a 0 Hz FLAC stream, and runs out of bytes
    # looking for an Ogg page: both were "empty" or "corrupt", with errno and path
    path = tmp_path / name
    if name.startswith("noise"):
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    else:
        path.write_text("shopping list, not a song\n" * 50)
    for read in (info, load):
        with pytest.raises(AudioError) as caught:
            read(path)
        assert caught.value.kind.value == "unsupported", (read, str(caught.value))
        assert str(caught.value) == f"{path}: not a recognised audio format (unreadable header)"


def test_an_ffmpeg_error_is_told_in_its_own_words_without_errno_or_path(tmp_path):
    from genriflow.audio.decode import _classify_av_error

    path = tmp_path / "song.m4a"
    for exc, said, kind in [
            (av.error.PermissionError(13, "Permission denied", str(path)),
             "cannot be read: permission denied", "unreadable"),
            (PermissionError(13, "Permission denied", str(path)),
             "cannot be read: permission denied", "unreadable"),
            (OSError(5, "Input/output error", str(path)),
             "cannot be read: input/output error", "unreadable"),
            (FileNotFoundError(2, "No such file or directory", str(path)),
             "file not found", "missing"),
            (av.error.ExternalError(542398533, "Generic error in an external library",
                                    "/tmp/upload-1.m4a"),
             "cannot decode: Generic error in an external library", "corrupt")]:
        error = _classify_av_error(path, exc)
        assert (error.reason, error.kind.value) == (said, kind), exc
        assert str(error) == f"{path}: {said}"


@pytest.mark.parametrize("ext", ["wav", "flac", "mp3", "m4a"])
def test_a_song_this_user_may_not_read_is_unreadable_not_corrupt(tmp_path, ext, unreadable):
    # wav and flac fail in libsndfile first, then in FFmpeg; mp3 and m4a in FFmpeg only
    path = tmp_path / f"song.{ext}"
    if ext == "m4a":
        _write_m4a(path, tone(2.0), SR)
    else:
        sf.write(path, tone(2.0), SR)
    unreadable(path)
    for read in (info, load):
        with pytest.raises(AudioError) as caught:
            read(path)
        assert caught.value.kind.value == "unreadable", (read, str(caught.value))
        assert str(caught.value) == f"{path}: cannot be read: permission denied"


@pytest.mark.parametrize("name", ["cut.mp3", "cut.flac"])
def test_a_cut_file_is_used_for_the_part_that_decodes_with_a_warning(tmp_path, name):
    if name.endswith(".flac"):
        sf.write(tmp_path / "whole.flac", tone(20.0), SR)
        data = (tmp_path / "whole.flac").read_bytes()
        (tmp_path / name).write_bytes(data[: len(data) // 3])
        path = tmp_path / name
    else:
        path = write_truncated(tmp_path, name, seconds=20.0, keep=1 / 3)
    meta = info(path)
    assert meta.declared == pytest.approx(20.0, abs=0.1)
    assert 4.0 < meta.duration < 9.0  # about a third decodes
    with pytest.warns(AudioWarning, match="truncated") as caught:
        y = load(path, sr=SR, min_duration=1.0)
    assert caught[0].message.path == path
    assert abs(len(y) / SR - meta.duration) < 0.2
    whole = tmp_path / "whole.wav"
    sf.write(whole, tone(20.0), SR)
    assert info(whole).declared is None


def _write_adts(path: Path, y: np.ndarray, sr: int) -> None:
    """Raw AAC (ADTS, ``.aac``): no header declares the length, FFmpeg guesses it."""
    with av.open(str(path), "w", format="adts") as container:
        stream = container.add_stream("aac", rate=sr)
        for at in range(0, len(y), 1024):
            frame = av.AudioFrame.from_ndarray(y[None, at:at + 1024].astype(np.float32),
                                               format="flt", layout="mono")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize("quiet_first", [True, False])
def test_a_whole_raw_aac_file_is_not_called_cut_and_its_length_is_right(tmp_path,
                                                                        quiet_first):
    # FFmpeg guesses an ADTS file's length from its first bit rate: 20 s quiet then loud
    # was "truncated: the header declares 89.9 s, only 20.0 s decode", loud then quiet
    # 11.2 s long (and decoded whole, 20 s)
    rng = np.random.default_rng(0)
    quiet = 0.001 * np.sin(2 * np.pi * 440 * np.arange(10 * SR) / SR)  # a pure tone: few bits
    loud = 0.3 * rng.standard_normal(10 * SR)
    path = tmp_path / "song.aac"
    _write_adts(path, np.concatenate([quiet, loud] if quiet_first else [loud, quiet]), SR)
    meta = info(path)
    assert meta.declared is None and meta.truncation is None
    assert meta.duration == pytest.approx(20.0, abs=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        y = load(path, sr=SR)
    assert len(y) / SR == pytest.approx(meta.duration, abs=0.1)

def test_a_cut_file_of_which_nothing_decodes_is_refused(tmp_path):
    path = write_truncated(tmp_path, "stub.mp3", seconds=20.0, keep=0.01)
    with pytest.raises(AudioError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        load(path, min_duration=1.0)
    assert caught.value.kind.value in ("too-short", "corrupt", "unsupported")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(AudioError, match="file not found") as caught:
        load(tmp_path / "nope.wav")
    assert caught.value.kind.value == "missing"


def test_fix_length_pads_and_trims():
    y = np.ones(10, np.float32)
    assert fix_length(y, 4).tolist() == [1, 1, 1, 1]
    assert fix_length(y, 12).tolist() == [1] * 10 + [0, 0]


def test_window_offsets_tile():
    assert window_offsets(20.0, 30.0) == [0.0]
    assert window_offsets(95.0, 30.0) == [0.0, 30.0, 60.0]
    assert len(window_offsets(3600.0, 30.0)) == 120


@pytest.mark.parametrize("ext", ["opus", "ogg"])
def test_an_opus_window_is_the_same_samples_whether_or_not_libsndfile_refuses_it(
        tmp_path, ext, monkeypatch):
    # libsndfile 1.2.2 refuses some windows of real Opus files ("malformed"), not always
    # the same ones from one process to the next; the window then came from FFmpeg's
    # Opus decoder, whose samples differ from libopus's (by 0.4 on this low-rate file),
    # and a song's features from the Ray engine from the local engine's.
    sr = 48000
    rng = np.random.default_rng(1)
    t = np.arange(sr * 6) / sr
    bursts = (np.sin(2 * np.pi * 2 * t) > 0) * rng.standard_normal(t.size)
    y = (0.3 * bursts + 0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    path = tmp_path / f"song.{ext}"
    sf.write(path, y, sr, format="OGG", subtype="OPUS", compression_level=1.0)
    whole, native_sr = load_native(path)
    assert native_sr == sr
    start, n = int(round(2.5 * sr)), int(round(1.5 * sr))
    window, _ = load_native(path, offset=2.5, duration=1.5)

    def refused(self, *args, **kwargs):
        raise sf.LibsndfileError(0, prefix="Supported file format but file is malformed. ")

    monkeypatch.setattr(sf.SoundFile, "read", refused)
    again, _ = load_native(path, offset=2.5, duration=1.5)
    assert window.size == again.size == n
    np.testing.assert_allclose(again, window, atol=1e-6)
    np.testing.assert_allclose(window, whole[start:start + n], atol=1e-6)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_a_window_past_the_end_is_named_as_such_not_as_an_empty_file(tmp_path, ext):
    # `genriflow plot song.ogg --offset 1000` on a 27 s song said "no audio samples
    # (header only or nothing decodable)", blaming a sound file for the window's offset
    y = tone(3.0, sr=44100)
    path = tmp_path / f"song.{ext}"
    if ext == "m4a":
        _write_m4a(path, y, 44100)
    else:
        sf.write(path, y, 44100)
    with pytest.raises(AudioError) as caught:
        load(path, sr=SR, offset=10.0, duration=5.0)
    assert caught.value.kind == "too-short"
    assert "nothing at 10 s" in caught.value.reason
    assert "ends at 3." in caught.value.reason
    assert "header only" not in str(caught.value)
    # a file with no samples at all is still called so
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 44100)
    with pytest.raises(AudioError, match="no audio samples"):
        load(empty, sr=SR, offset=10.0)


def test_what_is_not_a_file_is_named_for_what_it_is(tmp_path):
    # a FIFO and a device were "empty file (0 bytes)", a link loop "file not found"
    os.mkfifo(tmp_path / "pipe.wav")
    (tmp_path / "loop.wav").symlink_to(tmp_path / "loop.wav")
    (tmp_path / "dangling.wav").symlink_to(tmp_path / "gone.wav")
    said = {tmp_path / "pipe.wav": ("is a named pipe (FIFO), not an audio file", "unsupported"),
            Path("/dev/null"): ("is a device, not an audio file", "unsupported"),
            tmp_path / "loop.wav": ("broken link: what it points to is missing (or a link "
                                    "loop)", "missing"),
            tmp_path / "dangling.wav": ("broken link: what it points to is missing (or a "
                                        "link loop)", "missing")}
    for path, (reason, kind) in said.items():
        for read in (info, load):
            with pytest.raises(AudioError) as caught:
                read(path)
            assert (str(caught.value), caught.value.kind.value) == (f"{path}: {reason}", kind)


def test_a_song_in_a_folder_this_user_may_not_enter_is_unreadable(tmp_path, unreadable):
    # Path.exists raised PermissionError there: "internal error (a bug in genriflow)"
    (tmp_path / "locked").mkdir()
    song = tmp_path / "locked" / "song.wav"
    sf.write(song, tone(2.0), SR)
    unreadable(tmp_path / "locked")
    with pytest.raises(AudioError) as caught:
        load(song)
    assert str(caught.value) == f"{song}: cannot be read: permission denied"


def test_a_float_file_of_absurd_samples_is_one_line_naming_it(tmp_path):
    # samples of 1e30 came through decoding: the features' squares overflowed in NumPy
    # ("overflow encountered in square (mel.py RuntimeWarning)", naming no file) before
    # the file was reported, as "features are not finite"
    from commandline import in_process

    y = tone(4.0)
    y[1000:2000] = 1e30
    broken = tmp_path / "broken.wav"
    sf.write(broken, y, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"broken\.wav: samples reach 1e\+30, far past"):
        load(broken)
    for model in ("gtzan", "gtzan-table"):
        ran = in_process("predict", broken, "--model", model, "--no-store", "-q", "-j", "1")
        assert ran.returncode == 1, ran.stderr
        assert ran.stderr.splitlines() == [
            "1 file could not be used:",
            f"  {broken}: samples reach 1e+30, far past any audio scale (full scale is 1)"]


def test_float_samples_scaled_as_integer_pcm_still_decode(tmp_path):
    path = tmp_path / "loud.wav"
    y = tone(2.0) * 32767  # some tools write float files on the 16-bit scale
    sf.write(path, y, SR, subtype="FLOAT")
    np.testing.assert_allclose(load(path), y, rtol=1e-4, atol=1e-2)
