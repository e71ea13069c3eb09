"""Waveform augmentation: seeded audiomentations chains at a few named levels.

An augmented copy is made on the decoded numpy waveform, before any feature is computed,
so every feature set of a copy sees the same altered audio.

Named like :mod:`genriflow.training.augment` (batch transforms of spectrograms): each
layer augments what it holds, the waveform here, the training batch there.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from genriflow.audio import AUGMENTATIONS as AUGMENTATIONS
from genriflow.errors import at_least, one_of

if TYPE_CHECKING:
    import audiomentations as am



def waveform_augmenter(level: str, sr: int) -> am.Compose | None:
    """The waveform augmentation of a level (``None`` for ``none``).

    ``weak`` adds Gaussian noise; ``strong`` adds noise and, each with probability 0.5,
    stretches time (0.8-1.25x, length kept), shifts in time (up to a quarter of the clip,
    rolled over) and shifts pitch (up to 2 semitones). Noise is always applied, so an
    augmented copy always differs from its source.

    Parameters
    ----------
    level : str
        One of :data:`AUGMENTATIONS`.
    sr : int
        Sample rate the augmenter will be called with (it is passed per call).

    Raises
    ------
    ConfigError
        For an unknown level or a rate below 1 Hz.
    """
    one_of("augment", level, AUGMENTATIONS)
    at_least("sr", sr, 1)
    if level == "none":
        return None
    import audiomentations as am  # only augmented runs pay for its import (scipy & co.)

    if level == "weak":
        return am.Compose([am.AddGaussianNoise(min_amplitude=0.001, max_amplitude=0.01, p=1.0)])
    return am.Compose([
        am.AddGaussianNoise(min_amplitude=0.001, max_amplitude=0.015, p=1.0),
        am.TimeStretch(min_rate=0.8, max_rate=1.25, leave_length_unchanged=True, p=0.5),
        am.Shift(min_shift=-0.25, max_shift=0.25, shift_unit="fraction", rollover=True, p=0.5),
        am.PitchShift(min_semitones=-2.0, max_semitones=2.0, p=0.5),
    ])


@contextmanager
def _seeded_globals(seed: int) -> Iterator[None]:
    """Seed ``random`` and ``np.random`` (audiomentations' sources) and restore them after."""
    # audiomentations draws from the legacy global state; there is no Generator to pass.
    saved = random.getstate(), np.random.get_state()  # noqa: NPY002
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])  # noqa: NPY002


def augment_waveform(y: np.ndarray, sr: int, level: str, seed: int) -> np.ndarray:
    """Augment a mono waveform, deterministically for a seed.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
    sr : int
    level : str
        One of :data:`AUGMENTATIONS`.
    seed : int

    Returns
    -------
    np.ndarray, float32, shape (n_samples,)
        A new array (a copy of ``y`` for ``none``); trimmed or zero-padded to the input's
        length.
    """
    y = np.asarray(y, dtype=np.float32)
    augmenter = waveform_augmenter(level, sr)
    if augmenter is None:
        return y.copy()
    with _seeded_globals(seed):
        out = augmenter(samples=y, sample_rate=sr)
    return _fit_length(np.asarray(out, dtype=np.float32), len(y))


def _fit_length(y: np.ndarray, n: int) -> np.ndarray:
    if len(y) >= n:
        return y[:n].copy()
    return np.pad(y, (0, n - len(y)))
