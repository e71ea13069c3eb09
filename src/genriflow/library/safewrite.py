"""Changing a song's tags without any way to lose the song.

:func:`rewrite_tags` never touches the file itself until the new version is complete and
checked:

1. the file is refused, untouched, if it is read-only (or its folder is), a link shared
   with other names, vanished, or no longer the content the caller expects;
2. it is copied to a temporary file beside it (same folder, so the rename cannot cross
   file systems), the change is made there and the copy is flushed to disk (fsync);
3. the copy is checked: the intended values read back, every other tag entry is as
   before, and its audio is the same (:func:`audio_fingerprint`: the bytes of every
   compressed audio packet, in order, so a tag write that shifted or damaged the audio
   is caught without decoding);
4. only then is it renamed over the original (an atomic step on POSIX file systems) and
   the folder flushed.

A kill at any point leaves the original or the new version, whole; at worst a hidden
temporary file (``.NAME.genriflow-*.tmp``), which :func:`remove_stale_copies` clears.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import av

from genriflow.features.store import content_hash
from genriflow.library.tagformats import TagFile, TagFormatError
from genriflow.locations import fsync_folder

#: The temporary copies' names: ``.NAME`` + this + a random part + ``.tmp``.
COPY_MARK = ".genriflow-"


class WriteRefused(Exception):
    """A file left untouched, and why (one line, without the path)."""


@dataclass(frozen=True)
class Rewritten:
    """A file after :func:`rewrite_tags`: its content hash before and after, and its
    audio's (:func:`audio_fingerprint`, the same before and after)."""

    path: str
    old_content: str
    new_content: str
    audio: str = ""


def audio_fingerprint(path: str | os.PathLike) -> str:
    """A hash of every audio packet's bytes, in order: equal means the same audio.

    >>> import tempfile, pathlib, numpy as np, soundfile as sf
    >>> song = pathlib.Path(tempfile.mkdtemp()) / "a.flac"
    >>> sf.write(song, np.zeros(22050, np.float32), 22050)
    >>> audio_fingerprint(song) == audio_fingerprint(song)
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            if not streams:
                raise WriteRefused("holds no audio stream")
            count = 0
            for packet in container.demux(streams):
                if packet.size:
                    digest.update(bytes(packet))
                    count += 1
    except av.FFmpegError as exc:
        raise WriteRefused(f"its audio cannot be read ({exc})") from None
    if count == 0:
        raise WriteRefused("holds no audio")
    return f"{count}:{digest.hexdigest()}"


def unreadable(exc: OSError) -> str:
    """Why a song could not be read: gone, or there but not readable (a song the user may
    not read is not "no longer exists")."""
    if isinstance(exc, FileNotFoundError):
        return "no longer exists"
    return f"cannot be read ({exc.strerror or exc})"


def check_writable(path: Path) -> os.stat_result:
    """The file's stat, or :class:`WriteRefused` saying why it must not be rewritten."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise WriteRefused(unreadable(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise WriteRefused("is not a regular file")
    # The mode bits, not os.access: root may write anything, but a file the user made
    # read-only is one they asked to keep.
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
            path, os.W_OK):
        raise WriteRefused("is read-only; left untouched")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise WriteRefused("is in a read-only folder; left untouched")
    if st.st_nlink > 1:
        raise WriteRefused(f"has {st.st_nlink} hard links; a new copy would split them")
    return st


def rewrite_tags(path: str | os.PathLike, change: Callable[[TagFile], dict[str, list[str]]],
                 *, expect_content: str | None = None, keep_mtime: bool = False,
                 id3_version: int | None = None,
                 before_replace: Callable[[str, str], None] | None = None) -> Rewritten:
    """Change one file's tags atomically, verified, or not at all.

    Parameters
    ----------
    path : path
        The song; a symbolic link is followed (the file it names is rewritten).
    change : callable
        Given the copy's :class:`~genriflow.library.tagformats.TagFile`, sets what is to
        change and returns ``{field: values}`` as they must read back.
    expect_content : str or None
        The content hash the file must still have (a plan's); else refused.
    keep_mtime : bool
        Give the new version the original's modification time.
    id3_version : {3, 4} or None
        See :class:`~genriflow.library.tagformats.TagFile`.
    before_replace : callable or None
        Called with ``(old_content, new_content)`` when the checked copy is ready, just
        before the rename (the journal records it there).

    Raises
    ------
    WriteRefused
        The file was left as it was; the message says why.
    """
    real = Path(os.path.realpath(path))
    st = check_writable(real)
    old_content = content_hash(real)
    if expect_content is not None and old_content != expect_content:
        raise WriteRefused("changed since the plan was made; plan again")
    try:
        original = TagFile(real, id3_version=id3_version)
    except TagFormatError as exc:
        raise WriteRefused(str(exc)) from None
    before_dump = original.dump()
    before_audio = audio_fingerprint(real)
    copy = real.with_name(f".{real.name}{COPY_MARK}{uuid.uuid4().hex[:12]}.tmp")
    try:
        shutil.copyfile(real, copy)
        shutil.copymode(real, copy)
        _keep_owner(copy, st)
        try:
            tags = TagFile(copy, id3_version=id3_version)
            expected = change(tags)
            tags.save()
        except TagFormatError as exc:
            raise WriteRefused(str(exc)) from None
        _fsync(copy)
        _verify(copy, expected, before_dump, before_audio)
        if keep_mtime:
            os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns))
        new_content = content_hash(copy)
        now = os.stat(real)
        if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
            raise WriteRefused("changed while it was being written; left as it is now")
        if before_replace is not None:
            before_replace(old_content, new_content)
        os.replace(copy, real)
    except OSError as exc:
        raise WriteRefused(f"could not be written ({exc.strerror or exc}); left untouched"
                           ) from None
    finally:
        copy.unlink(missing_ok=True)
    fsync_folder(real.parent)
    return Rewritten(str(real), old_content, new_content, before_audio)


def _verify(copy: Path, expected: dict[str, list[str]], before: dict[str, str],
            before_audio: str) -> None:
    try:
        after = TagFile(copy)
    except TagFormatError as exc:
        raise WriteRefused(f"the new version does not read back ({exc})") from None
    for field, values in expected.items():
        got = after.get(field)
        if got != [v for v in values if v]:
            raise WriteRefused(f"{field} read back as {got!r}, not {values!r}; left untouched")
    owned = after.dump_keys(expected)
    now = after.dump()
    lost = sorted(k for k in before if k not in owned and now.get(k) != before[k])
    added = sorted(k for k in now if k not in owned and k not in before)
    if lost or added:
        raise WriteRefused(f"saving would change other tags ({', '.join(lost + added)}); "
                           "left untouched")
    if audio_fingerprint(copy) != before_audio:
        raise WriteRefused("saving would change its audio; left untouched")


def _keep_owner(copy: Path, st: os.stat_result) -> None:
    if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        # Not ours to give away: then the copy stays the writer's, as any editor's would.
        with contextlib.suppress(PermissionError):
            os.chown(copy, st.st_uid, st.st_gid)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_copies(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Delete the temporary copies a killed write left beside these songs; returns them."""
    removed = []
    for path in {Path(os.path.realpath(p)) for p in paths}:
        for stale in path.parent.glob(f".{glob.escape(path.name)}{COPY_MARK}*.tmp"):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed

