"""Decode any common audio container to a mono float32 waveform.

soundfile (libsndfile) reads wav, flac, ogg/vorbis, au and aiff and can seek, so an
offset/duration window costs only that window. Everything else (m4a/aac, wma, ...) goes
through PyAV (FFmpeg), and so does mp3: libsndfile's mp3 decoder writes warnings about
damaged frames straight to the process's stderr, which a batch over a music library must
not spill. So does Opus (``.opus``, or Opus in an ``.ogg``): libsndfile seeks it
unreliably (:func:`_load_soundfile`), PyAV sample-accurately. Channels are averaged and
the rate changed by :func:`~genriflow.audio.waveform.to_mono_resampled`, as for waveforms
held in memory.

A file whose decodable audio ends well before the length its header declares (a cut or
partly downloaded song) is used for the part that decodes: :func:`info` reports that part's
length (and the declared one), and :func:`load` warns with an
:class:`~genriflow.audio.errors.AudioWarning`. A file of which nothing decodes is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genriflow.audio.errors import AudioError, AudioErrorKind, AudioWarning, os_error
from genriflow.audio.formats import AUDIO_EXTENSIONS
from genriflow.audio.formats import PYAV_FIRST as _PYAV_FIRST
from genriflow.audio.waveform import not_sound, require_duration, to_mono_resampled
from genriflow.errors import ConfigError, at_least

if TYPE_CHECKING:
    import av

# The decoders (soundfile, and PyAV for what it does not read) are imported by the
# functions that decode: naming them, or serving a song from the feature store, loads
# neither library.

__all__ = ["AUDIO_EXTENSIONS", "DEFAULT_SR", "AudioInfo", "cut_message", "info", "load",
           "load_native"]

#: Default sample rate, as librosa and the GTZAN feature table use.
DEFAULT_SR = 22050

#: Missing audio (seconds) beyond which a file counts as truncated.
_TRUNCATION_TOLERANCE = 1.0

#: Containers whose length FFmpeg guesses from the bit rate, no header declaring it (raw
#: ADTS AAC: a whole 40 s file was guessed 41.6 s and called truncated): their packets
#: are counted instead, and a cut is never said.
_LENGTH_GUESSED = frozenset({"aac"})


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header where possible.

    Attributes
    ----------
    duration : float
        Seconds of audio that decode (an estimate for some compressed streams).
    sr : int
        Native sample rate in Hz.
    channels : int
        Number of channels.
    declared : float or None
        What the header declares, when the audio that decodes ends more than a second
        before it (a cut or partly downloaded file); ``None`` otherwise.
    """

    duration: float
    sr: int
    channels: int
    declared: float | None = None

    @property
    def truncation(self) -> str | None:
        """What a person is told of a cut file (``None`` for a whole one).

        >>> AudioInfo(6.6, 44100, 2, declared=20.0).truncation
        'truncated: the header declares 20.0 s, only 6.6 s decode; the part that decodes is used'
        """
        return cut_message(self.duration, self.declared)


def cut_message(duration: float, declared: float | None) -> str | None:
    """What a person is told of a file of which ``duration`` seconds decode while its
    header declares ``declared`` (``None``: a whole file): the one wording, whether the
    cut shows in the header check (:func:`info`), in a decode (:func:`load`) or in what
    the feature store remembers of the file.

    >>> cut_message(6.6, 20.0)
    'truncated: the header declares 20.0 s, only 6.6 s decode; the part that decodes is used'
    >>> cut_message(30.0, None) is None
    True
    """
    if declared is None:
        return None
    return (f"truncated: the header declares {declared:.1f} s, only "
            f"{duration:.1f} s decode; the part that decodes is used")


#: What a path that is neither a file nor a folder is, by its ``stat`` type.
_NOT_FILES = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket",
              stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _check_exists(path: Path) -> None:
    try:
        mode, size = (st := path.stat()).st_mode, st.st_size
    except OSError as exc:  # missing, a broken link, a folder this user may not enter
        if os.path.islink(path) and not isinstance(exc, PermissionError):
            raise AudioError(path, "broken link: what it points to is missing (or a link "
                             "loop)", AudioErrorKind.MISSING) from None
        raise os_error(path, exc) from None
    if stat.S_ISDIR(mode):
        raise AudioError(path, "is a folder, not an audio file", AudioErrorKind.UNSUPPORTED)
    if not stat.S_ISREG(mode):  # opening a FIFO would wait for a writer for good
        raise AudioError(path, f"is {_NOT_FILES.get(stat.S_IFMT(mode), 'not a file')}, "
                         "not an audio file", AudioErrorKind.UNSUPPORTED)
    if size == 0:
        raise AudioError(path, "empty file (0 bytes)", AudioErrorKind.EMPTY)


def info(path: str | os.PathLike) -> AudioInfo:
    """Read duration, native rate and channel count without decoding the file.

    Only the last seconds the header declares are decoded, to check that they are there
    (mp3 & co. and FLAC declare a length their audio may not reach); when they are not, the
    stream's packets are counted for the length that decodes (:attr:`AudioInfo.declared`).

    Raises
    ------
    AudioError
        If the file is missing, empty or not readable audio.
    """
    import soundfile as sf

    path = Path(path)
    _check_exists(path)
    try:
        # Not for mp3 & co.: libsndfile's mpg123 prints resync warnings on stderr.
        i = None if path.suffix.lower() in _PYAV_FIRST else sf.info(os.fsencode(path))
        if i is not None and i.frames > 0 and (i.format != "FLAC" or _reaches_end(path)):
            return AudioInfo(i.frames / i.samplerate, int(i.samplerate), int(i.channels))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    import av  # FFmpeg: imported only for a file soundfile does not read

    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            if container.format.name in _LENGTH_GUESSED:
                decoded = duration = _packets_end(container, stream)
            elif container.duration is not None:
                duration = container.duration / av.time_base
                decoded = _decoded_end(container, stream, duration)
            elif stream.duration is not None:
                duration = float(stream.duration * stream.time_base)
                decoded = _decoded_end(container, stream, duration)
            else:
                decoded = duration = 0.0
            if decoded <= 0 < duration:
                raise AudioError(path, f"nothing decodes (the header declares {duration:.1f} s)",
                                 AudioErrorKind.CORRUPT)
            return AudioInfo(decoded, int(stream.rate), int(stream.channels),
                             duration if decoded < duration - _TRUNCATION_TOLERANCE else None)
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise _classify_av_error(path, exc) from None


def _reaches_end(path: Path) -> bool:
    """Whether libsndfile reads the last second its header declares (FLAC can lie)."""
    import soundfile as sf

    try:
        with sf.SoundFile(os.fsencode(path)) as f:
            tail = min(f.frames, f.samplerate)
            f.seek(f.frames - tail)
            return len(f.read(tail, dtype="float32")) >= tail - 1
    except (sf.LibsndfileError, RuntimeError):
        return False


def _decoded_end(container: av.container.InputContainer, stream: av.audio.AudioStream,
                 declared: float) -> float:
    """Seconds of audio that decode: ``declared`` if its last seconds do, else where the
    stream's packets end (a cut file)."""
    import av

    origin = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    end = 0.0
    try:
        container.seek(int((max(declared - 3.0, 0.0) + origin) * av.time_base), backward=True)
        for frame in container.decode(stream):
            if frame.time is not None:
                end = max(end, frame.time - origin + frame.samples / frame.sample_rate)
    except av.FFmpegError:
        pass
    if declared <= 0 or end >= declared - _TRUNCATION_TOLERANCE:
        return declared
    return min(_packets_end(container, stream), declared)


def _packets_end(container: av.container.InputContainer, stream: av.audio.AudioStream
                 ) -> float:
    """Seconds of audio the stream's packets hold, from its start (demuxed, not decoded)."""
    import av

    origin = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
    end = 0.0
    try:
        container.seek(0)
        for packet in container.demux(stream):
            if packet.pts is not None and packet.duration:
                end = max(end, float((packet.pts + packet.duration) * packet.time_base) - origin)
    except av.FFmpegError:
        pass
    return end


def load(
    path: str | os.PathLike,
    sr: int | None = DEFAULT_SR,
    offset: float = 0.0,
    duration: float | None = None,
    min_duration: float = 0.0,
) -> np.ndarray:
    """Decode a file (or a window of it) to a mono float32 waveform.

    Parameters
    ----------
    path : str or PathLike
        Any container soundfile or FFmpeg can read.
    sr : int or None
        Target rate in Hz (resampled with soxr, high quality); ``None`` keeps the native rate.
    offset : float
        Start of the window in seconds.
    duration : float or None
        Length of the window in seconds; ``None`` reads to the end.
    min_duration : float
        Raise ``AudioError(kind=TOO_SHORT)`` if fewer seconds than this were decoded.

    Returns
    -------
    y : np.ndarray, shape (n_samples,), float32
        Mono waveform (channels averaged), values nominally in [-1, 1].

    Raises
    ------
    ConfigError
        For a rate below 1 Hz, a negative offset or a duration that is not positive.
    AudioError
        Missing, empty, unsupported, corrupt (nothing decodes) or too-short input, or a
        window starting past the audio's end (``too-short``, naming both); a
        truncated file warns (:class:`~genriflow.audio.errors.AudioWarning`) instead.
    """
    at_least("sr", sr, 1, optional=True)
    y, native_sr = load_native(path, offset=offset, duration=duration)
    y = to_mono_resampled(y, native_sr, sr)
    require_duration(Path(path), y, sr or native_sr, min_duration)
    return y


def load_native(path: str | os.PathLike, *, offset: float = 0.0,
                duration: float | None = None,
                min_duration: float = 0.0) -> tuple[np.ndarray, int]:
    """Decode a file (or a window of it) to mono float32 at the file's own rate.

    What :func:`load` decodes before resampling: a caller needing the same window at
    several rates decodes it once and resamples it per rate
    (:func:`~genriflow.audio.waveform.to_mono_resampled`).

    Parameters
    ----------
    path, offset, duration, min_duration
        As for :func:`load`.

    Returns
    -------
    y : np.ndarray, shape (n_samples,), float32
        Mono waveform at the native rate.
    sr : int
        The native rate in Hz.

    Raises
    ------
    ConfigError, AudioError
        As for :func:`load`.
    """
    import soundfile as sf

    at_least("offset", offset, 0)
    if duration is not None and duration <= 0:
        raise ConfigError("duration", f"must be positive; got {duration!r}")
    path = Path(path)
    _check_exists(path)
    loaded = None
    if path.suffix.lower() not in _PYAV_FIRST:
        with contextlib.suppress(sf.LibsndfileError, RuntimeError, TypeError):
            loaded = _load_soundfile(path, offset, duration)
    y, native_sr, declared = loaded or _load_pyav(path, offset, duration)
    start = int(round(offset * native_sr))
    if 0 < len(y) < (_expected(declared, start, duration, native_sr)
                     - _TRUNCATION_TOLERANCE * native_sr):
        # the whole file's figures, as info() gives them, whichever window ran short
        warnings.warn(AudioWarning(path, cut_message((start + len(y)) / native_sr,
                                                     declared / native_sr)), stacklevel=3)
    if y.size == 0 and 0 < declared <= start:
        # a sound file and a window past its end: the window's fault, not the file's
        raise AudioError(path, f"nothing at {offset:g} s: the audio ends at "
                         f"{declared / native_sr:.1f} s", AudioErrorKind.TOO_SHORT)
    if y.size == 0:
        raise AudioError(path, "no audio samples (header only or nothing decodable)",
                         AudioErrorKind.EMPTY)
    if (why := not_sound(y)) is not None:  # before the features' squares overflow
        raise AudioError(path, f"decoded audio {why}" if why.startswith("contains") else why,
                         AudioErrorKind.CORRUPT)
    y = to_mono_resampled(y, native_sr, None, channel_axis=1)
    require_duration(path, y, native_sr, min_duration)
    return y, native_sr


def _expected(declared: int, start: int, duration: float | None, sr: int) -> int:
    """Samples a window should hold according to the header's declared length."""
    available = max(declared - start, 0)
    return available if duration is None else min(available, int(round(duration * sr)))


def _load_soundfile(path: Path, offset: float,
                    duration: float | None) -> tuple[np.ndarray, int, int] | None:
    """Samples of shape (n, channels), the native rate and the samples the header declares
    (the whole file's); ``None`` for an Opus stream (whatever the file's name), which PyAV
    decodes.

    libsndfile (1.2.2) refuses some windows of real Opus files as "malformed", and not
    always the same ones from one process to the next; PyAV, which then decoded the window,
    runs another Opus decoder (FFmpeg's, not libopus), whose samples differ by up to 0.1
    at low bit rates. A window's features then depended on the process that decoded it
    (the Ray engine's differed from the local engine's). PyAV alone decodes every window
    of an Opus file, each the samples a decode from the file's start gives.
    """
    import soundfile as sf

    with sf.SoundFile(os.fsencode(path)) as f:
        if f.subtype == "OPUS":
            return None
        native_sr = f.samplerate
        start = int(round(offset * native_sr))
        if start:
            f.seek(min(start, f.frames))
        frames = -1 if duration is None else int(round(duration * native_sr))
        data = f.read(frames, dtype="float32", always_2d=True)
        declared = f.frames
    return data, native_sr, declared


#: What a file that no demuxer recognises is told (a text file named ``song.mp3``).
_NOT_AUDIO = "not a recognised audio format (unreadable header)"


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.audio.AudioStream:
    if not container.streams.audio:
        raise AudioError(path, "contains no audio stream", AudioErrorKind.UNSUPPORTED)
    stream = container.streams.audio[0]
    if not stream.rate:  # FFmpeg opens any bytes named .flac as a FLAC stream of 0 Hz
        raise AudioError(path, _NOT_AUDIO, AudioErrorKind.UNSUPPORTED)
    return stream


def _classify_av_error(path: Path, exc: Exception) -> AudioError:
    import av

    # EOFError: the demuxer ran out of bytes before it found a header (text named .ogg)
    if isinstance(exc, av.InvalidDataError | av.EOFError):
        return AudioError(path, _NOT_AUDIO, AudioErrorKind.UNSUPPORTED)
    # The system's refusal (FFmpeg's open raises av.error.PermissionError, an OSError
    # too): not the audio's fault. FFmpeg's other errors are about the stream.
    if isinstance(exc, PermissionError | FileNotFoundError | IsADirectoryError) or (
            isinstance(exc, OSError) and not isinstance(exc, av.FFmpegError)):
        return os_error(path, exc)
    return AudioError(path, f"cannot decode: {_reason(exc)}", AudioErrorKind.CORRUPT)


def _reason(exc: Exception) -> str:
    """An FFmpeg or OS error's own words, without its errno and the file's path (the
    message names the file once, as the client knows it: not a server's upload path)."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


#: Frames are converted to mono in batches of this many samples: per-frame conversion cost
#: more than the decoding itself (opus has 50 frames a second), whole-file batches twice
#: the memory of the mono result.
_BATCH_SAMPLES = 1 << 19


def _load_pyav(path: Path, offset: float,
               duration: float | None) -> tuple[np.ndarray, int, int]:
    import av  # FFmpeg: imported only for a file soundfile does not read

    chunks: list[np.ndarray] = []  # mono, float32
    frames: list[np.ndarray] = []  # (channels, n), as decoded, not yet in chunks
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            native_sr = int(stream.rate)
            declared = (int(container.duration * native_sr / av.time_base)
                        if container.duration is not None
                        and container.format.name not in _LENGTH_GUESSED else 0)
            # Timestamps count from the stream's start (mp3's encoder delay, say), not zero.
            origin = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            if offset > 0:
                # Seek early: decoders such as mp3's need a few frames to settle after a seek.
                preroll = max(offset + origin - 0.5, 0.0)
                container.seek(int(preroll * av.time_base), backward=True)
            start = int(round(offset * native_sr))
            stop = None if duration is None else start + int(round(duration * native_sr))
            position = None  # of the first decoded frame, in samples from the stream's start
            decoded = 0
            try:
                for frame in container.decode(stream):
                    if position is None:
                        position = (int(round((frame.time - origin) * native_sr))
                                    if frame.time is not None else 0)
                    frames.append(_channels_first(frame))
                    decoded += frame.samples
                    if decoded - sum(map(len, chunks)) >= _BATCH_SAMPLES:
                        chunks.append(_to_mono(frames))
                    if stop is not None and position + decoded >= stop:
                        break
            except av.FFmpegError as exc:
                if not chunks and not frames:  # a damaged tail after good audio is kept
                    raise AudioError(path, f"corrupt or truncated stream: {_reason(exc)}",
                                     AudioErrorKind.CORRUPT) from None
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise _classify_av_error(path, exc) from None
    if frames:
        chunks.append(_to_mono(frames))
    if not chunks:
        return np.zeros(0, np.float32), native_sr, declared
    mono = np.concatenate(chunks)
    lo = max(start - position, 0)
    hi = mono.size if stop is None else max(min(mono.size, stop - position), lo)
    return mono[lo:hi], native_sr, declared


def _channels_first(frame: av.AudioFrame) -> np.ndarray:
    """A frame's samples as (channels, n), whether its format is planar or packed."""
    samples = frame.to_ndarray()
    if samples.ndim == 1 or frame.format.is_packed:
        samples = samples.reshape(-1, len(frame.layout.channels)).T
    return samples


def _to_mono(frames: list[np.ndarray]) -> np.ndarray:
    """Decoded frames (each (channels, n)) as one mono float32 array in [-1, 1); empties
    ``frames``."""
    if len({f.shape[0] for f in frames}) == 1:
        samples = np.concatenate(frames, axis=1)
    else:  # the layout changed mid-stream: downmix each frame first
        samples = np.concatenate([f.mean(axis=0, keepdims=True) for f in frames], axis=1)
    frames.clear()
    mono = samples.mean(axis=0, dtype=np.float32)
    if np.issubdtype(samples.dtype, np.integer):
        mono /= float(np.iinfo(samples.dtype).max) + 1.0
    return mono
