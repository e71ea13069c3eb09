"""Waveforms in memory: the same features as the same samples in a file."""

import numpy as np
import pytest
import soundfile as sf
import soxr

from genriflow.audio import ARRAY_PATH, AudioError, mono_waveform, to_mono_resampled
from genriflow.errors import ConfigError
from genriflow.features.extract import extract, extract_waveform
from genriflow.features.options import RunOptions
from genriflow.features.sampling import Sampling
from genriflow.features.sets import FeatureConfig
from sample_audio import SR, tone

KAGGLE = FeatureConfig(set="kaggle")


def test_a_waveform_gives_the_features_of_the_same_samples_in_a_wav_file(tmp_path):
    y = tone(4.0, freq=220.0)
    path = tmp_path / "song.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    from_file = extract([path], KAGGLE, options=RunOptions(n_jobs=1)).files[0]
    from_array = extract_waveform(y, SR, KAGGLE)
    assert from_array.path == ARRAY_PATH and from_array.keys == ()
    assert from_array.values.shape == from_file.values.shape == (1, 57)
    np.testing.assert_allclose(from_array.values, from_file.values, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(from_array.offsets, from_file.offsets)


def test_windows_are_planned_and_cut_as_for_a_file(tmp_path):
    config = FeatureConfig(set="kaggle", clip_seconds=2.0)
    y = tone(7.0, freq=330.0, seed=3)
    path = tmp_path / "long.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    for sampling in (Sampling(), Sampling(full=True)):
        from_file = extract([path], config, options=RunOptions(n_jobs=1),
                            sampling=sampling).files[0]
        from_array = extract_waveform(y, SR, config, sampling=sampling)
        np.testing.assert_array_equal(from_array.offsets, from_file.offsets)
        np.testing.assert_allclose(from_array.values, from_file.values, rtol=1e-5, atol=1e-6)
    assert len(extract_waveform(y, SR, config, sampling=Sampling(full=True)).offsets) == 3


def test_stereo_at_44k_gives_its_mono_downmix_resampled_to_22k():
    left, right = tone(3.0, sr=44100), tone(3.0, freq=550.0, sr=44100, seed=1)
    frames = np.stack([left, right], axis=1)  # (n, channels), as soundfile returns
    mono = soxr.resample((left + right) / 2, 44100, SR, quality="HQ")
    expected = extract_waveform(mono, SR, KAGGLE).values
    for stereo in (frames, frames.T):  # and (channels, n), as librosa returns
        np.testing.assert_allclose(extract_waveform(stereo, 44100, KAGGLE).values, expected,
                                   rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_mono_resampled(frames.T, 44100, SR), mono, atol=1e-6)


@pytest.mark.parametrize(("y", "reason"), [
    (np.zeros(0, np.float32), "no audio samples"),
    (np.array([0.1, np.nan] * SR, np.float32), "NaN or infinite"),
    (np.array([0.1, np.inf] * SR), "NaN or infinite"),
    (np.array([0.1, -1e30] * SR, np.float32), "samples reach 1e.30, far past any audio"),
    (np.array(["a", "b"] * SR), "not audio samples"),
    (np.zeros((2, 2, SR), np.float32), "expected shape"),
    (tone(0.5), "too short"),
])
def test_bad_arrays_raise_audio_errors(y, reason):
    with pytest.raises(AudioError, match=reason) as caught:
        extract_waveform(y, SR, KAGGLE)
    assert str(caught.value).startswith(f"{ARRAY_PATH}: ") and "\n" not in str(caught.value)


@pytest.mark.parametrize("sr", [0, -22050, 22050.5])
def test_a_bad_rate_is_a_config_error(sr):
    with pytest.raises(ConfigError, match="`sr` must be"):
        extract_waveform(tone(2.0), sr, KAGGLE)


@pytest.mark.parametrize("sr", [1, 100, 3999, 768001, 10**7])
def test_a_rate_no_waveform_has_is_a_config_error_naming_sr(sr):
    # sr=1 read 4 s of samples as a day of audio, in silence
    with pytest.raises(ConfigError) as refused:
        extract_waveform(tone(2.0), sr, KAGGLE)
    assert str(refused.value) == ("`sr` must be the waveform's sample rate, 4000 to 768000 "
                                  f"Hz; got {sr}")


def test_the_lowest_and_highest_rates_are_taken():
    for sr in (4000, 768000):
        y = tone(1.0, sr=sr)
        np.testing.assert_allclose(mono_waveform(y, sr), y, rtol=1e-6)


def test_integer_pcm_is_scaled_as_a_decoder_scales_it():
    y = tone(2.0)
    pcm = np.round(y * 32767).astype(np.int16)
    np.testing.assert_allclose(extract_waveform(pcm, SR, KAGGLE).values,
                               extract_waveform(pcm / 32768.0, SR, KAGGLE).values, rtol=1e-5)


@pytest.mark.parametrize("channels", [2, 3, 6, 9])
def test_the_downmix_is_the_mean_of_the_channels_in_either_layout(channels):
    rng = np.random.default_rng(channels)
    frames = (rng.standard_normal((5000, channels)) * 0.3).astype(np.float32)
    expected = frames.astype(np.float64).mean(axis=1)
    for y, axis in ((frames, 1), (np.ascontiguousarray(frames.T), 0)):
        mono = to_mono_resampled(y, SR, None, channel_axis=axis)
        assert mono.dtype == np.float32 and mono.shape == (5000,)
        np.testing.assert_allclose(mono, expected, rtol=1e-6, atol=1e-7)
