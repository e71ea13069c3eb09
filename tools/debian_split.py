"""Rebuild the Debian music folders the issue-24 figures name: 60 test tracks, 27 others, Nexuiz.

The 87 tracks of Debian's ``wesnoth-1.16-music``, ``warzone2100-music`` and
``singularity-music`` (sorted by path) are split the way the benchmarks page's figures
used them: the 60 of ``OUT/deb60`` (of the 1-based positions not divisible by 3, the first
58; of those divisible by 3, the first 2) are where the sampling is tested, the other 27
(``OUT/deb-rest``) with the 18 tracks of ``nexuiz-music`` (``OUT/nexuiz``, unpacked from
its ``music.pk3``) where it is chosen. Files are copied (the installed ones are only
read), into one folder per game.

    python tools/debian_split.py /tmp    # /tmp/deb60, /tmp/deb-rest, /tmp/nexuiz
"""

from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

GAMES = {"wesnoth": "/usr/share/games/wesnoth", "warzone2100": "/usr/share/games/warzone2100",
         "singularity": "/usr/share/games/singularity"}
NEXUIZ = Path("/usr/share/games/nexuiz/data/music.pk3")


def game_of(path: Path) -> str:
    return next(game for game, root in GAMES.items() if str(path).startswith(root))


def split(tracks: list[Path]) -> tuple[list[Path], list[Path]]:
    """The 60 test tracks and the rest, by position in the sorted list."""
    kept = [t for i, t in enumerate(tracks, start=1) if i % 3][:58]
    kept += [t for i, t in enumerate(tracks, start=1) if not i % 3][:2]
    return kept, [t for t in tracks if t not in kept]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="where deb60, deb-rest and nexuiz go")
    args = parser.parse_args(argv)
    tracks = sorted(p for root in GAMES.values() for p in Path(root).rglob("*")
                    if p.suffix in (".ogg", ".opus"))
    if len(tracks) != 87 or not NEXUIZ.is_file():
        sys.exit(f"expected the 87 tracks of the three music packages and {NEXUIZ}; found "
                 f"{len(tracks)} tracks (apt install wesnoth-1.16-music warzone2100-music "
                 "singularity-music nexuiz-music)")
    test, rest = split(tracks)
    for name, chosen in (("deb60", test), ("deb-rest", rest)):
        for track in chosen:
            target = args.out / name / game_of(track) / track.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(track, target)
        print(f"{args.out / name}: {len(chosen)} tracks")
    with zipfile.ZipFile(NEXUIZ) as pk3:
        names = [n for n in pk3.namelist() if n.endswith(".ogg")]
        pk3.extractall(args.out / "nexuiz", names)
    print(f"{args.out / 'nexuiz'}: {len(names)} tracks")


if __name__ == "__main__":
    main()
