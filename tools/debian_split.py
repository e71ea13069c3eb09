"""Rebuild the Debian music folders the issue-24 figures name: 60 test tracks, 27 others, Nexuiz.

The 87 tracks of Debian's ``wesnoth-1.16-music``, ``warzone2100-music`` and
``singularity-music`` (sorted by path) are split the way the benchmarks page's figures
used them: the 60 of ``OUT/deb60`` (of the 1-based positions not divisible by 3, the first
58; of those divisible by 3, the first 2) are where the sampling is tested, the other 27
(``OUT/deb-rest``) with the 18 tracks of ``nexuiz-music`` (``OUT/nexuiz``, unpacked from
its ``music.pk3``) where it is chosen. Files are copied (the installed ones are only
read), into one folder per game.

``--sources`` also builds the two sources the rule was never chosen on, each track of at
least 60 s once (by file name): ``OUT/second`` (48 tracks of ``drascula-music``,
``hyperrogue-music`` and ``planetblupi-music-ogg``) and ``OUT/third`` (65: the music of
``ufoai-music``, unpacked from its ``0music.pk3``, and of ``asc-music``), and
``OUT/fourth`` (the music folders of ``hedgewars-data``, ``lincity-ng-data`` and
``freedroidrpg-data``).

``--fifth`` builds ``OUT/fifth`` alone, a fresh source kept for a test no rule was chosen
or scored on: the same way (tracks of at least 60 s, the first of each file name), one
folder per package holding its tracks directly (the music of nested folders, as
``supertux-data``'s, flattened), each recording once (by its bytes), from the music
folders of :data:`FIFTH`:
``extremetuxracer-data``, ``supertux-data``, ``flare-game``, ``freecol``,
``fillets-ng-data``, ``xmoto-data``, ``warmux-data``, ``megaglest-data`` and
``widelands-data`` (128 tracks, 5.6 h).

``--sixth`` builds ``OUT/sixth`` alone, a second such test set, the same way from the
music folders of :data:`SIXTH`: ``naev-data``, ``supertuxkart-data``,
``colobot-common-sounds``, ``blobwars-data`` (Ogg files without an extension, copied with
``.ogg`` added), ``pushover-data``, ``powermanga-data`` and ``scorched3d-data``; no
package gives more than :data:`MOST_PER_PACKAGE` tracks (the first by path: ``naev-data``
has 48), and ``supertuxkart-data``'s faster copies of its songs (``celtic_fast.ogg``,
``farm_f.ogg``) are left out, as the same recording counted twice (116 tracks, 5.6 h).

``--seventh`` builds ``OUT/seventh`` alone, a third such test set, the same way from
:data:`SEVENTH`: 32 packages never used before, taken for having their music as Ogg or MP3
files of at least 60 s, in a music folder or, where a game keeps it beside its sound effects
(WAV files there, never copied), by name; 118 tracks, 4.3 h: ``starfighter-data`` 11,
``trackballs-data`` 9, ``enigma-data`` 8, ``openclonk-data`` 8, ``ardentryst`` 7,
``noiz2sa-data`` 7, ``amoebax-data`` 6, ``neverball-common`` 6, ``btanks-data`` 5,
``freedink-data`` 5, ``lordsawar-data``, ``parsec47-data``, ``torus-trooper-data`` and
``zaz-data`` 4 each, ``frozen-bubble-data``, ``mu-cade-data``, ``titanion-data`` and
``tuxmath-data`` 3 each, ``a7xpg-data``, ``abe-data``, ``gigalomania-data`` and
``rrootage-data`` 2 each, and one each from ``caveexpress-data``, ``epiphany-data``,
``freeciv-data``, ``funnyboat``, ``gunroar-data``, ``lugaru-data``, ``pink-pony-data``,
``raincat-data``, ``solarwolf`` and ``tuxfootball``. They install with::

    apt-get install -y --no-install-recommends a7xpg-data abe-data amoebax-data \
        ardentryst btanks-data caveexpress-data enigma-data epiphany-data freeciv-data \
        freedink-data frozen-bubble-data funnyboat gigalomania-data gunroar-data \
        lordsawar-data lugaru-data mu-cade-data neverball-common noiz2sa-data \
        openclonk-data parsec47-data pink-pony-data raincat-data rrootage-data solarwolf \
        starfighter-data titanion-data torus-trooper-data trackballs-data tuxfootball \
        tuxmath-data zaz-data

    python tools/debian_split.py /tmp    # /tmp/deb60, /tmp/deb-rest, /tmp/nexuiz
    python tools/debian_split.py /tmp --sources    # and /tmp/second, /tmp/third, /tmp/fourth
    python tools/debian_split.py /tmp --fifth    # /tmp/fifth only
    python tools/debian_split.py /tmp --sixth    # /tmp/sixth only
    python tools/debian_split.py /tmp --seventh    # /tmp/seventh only
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

GAMES = {
    "wesnoth": "/usr/share/games/wesnoth",
    "warzone2100": "/usr/share/games/warzone2100",
    "singularity": "/usr/share/games/singularity",
}
NEXUIZ = Path("/usr/share/games/nexuiz/data/music.pk3")
SECOND = ("drascula-music", "hyperrogue-music", "planetblupi-music-ogg")
UFOAI = Path("/usr/share/games/ufoai/base/0music.pk3")
ASC = "asc-music"
#: The fourth source: each package's music folder (the rest of the package is sound effects).
FOURTH = {
    "hedgewars-data": "/Music/",
    "lincity-ng-data": "/music/",
    "freedroidrpg-data": "/sound/music/",
}
#: The fifth source, as :data:`FOURTH`: the packages' music folders, never their sound
#: effects (``megaglest-data``'s tilesets' ambience, ``freecol``'s video and sounds).
FIFTH = {
    "extremetuxracer-data": "/etr/music/",
    "supertux-data": "/supertux2/music/",
    "flare-game": "/fantasycore/music/",
    "freecol": "/resources/music/",
    "fillets-ng-data": "/fillets-ng/music/",
    "xmoto-data": "/Textures/Musics/",
    "warmux-data": "/warmux/music/",
    "megaglest-data": "/music/",
    "widelands-data": "/widelands/data/music/",
}
#: The sixth source, as :data:`FIFTH`: never the sound effects (``naev-data``'s
#: ``snd/sounds``, ``supertuxkart-data``'s ``sfx`` and its race tracks' ambience).
SIXTH = {
    "naev-data": "/naev/dat/snd/music/",
    "supertuxkart-data": "/supertuxkart/data/music/",
    "colobot-common-sounds": "/colobot/music/",
    "blobwars-data": "/blobwars/music/",
    "pushover-data": "/pushover/themes/",
    "powermanga-data": "/handheld_console/music_",
    "scorched3d-data": "/none/data/music/",
}
#: The seventh source, as :data:`SIXTH`: the packages' music folders, or where a game keeps
#: its music beside its sound effects, its music by name (the effects there are WAV files,
#: never copied, as are ``btanks-data``'s ambience and ``lugaru-data``'s ``DesertAmbient``).
SEVENTH = {
    "a7xpg-data": "/a7xpg/sounds/",
    "abe-data": "/abe/sounds/",
    "amoebax-data": "/amoebax/music/",
    "ardentryst": "/ardentryst/Music/",
    "btanks-data": "/btanks/data/tunes/",
    "caveexpress-data": "/caveexpress/sounds/music-",
    "enigma-data": "/enigma/music/",
    "epiphany-data": "/epiphany/sfx/epiphany_",
    "freeciv-data": "/freeciv/stdmusic/",
    "freedink-data": "/dink/dink/Sound/",
    "frozen-bubble-data": "zik",  # its music: frozen-mainzik-1p, -2p, introzik
    "funnyboat": "/funnyboat/data/JDruid-",
    "gigalomania-data": "/gigalomania/music/",
    "gunroar-data": "/gunroar/sounds/musics/",
    "lordsawar-data": "/lordsawar/music/",
    "lugaru-data": "/lugaru/Sounds/Music",
    "mu-cade-data": "/mu-cade/sounds/musics/",
    "neverball-common": "/neverball/bgm/",
    "noiz2sa-data": "/noiz2sa/sounds/",
    "openclonk-data": "/openclonk/Music.ocg/",
    "parsec47-data": "/parsec47/sounds/",
    "pink-pony-data": "/pink-pony/music/",
    "raincat-data": "/raincat/data/music/",
    "rrootage-data": "/rrootage/sounds/",
    "solarwolf": "/solarwolf/data/music/",
    "starfighter-data": "/starfighter/music/",
    "titanion-data": "/titanion/sounds/musics/",
    "torus-trooper-data": "/torus-trooper/sounds/musics/",
    "trackballs-data": "/trackballs/music/",
    "tuxfootball": "/tuxfootball/sound/",
    "tuxmath-data": "/tuxmath/sounds/",
    "zaz-data": "/zaz/mus",
}
#: The fresh sources, each built alone by its flag (``--fifth``...).
FRESH = {"fifth": FIFTH, "sixth": SIXTH, "seventh": SEVENTH}
MOST_PER_PACKAGE = 40
#: ``supertuxkart-data`` plays a faster copy of a song in a race's last lap.
SPED_UP_COPY = re.compile(r"_(fast|f)\.ogg$")
AUDIO = (".ogg", ".opus", ".mp3")
LONGEST_SKIPPED = 60.0


def package_files(package: str) -> list[Path]:
    """Every path an installed package lists (``dpkg -L``, one per line: names may hold
    spaces)."""
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    if listing.returncode:
        sys.exit(f"{package} is not installed (apt install {package})")
    return [Path(line) for line in listing.stdout.splitlines()]


def package_tracks(package: str) -> list[Path]:
    """The audio files an installed package holds, sorted."""
    return sorted(p for p in package_files(package) if str(p).endswith(AUDIO))


def music_of(package: str, folder: str) -> list[Path]:
    """The music of ``package``'s ``folder``, sorted: its audio files, and Ogg files whose
    names have no extension; sped-up copies of a song left out."""
    files = [p for p in package_files(package) if folder in str(p)]
    tracks = [p for p in files if str(p).endswith(AUDIO)]
    tracks += [p for p in files if not p.suffix and p.is_file() and _is_ogg(p)]
    return [t for t in sorted(tracks) if not SPED_UP_COPY.search(t.name)]


def _is_ogg(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"OggS"


def copy_long(tracks: list[Path], folder: Path, *, most: int | None = None) -> int:
    """Copy each track of at least a minute into ``folder``, the first of each file name
    (and the first ``most`` of those), ``.ogg`` added to an Ogg file's name that lacks one."""
    import soundfile

    copied: set[str] = set()
    for track in tracks:
        if most is not None and len(copied) == most:
            break
        name = track.name if track.suffix else f"{track.name}.ogg"
        if name in copied or soundfile.info(str(track)).duration < LONGEST_SKIPPED:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(track, folder / name)
        copied.add(name)
    return len(copied)


def other_sources(out: Path) -> None:
    """``out/second``, ``out/third`` and ``out/fourth``: see the module docstring."""
    for package in SECOND:
        count = copy_long(package_tracks(package), out / "second" / package)
        print(f"{out / 'second' / package}: {count} tracks")
    if not UFOAI.is_file():
        sys.exit(f"expected {UFOAI} (apt install ufoai-music)")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(UFOAI) as pk3:
        names = [n for n in pk3.namelist() if n.endswith(".ogg")]
        pk3.extractall(tmp, names)
        count = copy_long(sorted(Path(tmp, n) for n in names), out / "third" / "ufoai")
    print(f"{out / 'third' / 'ufoai'}: {count} tracks")
    count = copy_long(package_tracks(ASC), out / "third" / "asc")
    print(f"{out / 'third' / 'asc'}: {count} tracks")
    for package, folder in FOURTH.items():
        tracks = [t for t in package_tracks(package) if folder in str(t)]
        count = copy_long(tracks, out / "fourth" / package)
        print(f"{out / 'fourth' / package}: {count} tracks")


def first_of_each_content(tracks: list[Path], seen: set[str]) -> list[Path]:
    """``tracks`` less those whose bytes are a track's already in ``seen`` (which grows):
    ``widelands-data``'s ``menu.ogg`` is its ``ingame_14.ogg``, one song counted twice."""
    kept = []
    for track in tracks:
        digest = hashlib.sha256(track.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            kept.append(track)
    return kept


def fresh_source(out: Path, name: str, packages: dict[str, str]) -> None:
    """``out/name`` from ``packages`` (package -> music folder): see the module docstring."""
    seen: set[str] = set()
    for package, folder in packages.items():
        kept = first_of_each_content(music_of(package, folder), seen)
        count = copy_long(kept, out / name / package, most=MOST_PER_PACKAGE)
        print(f"{out / name / package}: {count} tracks")


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
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sources",
        action="store_true",
        help="also the second and third sources (see the docstring)",
    )
    for name in FRESH:
        which.add_argument(
            f"--{name}",
            action="store_true",
            help=f"build only the {name} source, OUT/{name} (see the docstring)",
        )
    args = parser.parse_args(argv)
    for name, packages in FRESH.items():
        if getattr(args, name):
            fresh_source(args.out, name, packages)
            return
    tracks = sorted(
        p for root in GAMES.values() for p in Path(root).rglob("*") if p.suffix in (".ogg", ".opus")
    )
    if len(tracks) != 87 or not NEXUIZ.is_file():
        sys.exit(
            f"expected the 87 tracks of the three music packages and {NEXUIZ}; found "
            f"{len(tracks)} tracks (apt install wesnoth-1.16-music warzone2100-music "
            "singularity-music nexuiz-music)"
        )
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
    if args.sources:
        other_sources(args.out)


if __name__ == "__main__":
    main()
