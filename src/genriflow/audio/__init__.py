"""Audio input: decode, downmix, resample, window. Nothing downstream decodes again."""

from genriflow.audio.decode import AUDIO_EXTENSIONS, DEFAULT_SR, AudioInfo, info, load
from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.audio.windows import fix_length, window_offsets

__all__ = [
    "AUDIO_EXTENSIONS",
    "DEFAULT_SR",
    "AudioError",
    "AudioErrorKind",
    "AudioInfo",
    "fix_length",
    "info",
    "load",
    "window_offsets",
]
