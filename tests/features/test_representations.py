"""Shapes, sharing and determinism of :mod:`genriflow.features.representations`."""

from __future__ import annotations

from functools import cache

import librosa
import numpy as np
import pytest
from PIL import Image

from genriflow.features import spectra as spectra_module
from genriflow.features.representations import (
    REPRESENTATIONS,
    SPECTRAL_SUMMARY_COLUMNS,
    CS229MelParams,
    CS229RawParams,
    LogMelParams,
    MelImageParams,
    SpectralSummaryParams,
    StackParams,
    columns,
    cs229_mel,
    cs229_raw,
    export_mel_image,
    export_mel_images,
    genriflow_stack,
    log_mel,
    mel_image,
    spectral_summary,
    spectral_summary_columns,
    stack_rows,
    window_starts,
)
from genriflow.features.spectra import Spectra
from genriflow.models.transforms import FrameStandardizer

SR = 22050


@cache
def _chirp(seconds: float, seed: int = 0, sr: int = SR) -> np.ndarray:
    """A rising chirp over a little noise, float32 mono (read-only: it is shared)."""
    y = 0.3 * librosa.chirp(fmin=110, fmax=4000, sr=sr, duration=seconds)
    y = y + 0.01 * np.random.default_rng(seed).standard_normal(y.size)
    y = y.astype(np.float32)
    y.flags.writeable = False
    return y


def _spectra(seconds: float, seed: int = 0) -> Spectra:
    return Spectra(_chirp(seconds, seed), SR)


@pytest.fixture
def stft_calls(monkeypatch) -> list[tuple]:
    """Arguments of every STFT computed, by :class:`Spectra` or by ``librosa.stft``."""
    calls: list[tuple] = []
    ours, theirs = spectra_module.stft, librosa.stft

    def counting(y, n_fft=2048, hop_length=512, pad_mode="reflect"):
        calls.append((y.size, n_fft, hop_length))
        return ours(y, n_fft, hop_length, pad_mode)

    def counting_librosa(y, **kwargs):
        calls.append((y.size, kwargs.get("n_fft"), kwargs.get("hop_length")))
        return theirs(y, **kwargs)

    monkeypatch.setattr(spectra_module, "stft", counting)
    monkeypatch.setattr(librosa, "stft", counting_librosa)
    return calls


# --- genriflow-stack -------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [20.0, 30.0, 31.5])
def test_stack_has_a_fixed_shape(seconds: float) -> None:
    stack = genriflow_stack(_spectra(seconds), StackParams())
    assert stack.shape == (166, 1 + 30 * SR // 512) == (166, 1292)
    assert stack.dtype == np.float32
    assert np.all(np.isfinite(stack))


def test_short_clips_are_zero_padded_at_the_end() -> None:
    short, padded = _chirp(20.0), np.zeros(30 * SR, np.float32)
    padded[: short.size] = short
    np.testing.assert_array_equal(genriflow_stack(Spectra(short, SR)),
                                  genriflow_stack(Spectra(padded, SR)))


def test_stack_rows_are_the_shared_spectra(stft_calls: list[tuple]) -> None:
    spectra = _spectra(30.0)
    stack = genriflow_stack(spectra, StackParams())
    rows = stack_rows(StackParams())
    assert list(rows) == ["chroma", "tonnetz", "mel_db", "mfcc"]
    np.testing.assert_array_equal(stack[rows["chroma"]], spectra.chroma())
    np.testing.assert_array_equal(stack[rows["mel_db"]], spectra.mel_db())
    np.testing.assert_array_equal(stack[rows["mfcc"]], spectra.mfcc())
    tonnetz = librosa.feature.tonnetz(chroma=spectra.chroma())
    np.testing.assert_allclose(stack[rows["tonnetz"]], tonnetz, rtol=1e-6, atol=1e-7)
    mel_image(spectra, MelImageParams())
    spectral_summary(spectra, SpectralSummaryParams())  # its CQT (chroma CENS) is not an STFT
    assert stft_calls == [(30 * SR, 2048, 512)]


# --- cs229 -----------------------------------------------------------------------------


def test_cs229_shapes() -> None:
    spectra = _spectra(10.0)
    raw = cs229_raw(spectra, CS229RawParams())
    mel = cs229_mel(spectra, CS229MelParams())
    assert raw.shape == (4, 44100) and raw.dtype == np.float32
    assert mel.shape == (4, 64, 1 + 44100 // 256) == (4, 64, 173)
    assert mel.dtype == np.float32


def test_cs229_windows_are_cut_from_the_waveform() -> None:
    y = _chirp(10.0)
    raw = cs229_raw(Spectra(y, SR), CS229RawParams())
    starts = window_starts(y, CS229RawParams())
    assert np.all(np.diff(starts) >= 0) and starts[-1] <= y.size - 44100
    for window, start in zip(raw, starts, strict=True):
        np.testing.assert_array_equal(window, y[start:start + 44100])
    mel = cs229_mel(Spectra(y, SR), CS229MelParams())
    np.testing.assert_array_equal(mel[0], Spectra(raw[0], SR).mel_db(512, 256, 64))


def test_cs229_positions_depend_only_on_audio_and_seed() -> None:
    params = CS229RawParams()
    first = window_starts(_chirp(10.0, seed=0), params)
    np.testing.assert_array_equal(first, window_starts(_chirp(10.0, seed=0).copy(), params))
    assert not np.array_equal(first, window_starts(_chirp(10.0, seed=1), params))
    assert not np.array_equal(first, window_starts(_chirp(10.0), CS229RawParams(seed=1)))
    np.testing.assert_array_equal(cs229_raw(_spectra(10.0)), cs229_raw(_spectra(10.0)))


def test_cs229_pads_clips_shorter_than_a_window() -> None:
    y = _chirp(1.5)
    raw = cs229_raw(Spectra(y, SR), CS229RawParams())
    assert raw.shape == (4, 44100)
    np.testing.assert_array_equal(raw[:, : y.size], np.broadcast_to(y, (4, y.size)))
    assert not np.any(raw[:, y.size:])
    assert cs229_mel(Spectra(y, SR), CS229MelParams()).shape == (4, 64, 173)


# --- mel-image -------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [3.0, 30.0])
def test_mel_image_is_a_unit_range_square(seconds: float) -> None:
    image = mel_image(_spectra(seconds), MelImageParams())
    assert image.shape == (128, 128) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0
    assert image.max() - image.min() > 0.9


def test_mel_image_of_silence_is_zero() -> None:
    image = mel_image(Spectra(np.zeros(3 * SR, np.float32), SR), MelImageParams())
    assert image.shape == (128, 128) and not np.any(image)


def test_mel_images_are_written_as_grayscale_png(tmp_path) -> None:
    image = mel_image(_spectra(3.0), MelImageParams())
    path = export_mel_image(image, tmp_path / "one.png")
    with Image.open(path) as png:
        assert png.mode == "L" and png.size == (128, 128)
        pixels = np.asarray(png)
    np.testing.assert_array_equal(pixels, np.round(np.flipud(image) * 255).astype(np.uint8))

    paths = export_mel_images([image, image], ["rock", "jazz"], ["a", "b"], tmp_path / "out")
    assert paths == [tmp_path / "out" / "rock" / "a.png", tmp_path / "out" / "jazz" / "b.png"]
    assert all(p.is_file() for p in paths)
    with pytest.raises(ValueError, match="plain file names"):
        export_mel_images([image], ["rock"], ["../escape"], tmp_path / "out")


# --- spectral-summary ------------------------------------------------------------------


def test_spectral_summary_columns_match_values() -> None:
    spectra = _spectra(5.0)
    basic = spectral_summary(spectra, SpectralSummaryParams())
    rich = spectral_summary(spectra, SpectralSummaryParams(rich=True))
    rich_columns = columns(SpectralSummaryParams(rich=True))
    assert basic.dtype == rich.dtype == np.float64
    assert basic.shape == (len(SPECTRAL_SUMMARY_COLUMNS),) == (1 + 2 * 54,)
    assert rich.shape == (len(rich_columns),) == (1 + 7 * 54,)
    assert np.all(np.isfinite(basic)) and np.all(np.isfinite(rich))
    assert len(set(rich_columns)) == len(rich_columns)
    assert set(SPECTRAL_SUMMARY_COLUMNS) < set(rich_columns)
    assert {"mfcc3_dmean", "spectral_contrast7_max", "rolloff_median"} <= set(rich_columns)
    by_name = dict(zip(rich_columns, rich, strict=True))
    np.testing.assert_allclose([by_name[c] for c in SPECTRAL_SUMMARY_COLUMNS], basic)
    assert 60 <= by_name["tempo"] <= 240


def test_spectral_summary_rich_statistics() -> None:
    spectra = _spectra(5.0)
    params = SpectralSummaryParams(rich=True)
    values = dict(zip(spectral_summary_columns(params), spectral_summary(spectra, params),
                      strict=True))
    mfcc3 = spectra.mfcc()[2].astype(np.float64)
    step = np.abs(np.diff(mfcc3))
    expected = {"mean": mfcc3.mean(), "var": mfcc3.var(), "median": np.median(mfcc3),
                "min": mfcc3.min(), "max": mfcc3.max(), "dmean": step.mean(),
                "dvar": step.var()}
    for stat, value in expected.items():
        assert values[f"mfcc3_{stat}"] == pytest.approx(value, rel=1e-9), stat


# --- log-mel ---------------------------------------------------------------------------


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("compression", ["db", "log1p"])
def test_log_mel_at_16k_and_22k(sr: int, compression: str) -> None:
    spectra = _spectra(4.3)
    out = log_mel(spectra, LogMelParams(sr=sr, compression=compression))
    n_samples = spectra.at_rate(sr).y.size
    assert n_samples == pytest.approx(4.3 * sr, abs=1)
    assert out.shape == (96, 1 + n_samples // 256) and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    if compression == "log1p":
        mel = spectra.at_rate(sr).mel(512, 256, 96)
        np.testing.assert_allclose(out, np.log10(10000 * mel + 1), rtol=1e-6)


def test_log_mel_rejects_unknown_compression() -> None:
    with pytest.raises(ValueError, match="compression"):
        LogMelParams(compression="ln")


# --- registry --------------------------------------------------------------------------


def test_registry_names_and_array_sets_have_no_columns() -> None:
    assert set(REPRESENTATIONS) == {"genriflow-stack", "cs229-raw", "cs229-mel", "mel-image",
                                    "spectral-summary", "log-mel"}
    for params_class, compute in REPRESENTATIONS.values():
        assert callable(compute)
        with pytest.raises(AttributeError):
            params_class().sr = 1  # frozen
    with pytest.raises(TypeError):
        columns(StackParams())


# --- FrameStandardizer -----------------------------------------------------------------


def _frames(n_samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres, spreads = np.array([-80.0, 0.0, 5.0]), np.array([20.0, 1e-3, 3.0])
    noise = rng.standard_normal((n_samples, 3, 50))
    return (centres[:, None] + spreads[:, None] * noise).astype(np.float32)


def test_frame_standardizer_uses_samples_and_frames() -> None:
    X = _frames(40, seed=0)
    Z = FrameStandardizer().fit_transform(X)
    assert Z.shape == X.shape and Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=(0, 2), dtype=np.float64), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=(0, 2), dtype=np.float64), 1.0, rtol=1e-5)


def test_frame_standardizer_applies_training_statistics() -> None:
    train, test = _frames(40, seed=0), _frames(7, seed=1) + 1.0
    scaler = FrameStandardizer().fit(train)
    reference = train.astype(np.float64)
    np.testing.assert_allclose(scaler.mean_, reference.mean(axis=(0, 2)), rtol=1e-10)
    np.testing.assert_allclose(scaler.scale_, reference.std(axis=(0, 2)), rtol=1e-10)
    expected = (test - scaler.mean_[:, None]) / scaler.scale_[:, None]
    np.testing.assert_allclose(scaler.transform(test), expected, rtol=1e-5, atol=1e-5)
    assert scaler.transform(test.astype(np.float64)).dtype == np.float64


def test_frame_standardizer_edge_cases() -> None:
    X = _frames(5, seed=0)
    X[:, 1, :] = 3.0
    scaler = FrameStandardizer().fit(X)
    assert scaler.scale_[1] == 1.0 and not np.any(scaler.transform(X)[:, 1, :])
    with pytest.raises(ValueError, match="features"):
        scaler.transform(X[:, :2, :])
    with pytest.raises(ValueError, match="n_frames"):
        FrameStandardizer().fit(X[:, :, 0])
