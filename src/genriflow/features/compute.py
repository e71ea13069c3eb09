"""One song's features: plan its windows, decode each stretch once, run every set on it.

The one path every analysis takes, sampled or full, file or waveform in memory:

1. every set plans its windows (:func:`~genriflow.features.sampling.plan_windows`); only
   those not already in the store are computed;
2. the windows are grouped into stretches (:func:`~genriflow.features.sampling.decode_ranges`)
   and each stretch is decoded once, at the file's own rate, with the seeking decoders;
3. each window is cut from its stretch and resampled once per rate its sets need (22050 Hz
   for the GTZAN table, 16000 Hz for the networks), into one
   :class:`~genriflow.features.spectra.Spectra` per rate, shared by every set at that rate;
4. each set runs on the windows decoded so far together (up to :data:`BATCH_SECONDS` of
   them): the networks make one forward pass over every patch of a sampled song.

A window's samples are cut at the same positions however the stretches fall, so a window's
numbers do not depend on what else was analysed with it (beyond float rounding in the
networks' paired passes): a full analysis gives a sampled one's windows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from genriflow.audio import (
    ARRAY_PATH,
    AudioError,
    AudioErrorKind,
    info,
    load_native,
    to_mono_resampled,
)
from genriflow.audio.augment import augment_waveform
from genriflow.audio.waveform import require_duration
from genriflow.features.sampling import (
    DEFAULT_SAMPLING,
    Sampling,
    Window,
    decode_ranges,
    plan_windows,
)
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.features.spectra import Spectra
from genriflow.features.store import content_hash

#: Files with less audio than this (seconds) are rejected as too short.
MIN_SECONDS = 1.0
#: Decoded windows held before their sets run on them together: a sampled song's excerpts
#: all at once, a full analysis in bounded memory.
BATCH_SECONDS = 60.0

#: ``read(stretch) -> (mono samples at the native rate, native rate)``.
Reader = Callable[[Window], tuple[np.ndarray, int]]


class Windows(NamedTuple):
    """One set's windows in one song: store keys, start times and arrays.

    ``arrays[i]`` is ``None`` for a window already in the store.
    """

    keys: list[str]
    offsets: np.ndarray
    arrays: list[np.ndarray | None]


class Computed(NamedTuple):
    """What :func:`compute_file` found: the file's content hash, its duration (header), and
    per configuration digest its :class:`Windows`."""

    content: str
    duration: float
    windows: dict[str, Windows]


def plan(config: FeatureConfig, duration: float, sampling: Sampling) -> list[Window]:
    """The windows ``config``'s set analyses in a song of ``duration`` seconds."""
    return plan_windows(duration, clip_seconds=config.clip_seconds,
                        patch_seconds=feature_set(config.set).patch_seconds,
                        sampling=sampling)


def layout(configs: Sequence[FeatureConfig], duration: float, sampling: Sampling,
           content: str) -> dict[str, Windows]:
    """Every configuration's windows in a song, every array still ``None``."""
    out = {}
    for config in configs:
        windows = plan(config, duration, sampling)
        out[config.digest()] = Windows([w.key(content) for w in windows],
                                       np.array([w.offset for w in windows]),
                                       [None] * len(windows))
    return out


def compute_file(path: str | os.PathLike, configs: Sequence[FeatureConfig], *,
                 sampling: Sampling = DEFAULT_SAMPLING, done: dict[str, set[str]] | None = None,
                 content: str | None = None, duration: float | None = None) -> Computed:
    """Compute several feature sets of one file, decoding each stretch of it once.

    Parameters
    ----------
    path : path
    configs : sequence of FeatureConfig
        Stored configurations (:meth:`FeatureConfig.stored`), at any rates.
    sampling : Sampling
        Which windows (see :mod:`genriflow.features.sampling`).
    done : dict or None
        Config digest -> keys already stored; those windows are not recomputed.
    content, duration : str or None, float or None
        The file's content hash and duration, if known (see
        :class:`~genriflow.features.store.HashCache`): then the file is neither hashed nor
        its header read again.

    Raises
    ------
    AudioError
        If the file cannot be decoded, is too short, or yields non-finite features.
    """
    if duration is None:
        duration = info(path).duration  # a missing or unreadable file is reported as such
    content = content or content_hash(path)

    def read(stretch: Window) -> tuple[np.ndarray, int]:
        return load_native(path, offset=stretch.offset, duration=stretch.seconds,
                           min_duration=MIN_SECONDS)

    return Computed(content, duration,
                    analyse(path, read, duration, configs, sampling, done or {}, content))


def array_reader(mono: np.ndarray, sr: int) -> Reader:
    """A :data:`Reader` of a mono waveform in memory, cutting stretches as a decoder would."""
    def read(stretch: Window) -> tuple[np.ndarray, int]:
        start = int(round(stretch.offset * sr))
        stop = None if stretch.seconds is None else start + int(round(stretch.seconds * sr))
        piece = mono[start:stop]
        require_duration(ARRAY_PATH, piece, sr, MIN_SECONDS)
        return piece, sr

    return read


def analyse(path: str | os.PathLike, read: Reader, duration: float,
            configs: Sequence[FeatureConfig], sampling: Sampling,
            done: dict[str, set[str]], content: str) -> dict[str, Windows]:
    """:func:`compute_file` on audio of ``duration`` seconds that ``read`` decodes."""
    results = layout(configs, duration, sampling, content)
    todo: dict[Window, list[FeatureConfig]] = {}
    for config in configs:
        stored = done.get(config.digest(), ())
        for window in plan(config, duration, sampling):
            if window.key(content) not in stored:
                todo.setdefault(window, []).append(config)
    pending: list[tuple[Window, np.ndarray, int]] = []

    def flush() -> None:
        for window, config, value in _batch_values(pending, todo, content):
            if not np.all(np.isfinite(value)):
                raise AudioError(path, "features are not finite (silent or broken audio)",
                                 AudioErrorKind.CORRUPT)
            windows_of = results[config.digest()]
            windows_of.arrays[windows_of.keys.index(window.key(content))] = value
        pending.clear()

    for stretch, windows in decode_ranges(todo, duration):
        y, native_sr = read(stretch)
        first = int(round(stretch.offset * native_sr))
        for window in windows:
            start = int(round(window.offset * native_sr)) - first
            stop = None if window.seconds is None else (
                start + int(round(window.seconds * native_sr)))
            piece = y[start:stop]
            require_duration(path, piece, native_sr, MIN_SECONDS)
            pending.append((window, piece, native_sr))
        if sum(len(piece) / sr for _, piece, sr in pending) >= BATCH_SECONDS:
            flush()
    flush()
    return results


def _batch_values(pending: Sequence[tuple[Window, np.ndarray, int]],
                  todo: dict[Window, list[FeatureConfig]],
                  content: str) -> list[tuple[Window, FeatureConfig, np.ndarray]]:
    """Every set's array for each pending window of samples: each window resampled once per
    rate, one Spectra per rate and augmentation, and each set run over all the windows
    that need it at once (the networks: one forward pass over all their patches)."""
    spectra: dict[tuple[Window, int, str, int], Spectra] = {}
    configs: dict[str, FeatureConfig] = {}
    by_config: dict[str, list[Window]] = {}
    for window, piece, sr in pending:
        rates: dict[int, np.ndarray] = {}
        for config in todo[window]:
            if config.sr not in rates:
                rates[config.sr] = to_mono_resampled(piece, sr, config.sr)
            version = (window, config.sr, config.augment, config.augment_copy)
            if version not in spectra:
                spectra[version] = Spectra(_augmented(rates[config.sr], config, content),
                                           config.sr)
            configs[config.digest()] = config
            by_config.setdefault(config.digest(), []).append(window)
    out = []
    for digest, windows in by_config.items():
        config = configs[digest]
        inputs = [spectra[(w, config.sr, config.augment, config.augment_copy)]
                  for w in windows]
        values = feature_set(config.set).compute_many(inputs, config)
        out += [(w, config, v) for w, v in zip(windows, values, strict=True)]
    return out


def _augmented(y: np.ndarray, config: FeatureConfig, content: str) -> np.ndarray:
    """The waveform, or its augmented copy (seeded by the file's content and the copy)."""
    if config.augment == "none":
        return y
    seed = int(content[:8], 16) + 7919 * config.augment_copy
    return augment_waveform(y, config.sr, config.augment, seed)

