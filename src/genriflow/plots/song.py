"""Pictures of one song: waveform, spectrograms, chroma, tonnetz, MFCCs, zero-crossing rate.

Every spectral picture comes from one shared :class:`~genriflow.features.spectra.Spectra`
(STFT with ``n_fft=2048``, hop 512, as the feature sets use), and the tonnetz is projected
from its STFT chroma as in ``genriflow-stack``.
"""

from __future__ import annotations

import os
from pathlib import Path

import librosa
import librosa.display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from genriflow.audio import DEFAULT_SR, load
from genriflow.evaluation.plots import save_figure
from genriflow.features.spectra import Spectra

#: Frame step of every per-frame picture, in samples.
HOP_LENGTH = 512
#: FFT size of the spectral pictures and frame length of the zero-crossing rate.
N_FFT = 2048
#: Coefficients of the MFCC picture (as in the GTZAN table and ``genriflow-stack``).
N_MFCC = 20

_FIGSIZE = (10.0, 4.0)


def song_figures(y: np.ndarray, sr: int, name: str) -> dict[str, Figure]:
    """Draw the seven standard pictures of a waveform.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono waveform, at least :data:`N_FFT` samples.
    sr : int
        Its sample rate in Hz.
    name : str
        The song's name, used in every title.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        In order: ``waveform``, ``spectrogram``, ``mel-spectrogram``, ``chroma``,
        ``tonnetz``, ``mfcc``, ``zcr``. Time is in seconds on every x axis. Each picture of
        an image has its colour bar as the figure's second axes. The caller closes them
        (``matplotlib.pyplot.close``).
    """
    spectra = Spectra(y, sr)
    spec = {"n_fft": N_FFT, "hop_length": HOP_LENGTH}
    chroma = spectra.chroma(**spec)
    stft_db = librosa.amplitude_to_db(spectra.magnitude(**spec))
    images = {
        "spectrogram": (stft_db, "spectrogram (STFT)", "log", "frequency (Hz, log scale)",
                        "dB (re 1)"),
        "mel-spectrogram": (spectra.mel_db(**spec), "mel spectrogram", "mel",
                            "frequency (Hz, mel scale)", "dB (re 1)"),
        "chroma": (chroma, "chromagram", "chroma", "pitch class",
                   "relative energy (frame peak = 1)"),
        "tonnetz": (librosa.feature.tonnetz(sr=sr, chroma=chroma), "tonal centroids (tonnetz)",
                    "tonnetz", "tonal-centroid dimension", "coordinate (-1 to 1)"),
        "mfcc": (spectra.mfcc(N_MFCC, **spec), "MFCCs", None,
                 "MFCC number (mfcc1..mfcc20)", "value (dB-scaled)"),
    }
    figures = {"waveform": _waveform_figure(spectra.y, sr, name)}
    for key, (data, what, y_axis, ylabel, unit) in images.items():
        figures[key] = _image_figure(data, sr, f"{name}: {what}", y_axis, ylabel, unit)
    figures["zcr"] = _zcr_figure(spectra.y, sr, name)
    return figures


def plot_song(path: str | os.PathLike, out_dir: str | os.PathLike, *, offset: float = 0.0,
              duration: float = 30.0, sr: int = DEFAULT_SR) -> list[Path]:
    """Decode a song and write its seven pictures as ``<stem>-<key>.png``.

    Parameters
    ----------
    path : path
        Any audio file genriflow decodes (wav, flac, mp3, m4a, ...).
    out_dir : path
        Created if needed.
    offset : float
        Start of the window drawn, in seconds.
    duration : float
        Longest window drawn, in seconds (shorter if the file ends first).
    sr : int
        Rate the song is resampled to, in Hz.

    Returns
    -------
    list of Path
        The PNG files, in the order of :func:`song_figures`.

    Raises
    ------
    AudioError
        If the file is missing, empty, unsupported, corrupt or shorter than one FFT frame.
    """
    path, out_dir = Path(path), Path(out_dir)
    y = load(path, sr=sr, offset=offset, duration=duration, min_duration=N_FFT / sr)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = song_figures(y, sr, path.stem)
    try:
        return [save_figure(fig, out_dir / f"{path.stem}-{key}.png")
                for key, fig in figures.items()]
    finally:
        for fig in figures.values():
            plt.close(fig)


def _waveform_figure(y: np.ndarray, sr: int, name: str) -> Figure:
    fig, ax = plt.subplots(figsize=_FIGSIZE)
    librosa.display.waveshow(y, sr=sr, ax=ax, axis="s")
    _label(ax, f"{name}: waveform", "amplitude (full scale = 1)")
    return fig


def _zcr_figure(y: np.ndarray, sr: int, name: str) -> Figure:
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP_LENGTH)[0]
    fig, ax = plt.subplots(figsize=_FIGSIZE)
    ax.plot(librosa.times_like(zcr, sr=sr, hop_length=HOP_LENGTH), zcr)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _label(ax, f"{name}: zero-crossing rate", "zero crossings per sample")
    return fig


def _image_figure(data: np.ndarray, sr: int, title: str, y_axis: str | None, ylabel: str,
                  unit: str) -> Figure:
    """One image of frames over time with its colour bar labelled ``unit``.

    ``y_axis`` is librosa's axis type; ``None`` numbers the rows from 1.
    """
    fig, ax = plt.subplots(figsize=_FIGSIZE)
    image = librosa.display.specshow(data, sr=sr, hop_length=HOP_LENGTH, n_fft=N_FFT,
                                     x_axis="s", y_axis=y_axis, ax=ax)
    if y_axis is None:
        rows = np.arange(0, data.shape[0], 2)
        ax.set_yticks(rows + 0.5, [str(row + 1) for row in rows])
    fig.colorbar(image, ax=ax, label=unit)
    _label(ax, title, ylabel)
    return fig


def _label(ax: Axes, title: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
