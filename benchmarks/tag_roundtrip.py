"""Tags into real songs and back: plan, apply, read back with mutagen, undo, compare.

On a folder of real music (by default the scratch library of Debian's game-music packages
that ``benchmarks/debian_library.py`` makes: mp3, m4a, flac, ogg and opus), this script
works on a *copy* (``--scratch``; the folder itself is only read):

1. scans and classifies the copy into a scratch index (the feature store makes a second
   run fast);
2. records every file's tags (mutagen's full listing) and decoded audio (SHA-256 of every
   decoded sample, FFmpeg through PyAV);
3. plans genre, mood and voice with ``--policy overwrite`` (so every file changes), and
   applies the plan, timed;
4. reads each file back with mutagen and checks that every planned value is in the
   container's own frame (ID3 ``TCON``/``TMOO``/``TXXX``, MP4 ``©gen`` and freeform atoms,
   Vorbis comments) and that the decoded audio is identical;
5. undoes the run, timed, and checks every file's tags read back equal to those before,
   its decoded audio identical, and the file itself identical (the SHA-256 of its bytes:
   undo promises the file back byte for byte, see docs/tags-and-undo.md).

It prints the counts side by side and exits 1 if any check failed. A file that is not
byte-identical after undo is listed with its size difference; it fails no check by
itself, as two layouts are documented to come back a few bytes longer (a FLAC without a
PADDING block: 4 bytes; an m4a without a ``free`` atom: 8 bytes).

    python benchmarks/tag_roundtrip.py                       # the Debian scratch library
    python benchmarks/tag_roundtrip.py ~/Music/some-album --scratch /tmp/roundtrip
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import mutagen

DEFAULT_LIBRARY = Path(tempfile.gettempdir()) / "genriflow-debian-library"


def decoded_hash(path: Path) -> str:
    """SHA-256 of every decoded sample of the first audio stream."""
    digest = hashlib.sha256()
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            digest.update(frame.to_ndarray().tobytes())
    return digest.hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """What undo must give back of one file: its tags, its decoded audio, its bytes."""

    tags: str
    audio: str
    sha256: str
    size: int


def snapshot(path: Path) -> Snapshot:
    """The file's tags, decoded audio and bytes as they are now."""
    return Snapshot(listing(path), decoded_hash(path), file_hash(path), path.stat().st_size)


def compare(before: dict[Path, Snapshot], after: dict[Path, Snapshot]
            ) -> tuple[dict[str, int], dict[Path, int]]:
    """Per check (``tags``, ``audio``, ``sha256``) how many files are as before, and the
    files not byte-identical with their size difference (bytes, after minus before)."""
    counts = {check: sum(getattr(after[p], check) == getattr(before[p], check)
                         for p in before) for check in ("tags", "audio", "sha256")}
    differing = {p: after[p].size - before[p].size for p in before
                 if after[p].sha256 != before[p].sha256}
    return counts, differing


def listing(path: Path) -> str:
    """Every tag entry, as mutagen prints them."""
    tags = mutagen.File(path).tags
    return tags.pprint() if tags is not None else ""


def raw_values(path: Path, field: str) -> list[str]:
    """``field``'s values read with mutagen alone, from each container's own frame."""
    tags = mutagen.File(path).tags
    kind = type(tags).__name__
    if kind == "ID3":
        frame = {"genre": "TCON", "mood": "TMOO", "voice": "TXXX:GENRIFLOW_VOICE"}[field]
        frames = tags.getall(frame) or (tags.getall("TXXX:MOOD") if field == "mood" else [])
        values = [str(t) for f in frames for t in f.text]
        return [v.strip() for text in values for v in text.split(";") if v.strip()]
    if kind == "MP4Tags":
        key = {"genre": "\xa9gen", "mood": "----:com.apple.iTunes:MOOD",
               "voice": "----:com.apple.iTunes:GENRIFLOW_VOICE"}[field]
        return [v.decode() if isinstance(v, bytes) else str(v) for v in tags.get(key, [])]
    key = {"genre": "GENRE", "mood": "MOOD", "voice": "GENRIFLOW_VOICE"}[field]
    return list(tags.get(key, []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", nargs="?", type=Path, default=DEFAULT_LIBRARY)
    parser.add_argument("--scratch", type=Path,
                        default=Path(tempfile.gettempdir()) / "genriflow-tag-roundtrip")
    parser.add_argument("--store", type=Path, default=None,
                        help="Feature store (default: genriflow's user cache).")
    parser.add_argument("--jobs", "-j", type=int, default=None)
    args = parser.parse_args(argv)

    from genriflow.features.options import RunOptions
    from genriflow.library import Library
    from genriflow.library.plan import split_values
    from genriflow.locations import default_store_dir

    if not args.library.is_dir():
        print(f"error: {args.library}: no such folder (make it with "
              "`python benchmarks/debian_library.py`)", file=sys.stderr)
        return 2
    music = args.scratch / "music"
    if args.scratch.exists():
        shutil.rmtree(args.scratch)
    shutil.copytree(args.library, music)
    store = args.store or default_store_dir()
    library = Library(args.scratch / "library.db")
    print(library.scan([music], progress=True))
    print(library.classify(options=RunOptions(store=store, n_jobs=args.jobs, progress=True)))

    songs = [Path(p) for p in library.songs()["path"]]
    before = {p: snapshot(p) for p in songs}
    plan = library.plan(["genre", "mood", "voice"], policy="overwrite")
    plan_file = plan.write(args.scratch / "plan.csv")
    print(f"plan: {plan}")

    start = time.perf_counter()
    applied = library.apply(plan_file, progress=True)
    apply_s = time.perf_counter() - start
    print(f"apply: {applied}  ({apply_s:.1f} s, {apply_s / max(len(songs), 1):.3f} s/file)")
    wanted: dict[Path, dict[str, list[str]]] = {}
    for row in plan.rows:
        wanted.setdefault(Path(row.path), {})[row.field] = split_values(row.new)
    read_back = sum(all(raw_values(p, f) == v for f, v in wanted[p].items()) for p in songs)
    audio_after_apply = sum(decoded_hash(p) == before[p].audio for p in songs)
    containers = {p.suffix for p in songs}

    start = time.perf_counter()
    undone = library.undo(progress=True)
    undo_s = time.perf_counter() - start
    print(f"undo: {undone}  ({undo_s:.1f} s)")
    counts, differing = compare(before, {p: snapshot(p) for p in songs})
    tags_equal, audio_equal = counts["tags"], counts["audio"]
    library.close()

    n = len(songs)
    print(f"\n{n} real songs ({', '.join(sorted(containers))}), copied to {music}")
    print(f"  {'check':<52} {'files':>9}")
    for label, count in (
            ("written by apply", applied.written),
            ("planned values read back by mutagen (own frames)", read_back),
            ("decoded audio identical after apply", audio_after_apply),
            ("restored by undo", undone.written),
            ("tags after undo equal to before (every entry)", tags_equal),
            ("decoded audio identical after undo", audio_equal),
            ("file identical after undo (sha256 of its bytes)", counts["sha256"])):
        print(f"  {label:<52} {count:>4}/{n:<4}")
    for path, grown in sorted(differing.items()):
        print(f"  not byte-identical after undo ({grown:+d} bytes): {path}")
    ok = (applied.failed == 0 and undone.failed == 0 and
          read_back == audio_after_apply == tags_equal == audio_equal == n)
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
