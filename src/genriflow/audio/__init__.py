"""Audio input: decode, downmix, resample, window. Nothing downstream decodes again."""

from genriflow.audio.decode import (
    AUDIO_EXTENSIONS,
    DEFAULT_SR,
    AudioInfo,
    info,
    load,
    load_native,
)
from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.audio.waveform import ARRAY_PATH, cut, mono_waveform, to_mono_resampled
from genriflow.audio.windows import fix_length, window_offsets

__all__ = [
    "ARRAY_PATH",
    "AUDIO_EXTENSIONS",
    "DEFAULT_SR",
    "AudioError",
    "AudioErrorKind",
    "AudioInfo",
    "cut",
    "fix_length",
    "info",
    "load",
    "load_native",
    "mono_waveform",
    "to_mono_resampled",
    "window_offsets",
]
