"""Audio input: decode, downmix, resample, window. Nothing downstream decodes again.

Each name is imported on first use, so that ``genriflow.audio.errors`` (what the command
line needs to say a file's error) does not import numpy or the decoders.
"""
# ruff: noqa: F401 (the TYPE_CHECKING imports below only name what lazy_loader serves)

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

# lazy_loader (SPEC 1, as librosa and scikit-image use it): each name imported on first use.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "decode": ["DEFAULT_SR", "AudioInfo", "cut_message", "info", "load", "load_native"],
    "errors": ["AudioError", "AudioErrorKind"],
    "formats": ["AUDIO_EXTENSIONS"],
    "waveform": ["ARRAY_PATH", "cut", "mono_waveform", "to_mono_resampled"],
    "windows": ["fix_length", "window_offsets"],
})

#: Augmentation levels, weakest first; ``none`` leaves the waveform as it is (kept here so
#: that a bad ``augment`` is refused without importing NumPy; :mod:`.augment` applies them).
AUGMENTATIONS = ("none", "weak", "strong")

if TYPE_CHECKING:  # for type checkers and editors: the names lazy_loader serves
    from genriflow.audio.decode import DEFAULT_SR, AudioInfo, cut_message, info, load, load_native
    from genriflow.audio.errors import AudioError, AudioErrorKind
    from genriflow.audio.formats import AUDIO_EXTENSIONS
    from genriflow.audio.waveform import ARRAY_PATH, cut, mono_waveform, to_mono_resampled
    from genriflow.audio.windows import fix_length, window_offsets
