"""Spectrogram batch transforms (waveform augmentation is :mod:`genriflow.audio.augment`).

Batch transforms act on spectrogram tensors ``(batch, n_mels, frames)`` on the training
device; they are pure torch and draw their randomness from a passed ``torch.Generator``,
so they fit :func:`genriflow.training.loop.fit`'s ``transform`` argument, e.g.::

    from functools import partial
    transform = compose(partial(random_crop, frames=128), spec_augment)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

BatchTransform = Callable[..., Tensor]


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
