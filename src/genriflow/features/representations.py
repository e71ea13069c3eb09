"""Representations from the music-genre literature, each computed from one shared :class:`Spectra`.

Every set is a pure function ``compute(spectra, params) -> np.ndarray`` with a frozen
dataclass of parameters named as librosa names them. Sets take their spectra from the
:class:`Spectra` they are given, calling its memoised methods with the same arguments
wherever they can, so that one decoded file yields one STFT per (rate, ``n_fft``, hop):

====================  ===============================  ============================  ========
set                   reproduces                       output                        shares
====================  ===============================  ============================  ========
``genriflow-stack``   the Genriflow project            (166, 1292) float32           STFT 2048/512
``cs229-raw``         Stanford CS229 report            (4, 44100) float32            --
``cs229-mel``         Stanford CS229 report            (4, 64, 173) float32          --
``mel-image``         the 2024 report                  (128, 128) float32 in [0, 1]  STFT 2048/512
``spectral-summary``  a 2021 blog (+ Essentia stats)   (109,) or (379,) float64      STFT 2048/512
``log-mel``           musicnn-style deep-model input   (96, frames) float32          at 16 kHz
====================  ===============================  ============================  ========

Shapes are for the default parameters on a 30 s clip at 22050 Hz. ``cs229-*`` cut their own
2 s windows, whose STFTs cannot be shared with the whole clip's.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import librosa
import numpy as np
from scipy import ndimage

from genriflow.datasets.discover import DatasetError
from genriflow.errors import one_of
from genriflow.features.kernels import tempo
from genriflow.features.spectra import Spectra

#: Pitch classes of every chromagram here.
N_CHROMA = 12
#: Rows of ``librosa.feature.tonnetz``.
N_TONNETZ = 6


def fixed_length(spectra: Spectra, n_samples: int) -> Spectra:
    """``spectra`` cut or zero-padded at the end to exactly ``n_samples`` samples.

    Returns ``spectra`` itself when it already has that length, so its memoised STFTs stay
    shared with the other sets; otherwise a new :class:`Spectra` at the same rate.
    """
    if spectra.y.size == n_samples:
        return spectra
    return Spectra(librosa.util.fix_length(spectra.y, size=n_samples), spectra.sr)


# --- genriflow-stack -------------------------------------------------------------------


@dataclass(frozen=True)
class StackParams:
    """Parameters of ``genriflow-stack``; ``seconds`` is the fixed clip length."""

    sr: int = 22050
    seconds: float = 30.0
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20


def stack_rows(params: StackParams) -> dict[str, slice]:
    """Rows of each feature in the ``genriflow-stack`` array, in stacking order."""
    sizes = {"chroma": N_CHROMA, "tonnetz": N_TONNETZ, "mel_db": params.n_mels,
             "mfcc": params.n_mfcc}
    rows, start = {}, 0
    for name, size in sizes.items():
        rows[name] = slice(start, start + size)
        start += size
    return rows


def genriflow_stack(spectra: Spectra, params: StackParams = StackParams()) -> np.ndarray:
    """Chroma, tonnetz, log-mel and MFCC frames stacked, as in the Genriflow project.

    A shorter waveform (at ``params.sr``) is zero-padded at its end to ``params.seconds``;
    a longer one keeps only the frames of its first ``params.seconds``, so every clip gives
    the same number of frames.

    Parameters
    ----------
    spectra : Spectra
        The clip; resampled to ``params.sr`` if needed.
    params : StackParams

    Returns
    -------
    stack : np.ndarray, shape (12 + 6 + n_mels + n_mfcc, 1 + n_samples // hop_length), float32
        (166, 1292) by default. Rows, in order (see :func:`stack_rows`): ``chroma_stft`` of
        the power STFT (12, in [0, 1]); ``tonnetz`` (6, tonal-centroid coordinates in
        [-1, 1]); the mel spectrogram in dB re 1 with an 80 dB floor below its peak
        (``n_mels``); MFCCs of that (``n_mfcc``).

    Notes
    -----
    librosa's ``tonnetz`` computes its own ``chroma_cqt`` by default. Here it is projected
    from the STFT chroma of the first rows instead, so that the whole stack comes from one
    STFT and no constant-Q transform (about as costly as the rest of the stack) is needed.
    """
    n_samples = round(params.seconds * params.sr)
    clip = spectra.at_rate(params.sr)
    if clip.y.size < n_samples:
        clip = fixed_length(clip, n_samples)
    spec = {"n_fft": params.n_fft, "hop_length": params.hop_length}
    chroma = clip.chroma(**spec)
    parts = [
        chroma,
        librosa.feature.tonnetz(sr=clip.sr, chroma=chroma),
        clip.mel_db(**spec, n_mels=params.n_mels),
        clip.mfcc(params.n_mfcc, **spec, n_mels=params.n_mels),
    ]
    # A longer clip keeps its own frames (shared with the other sets) and is cut to the
    # frames of n_samples: only the last frame's reflect padding differs from cutting first.
    return np.concatenate(parts)[:, : 1 + n_samples // params.hop_length].astype(np.float32)


# --- cs229-raw and cs229-mel -----------------------------------------------------------


@dataclass(frozen=True)
class CS229RawParams:
    """Parameters of ``cs229-raw``: ``n_windows`` windows of ``window_seconds`` per clip.

    Window positions are drawn from ``seed`` and the audio itself, so they are the same
    every time one file is computed and differ between files.
    """

    sr: int = 22050
    window_seconds: float = 2.0
    n_windows: int = 4
    seed: int = 0


@dataclass(frozen=True)
class CS229MelParams(CS229RawParams):
    """Parameters of ``cs229-mel``: the windows of ``cs229-raw`` and their log-mel."""

    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 64
    fmax: float | None = None


def window_starts(y: np.ndarray, params: CS229RawParams) -> np.ndarray:
    """First samples of the ``cs229`` windows of ``y``, shape (n_windows,), int64, sorted.

    Drawn uniformly (with replacement) from every position where a whole window fits, by
    a generator seeded with ``params.seed`` and the CRC-32 of ``y``'s bytes. All zeros
    when ``y`` is no longer than one window.
    """
    width = round(params.window_seconds * params.sr)
    y = np.ascontiguousarray(y, dtype=np.float32)
    rng = np.random.default_rng([params.seed, zlib.crc32(memoryview(y).cast("B"))])
    return np.sort(rng.integers(0, max(y.size - width, 0) + 1, size=params.n_windows))


def cs229_raw(spectra: Spectra, params: CS229RawParams = CS229RawParams()) -> np.ndarray:
    """Random 2 s windows of the waveform, the raw-amplitude input of the CS229 report.

    Parameters
    ----------
    spectra : Spectra
        The clip; resampled to ``params.sr`` if needed. Clips shorter than one window
        are zero-padded at the end.
    params : CS229RawParams

    Returns
    -------
    windows : np.ndarray, shape (n_windows, round(window_seconds * sr)), float32
        (4, 44100) by default; waveform amplitude, starting at :func:`window_starts`.
    """
    y = spectra.at_rate(params.sr).y
    width = round(params.window_seconds * params.sr)
    padded = librosa.util.fix_length(y, size=max(y.size, width))
    return np.stack([padded[start:start + width] for start in window_starts(y, params)])


def cs229_mel(spectra: Spectra, params: CS229MelParams = CS229MelParams()) -> np.ndarray:
    """Log-mel spectrograms of the ``cs229-raw`` windows, the CS229 report's CNN input.

    Each window's spectrogram is computed from its own samples (reflect-padded centred
    frames), 64 bands with a 512-sample FFT and 50 % overlap at 22050 Hz by default.

    Parameters
    ----------
    spectra : Spectra
    params : CS229MelParams
        With the same ``sr``, ``window_seconds``, ``n_windows`` and ``seed`` the windows
        are those of :func:`cs229_raw`.

    Returns
    -------
    mels : np.ndarray, shape (n_windows, n_mels, 1 + width // hop_length), float32
        (4, 64, 173) by default; power mel spectrogram in dB re 1, floored 80 dB below
        each window's peak.
    """
    spec = {"n_fft": params.n_fft, "hop_length": params.hop_length, "n_mels": params.n_mels,
            "fmax": params.fmax}
    windows = cs229_raw(spectra, params)
    return np.stack([Spectra(w, params.sr).mel_db(**spec) for w in windows]).astype(np.float32)


# --- mel-image -------------------------------------------------------------------------


@dataclass(frozen=True)
class MelImageParams:
    """Parameters of ``mel-image``; ``height`` x ``width`` is the image size in pixels."""

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    fmax: float | None = 8000.0
    height: int = 128
    width: int = 128


def mel_image(spectra: Spectra, params: MelImageParams = MelImageParams()) -> np.ndarray:
    """The dB mel spectrogram as a fixed-size image in [0, 1], as in the 2024 report.

    The spectrogram (128 bands up to 8 kHz by default, dB re 1, 80 dB floor) is min-max
    normalised over the clip, then resized by linear interpolation
    (``scipy.ndimage.zoom``, ``order=1``, corners aligned).

    Parameters
    ----------
    spectra : Spectra
        The clip; resampled to ``params.sr`` if needed. Any length.
    params : MelImageParams

    Returns
    -------
    image : np.ndarray, shape (height, width), float32
        (128, 128) by default, values in [0, 1]; row 0 is the lowest mel band, column 0
        the clip's start. All zeros for a clip of constant level (e.g. silence).
    """
    mel_db = spectra.at_rate(params.sr).mel_db(params.n_fft, params.hop_length,
                                               params.n_mels, params.fmax)
    low, high = float(mel_db.min()), float(mel_db.max())
    scaled = (mel_db - low) / (high - low) if high > low else np.zeros_like(mel_db)
    zoom = (params.height / scaled.shape[0], params.width / scaled.shape[1])
    image = ndimage.zoom(scaled.astype(np.float64), zoom, order=1)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def export_mel_image(image: np.ndarray, path: str | Path) -> Path:
    """Write a ``mel-image`` array as an 8-bit grayscale PNG.

    Values in [0, 1] map to 0..255 (rounded). The rows are flipped so that, as on a
    spectrogram plot, low frequencies are at the bottom of the picture. Parent folders are
    created. Returns the path written.
    """
    from PIL import Image  # Pillow comes with matplotlib; imported only when exporting

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.round(np.clip(np.flipud(image), 0.0, 1.0) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")
    return path


def export_mel_images(
    images: Sequence[np.ndarray], labels: Sequence[str], names: Sequence[str],
    out_dir: str | Path,
) -> list[Path]:
    """Write each image to ``out_dir/<label>/<name>.png``, the layout image-folder loaders read.

    Raises
    ------
    ValueError
        If the three sequences differ in length.
    DatasetError
        If a label or name is empty or holds a path separator.
    """
    if not len(images) == len(labels) == len(names):
        raise ValueError(f"{len(images)} images, {len(labels)} labels and {len(names)} names")
    for part in (*labels, *names):
        if not part or Path(part).name != part:
            raise DatasetError(f"labels and names must be plain file names, got {part!r}")
    out_dir = Path(out_dir)
    return [export_mel_image(image, out_dir / label / f"{name}.png")
            for image, label, name in zip(images, labels, names, strict=True)]


# --- spectral-summary ------------------------------------------------------------------


@dataclass(frozen=True)
class SpectralSummaryParams:
    """Parameters of ``spectral-summary``.

    ``n_bands`` is spectral contrast's number of octave bands (``n_bands + 1`` rows);
    ``rich`` adds median, min, max, dmean and dvar to each row's mean and var.
    """

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20
    n_bands: int = 6
    rich: bool = False


_BASIC_STATS = ("mean", "var")
_RICH_STATS = (*_BASIC_STATS, "median", "min", "max", "dmean", "dvar")


def _summary_row_counts(params: SpectralSummaryParams) -> dict[str, int]:
    """Rows of each frame-level feature of ``spectral-summary``, in column order."""
    return {
        "chroma_stft": N_CHROMA,
        "chroma_cens": N_CHROMA,
        "mfcc": params.n_mfcc,
        "spectral_centroid": 1,
        "spectral_contrast": params.n_bands + 1,
        "rolloff": 1,
        "zero_crossing_rate": 1,
    }


def spectral_summary_columns(params: SpectralSummaryParams) -> tuple[str, ...]:
    """Column names of ``spectral-summary``: ``tempo``, then ``<row>_<stat>`` per row.

    Multi-row features number their rows from 1 (``chroma_stft1``, ``mfcc3``,
    ``spectral_contrast7``); single-row ones do not (``rolloff``). Each row has
    ``mean``, ``var`` and, with ``rich``, ``median``, ``min``, ``max``, ``dmean``, ``dvar``
    (e.g. ``mfcc3_dmean``), in that order.
    """
    stats = _RICH_STATS if params.rich else _BASIC_STATS
    names = ["tempo"]
    for feature, n_rows in _summary_row_counts(params).items():
        rows = [feature] if n_rows == 1 else [f"{feature}{k}" for k in range(1, n_rows + 1)]
        names += [f"{row}_{stat}" for row in rows for stat in stats]
    return tuple(names)


#: Columns of ``spectral-summary`` at its default parameters (109 names).
SPECTRAL_SUMMARY_COLUMNS = spectral_summary_columns(SpectralSummaryParams())


def spectral_summary(
    spectra: Spectra, params: SpectralSummaryParams = SpectralSummaryParams()
) -> np.ndarray:
    """Per-clip statistics of spectral frame features, as in the 2021 blog.

    Frame features, all with ``n_fft`` 2048 and hop 512 at 22050 Hz by default and, except
    chroma CENS and the zero-crossing rate, from the shared STFT:

    * tempo (BPM): ``feature.tempo`` of ``onset_strength`` of the dB mel spectrogram
      (median aggregation), the tempo ``beat.beat_track`` reports; one value per clip;
    * ``chroma_stft`` (12) of the power STFT;
    * ``chroma_cens`` (12): needs a constant-Q transform of the waveform (7 octaves from
      C1), which costs about as much as all the other features together;
    * MFCC (``n_mfcc``) of the dB mel spectrogram;
    * spectral centroid (Hz), spectral contrast (``n_bands + 1``, dB), rolloff (Hz, 85 %)
      of the magnitude STFT; zero-crossing rate (per sample) of the waveform.

    Parameters
    ----------
    spectra : Spectra
        The clip; resampled to ``params.sr`` if needed.
    params : SpectralSummaryParams

    Returns
    -------
    summary : np.ndarray, shape (len(spectral_summary_columns(params)),), float64
        (109,) by default, (379,) with ``rich``, in column order. ``mean``/``var``
        (population variance), ``median``, ``min``, ``max`` are over the row's frames;
        ``dmean``/``dvar`` are the mean and variance of the *absolute* frame-to-frame
        difference, as Essentia's ``PoolAggregator`` (music extractor) defines them.
    """
    clip = spectra.at_rate(params.sr)
    frames = _summary_frames(clip, params)
    stats = [_row_stats(frames[name], params.rich) for name in _summary_row_counts(params)]
    return np.concatenate([[_tempo(clip, params)], *(s.ravel() for s in stats)])


def _summary_frames(clip: Spectra, params: SpectralSummaryParams) -> dict[str, np.ndarray]:
    """Each frame-level feature of ``spectral-summary``, shape (rows, frames)."""
    spec = {"n_fft": params.n_fft, "hop_length": params.hop_length}
    magnitude = clip.magnitude(**spec)
    on_magnitude = {"S": magnitude, "sr": clip.sr, **spec}
    return {
        "chroma_stft": clip.chroma(**spec),
        "chroma_cens": librosa.feature.chroma_cens(y=clip.y, sr=clip.sr,
                                                   hop_length=params.hop_length),
        "mfcc": clip.mfcc(params.n_mfcc, **spec, n_mels=params.n_mels),
        "spectral_centroid": librosa.feature.spectral_centroid(**on_magnitude),
        "spectral_contrast": librosa.feature.spectral_contrast(**on_magnitude,
                                                               n_bands=params.n_bands),
        "rolloff": librosa.feature.spectral_rolloff(**on_magnitude),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(
            clip.y, frame_length=params.n_fft, hop_length=params.hop_length),
    }


def _row_stats(x: np.ndarray, rich: bool) -> np.ndarray:
    """Statistics of each row of ``x`` (rows, frames): shape (rows, 2) or (rows, 7), float64."""
    x = np.asarray(x, dtype=np.float64)
    stats = [x.mean(axis=1), x.var(axis=1)]
    if rich:
        # Essentia takes |diff| so that dmean is not just (last - first) / (n - 1).
        step = np.abs(np.diff(x, axis=1)) if x.shape[1] > 1 else np.zeros((x.shape[0], 1))
        stats += [np.median(x, axis=1), x.min(axis=1), x.max(axis=1),
                  step.mean(axis=1), step.var(axis=1)]
    return np.stack(stats, axis=1)


def _tempo(clip: Spectra, params: SpectralSummaryParams) -> float:
    """Global tempo in BPM, as ``librosa.beat.beat_track`` estimates it."""
    mel_db = clip.mel_db(params.n_fft, params.hop_length, params.n_mels)
    onset = librosa.onset.onset_strength(S=mel_db, sr=clip.sr, hop_length=params.hop_length,
                                         aggregate=np.median)
    return tempo(onset, clip.sr, params.hop_length)


# --- log-mel ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogMelParams:
    """Parameters of ``log-mel``.

    ``compression`` is ``"db"`` (``librosa.power_to_db``: dB re 1, 80 dB floor below the
    clip's peak) or ``"log1p"`` (musicnn's ``log10(10000 * mel + 1)``).
    """

    sr: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 96
    fmax: float | None = None
    compression: Literal["db", "log1p"] = "db"

    def __post_init__(self) -> None:
        one_of("compression", self.compression, ("db", "log1p"))


def log_mel(spectra: Spectra, params: LogMelParams = LogMelParams()) -> np.ndarray:
    """Compressed mel power spectrogram of the whole clip, the input of deep models.

    The defaults are musicnn's front end (Pons & Serra): 16 kHz, 512-sample FFT, hop 256,
    96 bands of the power spectrogram; with ``compression="log1p"`` the values are
    musicnn's. Valid at any rate (e.g. ``sr=22050``).

    Parameters
    ----------
    spectra : Spectra
        The clip, any length; resampled once to ``params.sr`` (shared by every set asking
        for that rate).
    params : LogMelParams

    Returns
    -------
    log_mel : np.ndarray, shape (n_mels, 1 + n_samples // hop_length), float32
        ``n_samples`` counted at ``params.sr``. dB re 1 (``"db"``) or
        ``log10(10000 * mel + 1)`` >= 0 (``"log1p"``).
    """
    clip = spectra.at_rate(params.sr)
    spec = (params.n_fft, params.hop_length, params.n_mels, params.fmax)
    if params.compression == "db":
        return clip.mel_db(*spec).astype(np.float32)
    return np.log10(10000.0 * clip.mel(*spec) + 1.0).astype(np.float32)


# --- registry --------------------------------------------------------------------------

#: Set name -> (parameter class, ``compute(spectra, params)``).
REPRESENTATIONS: dict[str, tuple[type, Callable[[Spectra, Any], np.ndarray]]] = {
    "genriflow-stack": (StackParams, genriflow_stack),
    "cs229-raw": (CS229RawParams, cs229_raw),
    "cs229-mel": (CS229MelParams, cs229_mel),
    "mel-image": (MelImageParams, mel_image),
    "spectral-summary": (SpectralSummaryParams, spectral_summary),
    "log-mel": (LogMelParams, log_mel),
}


def columns(params: Any) -> tuple[str, ...]:
    """Column names of a vector set's output (``spectral-summary`` only).

    Raises
    ------
    TypeError
        For the parameters of a set whose output is an array, not a named vector.
    """
    if isinstance(params, SpectralSummaryParams):
        return spectral_summary_columns(params)
    raise TypeError(f"{type(params).__name__} belongs to an array set, which has no columns")
