"""Each container's own way to hold genriflow's fields, read and written with mutagen.

=============  ============================  ==============================  ====================
field          ID3 (mp3, wav, aiff)          MP4 (m4a)                       Vorbis comments
                                                                             (flac, ogg, opus)
=============  ============================  ==============================  ====================
genre          ``TCON``, a value each        ``©gen`` (``gnre`` removed)     ``GENRE`` per value
               (v2.3: joined with ``"; "``)
mood           ``TMOO`` (v2.3: ``TXXX:MOOD``)  ``----:com.apple.iTunes:MOOD``  ``MOOD``
genriflow's    ``TXXX:GENRIFLOW_GENRE``, ...  ``----:com.apple.iTunes:``      ``GENRIFLOW_GENRE``,
own                                          ``GENRIFLOW_GENRE``, ...        ...
=============  ============================  ==============================  ====================

genriflow's own fields (:data:`OWN_FIELDS`: the genre, mood and voice it wrote, its
confidence and the model) let a later run tell its own values from the user's.

A :class:`TagFile` reads and sets those fields, takes an exact *snapshot* of the raw tag
entries behind some fields (JSON, for the undo journal) and restores one, and *dumps* every
tag the file holds, so a write can be checked to have changed nothing else.

Unusual layouts:

- an **ID3v2.2** tag (old iTunes rips) is refused before anything is written, with the
  reason: mutagen saves ID3v2.3 or v2.4 only, so the write would upgrade the tag, and an
  undo could give back its frames but not the v2.2 tag itself;
- a file **without a tag** gets one; the snapshot says so, and restoring it removes the
  tag again when nothing else was put in it (a wav's ``id3 `` chunk, an mp3's ID3v2
  header), so an undo gives back the original bytes;
- the **padding** after the tag (empty space a tag can grow into) is part of the snapshot,
  and a restore saves with exactly that padding again: a file that had none (as many Ogg
  encoders write them) gets none back instead of the room mutagen adds by default, so an
  undo gives back the original bytes wherever mutagen renders the old entries as they
  were. Two layouts cannot come back byte for byte, as mutagen always writes a padding
  element there: a FLAC without a ``PADDING`` block (it gets an empty one, 4 bytes) and an
  m4a without a ``free`` atom beside its ``ilst`` (it gets an empty one, 8 bytes). An Ogg
  file's header pages are recorded too, and put back as they were
  (:mod:`~genriflow.library.oggpages`);
- a **FLAC stream behind an ID3v2 block** (see :func:`~genriflow.library.filetags.open_audio`)
  is tagged in its Vorbis comment; the ID3 block is left byte-identical (and part of
  :meth:`TagFile.dump`, so a write that changed it is refused).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Sequence
from typing import Any

import mutagen
from mutagen.flac import FLAC, Padding
from mutagen.id3 import ID3, TCON, TMOO, TXXX, Encoding, Frames
from mutagen.mp4 import MP4, MP4FreeForm

from genriflow.library.configs import FIELDS  # noqa: F401 (re-exported: its home before)
from genriflow.library.filetags import id3_prefix, open_audio
from genriflow.library.oggpages import header_layout, lay_out

#: genriflow's own analysis fields, beside the user's.
OWN_FIELDS = ("genriflow_genre", "genriflow_confidence", "genriflow_model", "genriflow_mood",
              "genriflow_voice")
#: What writing a plan field also writes: the field and its provenance.
WRITES = {"genre": ("genre", "genriflow_genre", "genriflow_confidence", "genriflow_model"),
          "mood": ("mood", "genriflow_mood"),
          "voice": ("genriflow_voice",)}
#: Multi-valued ID3v2.3 text frames are joined with this (v2.3 has no value separator).
ID3V23_SEPARATOR = "; "
_ITUNES = "----:com.apple.iTunes:"
_ID3_KINDS = {"MP3", "EasyMP3", "WAVE", "AIFF"}
_VORBIS_KINDS = {"FLAC", "OggVorbis", "OggOpus", "OggFLAC", "OggSpeex"}


#: Why an ID3v2.2 file is left untouched (see the module docstring).
ID3V22_REFUSED = ("has an ID3v2.2 tag (as old iTunes rips do): writing would upgrade it to "
                  "v2.4, which undo could not take back exactly; left untouched (convert "
                  "its tag to v2.3 or v2.4 with a tag editor first)")


class TagFormatError(Exception):
    """A file whose tags genriflow cannot write: not audio mutagen knows, or a container
    without a tag format here (the message says which)."""


def _id3_keys(field: str, version: int) -> list[str]:
    if field == "genre":
        return ["TCON"]
    if field == "mood":
        return ["TMOO", "TXXX:MOOD"] if version == 4 else ["TXXX:MOOD"]
    return [f"TXXX:{field.upper()}"]


def _mp4_keys(field: str) -> list[str]:
    if field == "genre":
        return ["\xa9gen", "gnre"]
    return [_ITUNES + field.upper()]


class TagFile:
    """One file's tags, opened for genriflow's fields.

    Parameters
    ----------
    path : path
    id3_version : {3, 4} or None
        The ID3v2 version to save an mp3, wav or aiff in; ``None``: the file's own (2.4 for
        a file without a tag). Other containers ignore it.

    Raises
    ------
    TagFormatError
        Not a file mutagen can read, a container without a tag format here, or an ID3v2.2
        tag (:data:`ID3V22_REFUSED`).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, soundfile as sf
    >>> song = pathlib.Path(tempfile.mkdtemp()) / "a.flac"
    >>> sf.write(song, np.zeros(22050, np.float32), 22050)
    >>> tags = TagFile(song)
    >>> tags.set("genre", ["Rock", "Jazz"]); tags.save()
    >>> TagFile(song).get("genre")
    ['Rock', 'Jazz']
    """

    def __init__(self, path: str | os.PathLike, *, id3_version: int | None = None) -> None:
        self.path = str(path)
        try:
            audio = open_audio(self.path)
        except (mutagen.MutagenError, OSError, ValueError, EOFError) as exc:
            raise TagFormatError(f"its tags cannot be read ({exc})") from None
        if audio is None:
            raise TagFormatError("not an audio file mutagen can tag")
        kind = type(audio).__name__
        if kind in _ID3_KINDS:
            self.scheme = "id3"
        elif kind in _VORBIS_KINDS:
            self.scheme = "vorbis"
        elif isinstance(audio, MP4):
            self.scheme = "mp4"
        else:
            raise TagFormatError(f"genriflow does not write {kind} tags")
        if self.scheme == "id3" and audio.tags is not None and audio.tags.version[:2] == (2, 2):
            raise TagFormatError(ID3V22_REFUSED)
        #: Whether the file had a tag before (else one is added, and removed by a restore).
        self.had_tags = audio.tags is not None
        #: The padding after the tag now (``None``: unknown, or no tag yet).
        self.padding = _padding(audio)
        #: The padding to save with (a restore's); ``None``: mutagen's default.
        self._save_padding: int | None = None
        #: An Ogg stream's serial number and header pages (see :mod:`.oggpages`).
        self._serial = getattr(audio.info, "serial", None)
        self.ogg_pages = (header_layout(self.path, kind, self._serial)
                          if self._serial is not None else None)
        self._save_pages = None
        if audio.tags is None:
            audio.add_tags()
        self._audio = audio
        #: A FLAC's stray ID3v2 block in front: its length (0: none).
        self.id3_prefix = id3_prefix(self.path) if kind == "FLAC" else 0
        self._drop_empty = False
        #: The ID3 version the file has (2.4 for a new tag), and the one it is saved in.
        self.own_version = 3 if self.scheme == "id3" and audio.tags.version[1] == 3 else 4
        self.id3_version = id3_version or self.own_version

    @property
    def tags(self):
        return self._audio.tags

    def keys(self, field: str) -> list[str]:
        """The raw tag keys behind ``field``, the first the one written."""
        if self.scheme == "id3":
            return _id3_keys(field, self.id3_version)
        if self.scheme == "mp4":
            return _mp4_keys(field)
        return [field.upper()]

    def get(self, field: str) -> list[str]:
        """The values of ``field`` (from the first of its keys that has any)."""
        for key in self.keys(field):
            values = self._read(key)
            if values:
                return values
        return []

    def set(self, field: str, values: Sequence[str]) -> None:
        """Replace ``field`` with ``values`` (none: remove it), in every key behind it."""
        values = [v for v in values if v]
        first, *others = self.keys(field)
        for key in others:
            self._delete(key)
        self._delete(first)
        if values:
            self._write(first, list(values))

    # --- raw entries ---------------------------------------------------------------------

    def _read(self, key: str) -> list[str]:
        tags = self.tags
        if self.scheme == "id3":
            found: list[str] = []
            for frame in tags.getall(key):
                found += list(frame.genres) if key == "TCON" else [str(t) for t in frame.text]
            if self.id3_version == 3 or getattr(tags, "version", (2, 4))[1] == 3:
                found = [p.strip() for v in found for p in v.split(ID3V23_SEPARATOR)]
            return [v for v in found if v]
        if self.scheme == "mp4":
            if key == "gnre":  # ID3v1 genre numbers, counted from 1
                return [TCON.GENRES[g - 1] for g in tags.get("gnre", [])
                        if 0 < g <= len(TCON.GENRES)]
            return [_text(v) for v in tags.get(key, [])]
        return [str(v) for v in tags.get(key, [])]

    def _delete(self, key: str) -> None:
        tags = self.tags
        if self.scheme == "id3":
            tags.delall(key)
        elif key in tags:
            del tags[key]

    def _write(self, key: str, values: list[str]) -> None:
        tags = self.tags
        if self.scheme == "id3":
            text = [ID3V23_SEPARATOR.join(values)] if self.id3_version == 3 else values
            if key == "TCON":
                tags.add(TCON(encoding=3, text=text))
            elif key == "TMOO":
                tags.add(TMOO(encoding=3, text=text))
            else:
                tags.add(TXXX(encoding=3, desc=key.split(":", 1)[1], text=text))
        elif self.scheme == "mp4":
            tags[key] = ([MP4FreeForm(v.encode("utf-8")) for v in values]
                         if key.startswith("----") else values)
        else:
            tags[key] = values

    # --- snapshots, for the journal -----------------------------------------------------

    def snapshot(self, fields: Iterable[str]) -> dict[str, Any]:
        """The raw entries behind ``fields``, exactly, as JSON-able data."""
        keys = dict.fromkeys(k for f in fields for k in self._all_keys(f))
        found = {"scheme": self.scheme, "id3_version": self.own_version,
                 "tagged": self.had_tags, "entries": {k: self._raw(k) for k in keys}}
        if self.padding is not None:
            found["padding"] = self.padding
        if self.ogg_pages is not None:
            found["ogg_pages"] = self.ogg_pages
        if self.scheme == "id3" and self.id3_version != self.own_version:
            # Another version re-encodes every frame (ID3v2.3 has no UTF-8): keep them.
            found["encodings"] = {k: int(f.encoding) for k, f in self.tags.items()
                                  if getattr(f, "encoding", None) is not None}
        return found

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back the entries of a :meth:`snapshot` (an absent one is removed), to be
        saved in the ID3 version, with the padding and the Ogg header pages the file had
        then (a snapshot without them, from an older genriflow: mutagen's default), and,
        where the write changed the ID3 version, every frame in its text encoding again; a
        file that had no ID3 tag then loses the one it has now, if nothing else is left in
        it."""
        if snapshot["scheme"] != self.scheme:
            raise TagFormatError(f"the journal holds {snapshot['scheme']} tags, the file "
                                 f"now has {self.scheme} tags")
        self.id3_version = snapshot.get("id3_version", self.id3_version)
        self._drop_empty = not snapshot.get("tagged", True)
        padding = snapshot.get("padding")
        self._save_padding = padding if isinstance(padding, int) and padding >= 0 else None
        self._save_pages = snapshot.get("ogg_pages")
        entries = snapshot["entries"]
        if self.scheme == "vorbis":
            self._restore_comments(entries)
            return
        for key, raw in entries.items():
            self._put_raw(key, raw)
        encodings = snapshot.get("encodings")
        if self.scheme == "id3" and isinstance(encodings, dict):
            for key, frame in self.tags.items():
                if encodings.get(key) in (0, 1, 2, 3) and hasattr(frame, "encoding"):
                    frame.encoding = Encoding(encodings[key])

    def _restore_comments(self, entries: dict[str, Any]) -> None:
        """Vorbis comments are one ordered list: the old entries go back where they were."""
        tags = self.tags
        for key in entries:
            if key in tags:
                del tags[key]
        for index, key, value in sorted(e for raw in entries.values() for e in raw or []):
            tags.insert(index, (key, value))

    def _all_keys(self, field: str) -> list[str]:
        if self.scheme == "id3":
            return list(dict.fromkeys(_id3_keys(field, 4) + _id3_keys(field, 3)))
        return self.keys(field)

    def _raw(self, key: str):
        tags = self.tags
        if self.scheme == "id3":
            return [{"encoding": int(f.encoding), "text": [str(t) for t in f.text]}
                    for f in tags.getall(key)] or None
        if self.scheme == "mp4":
            if key not in tags:
                return None
            if key.startswith("----"):
                return [{"data": base64.b64encode(bytes(v)).decode(),
                         "format": int(v.dataformat)} for v in tags[key]]
            return list(tags[key])
        placed = [[i, k, v] for i, (k, v) in enumerate(tags) if k.lower() == key.lower()]
        return placed or None

    def _put_raw(self, key: str, raw) -> None:
        tags = self.tags
        if self.scheme == "id3":
            tags.delall(key)
            for frame in raw or []:
                if key.startswith("TXXX:"):
                    tags.add(TXXX(encoding=frame["encoding"], desc=key[5:], text=frame["text"]))
                else:
                    tags.add(Frames[key](encoding=frame["encoding"], text=frame["text"]))
        elif self.scheme == "mp4":
            if key in tags:
                del tags[key]
            if raw is not None:
                tags[key] = ([MP4FreeForm(base64.b64decode(v["data"]), dataformat=v["format"])
                              for v in raw] if key.startswith("----") else raw)

    # --- everything, for checking a write -----------------------------------------------

    def dump(self) -> dict[str, str]:
        """Every tag entry the file holds (and FLAC pictures), each as text to compare."""
        tags = self.tags
        if self.scheme == "id3":  # values, not text encodings (ID3v2.3 has no UTF-8)
            return {k: repr([(spec.name, getattr(f, spec.name, None))
                             for spec in (*f._framespec, *f._optionalspec)
                             if spec.name != "encoding"]) for k, f in tags.items()}
        if self.scheme == "mp4":
            return {k: repr(v) for k, v in tags.items()}
        out: dict[str, list[str]] = {}
        for k, v in tags:
            out.setdefault(k.lower(), []).append(v)
        found = {k: repr(v) for k, v in out.items()}
        for i, picture in enumerate(getattr(self._audio, "pictures", [])):
            found[f"picture:{i}"] = repr(picture.data)
        if self.id3_prefix:
            with open(self.path, "rb") as f:
                block = f.read(self.id3_prefix)
            found["id3v2 block"] = hashlib.blake2b(block, digest_size=16).hexdigest()
        return found

    def dump_keys(self, fields: Iterable[str]) -> set[str]:
        """The keys of :meth:`dump` that ``fields`` own."""
        keys = {k for f in fields for k in self._all_keys(f)}
        return {k.lower() for k in keys} if self.scheme == "vorbis" else keys

    def save(self) -> None:
        """Write the tags into the file (ID3 in :attr:`id3_version`; a restored file with
        the padding it had); a restored file that had no ID3 tag and holds none of its
        frames now loses the tag altogether."""
        padding = None if self._save_padding is None else _fixed(self._save_padding)
        try:
            if self.scheme == "id3" and self._drop_empty and not len(self.tags):
                self._audio.delete()
            elif self.scheme == "id3":
                if self.id3_version == 3:
                    _prepare_v23(self.tags)
                self._audio.save(v2_version=self.id3_version, v23_sep=ID3V23_SEPARATOR,
                                 padding=padding)
            else:
                self._audio.save(padding=padding)
                if self._save_pages and self._serial is not None:
                    lay_out(self.path, type(self._audio).__name__, self._serial,
                            self._save_pages)
        except (mutagen.MutagenError, OSError) as exc:
            raise TagFormatError(f"its tags cannot be written ({exc})") from None


def _padding(audio) -> int | None:
    """The padding after a file's tag: what mutagen's ``PaddingInfo.padding`` is when the
    tag is saved unchanged, so saving with it again gives the same layout.

    mutagen keeps it from reading the file (``_padding`` of an ID3 tag, an Ogg stream's
    Vorbis comment and an MP4 ``ilst``); a FLAC's padding blocks become one when saved.
    ``None`` where it is not known.
    """
    if isinstance(audio, FLAC):
        blocks = [b for b in audio.metadata_blocks if isinstance(b, Padding)]
        return max(0, sum(4 + b.length for b in blocks) - 4)  # one 4-byte header stays
    padding = getattr(audio.tags, "_padding", None)
    return padding if isinstance(padding, int) and padding >= 0 else None


def _fixed(padding: int):
    """A mutagen padding function that always gives ``padding``."""
    return lambda info: padding


#: Frames mutagen makes when it reads an ID3v2.3 tag (from TYER/TDAT/TIME, TORY, IPLS),
#: which must become v2.3 frames again when saved as v2.3.
_TRANSLATED = ("TDRC", "TDOR", "TIPL", "TMCL")


def _prepare_v23(tags: ID3) -> None:
    """Turn a tag read as v2.4 into v2.3 frames (the year as TYER again), as mutagen
    asks before a v2.3 save, keeping the other v2.4-only frames the file holds (TSOP, TMOO
    and the like, which players write into v2.3 tags too) instead of dropping them."""
    kept = [frame for key, frame in list(tags.items())
            if key[:4] in _V24_ONLY and key[:4] not in _TRANSLATED]
    tags.update_to_v23()
    for frame in kept:
        tags.add(frame)


_V24_ONLY = ("ASPI", "EQU2", "RVA2", "SEEK", "SIGN", "TDEN", "TDOR", "TDRC", "TDRL", "TDTG",
             "TIPL", "TMCL", "TMOO", "TPRO", "TSOA", "TSOP", "TSOT", "TSST")


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
