"""One file's waveform and the spectra derived from it, each computed once and shared.

Every feature set receives a :class:`Spectra` instead of a bare waveform, so that the
mel spectrogram of ``genriflow-stack`` and the MFCCs of the GTZAN table come from the same
STFT, and a second rate (16 kHz for some deep models) is resampled once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import librosa
import numpy as np
import soxr


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
    """

    pad_mode = "reflect"

    def __init__(self, y: np.ndarray, sr: int) -> None:
        self.y = np.asarray(y, dtype=np.float32)
        self.sr = int(sr)
        self._memo: dict[tuple, Any] = {}

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def at_rate(self, sr: int) -> Spectra:
        """The same audio resampled (soxr, high quality) to ``sr``; ``self`` if equal."""
        if sr == self.sr:
            return self
        return self._cached(("rate", sr), lambda: Spectra(
            soxr.resample(self.y, self.sr, sr, quality="HQ").astype(np.float32), sr))

    def stft(self, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
        """Complex STFT, shape (1 + n_fft // 2, n_frames), complex64."""
        return self._cached(("stft", n_fft, hop_length), lambda: librosa.stft(
            self.y, n_fft=n_fft, hop_length=hop_length, pad_mode=self.pad_mode))

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
        """Mel power spectrogram, shape (n_mels, n_frames), float32 (librosa's filters)."""
        return self._cached(("mel", n_fft, hop_length, n_mels, fmax), lambda: (
            librosa.feature.melspectrogram(S=self.power(n_fft, hop_length), sr=self.sr,
                                           n_fft=n_fft, n_mels=n_mels, fmax=fmax)))

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
        with warnings.catch_warnings():
            # Near-silent clips have no peaks to estimate tuning from; librosa then assumes
            # A440, which is the right answer, but warns once per file.
            warnings.filterwarnings("ignore", message="Trying to estimate tuning")
            return librosa.feature.chroma_stft(S=self.power(n_fft, hop_length), sr=self.sr,
                                               n_fft=n_fft, hop_length=hop_length)

    def mfcc(self, n_mfcc: int = 20, n_fft: int = 2048, hop_length: int = 512,
             n_mels: int = 128) -> np.ndarray:
        """MFCCs of :meth:`mel_db`, shape (n_mfcc, n_frames)."""
        return self._cached(("mfcc", n_mfcc, n_fft, hop_length, n_mels), lambda: (
            librosa.feature.mfcc(S=self.mel_db(n_fft, hop_length, n_mels), n_mfcc=n_mfcc)))
