"""A scratch library of real songs: Debian's game-music packages, copied into mixed containers.

The tracks of ``wesnoth-1.16-music``, ``warzone2100-music``, ``singularity-music`` and
``nexuiz-music`` (free licences, Ogg Vorbis and Opus, seconds to 11 min: 105 tracks, 8.7 h,
mean 4.9 min; the 18 Nexuiz ones inside its ``music.pk3`` zip) are decoded and re-encoded
with PyAV, round-robin over mp3 (LAME), m4a (AAC), flac, ogg (Vorbis) and opus, into a
scratch folder: a library of real music in the containers people have, for
``benchmarks/library.py``. The encoders are the cost (about 2-3 CPU-seconds per minute of
audio): ``--jobs`` tracks are converted at once, one per core by default.

The originals are only ever opened read-only; their SHA-256 is taken before and after and
printed (the script fails if one changed). Sample rate and channels are kept where the
codec allows (opus is always 48 kHz, the Vorbis encoder stereo only; more than two
channels are mixed to stereo). A track already converted is skipped, so a second run does
nothing; each file is written under a temporary name and renamed into place, so a killed
run never leaves a half-written song. The folder holds exactly the selected tracks:
conversions this script made earlier that are no longer selected (a smaller --limit, other
--formats) are removed, and nothing else in the folder is touched.

Nothing is installed: when a package is missing the script prints the ``apt-get`` line and
goes on with the others (or stops when none is there).

    python benchmarks/debian_library.py                       # all tracks, 5 containers
    python benchmarks/debian_library.py --limit 6 --formats mp3,m4a,flac,ogg,opus
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

#: Debian packages whose music makes the library, with where their tracks live (used only
#: when ``dpkg-query`` cannot list the package's files).
PACKAGES: dict[str, tuple[str, ...]] = {
    "wesnoth-1.16-music": ("/usr/share/games/wesnoth/1.16/data/core/music",),
    "warzone2100-music": ("/usr/share/games/warzone2100/music",),
    "singularity-music": ("/usr/share/games/singularity/music",),
    "nexuiz-music": ("/usr/share/games/nexuiz/data/music.pk3",),
}
#: File suffixes taken as tracks (inside a package, or inside one of its zip archives).
TRACK_SUFFIXES = (".ogg", ".opus", ".oga", ".mp3", ".flac", ".wav")
ARCHIVE_SUFFIXES = (".pk3", ".zip")
MANIFEST = "debian-library.json"


@dataclass(frozen=True)
class Encoding:
    """How one container is written: PyAV muxer, codec and its settings."""

    extension: str
    muxer: str
    codec: str
    bit_rate: int | None = None
    sample_format: str | None = None
    rates: tuple[int, ...] | None = None  # allowed rates, None: any (the source's kept)
    stereo_only: bool = False
    options: dict[str, str] = field(default_factory=dict)

    def rate(self, source_rate: int) -> int:
        """The output rate: the source's if allowed, else the closest allowed one above."""
        if self.rates is None or source_rate in self.rates:
            return source_rate
        higher = [r for r in self.rates if r >= source_rate]
        return min(higher) if higher else max(self.rates)

    def layout(self, source_channels: int) -> str:
        return "stereo" if self.stereo_only or source_channels >= 2 else "mono"


_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_AAC_RATES = (*_MP3_RATES, 64000, 88200, 96000)
#: The containers, in round-robin order.
FORMATS: dict[str, Encoding] = {
    "mp3": Encoding("mp3", "mp3", "libmp3lame", bit_rate=192_000, rates=_MP3_RATES),
    "m4a": Encoding("m4a", "ipod", "aac", bit_rate=192_000, rates=_AAC_RATES),
    "flac": Encoding("flac", "flac", "flac", sample_format="s16"),
    # FFmpeg's own Vorbis encoder (no libvorbis in PyAV's wheels): experimental, stereo only.
    "ogg": Encoding("ogg", "ogg", "vorbis", stereo_only=True, options={"strict": "experimental"}),
    "opus": Encoding("opus", "opus", "libopus", bit_rate=128_000, rates=(48000,)),
}


@dataclass(frozen=True)
class Track:
    """One original track: a file of a package, or a member of a zip archive it ships.

    ``name`` is its path relative to the package's music folder (or inside the archive),
    without suffix: it names the copy, ``<package>/<name>.<extension>``.
    """

    package: str
    source: Path
    name: str
    member: str | None = None

    @property
    def origin(self) -> str:
        return f"{self.source}:{self.member}" if self.member else str(self.source)

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The original's bytes, opened read-only (never a path PyAV could write to)."""
        with open(self.source, "rb") as raw:
            if self.member is None:
                yield raw
            else:
                with zipfile.ZipFile(raw) as archive, archive.open(self.member) as member:
                    yield member


@dataclass(frozen=True)
class Planned:
    """A track, the container it gets and the copy's path relative to the library."""

    track: Track
    format: str

    @property
    def relative(self) -> str:
        return f"{self.track.package}/{self.track.name}.{FORMATS[self.format].extension}"


# --------------------------------------------------------------------------- discovery


def package_files(
    package: str, run: Callable[..., subprocess.CompletedProcess] = subprocess.run
) -> list[Path] | None:
    """The files an installed package owns (``dpkg-query -L``), or ``None`` when it is not
    installed; falls back to the known folders of :data:`PACKAGES` without dpkg."""
    if shutil.which("dpkg-query"):
        status = run(
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        if status.returncode != 0 or "installed" not in status.stdout.split():
            return None
        listing = run(["dpkg-query", "-L", package], capture_output=True, text=True, check=False)
        return [Path(line) for line in listing.stdout.splitlines() if line.startswith("/")]
    found = []
    for root in map(Path, PACKAGES.get(package, ())):
        found += [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return found or None


def _relative_names(paths: Sequence[str]) -> list[str]:
    """Names relative to the paths' common folder, suffix dropped: ``a/b/x.ogg`` -> ``b/x``."""
    if not paths:
        return []
    parents = [str(Path(p).parent) for p in paths]
    common = os.path.commonpath(parents) if len(paths) > 1 else parents[0]
    return [str(Path(os.path.relpath(p, common)).with_suffix("")) for p in paths]


def package_tracks(package: str, files: Sequence[Path]) -> list[Track]:
    """The tracks among a package's files: audio files, and audio members of its archives."""
    audio = sorted(str(f) for f in files if f.suffix.lower() in TRACK_SUFFIXES and f.is_file())
    tracks = [
        Track(package, Path(p), name) for p, name in zip(audio, _relative_names(audio), strict=True)
    ]
    for archive in sorted(f for f in files if f.suffix.lower() in ARCHIVE_SUFFIXES and f.is_file()):
        with zipfile.ZipFile(archive) as z:
            members = sorted(
                m.filename
                for m in z.infolist()
                if not m.is_dir() and Path(m.filename).suffix.lower() in TRACK_SUFFIXES
            )
        tracks += [
            Track(package, archive, name, member)
            for member, name in zip(members, _relative_names(members), strict=True)
        ]
    return tracks


def find_tracks(packages: Sequence[str] = tuple(PACKAGES)) -> tuple[list[Track], list[str]]:
    """Every track of the installed packages, and the packages that are not installed."""
    tracks, missing = [], []
    for package in packages:
        files = package_files(package)
        found = package_tracks(package, files) if files else []
        if not found:
            missing.append(package)
        tracks += found
    return tracks, missing


def plan(
    tracks: Sequence[Track], formats: Sequence[str], limit: int | None = None
) -> list[Planned]:
    """The tracks interleaved across packages (so a short prefix mixes them), the first
    ``limit`` kept, each given the next container of ``formats`` in turn.

    The order depends only on the tracks, so a track keeps its container from run to run
    and a smaller ``limit`` selects a prefix of a larger one.
    """
    if not formats:
        raise ValueError("no formats")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown formats {unknown}; known: {', '.join(FORMATS)}")
    by_package: dict[str, list[Track]] = {}
    for track in sorted(tracks, key=lambda t: (t.package, t.name, t.origin)):
        by_package.setdefault(track.package, []).append(track)
    queues = [by_package[p] for p in sorted(by_package)]
    order = [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]
    if limit is not None:
        order = order[:limit]
    return [Planned(track, formats[i % len(formats)]) for i, track in enumerate(order)]


# --------------------------------------------------------------------------- conversion


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def checksums(paths: Sequence[Path]) -> dict[str, str]:
    return {str(p): sha256(p) for p in sorted(set(paths))}


def convert(track: Track, encoding: Encoding, dest: Path) -> dict:
    """Decode the original and encode it into ``dest`` (written as ``dest``'s temporary
    sibling, renamed into place). Returns what was written: rate, channels, seconds."""
    import av

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        with track.open() as raw, av.open(raw, mode="r") as source:
            stream = source.streams.audio[0]
            rate, layout = encoding.rate(stream.rate), encoding.layout(stream.channels)
            samples = 0
            with av.open(str(tmp), mode="w", format=encoding.muxer) as out:
                audio = out.add_stream(encoding.codec, rate=rate, options=encoding.options)
                audio.layout = layout
                if encoding.sample_format:
                    audio.format = encoding.sample_format
                if encoding.bit_rate:
                    audio.bit_rate = encoding.bit_rate
                for frame in source.decode(stream):
                    samples += frame.samples
                    for packet in audio.encode(frame):
                        out.mux(packet)
                for packet in audio.encode(None):
                    out.mux(packet)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return {"rate": rate, "layout": layout, "seconds": round(samples / stream.rate, 3)}


def _convert_one(item: Planned, folder: Path) -> tuple[Planned, dict | str, float]:
    """One conversion, for a worker: what was written, or why it failed, and seconds."""
    start = time.perf_counter()
    try:
        written: dict | str = convert(item.track, FORMATS[item.format], folder / item.relative)
    except Exception as exc:  # noqa: BLE001  (a bad original must not stop the others)
        written = f"{type(exc).__name__}: {exc}"
    return item, written, time.perf_counter() - start


def _convert_all(
    folder: Path, todo: Sequence[Planned], jobs: int | None
) -> Iterator[tuple[Planned, dict | str, float]]:
    """The conversions of ``todo`` as they finish, ``jobs`` processes at once."""
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(todo) <= 1:
        for item in todo:
            yield _convert_one(item, folder)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
        futures = [pool.submit(_convert_one, item, folder) for item in todo]
        for future in as_completed(futures):
            yield future.result()


@dataclass
class Build:
    """What :func:`build` did."""

    folder: Path
    files: list[Path]
    converted: int = 0
    skipped: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    originals: int = 0
    originals_bytes: int = 0
    originals_unchanged: bool = True
    missing_packages: list[str] = field(default_factory=list)
    by_format: dict[str, int] = field(default_factory=dict)


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {"tracks": {}}


def _write_manifest(folder: Path, manifest: dict) -> None:
    tmp = folder / f".{MANIFEST}.partial"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, folder / MANIFEST)


def install_hint(packages: Sequence[str]) -> str:
    return (
        "sudo apt-get update && sudo apt-get install "
        + " ".join(packages)
        + "   (Debian/Ubuntu; this script installs nothing itself)"
    )


def build(
    out: str | os.PathLike,
    *,
    limit: int | None = None,
    formats: Sequence[str] = tuple(FORMATS),
    verbose: bool = True,
    tracks: Sequence[Track] | None = None,
    jobs: int | None = None,
) -> Build:
    """Make (or bring up to date) the scratch library in ``out``; see the module text.

    ``jobs`` tracks are converted at once (default: one per core).

    Raises
    ------
    SystemExit
        No package installed (the message says what to install), or an original changed.
    """
    say = print if verbose else (lambda *a, **k: None)
    folder = Path(out).resolve()
    missing: list[str] = []
    if tracks is None:
        tracks, missing = find_tracks()
    if missing:
        say(f"not installed: {', '.join(missing)}; to add them: {install_hint(missing)}")
    if not tracks:
        raise SystemExit(
            "no Debian game music found; install it with:\n  " + install_hint(list(PACKAGES))
        )
    selected = plan(tracks, list(formats), limit)
    sources = sorted({p.track.source for p in selected})
    start = time.perf_counter()
    before = checksums(sources)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(folder)
    known: dict[str, dict] = manifest.setdefault("tracks", {})
    result = Build(
        folder,
        [],
        missing_packages=missing,
        originals=len(sources),
        originals_bytes=sum(s.stat().st_size for s in sources),
    )
    wanted = {p.relative for p in selected}
    for relative in sorted(set(known) - wanted):  # ours, no longer selected
        (folder / relative).unlink(missing_ok=True)
        del known[relative]
        result.removed += 1
    for partial in folder.rglob(".*.partial"):  # left by a killed run
        partial.unlink(missing_ok=True)
    todo = []
    for item in selected:
        dest = folder / item.relative
        record = known.get(item.relative)
        if dest.is_file() and record and record.get("origin") == item.track.origin:
            result.skipped += 1
            result.files.append(dest)
        else:
            todo.append(item)
    for i, (item, written, seconds) in enumerate(_convert_all(folder, todo, jobs), 1):
        where = f"  [{result.skipped + i}/{len(selected)}]"
        if isinstance(written, str):
            result.failed.append(f"{item.track.origin}: {written}")
            say(f"{where} FAILED {item.track.origin}: {written}")
            continue
        known[item.relative] = {
            "origin": item.track.origin,
            "format": item.format,
            "package": item.track.package,
            **written,
        }
        _write_manifest(folder, manifest)
        result.converted += 1
        result.files.append(folder / item.relative)
        say(
            f"{where} {item.relative}  ({written['seconds']:.0f} s audio, "
            f"{written['rate']} Hz {written['layout']}, {seconds:.1f} s)"
        )
    _write_manifest(folder, manifest)
    after = checksums(sources)
    result.originals_unchanged = before == after
    result.seconds = time.perf_counter() - start
    for item in selected:
        result.by_format[item.format] = result.by_format.get(item.format, 0) + 1
    if not result.originals_unchanged:
        changed = [p for p in before if before[p] != after.get(p)]
        raise SystemExit(f"ORIGINALS CHANGED (this must never happen): {changed}")
    return result


def library_seconds(folder: str | os.PathLike) -> dict[str, float]:
    """Seconds of audio per copy, as the manifest recorded them (relative path -> s)."""
    return {
        rel: float(r.get("seconds", 0.0))
        for rel, r in _read_manifest(Path(folder)).get("tracks", {}).items()
    }


def default_out(limit: int | None = None, formats: Sequence[str] = tuple(FORMATS)) -> Path:
    """``$TMPDIR/genriflow-debian-library`` (plus ``-<limit>`` and the formats when not all),
    so differently sized libraries never prune each other."""
    name = "genriflow-debian-library"
    if limit is not None:
        name += f"-{limit}"
    if tuple(formats) != tuple(FORMATS):
        name += "-" + "-".join(formats)
    return Path(tempfile.gettempdir()) / name


def report(result: Build) -> str:
    mib = result.originals_bytes / 2**20
    mix = ", ".join(f"{f} {n}" for f, n in result.by_format.items())
    lines = [
        f"library: {result.folder}  ({len(result.files)} songs: {mix})",
        f"  converted {result.converted}, already there {result.skipped}, removed "
        f"{result.removed}, failed {len(result.failed)}, in {result.seconds:.1f} s",
        f"  originals: {result.originals} files ({mib:.0f} MiB) opened read-only; SHA-256 "
        f"before == after: {'yes, unchanged' if result.originals_unchanged else 'NO'}",
    ]
    lines += [f"  failed: {f}" for f in result.failed]
    return "\n".join(lines)


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"formats: choose from {','.join(FORMATS)}")
    return formats


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="library folder (default: $TMPDIR/genriflow-debian-library[-LIMIT][-FORMATS])",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N tracks only")
    parser.add_argument(
        "--formats",
        type=parse_formats,
        default=list(FORMATS),
        help=f"containers, round-robin (default {','.join(FORMATS)})",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="tracks converted at once (default: one per core)"
    )
    args = parser.parse_args(argv)
    out = args.out or default_out(args.limit, args.formats)
    print(f"python {' '.join(sys.argv)}")
    print(report(build(out, limit=args.limit, formats=args.formats, jobs=args.jobs)))


if __name__ == "__main__":
    main()
