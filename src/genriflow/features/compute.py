"""One song's features: plan its windows, decode each stretch once, run every set on it.

The one path every analysis takes, sampled or full, file or waveform in memory:

1. every set plans its windows (:func:`~genriflow.features.sampling.plan_windows`); only
   those not already in the store are computed; with adaptive sampling a set that settles
   plans them stage by stage (:func:`plan_stages`), and :func:`choose` adds a stage only
   while the excerpts analysed so far have not settled;
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
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from genriflow.audio import (
    ARRAY_PATH,
    AudioError,
    AudioErrorKind,
    cut_message,
    info,
    load_native,
    to_mono_resampled,
)
from genriflow.audio.augment import augment_waveform
from genriflow.audio.errors import AudioWarning
from genriflow.audio.waveform import require_duration
from genriflow.features.sampling import (
    DEFAULT_SAMPLING,
    Sampling,
    Window,
    clear,
    decode_ranges,
    plan_windows,
    settled,
    stages,
)
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.features.store import content_hash

if TYPE_CHECKING:
    from genriflow.features.spectra import Spectra

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
    #: What the header declares when less decodes (a cut file), else ``None``.
    declared: float | None = None


def plan(config: FeatureConfig, duration: float, sampling: Sampling) -> list[Window]:
    """The windows ``config``'s set analyses in a song of ``duration`` seconds."""
    return plan_windows(duration, clip_seconds=config.clip_seconds,
                        patch_seconds=feature_set(config.set).patch_seconds,
                        sampling=sampling)


def plan_stages(config: FeatureConfig, duration: float,
                sampling: Sampling) -> list[list[Window]]:
    """``config``'s windows in the order they are analysed: stage by stage when the
    sampling is adaptive, the set settles (``FeatureSet.settling``) and the song is longer
    than ``sampling.excerpts`` patches; else one stage (a short song, a 30 s clip of a
    dataset, is analysed whole, decoded once, as a fixed sampling does)."""
    windows = plan(config, duration, sampling)
    patch = feature_set(config.set).patch_seconds
    if (feature_set(config.set).settling is None or patch is None
            or duration // patch <= sampling.excerpts):
        return [windows]
    return stages(windows, sampling)


def choose(config: FeatureConfig, planned: Sequence[Sequence[Window]], sampling: Sampling,
           value: Callable[[Window], np.ndarray | None], *,
           duration: float | None = None) -> tuple[list[Window], bool]:
    """The windows of ``config``'s analysis of a song, as far as the values known decide.

    Parameters
    ----------
    config : FeatureConfig
    planned : sequence of sequence of Window
        Its stages (:func:`plan_stages`).
    sampling : Sampling
        Adaptive: the genres of ``sampling.on_genres`` decide when ``config`` is the set
        they read (:func:`~genriflow.features.sampling.clear`), else the set's settling
        values (:func:`~genriflow.features.sampling.settled`).
    value : callable
        ``value(window)``: the window's array, or ``None`` while it is not known.
    duration : float or None
        The song's seconds: the genre rule's population is its patches (``None``: the
        planned windows).

    Returns
    -------
    (list of Window, bool)
        The stages taken so far, and whether that is the analysis: ``False`` when the
        values of the windows taken are needed (some unknown) to decide on another stage.
    """
    chosen: list[Window] = []
    total = sum(len(s) for s in planned)
    genres = sampling.on_genres
    if genres is not None and genres.stored != config.digest():
        genres = None
    patch = feature_set(config.set).patch_seconds
    population = (int(duration // patch) if duration is not None and patch is not None
                  else total)
    for i, stage in enumerate(planned):
        chosen += stage
        if i == len(planned) - 1:
            break
        values = [value(window) for window in chosen]
        if any(v is None for v in values):
            return chosen, False
        rows = np.stack([np.asarray(v) for v in values])
        if genres is not None:
            done = clear(genres.probabilities(rows), max(population, total),
                         sampling.margin_after(i))
        else:
            settling = feature_set(config.set).settling
            done = settled([settling(row) for row in rows], total, sampling.settle)
        if done:
            break
    return chosen, True


def windows_of(windows: Sequence[Window], content: str,
               arrays: Callable[[Window], np.ndarray | None] = lambda _: None) -> Windows:
    """The :class:`Windows` of a set's chosen windows, in time order."""
    ordered = sorted(windows, key=lambda w: w.offset)
    return Windows([w.key(content) for w in ordered], np.array([w.offset for w in ordered]),
                   [arrays(w) for w in ordered])


def compute_file(path: str | os.PathLike, configs: Sequence[FeatureConfig], *,
                 sampling: Sampling = DEFAULT_SAMPLING, done: dict[str, set[str]] | None = None,
                 content: str | None = None, duration: float | None = None,
                 declared: float | None = None) -> Computed:
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
    content, duration, declared : str or None, float or None, float or None
        The file's content hash, duration and (a cut file) the length its header declares,
        if known (see :class:`~genriflow.features.store.HashCache`): then the file is
        neither hashed nor its header read again.

    Raises
    ------
    AudioError
        If the file cannot be decoded, is too short, or yields non-finite features.
    """
    if duration is None:
        meta = info(path)  # a missing or unreadable file is reported as such
        duration, declared = meta.duration, meta.declared
    cut = cut_message(duration, declared)
    # said once here, in the header check's words whether the header was read now or is
    # remembered (each stretch read to the end would say it again), and only of a file
    # long enough to be used: a shorter one is refused as too short instead
    if cut is not None and duration >= MIN_SECONDS:
        warnings.warn(AudioWarning(path, cut), stacklevel=2)
    content = content or content_hash(path)

    def read(stretch: Window) -> tuple[np.ndarray, int]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AudioWarning)
            return load_native(path, offset=stretch.offset, duration=stretch.seconds,
                               min_duration=MIN_SECONDS)

    return Computed(content, duration,
                    analyse(path, read, duration, configs, sampling, done or {}, content),
                    declared)


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
    """:func:`compute_file` on audio of ``duration`` seconds that ``read`` decodes.

    Each round computes what every set still needs (the first round: every set's first
    stage), until every set's :func:`choose` is final. A window in ``done`` is not
    computed, except for an adaptive set's: its values decide the next stage, and a
    worker does not read the store (the caller serves a file whose stored windows decide
    its plan without computing it: ``extract``'s store hit).
    """
    planned = {c.digest(): plan_stages(c, duration, sampling) for c in configs}
    computed: dict[tuple[str, Window], np.ndarray] = {}
    chosen: dict[str, list[Window]] = {}
    while True:
        todo: dict[Window, list[FeatureConfig]] = {}
        for config in configs:
            digest = config.digest()
            stored = done.get(digest, ()) if len(planned[digest]) == 1 else ()
            chosen[digest], _ = choose(config, planned[digest], sampling,
                                       lambda w, d=digest: computed.get((d, w)),
                                       duration=duration)
            for window in chosen[digest]:
                if (digest, window) not in computed and window.key(content) not in stored:
                    todo.setdefault(window, []).append(config)
        if not todo:
            break
        _compute(path, read, duration, todo, content, computed)
    return {digest: windows_of(windows, content, lambda w, d=digest: computed.get((d, w)))
            for digest, windows in chosen.items()}


def _compute(path: str | os.PathLike, read: Reader, duration: float,
             todo: dict[Window, list[FeatureConfig]], content: str,
             computed: dict[tuple[str, Window], np.ndarray]) -> None:
    """Decode each stretch of ``todo`` once and compute every set's windows on it, into
    ``computed`` (config digest, window) -> array."""
    pending: list[tuple[Window, np.ndarray, int]] = []

    def flush() -> None:
        for window, config, value in _batch_values(pending, todo, content):
            if not np.all(np.isfinite(value)):
                raise AudioError(path, "features are not finite (silent or broken audio)",
                                 AudioErrorKind.CORRUPT)
            computed[(config.digest(), window)] = value
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


def _batch_values(pending: Sequence[tuple[Window, np.ndarray, int]],
                  todo: dict[Window, list[FeatureConfig]],
                  content: str) -> list[tuple[Window, FeatureConfig, np.ndarray]]:
    """Every set's array for each pending window of samples: each window resampled once per
    rate, one Spectra per rate and augmentation, and each set run over all the windows
    that need it at once (the networks: one forward pass over all their patches)."""
    from genriflow.features.spectra import Spectra  # librosa: not for a store hit

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

