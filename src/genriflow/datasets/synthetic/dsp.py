"""Signal processing: wavetable notes, envelopes, filtered noise and the master bus.

Nothing here knows a genre: the arrangement passes a timbre, a note and a random generator
(every random draw comes from it, in a fixed order, so a clip is reproducible).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from genriflow.datasets.synthetic.instruments import Timbre

_TABLE_SIZE = 2048

#: Formant frequencies (Hz) of four vowels, for timbres that sing or rap.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410))


def _hz(midi: float) -> float:
    """Frequency of a (fractional) MIDI note number, A4 = 69 = 440 Hz."""
    return 440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0)


def mix_into(buf: np.ndarray, at: int, x: np.ndarray) -> None:
    """Mix ``x`` into ``buf`` starting at sample ``at`` (clipped to the buffer)."""
    if at < 0:
        x, at = x[-at:], 0
    end = min(at + x.size, buf.size)
    if end > at:
        buf[at:end] += x[: end - at]


def filtered_noise(
    n: int, sr: int, rng: np.random.Generator, low: float | None = None, high: float | None = None
) -> np.ndarray:
    """White noise, high-passed at ``low`` and/or low-passed at ``high`` Hz."""
    x = rng.standard_normal(n)
    if low is None and high is None:
        return x
    return signal.sosfilt(_butter(sr, low, high), x)


@lru_cache(maxsize=256)
def _butter(sr: int, low: float | None, high: float | None) -> np.ndarray:
    """Second-order Butterworth sections: band-, high- or low-pass, kept below Nyquist."""
    nyq = 0.45 * sr
    if low is not None and high is not None:
        return signal.butter(
            2, [min(low, 0.9 * nyq), min(high, nyq)], "bandpass", fs=sr, output="sos"
        )
    if low is not None:
        return signal.butter(2, min(low, nyq), "highpass", fs=sr, output="sos")
    return signal.butter(2, min(high, nyq), "lowpass", fs=sr, output="sos")


def _decay(n: int, sr: int, tau: float) -> np.ndarray:
    """``exp(-t / tau)`` over ``n`` samples, float32."""
    return np.exp(np.arange(n, dtype=np.float32) * np.float32(-1.0 / (sr * tau)))


def _envelope(n_hold: int, n_total: int, timbre: Timbre, sr: int) -> np.ndarray:
    """ADSR amplitude envelope: hold for ``n_hold`` samples, release until ``n_total``."""
    n_attack = min(max(int(timbre.attack * sr), 1), n_total)
    env = np.ones(n_total, dtype=np.float32)
    env[n_attack:] = _decay(n_total - n_attack, sr, timbre.decay)
    env[n_attack:] *= 1.0 - timbre.sustain
    env[n_attack:] += timbre.sustain
    env[:n_attack] = np.linspace(0.0, 1.0, n_attack, endpoint=False)
    tail = n_total - n_hold
    if tail > 0:
        env[n_hold:] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)
    return env


@lru_cache(maxsize=2048)
def _wavetables(
    timbre: Timbre, bright: float, n_harm: int, vowel: int, freq: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bright and dark (damped) wavetables of a note with ``n_harm`` harmonics.

    ``vowel`` indexes :data:`_VOWELS` for a timbre with formants (``freq`` is then the
    note's frequency); otherwise both are ignored, and callers pass ``-1`` and ``0.0``.
    """
    k = np.arange(1, n_harm + 1, dtype=float)
    amps = k ** -(timbre.slope / bright)
    amps[1::2] *= timbre.even
    if vowel >= 0:
        for f0 in _VOWELS[vowel]:
            amps *= 1.0 + 6.0 * np.exp(-0.5 * ((k * freq - f0) / (0.12 * f0)) ** 2)
    return _wavetable(amps), _wavetable(amps / k**2)


def _wavetable(amps: np.ndarray) -> np.ndarray:
    """One period of a waveform with the given harmonic amplitudes, peak 1."""
    spec = np.zeros(_TABLE_SIZE // 2 + 1, dtype=complex)
    spec[1 : amps.size + 1] = -1j * amps
    table = np.fft.irfft(spec, n=_TABLE_SIZE)
    return (table / max(np.abs(table).max(), 1e-12)).astype(np.float32)


def _phase(freq: float, n: int, sr: int, timbre: Timbre, rng: np.random.Generator) -> np.ndarray:
    """Phase in cycles of a note, with delayed vibrato when the timbre has some."""
    if timbre.vibrato <= 0.0:
        return rng.random() + np.arange(n) * (freq / sr)
    t = np.arange(n) / sr
    depth = timbre.vibrato / 1200.0 * np.log(2.0) * np.minimum(t / 0.3, 1.0)
    inst = freq * (1.0 + depth * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t))
    return rng.random() + np.cumsum(inst) / sr


def _table_index(phase: np.ndarray) -> np.ndarray:
    """Wavetable positions of a phase in cycles (the table size is a power of two)."""
    return (phase * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)


def note(
    midi: float, seconds: float, timbre: Timbre, bright: float, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """Render one note: wavetable oscillator(s), pluck damping, envelope, attack noise."""
    freq = _hz(midi)
    n_hold = max(int(seconds * sr), 16)
    n = n_hold + int(timbre.release * sr)
    n_harm = max(min(timbre.n_harm, int(0.45 * sr / freq)), 1)
    if timbre.formants:
        table, dark = _wavetables(timbre, bright, n_harm, int(rng.integers(len(_VOWELS))), freq)
    else:
        table, dark = _wavetables(timbre, bright, n_harm, -1, 0.0)
    phase = _phase(freq, n, sr, timbre, rng)
    index = _table_index(phase)
    y = table[index]
    if timbre.pluck > 0.0:
        low = dark[index]
        y = low + _decay(n, sr, timbre.pluck) * (y - low)
    if timbre.detune > 0.0:
        y = 0.5 * (y + table[_table_index(phase * 2.0 ** (timbre.detune / 1200.0))])
    y *= _envelope(n_hold, n, timbre, sr)
    if timbre.noise > 0.0:
        m = min(n, int(0.03 * sr))
        y[:m] += timbre.noise * _decay(m, sr, 0.008) * filtered_noise(m, sr, rng, low=1000.0)
    return y


def distort(y: np.ndarray, drive: float) -> np.ndarray:
    """tanh saturation of a peak-normalised signal (``drive`` 0: unchanged)."""
    if drive <= 0.0 or not y.any():
        return y
    return np.tanh(drive * y / np.abs(y).max())


def unit_rms(y: np.ndarray) -> np.ndarray:
    """Scale to unit RMS, so mix gains are relative loudnesses (silence stays silent)."""
    rms = np.sqrt(np.dot(y, y) / max(y.size, 1))
    return y / rms if rms > 0 else y


def _lofi(y: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Old-recording treatment: band-limited, crackly and hissy."""
    sos = signal.butter(
        2,
        [rng.uniform(80, 250), min(rng.uniform(3500, 7000), 0.45 * sr)],
        "bandpass",
        fs=sr,
        output="sos",
    )
    y = signal.sosfilt(sos, y)
    crackle = (rng.random(y.size) < rng.uniform(5, 40) / sr) * rng.standard_normal(y.size)
    return y + np.std(y) * (3.0 * crackle + rng.uniform(0.02, 0.1) * rng.standard_normal(y.size))


def master(y: np.ndarray, sr: int, rng: np.random.Generator, *, lofi: float,
           cutoff: tuple[float, float], drive: tuple[float, float]) -> np.ndarray:
    """Noise floor, recording quality, bus compression and peak normalisation.

    ``lofi`` is the probability of the old-recording treatment, else a low-pass at a cutoff
    drawn from ``cutoff`` (Hz); the bus drive is drawn from ``drive``.
    """
    y = y + np.std(y) * rng.uniform(0.002, 0.05) * rng.standard_normal(y.size)
    if rng.random() < lofi:
        y = _lofi(y, sr, rng)
    else:
        low_pass = rng.uniform(*cutoff)
        if low_pass < 0.45 * sr:
            y = signal.sosfilt(signal.butter(2, low_pass, fs=sr, output="sos"), y)
    y = distort(y, rng.uniform(*drive))
    peak = np.abs(y).max()
    return y * (rng.uniform(0.6, 0.9) / peak) if peak > 0 else y
