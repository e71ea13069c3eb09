"""How well calibrated is "vocal" / "instrumental"? The taggers' voice call on real songs.

``genriflow.tag`` (and ``library classify``, which stores the same values per song) calls a
song ``vocal`` when its ``vocal_probability`` (the musicnn vocal tags' score over the vocal
and instrumental tags' scores) is at least 0.5. This script measures, on real songs whose
voice is known by assumption:

  - of the songs called instrumental, the share that are instrumental (and of those called
    vocal, the share that are vocal), with how many of each kind are found (recall);
  - a reliability table: ``vocal_probability`` in bins, against the observed share of
    vocal songs in each bin (a calibrated score has the two close).

The ground truth is an assumption, stated in the output:
  - the real GTZAN clips (default ``../shared/data/gtzan-sample/genres_original``, 30 s,
    training-side clips of the GTZAN split): the clips of sung genres (``--vocal-genres``,
    default country, disco, hiphop, pop, reggae, rock) are taken as vocal. Jazz and metal
    are left unknown (many jazz clips have no singer; metal clips are often long
    instrumental passages): their calls are listed, not scored;
  - the Debian game-music library (default ``/tmp/genriflow-debian-library``, built by
    ``benchmarks/debian_library.py``: orchestral and electronic game soundtracks) is taken
    as instrumental, as issue 12 does; a few tracks may carry a choir or a sample of a
    voice, which counts against the tagger here.

Features go through a feature store (``--store``, reused across runs). ``--instrumental-store``
can point at a store that already holds the Debian library's patches (e.g. the full-song
store of ``benchmarks/library.py``), which the default sampling then reads without decoding.

    python benchmarks/voice.py
    python benchmarks/voice.py --store /tmp/voice-store --instrumental-store /tmp/deb-full-store
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GTZAN = ROOT.parent / "shared" / "data" / "gtzan-sample" / "genres_original"
DEBIAN = Path("/tmp/genriflow-debian-library")
VOCAL_GENRES = ("country", "disco", "hiphop", "pop", "reggae", "rock")
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".au")


@dataclass(frozen=True)
class Song:
    """One tagged song: where it is from, what it is taken to be, what the tagger says."""

    path: str
    source: str
    truth: str | None  # "vocal", "instrumental" or None (unknown)
    vocal_probability: float

    @property
    def called(self) -> str:
        return "vocal" if self.vocal_probability >= 0.5 else "instrumental"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES
                  and p.is_file())


def _tag(paths: Sequence[Path], store: Path, jobs: int | None) -> dict[str, float]:
    import genriflow
    from genriflow.features.options import RunOptions

    result = genriflow.tag([str(p) for p in paths],
                           options=RunOptions(store=store, n_jobs=jobs, progress=True))
    for error in result.errors:
        print(f"  skipped {error.path}: {error.reason}", file=sys.stderr)
    return {t.path: t.vocal_probability for t in result.tags}


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "n/a (0 songs)"


def report(songs: Sequence[Song], bins: int) -> None:
    """Print the precision of each call, the recall and the reliability table."""
    known = [s for s in songs if s.truth is not None]
    for call in ("instrumental", "vocal"):
        called = [s for s in known if s.called == call]
        actual = [s for s in known if s.truth == call]
        right = sum(s.truth == call for s in called)
        print(f"called {call:<12}: {_share(right, len(called))} are {call}; "
              f"found {_share(sum(s.called == call for s in actual), len(actual))} of the "
              f"{call} songs")
    accuracy = sum(s.called == s.truth for s in known)
    print(f"accuracy of the voice call: {_share(accuracy, len(known))}")
    print(f"\nreliability (songs of known voice; vocal_probability in {bins} bins):")
    print(f"  {'bin':<11} {'songs':>5}  {'mean p':>6}  {'vocal share':>16}")
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [s for s in known
                  if low <= s.vocal_probability < high or (b == bins - 1 and s.vocal_probability
                                                           == 1.0)]
        if not inside:
            print(f"  {low:.1f}-{high:.1f}   {0:>5}")
            continue
        mean = sum(s.vocal_probability for s in inside) / len(inside)
        vocal = sum(s.truth == "vocal" for s in inside)
        print(f"  {low:.1f}-{high:.1f}   {len(inside):>5}  {mean:>6.3f}  "
              f"{_share(vocal, len(inside)):>16}")
    wrong = sorted((s for s in known if s.called != s.truth), key=lambda s: s.path)
    print(f"\ncalls against the assumption ({len(wrong)}):")
    for s in wrong:
        print(f"  called {s.called:<12} p={s.vocal_probability:.3f}  {s.path}")
    print("\nby source:")
    for source in dict.fromkeys(s.source for s in songs):
        mine = [s for s in songs if s.source == source]
        vocal = sum(s.called == "vocal" for s in mine)
        mean = sum(s.vocal_probability for s in mine) / len(mine)
        truth = {s.truth for s in mine}.pop() or "unknown (not scored)"
        print(f"  {source:<22} {len(mine):>3} songs, taken as {truth:<20} called vocal "
              f"{vocal:>3}, instrumental {len(mine) - vocal:>3}; mean vocal_probability "
              f"{mean:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gtzan", type=Path, default=GTZAN,
                        help="GTZAN clips in genre folders (real, training-side clips).")
    parser.add_argument("--instrumental", type=Path, default=DEBIAN,
                        help="A folder of songs taken as instrumental (default: the Debian "
                             "game-music library).")
    parser.add_argument("--vocal-genres", default=",".join(VOCAL_GENRES),
                        help="GTZAN genres whose clips are taken as vocal; the other genres "
                             "are unknown (listed, not scored).")
    parser.add_argument("--store", type=Path, default=Path("/tmp/voice-store"),
                        help="Feature store (reused across runs).")
    parser.add_argument("--instrumental-store", type=Path, default=None,
                        help="Feature store for --instrumental (default: --store).")
    parser.add_argument("--bins", type=int, default=5, help="Bins of the reliability table.")
    parser.add_argument("--jobs", type=int, default=None, help="Feature workers.")
    args = parser.parse_args(argv)
    print("$ python " + shlex.join(["benchmarks/voice.py", *(sys.argv[1:] if argv is None
                                                              else argv)]))
    vocal_genres = {g.strip() for g in args.vocal_genres.split(",") if g.strip()}
    started = time.perf_counter()
    songs: list[Song] = []
    if args.gtzan.is_dir():
        clips = _files(args.gtzan)
        found = _tag(clips, args.store, args.jobs)
        for clip in clips:
            genre = clip.parent.name
            truth = "vocal" if genre in vocal_genres else None
            if str(clip) in found:
                songs.append(Song(str(clip), f"gtzan {'sung' if truth else genre}", truth,
                                  found[str(clip)]))
    else:
        print(f"no GTZAN clips at {args.gtzan}: skipped", file=sys.stderr)
    if args.instrumental.is_dir():
        tracks = _files(args.instrumental)
        found = _tag(tracks, args.instrumental_store or args.store, args.jobs)
        songs += [Song(str(t), args.instrumental.name, "instrumental", found[str(t)])
                  for t in tracks if str(t) in found]
    else:
        print(f"no instrumental library at {args.instrumental}: skipped", file=sys.stderr)
    if not songs:
        print("no songs to measure", file=sys.stderr)
        return 1
    print(f"\nassumed voice: GTZAN {', '.join(sorted(vocal_genres))} clips = vocal (real "
          f"30 s clips, training-side of the GTZAN split); other GTZAN genres = unknown; "
          f"every song of {args.instrumental} = instrumental.")
    print(f"tagged {len(songs)} songs in {time.perf_counter() - started:.0f} s "
          "(genriflow.tag, default sampling)\n")
    report(songs, args.bins)
    return 0


if __name__ == "__main__":
    sys.exit(main())
