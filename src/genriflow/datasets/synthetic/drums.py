"""Drum sounds from noise bursts and decaying sines, one function per voice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from genriflow.datasets.synthetic.dsp import filtered_noise


def _kick(sr: int, rng: np.random.Generator, tau: float | None = None) -> np.ndarray:
    tau = rng.uniform(0.08, 0.25) if tau is None else tau
    n = int(min(6 * tau, 1.2) * sr)
    t = np.arange(n) / sr
    f_end, f_start = rng.uniform(40, 65), rng.uniform(110, 200)
    freq = f_end + (f_start - f_end) * np.exp(-t / rng.uniform(0.02, 0.06))
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / tau)
    return body + rng.uniform(0.1, 0.5) * rng.standard_normal(n) * np.exp(-t / 0.003)


def _kick808(sr: int, rng: np.random.Generator) -> np.ndarray:
    return np.tanh(1.5 * _kick(sr, rng, tau=rng.uniform(0.3, 0.6)))


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.35 * sr)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * rng.uniform(150, 250) * t) * np.exp(-t / 0.04)
    rattle = filtered_noise(n, sr, rng, 1500.0, 8000.0) * np.exp(-t / rng.uniform(0.06, 0.2))
    return rng.uniform(0.3, 0.8) * tone + 2.0 * rattle


def _clap(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.006) * (t >= d) for d in (0, 0.011, 0.022))
    env = bursts + 0.6 * (t >= 0.03) * np.exp(-np.maximum(t - 0.03, 0) / rng.uniform(0.05, 0.15))
    return 2.0 * filtered_noise(n, sr, rng, 800.0, 3500.0) * env


def _rim(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    click = np.sin(2 * np.pi * rng.uniform(1500, 2300) * t) * np.exp(-t / 0.012)
    return click + 0.5 * filtered_noise(n, sr, rng, 2000.0, 6000.0) * np.exp(-t / 0.005)


def _brush(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    env = np.minimum(t / 0.02, 1.0) * np.exp(-t / rng.uniform(0.08, 0.18))
    return 0.8 * filtered_noise(n, sr, rng, 1000.0, 6000.0) * env


def _cymbal(
    sr: int, rng: np.random.Generator, tau: float, low: float, metal: float = 0.0
) -> np.ndarray:
    n = int(min(5 * tau, 2.0) * sr)
    t = np.arange(n) / sr
    y = filtered_noise(n, sr, rng, low=low)
    if metal > 0.0:
        ratios = np.array([1.0, 1.342, 1.547, 1.813, 2.174, 2.521])
        freqs = np.minimum(rng.uniform(2500, 4000) * ratios, 0.45 * sr)
        y = y + metal * np.sin(2 * np.pi * np.outer(t, freqs)).sum(axis=1) / len(freqs)
    return y * np.exp(-t / tau)


#: Drum voice name -> ``voice(sr, rng)``, one freshly drawn hit.
DRUM_VOICES: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "kick": _kick,
    "kick808": _kick808,
    "snare": _snare,
    "clap": _clap,
    "rim": _rim,
    "brush": _brush,
    "closed_hat": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.015, 0.05), 7000.0),
    "open_hat": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.12, 0.3), 6000.0),
    "shaker": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.03, 0.06), 4000.0) * 0.7,
    "ride": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.3, 0.6), 4000.0, metal=0.8),
    "crash": lambda sr, rng: _cymbal(sr, rng, rng.uniform(0.6, 1.2), 3000.0, metal=0.3),
}
