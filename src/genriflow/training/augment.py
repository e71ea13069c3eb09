"""Data augmentation: waveform levels (audiomentations) and spectrogram batch transforms.

Waveform augmentation happens before feature extraction, on numpy audio, at one of the
levels in :data:`AUGMENTATIONS`. Batch transforms act on spectrogram tensors
``(batch, n_mels, frames)`` on the training device; they are pure torch and draw their
randomness from a passed ``torch.Generator``, so they fit :func:`genriflow.training.loop.fit`'s
``transform`` argument, e.g.::

    from functools import partial
    transform = compose(partial(random_crop, frames=128), spec_augment)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import audiomentations as am
import numpy as np
import torch
from torch import Tensor

AUGMENTATIONS = ("none", "weak", "strong")

BatchTransform = Callable[..., Tensor]


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
    """
    if level not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {level!r}; choose from {', '.join(AUGMENTATIONS)}")
    if sr <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    if level == "none":
        return None
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


def _check_batch(x: Tensor) -> None:
    if x.ndim != 3:
        raise ValueError(f"expected a batch (batch, n_mels, frames), got shape {tuple(x.shape)}")


def _pad_frames(x: Tensor, frames: int) -> Tensor:
    """Pad short inputs at the end, with the per-example mean, to at least ``frames``."""
    missing = frames - x.shape[2]
    if missing <= 0:
        return x
    fill = x.mean(dim=(1, 2), keepdim=True).expand(-1, x.shape[1], missing)
    return torch.cat([x, fill], dim=2)


def center_crop(x: Tensor, frames: int) -> Tensor:
    """The middle ``frames`` columns of each example.

    Parameters
    ----------
    x : Tensor, shape (batch, n_mels, T)
    frames : int

    Returns
    -------
    Tensor, shape (batch, n_mels, frames)
        Inputs shorter than ``frames`` are padded at the end with their mean.
    """
    _check_batch(x)
    x = _pad_frames(x, frames)
    start = (x.shape[2] - frames) // 2
    return x[:, :, start:start + frames]


def random_crop(x: Tensor, frames: int, generator: torch.Generator) -> Tensor:
    """A random window of ``frames`` columns, drawn independently per example.

    Parameters
    ----------
    x : Tensor, shape (batch, n_mels, T)
    frames : int
    generator : torch.Generator

    Returns
    -------
    Tensor, shape (batch, n_mels, frames)
        Inputs shorter than ``frames`` are padded at the end with their mean.
    """
    _check_batch(x)
    x = _pad_frames(x, frames)
    batch, n_mels, length = x.shape
    starts = _randint(length - frames + 1, (batch,), generator).to(x.device)
    index = starts[:, None] + torch.arange(frames, device=x.device)
    return x.gather(2, index[:, None, :].expand(batch, n_mels, frames))


def _randint(high: int, size: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """Integers in [0, high), drawn on the generator's own device."""
    return torch.randint(0, high, size, generator=generator, device=generator.device)


def _band_mask(batch: int, size: int, count: int, width: int,
               generator: torch.Generator, device: torch.device) -> Tensor:
    """``count`` bands of width 0..``width`` per example, as a bool mask (batch, size)."""
    width = min(width, size)
    widths = _randint(width + 1, (batch, count), generator).to(device)
    # Uniform start in [0, size - w] for each band's own width w.
    u = torch.rand((batch, count), generator=generator, device=generator.device).to(device)
    starts = (u * (size - widths + 1)).floor().long()
    pos = torch.arange(size, device=device)[None, None, :]
    inside = (pos >= starts[..., None]) & (pos < (starts + widths)[..., None])
    return inside.any(dim=1)


def spec_augment(x: Tensor, generator: torch.Generator, time_masks: int = 2,
                 time_width: int = 20, freq_masks: int = 2, freq_width: int = 12) -> Tensor:
    """SpecAugment masking: bands of frames and of mel bins set to the example's mean.

    Parameters
    ----------
    x : Tensor, shape (batch, n_mels, frames)
    generator : torch.Generator
    time_masks, freq_masks : int
        Bands per example along each axis.
    time_width, freq_width : int
        Largest band width; each band's width is uniform in 0..width.

    Returns
    -------
    Tensor, shape (batch, n_mels, frames)
        A new tensor; ``x`` is untouched.
    """
    _check_batch(x)
    batch, n_mels, frames = x.shape
    time = _band_mask(batch, frames, time_masks, time_width, generator, x.device)
    freq = _band_mask(batch, n_mels, freq_masks, freq_width, generator, x.device)
    mask = time[:, None, :] | freq[:, :, None]
    return torch.where(mask, x.mean(dim=(1, 2), keepdim=True), x)


def compose(*fns: BatchTransform) -> Callable[[Tensor, torch.Generator], Tensor]:
    """Chain batch transforms into one ``(x, generator) -> x``.

    Each function is called as ``fn(x, generator=generator)``, so bind other arguments
    with :func:`functools.partial` (e.g. ``partial(random_crop, frames=128)``).
    """
    def composed(x: Tensor, generator: torch.Generator) -> Tensor:
        for fn in fns:
            x = fn(x, generator=generator)
        return x

    return composed
