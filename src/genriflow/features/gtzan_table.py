"""The 57 feature columns of the Kaggle GTZAN table (``features_30_sec.csv``).

The table was made with an older librosa (0.7/0.8 era) at its defaults: 22050 Hz, ``n_fft``
2048, ``hop_length`` 512, centred frames. Two of those old defaults differ from librosa 0.11
and both matter:

* centred STFTs and RMS frames were padded by reflection (``pad_mode="reflect"``), not
  with zeros;
* ``librosa.effects.hpss`` inverted its STFTs without ``length=`` and then zero-padded the
  result to the input length (``util.fix_length``). The inverse covers
  ``hop_length * (len(y) // hop_length)`` samples, so the last ``len(y) % hop_length``
  samples of ``harmony`` and ``perceptr`` are zeros.

Every column below is reproduced with that recipe from one reflect-padded complex STFT ``D``
of the float32 waveform ``y``. Statistics are ``np.mean`` and ``np.var`` (population
variance, ``ddof=0``) over all values of the array, in the dtype librosa returns (float32
for chroma, rms, harmony, perceptr and MFCCs; float64 for the others), as in the table.

============================  ============================================================
column                        recipe
============================  ============================================================
chroma_stft_mean/var          ``chroma_stft(S=|D|**2)`` (tuning estimated, 12 x frames)
rms_mean/var                  ``rms(y=y, pad_mode="reflect")`` on the waveform
spectral_centroid_mean/var    ``spectral_centroid(S=|D|)``
spectral_bandwidth_mean/var   ``spectral_bandwidth(S=|D|)``
rolloff_mean/var              ``spectral_rolloff(S=|D|)`` (``roll_percent`` 0.85)
zero_crossing_rate_mean/var   ``zero_crossing_rate(y)``
harmony_mean/var              harmonic part of ``decompose.hpss(D)``, ``istft`` without
                              ``length``, zero-padded to ``len(y)``
perceptr_mean/var             percussive part, likewise
tempo                         ``feature.tempo`` of ``onset_strength(S=power_to_db(M),
                              aggregate=np.median)``, ``M = melspectrogram(S=|D|**2)``;
                              the tempo ``beat.beat_track`` reports, without beat tracking
mfcc1..20_mean/var            ``mfcc(S=power_to_db(M), n_mfcc=20)``, per coefficient
============================  ============================================================

Measured fidelity on the 47 GTZAN clips of ``gtzan-sample`` (read with
``genriflow.audio.load(path, sr=22050)``, which returns the same samples as
``librosa.load``), relative error ``|ours - table| / |table|`` per column, median / worst
over clips:

* rms, zero_crossing_rate, tempo: exact on every clip (tempo: same BPM on all 47);
* spectral_centroid, spectral_bandwidth: 1e-10 / 2e-9; chroma_stft: 0 / 2e-7;
* rolloff: 0 / 9e-6 (a frame's rolloff bin can flip on float32 rounding);
* mfcc*_var: 1e-7 / 3e-7; mfcc*_mean: at most 5e-7 / 6e-5 (the worst on means near zero);
* harmony_var, perceptr_var: 1e-7 / 5e-7;
* harmony_mean: 5e-6 / 2e-3 and perceptr_mean: 3e-7 / 6e-5. These means are tiny next to
  the parts' standard deviations (for harmony a median ratio of 1e-4 over the table), so
  float32 rounding in the FFTs shows in their relative error; absolute errors are below
  1e-9.

Per clip, the median over the 57 columns is at most 1.2e-7: the table is reproduced to
float32 precision. librosa 0.11 at its own defaults (zero padding, HPSS with ``length=``)
gives per-clip medians of 1e-4 to 2e-3, errors up to 1.4e-2 on variances, and the tempo of
one clip in 47 wrong by about a factor of two.

Every recipe above is computed by a kernel of :mod:`genriflow.features.kernels` that returns
librosa's values bit for bit (``decompose.hpss``, ``istft``, ``rms``, the centroid,
bandwidth and rolloff in one pass, ``zero_crossing_rate``, the tuning estimate of
``chroma_stft``) or, for the tempo, the same BPM: on all 47 clips every column is identical
to the librosa calls'. One call on a 30 s clip takes about 0.14 s on one CPU core (0.05 s
of it in HPSS); with the librosa calls (and this module's own HPSS) it took 0.33 s, and
1.4 s with ``librosa.decompose.hpss``.
"""

from __future__ import annotations

import librosa
import numpy as np

from genriflow.features.kernels import (
    hpss,
    istft,
    rms,
    spectral_shape,
    tempo,
    zero_crossing_rate,
)
from genriflow.features.spectra import Spectra

#: Sample rate of the table, Hz.
TABLE_SR = 22050
#: STFT size and hop of the table, samples.
N_FFT = 2048
HOP_LENGTH = 512
#: Number of MFCCs in the table.
N_MFCC = 20

_STATS = ("mean", "var")
_FRAME_FEATURES = (
    "chroma_stft",
    "rms",
    "spectral_centroid",
    "spectral_bandwidth",
    "rolloff",
    "zero_crossing_rate",
    "harmony",
    "perceptr",
)

#: The 57 feature columns of ``features_30_sec.csv``, in the CSV's order.
GTZAN_TABLE_COLUMNS: tuple[str, ...] = (
    *(f"{name}_{stat}" for name in _FRAME_FEATURES for stat in _STATS),
    "tempo",
    *(f"mfcc{k}_{stat}" for k in range(1, N_MFCC + 1) for stat in _STATS),
)


def gtzan_table_features(y: np.ndarray, sr: int = TABLE_SR) -> np.ndarray:
    """Compute the 57 Kaggle GTZAN table features of a waveform.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono waveform, nominally in [-1, 1]; computed in float32 as the table was.
    sr : int
        Sample rate of ``y`` in Hz. The table was made at 22050 Hz; other rates give the
        same features computed at that rate, not values comparable with the table.

    Returns
    -------
    features : np.ndarray, shape (57,), float64
        Values in :data:`GTZAN_TABLE_COLUMNS` order. Units: chroma in [0, 1]; rms and
        harmony/perceptr in waveform units (variances squared); spectral centroid, bandwidth
        and rolloff in Hz (variances Hz**2); zero-crossing rate per sample; tempo in BPM;
        MFCCs in dB-scaled cepstral units.

    Raises
    ------
    ValueError
        If ``y`` is not one-dimensional, is shorter than ``N_FFT`` samples or is not finite.
    """
    return gtzan_table_from_spectra(Spectra(_check_waveform(y), sr))


def gtzan_table_from_spectra(spectra: Spectra) -> np.ndarray:
    """:func:`gtzan_table_features` from shared spectra (the engine's entry point).

    The STFT, chroma, mel spectrogram and MFCCs come from ``spectra``'s memo, so other
    feature sets computed on the same clip (``genriflow-stack``) reuse them.
    """
    y, sr = _check_waveform(spectra.y), spectra.sr
    values = [
        *_spectral_stats(spectra),
        *_hpss_stats(spectra.stft(N_FFT, HOP_LENGTH), y.size),
        _tempo(spectra.mel_db(N_FFT, HOP_LENGTH), sr),
        *_mfcc_stats(spectra.mfcc(N_MFCC, N_FFT, HOP_LENGTH)),
    ]
    return np.asarray(values, dtype=np.float64)


def _check_waveform(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected a mono waveform of shape (n_samples,), got {y.shape}")
    if y.size < N_FFT:
        raise ValueError(f"waveform too short: {y.size} samples, at least {N_FFT} needed")
    if not np.all(np.isfinite(y)):
        raise ValueError("waveform contains NaN or infinite values")
    return y


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.var(x))


def _spectral_stats(spectra: Spectra) -> list[float]:
    """Mean and variance of chroma, rms, centroid, bandwidth, rolloff and zero-crossing rate."""
    y, sr = spectra.y, spectra.sr
    freq = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    centroid, bandwidth, rolloff = spectral_shape(spectra.magnitude(N_FFT, HOP_LENGTH), freq)
    frames = [
        spectra.chroma(N_FFT, HOP_LENGTH),
        rms(y, frame_length=N_FFT, hop_length=HOP_LENGTH),
        centroid,
        bandwidth,
        rolloff,
        zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP_LENGTH),
    ]
    return [stat for x in frames for stat in _mean_var(x)]


def _hpss_stats(stft: np.ndarray, n_samples: int) -> list[float]:
    """Mean and variance of the harmonic and percussive waveforms (old ``effects.hpss``)."""
    waves = [librosa.util.fix_length(istft(part, HOP_LENGTH, N_FFT), size=n_samples)
             for part in hpss(stft)]
    return [stat for wave in waves for stat in _mean_var(wave)]


def _tempo(mel_db: np.ndarray, sr: int) -> float:
    """Global tempo in BPM, as ``librosa.beat.beat_track`` estimates it."""
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=HOP_LENGTH,
                                         n_fft=N_FFT, aggregate=np.median)
    return tempo(onset, sr, HOP_LENGTH)


def _mfcc_stats(mfcc: np.ndarray) -> list[float]:
    return [stat for row in mfcc for stat in _mean_var(row)]
