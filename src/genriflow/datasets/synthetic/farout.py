"""Far-out inputs for open-set tests: noise and a speech-like babble, no music at all.

``white-noise``, ``pink-noise`` (power ~ 1/f), ``brown-noise`` (power ~ 1/f^2) and
``speech``: a synthetic talker, syllables of a glottal pulse train (a wandering pitch of
90-220 Hz with jitter) through three formant resonators of a random vowel, between
fricative bursts (high-passed noise) and pauses, at about four syllables a second. Every
clip is seeded and scaled to an RMS of 0.1, the demo corpus's loudness.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy import signal

from genriflow.errors import at_least, one_of

#: The kinds of far-out clip, as folder (label) names.
FAR_OUT_KINDS = ("white-noise", "pink-noise", "brown-noise", "speech")

# F1, F2, F3 in Hz of five vowels (Peterson & Barney's adult averages, rounded).
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480),
           (570, 840, 2410))


def _coloured(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Noise whose power falls as ``1 / f**exponent`` (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    return np.fft.irfft(spectrum / f ** (exponent / 2), n)


def _resonator(x: np.ndarray, freq: float, bandwidth: float, sr: int) -> np.ndarray:
    r = np.exp(-np.pi * bandwidth / sr)
    a = [1.0, -2 * r * np.cos(2 * np.pi * freq / sr), r * r]
    return signal.lfilter([1.0 - r], a, x)


def _speech(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    y = np.zeros(n)
    at = 0
    f0_base = rng.uniform(100, 180)
    while at < n:
        kind = rng.choice(["voiced", "voiced", "voiced", "fricative", "pause"])
        length = int(sr * {"voiced": rng.uniform(0.12, 0.3), "fricative": rng.uniform(
            0.05, 0.12), "pause": rng.uniform(0.05, 0.4)}[kind])
        length = min(length, n - at)
        if kind == "voiced":
            f0 = f0_base * (1 + 0.15 * np.sin(np.linspace(0, rng.uniform(1, 3), length))
                            + 0.01 * rng.standard_normal(length))
            phase = np.cumsum(np.clip(f0, 90, 220) / sr)
            pulses = np.diff(np.floor(phase), prepend=0.0)          # one pulse per period
            source = signal.lfilter([1.0], [1.0, -0.97], pulses)    # glottal roll-off
            vowel = _VOWELS[rng.integers(len(_VOWELS))]
            seg = sum(_resonator(source, f, 80 + 0.08 * f, sr) for f in vowel)
            seg *= np.hanning(length)
        elif kind == "fricative":
            seg = signal.sosfilt(signal.butter(4, min(3500, 0.4 * sr), "highpass", fs=sr,
                                               output="sos"), rng.standard_normal(length))
            seg *= 0.3 * np.hanning(length)
        else:
            seg = np.zeros(length)
        y[at:at + length] += seg
        at += length
    return y


def far_out_clip(kind: str, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One far-out clip of ``kind`` (:data:`FAR_OUT_KINDS`), float32, RMS 0.1.

    >>> y = far_out_clip("pink-noise", 1.0, 8000, np.random.default_rng(0))
    >>> y.shape, round(float(np.sqrt(np.mean(y ** 2))), 3)
    ((8000,), 0.1)
    """
    one_of("kind", kind, FAR_OUT_KINDS)
    n = int(round(seconds * sr))
    at_least("seconds", n, 1)
    if kind == "speech":
        y = _speech(n, sr, rng)
    else:
        y = _coloured(n, rng, {"white-noise": 0.0, "pink-noise": 1.0, "brown-noise": 2.0}[kind])
    y = y - y.mean()
    return (0.1 * y / max(float(np.sqrt(np.mean(y ** 2))), 1e-12)).astype(np.float32)


def write_far_out(out_dir: str | os.PathLike, *, per_kind: int = 5, seconds: float = 30.0,
                  sr: int = 22050, seed: int = 0,
                  kinds: tuple[str, ...] = FAR_OUT_KINDS) -> list[Path]:
    """Write ``per_kind`` seeded clips of each kind as ``out_dir/<kind>/<kind>.NNNNN.wav``
    (a folder per label, as :func:`~genriflow.datasets.discover.discover` reads)."""
    import soundfile as sf

    at_least("per_kind", per_kind, 1)
    paths = []
    for k, kind in enumerate(kinds):
        folder = Path(out_dir) / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_kind):
            rng = np.random.default_rng([seed, k, i])
            path = folder / f"{kind}.{i:05d}.wav"
            sf.write(path, far_out_clip(kind, seconds, sr, rng), sr, subtype="PCM_16")
            paths.append(path)
    return paths
