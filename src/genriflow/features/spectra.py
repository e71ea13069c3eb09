"""One file's waveform and the spectra derived from it, each computed once and shared.

Every feature set receives a :class:`Spectra` instead of a bare waveform, so that the
mel spectrogram of ``genriflow-stack`` and the MFCCs of the GTZAN table come from the same
STFT, and a second rate (16 kHz for some deep models) is resampled once.
"""

from __future__ import annotations

import ctypes
import functools
import warnings
from collections.abc import Callable
from typing import Any

import librosa
import numpy as np
import soxr

# SciPy's FFT and genriflow's kernels (numba, scipy.signal) are imported by the spectra that
# use them: the networks' sets hold a Spectra only for its waveform, and a single song's
# start-up should not pay two seconds for imports it never uses.


class Spectra:
    """Memoised STFT-derived arrays of one mono waveform.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono waveform, float32.
    sr : int
        Its sample rate in Hz.

    Notes
    -----
    Centred frames are padded by reflection, librosa's default before 0.10 and the
    convention of the Kaggle GTZAN table, so every set shares one STFT per (n_fft, hop).

    The first instance in a process calls :func:`retain_freed_memory`.
    """

    pad_mode = "reflect"

    def __init__(self, y: np.ndarray, sr: int) -> None:
        retain_freed_memory()
        self.y = np.asarray(y, dtype=np.float32)
        self.sr = int(sr)
        self._memo: dict[tuple, Any] = {}

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def _holds(self, key: tuple) -> bool:
        return key in self._memo

    def _keep(self, key: tuple, value: Any) -> None:
        """Remember ``value`` as computed elsewhere (a batch of windows at once)."""
        self._memo[key] = value

    def at_rate(self, sr: int) -> Spectra:
        """The same audio resampled (soxr, high quality) to ``sr``; ``self`` if equal."""
        if sr == self.sr:
            return self
        return self._cached(("rate", sr), lambda: Spectra(
            soxr.resample(self.y, self.sr, sr, quality="HQ").astype(np.float32), sr))

    def stft(self, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
        """Complex STFT, shape (1 + n_fft // 2, n_frames), complex64, Fortran-ordered.

        Equal to ``librosa.stft(y, n_fft=n_fft, hop_length=hop_length, pad_mode="reflect")``
        (Hann window, centred): see :func:`stft`.
        """
        return self._cached(("stft", n_fft, hop_length),
                            lambda: stft(self.y, n_fft, hop_length, self.pad_mode))

    def magnitude(self, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
        """``|STFT|``, shape (1 + n_fft // 2, n_frames), float32."""
        return self._cached(("mag", n_fft, hop_length),
                            lambda: np.abs(self.stft(n_fft, hop_length)))

    def power(self, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
        """``|STFT|**2``, shape (1 + n_fft // 2, n_frames), float32."""
        return self._cached(("pow", n_fft, hop_length),
                            lambda: self.magnitude(n_fft, hop_length) ** 2)

    def mel(self, n_fft: int = 2048, hop_length: int = 512, n_mels: int = 128,
            fmax: float | None = None) -> np.ndarray:
        """Mel power spectrogram, shape (n_mels, n_frames), float32 (librosa's filters).

        Equal to ``librosa.feature.melspectrogram(S=self.power(n_fft, hop_length), ...)``:
        the same product, with the filter bank built once per process.
        """
        return self._cached(("mel", n_fft, hop_length, n_mels, fmax), lambda: np.einsum(
            "...ft,mf->...mt", self.power(n_fft, hop_length),
            _mel_filters(self.sr, n_fft, n_mels, fmax), optimize=True))

    def mel_db(self, n_fft: int = 2048, hop_length: int = 512, n_mels: int = 128,
               fmax: float | None = None) -> np.ndarray:
        """``power_to_db`` of :meth:`mel` (dB re 1, top 80 dB), shape (n_mels, n_frames)."""
        return self._cached(("mel_db", n_fft, hop_length, n_mels, fmax), lambda: (
            librosa.power_to_db(self.mel(n_fft, hop_length, n_mels, fmax))))

    def chroma(self, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
        """Chromagram from the power STFT, shape (12, n_frames), values in [0, 1]."""
        return self._cached(("chroma", n_fft, hop_length),
                            lambda: self._chroma(n_fft, hop_length))

    def _chroma(self, n_fft: int, hop_length: int) -> np.ndarray:
        # librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft), value for value: the
        # tuning from genriflow's one-pass piptrack, the filter bank built once per tuning.
        from genriflow.features.kernels import estimate_tuning

        power = self.power(n_fft, hop_length)
        with warnings.catch_warnings():
            # Near-silent clips have no peaks to estimate tuning from; librosa then assumes
            # A440, which is the right answer, but warns once per file.
            warnings.filterwarnings("ignore", message="Trying to estimate tuning")
            tuning = estimate_tuning(power, self.sr, n_fft)
        raw = np.einsum("cf,...ft->...ct", _chroma_filters(self.sr, n_fft, tuning), power,
                        optimize=True)
        return librosa.util.normalize(raw, norm=np.inf, axis=-2)

    def mfcc(self, n_mfcc: int = 20, n_fft: int = 2048, hop_length: int = 512,
             n_mels: int = 128) -> np.ndarray:
        """MFCCs of :meth:`mel_db`, shape (n_mfcc, n_frames)."""
        return self._cached(("mfcc", n_mfcc, n_fft, hop_length, n_mels), lambda: (
            librosa.feature.mfcc(S=self.mel_db(n_fft, hop_length, n_mels), n_mfcc=n_mfcc)))


def stft(y: np.ndarray, n_fft: int = 2048, hop_length: int = 512,
         pad_mode: str = "reflect") -> np.ndarray:
    """Centred Hann STFT of a float32 waveform, equal to ``librosa.stft`` value for value.

    :func:`genriflow.features.mel.stft` with SciPy's FFT, as librosa calls it: librosa's
    frames and arithmetic, without its per-block temporaries.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
    n_fft, hop_length : int
        FFT size and hop in samples.
    pad_mode : str
        ``np.pad`` mode of the centring.

    Returns
    -------
    D : np.ndarray, shape (1 + n_fft // 2, 1 + n_samples // hop_length), complex64
        Fortran-ordered (each frame contiguous), as librosa's.
    """
    import scipy.fft

    from genriflow.features import mel

    return mel.stft(y, n_fft, hop_length, pad_mode=pad_mode, rfft=scipy.fft.rfft)


#: glibc ``mallopt`` parameters (``<malloc.h>``) and the values set.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 32 * 2**20  # glibc's largest
_TRIM_THRESHOLD_BYTES = 512 * 2**20


@functools.cache
def retain_freed_memory() -> bool:
    """Let the C allocator keep freed memory for reuse instead of returning it (once).

    A 30 s clip allocates about 100 MB of short-lived arrays (spectrograms, their masks,
    inverse FFT frames). glibc hands blocks above its mmap threshold back to the kernel on
    ``free`` and trims the heap, so every clip paid again for zeroed pages: 5000 page
    faults and about 30 ms of system time per clip, a tenth of its features' cost.
    Raising the mmap threshold to 32 MiB and the trim threshold to 512 MiB makes the
    process reuse its own memory instead; its resident size stays at its peak.

    Returns
    -------
    bool
        Whether the allocator took the settings (``False`` off glibc).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES))


@functools.lru_cache(maxsize=32)
def _mel_filters(sr: int, n_fft: int, n_mels: int, fmax: float | None) -> np.ndarray:
    """``librosa.filters.mel`` at its defaults otherwise, read-only, shape (n_mels, bins)."""
    filters = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=fmax)
    filters.flags.writeable = False
    return filters


@functools.lru_cache(maxsize=128)
def _chroma_filters(sr: int, n_fft: int, tuning: float) -> np.ndarray:
    """``librosa.filters.chroma`` (12 classes) for one tuning, read-only, shape (12, bins)."""
    filters = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=12)
    filters.flags.writeable = False
    return filters
