"""musicnn's input: the log-mel spectrogram of a 16 kHz waveform, cut into 3 s patches.

What ``musicnn.extractor.batch_data`` computes (Pons & Serra 2019, ``musicnn==0.1.0``),
checked against the original by ``tests/models/test_musicnn.py``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["HOP_LENGTH", "N_FFT", "N_FRAMES", "N_MELS", "SR", "musicnn_log_mel", "to_patches"]

#: The networks' sample rate (Hz).
SR = 16000
#: FFT size of the mel spectrogram (samples).
N_FFT = 512
#: Hop between spectrogram frames (samples).
HOP_LENGTH = 256
#: Mel bands.
N_MELS = 96
#: Frames per input patch: ``librosa.time_to_frames(3, sr=SR, hop_length=HOP_LENGTH) + 1``.
N_FRAMES = 187


def musicnn_log_mel(y: np.ndarray) -> np.ndarray:
    """musicnn's input representation of a 16 kHz mono waveform.

    As ``musicnn.extractor.batch_data``: the librosa mel spectrogram (power, n_fft 512,
    hop 256, 96 bands, librosa's defaults otherwise), rounded to float16, then
    ``log10(10000 x + 1)``. Under NumPy 1 (musicnn's era) ``10000 * float16_array`` is
    computed in float32; NumPy 2 would keep float16 and overflow to ``inf`` for any band
    power above 6.55, so the float32 step is explicit here. A band power beyond float16's
    range (65504: only samples far outside [-1, 1], such as int16 values given as floats)
    is held at its largest value rather than made ``inf``, which musicnn would have done.

    Parameters
    ----------
    y : numpy.ndarray
        Mono waveform (samples,) at :data:`SR` = 16 kHz; computed in float32, as
        ``librosa.load`` returns it.

    Returns
    -------
    numpy.ndarray
        Log-mel spectrogram (frames, 96), float32, ``frames = 1 + samples // 256``.
    """
    from genriflow.features.mel import melspectrogram

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected a mono waveform (samples,), got shape {y.shape}")
    mel = melspectrogram(y, SR, N_FFT, HOP_LENGTH, N_MELS).T
    mel = np.minimum(mel, np.finfo(np.float16).max).astype(np.float16).astype(np.float32)
    return np.log10(10000 * mel + 1).astype(np.float32)


def to_patches(log_mel: np.ndarray, n_frames: int = N_FRAMES, hop: int | None = None,
               pad: Literal["zero", "repeat"] = "zero") -> np.ndarray:
    """Cut a log-mel spectrogram into the model's input patches, as ``batch_data`` does.

    Patches start every ``hop`` frames (default ``n_frames``: no overlap); frames after the
    last whole patch are dropped. Unlike musicnn, which fails on them, spectrograms
    shorter than one patch give one patch, padded with zeros (the log-mel of silence) by
    default or, with ``pad="repeat"``, by repeating the spectrogram (the "repeat-pad" of
    musicnn's training configuration).

    Parameters
    ----------
    log_mel : numpy.ndarray
        (frames, n_mels), as :func:`musicnn_log_mel` returns.
    n_frames : int
        Patch length (187 frames = 3 s; the VGG models accept no other).
    hop : int, optional
        Frames between patch starts; default ``n_frames``.
    pad : {"zero", "repeat"}
        How to fill a spectrogram shorter than one patch.

    Returns
    -------
    numpy.ndarray
        (n_patches, n_frames, n_mels), float32.
    """
    log_mel = np.asarray(log_mel, dtype=np.float32)
    hop = hop or n_frames
    if len(log_mel) == 0:
        raise ValueError("empty spectrogram")
    if len(log_mel) < n_frames:
        if pad == "repeat":
            log_mel = np.resize(log_mel, (n_frames, log_mel.shape[1]))
        else:
            log_mel = np.pad(log_mel, ((0, n_frames - len(log_mel)), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(log_mel, n_frames, axis=0)[::hop]
    return np.ascontiguousarray(windows.transpose(0, 2, 1))
