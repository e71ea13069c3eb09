"""Audio input: decode, downmix, resample, window. Nothing downstream decodes again.

Each name is imported on first use, so that ``genriflow.audio.errors`` (what the command
line needs to say a file's error) does not import numpy or the decoders.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "ARRAY_PATH": "genriflow.audio.waveform",
    "AUDIO_EXTENSIONS": "genriflow.audio.decode",
    "DEFAULT_SR": "genriflow.audio.decode",
    "AudioError": "genriflow.audio.errors",
    "AudioErrorKind": "genriflow.audio.errors",
    "AudioInfo": "genriflow.audio.decode",
    "cut": "genriflow.audio.waveform",
    "fix_length": "genriflow.audio.windows",
    "info": "genriflow.audio.decode",
    "load": "genriflow.audio.decode",
    "load_native": "genriflow.audio.decode",
    "mono_waveform": "genriflow.audio.waveform",
    "to_mono_resampled": "genriflow.audio.waveform",
    "window_offsets": "genriflow.audio.windows",
}

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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'genriflow.audio' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
