"""One song from a cold start: ``genriflow --help``, ``predict`` cold and warm, ``classify``.

Prints in one run, each figure the median of ``--repeat`` runs in fresh processes, beside
its target (issue 24) and, where given, the same command on another genriflow
(``--baseline-src``, a ``src`` folder of an older checkout: ``git archive COMMIT src | tar
-x -C /tmp/base``) and the original musicnn command line on the same song:

  - ``genriflow --help`` (target 0.5 s): nothing but the command line is imported;
  - ``genriflow predict SONG`` cold (target 2.5 s): a fresh feature store each run (the
    operating system's file cache stays warm: the interpreter and libraries are read
    from memory, as on any second use of the machine);
  - ``genriflow predict SONG`` warm (target under 1 s): the same store again, the song
    served from it;
  - ``python -c "import genriflow; genriflow.classify(SONG)"`` cold, in a fresh
    interpreter with a fresh store;
  - the original musicnn tagger (``python -m musicnn.tagger SONG --model MSD_musicnn``)
    where ``--musicnn-python`` names a Python that has it (it needs TensorFlow, never a
    genriflow dependency); otherwise the figure issue 24 recorded for it, labelled so.

The song defaults to a Debian game-music track (read in place). Timings are wall-clock on
this machine, as loaded as it is: say so when quoting them.

    python benchmarks/startup.py
    python benchmarks/startup.py SONG --repeat 7 --baseline-src /tmp/base/src
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

#: Issue 24's targets (seconds).
TARGETS = {"help": 0.5, "cold": 2.5, "warm": 1.0, "classify": None}
#: What issue 24 recorded on a quiet machine before this work (seconds per song).
RECORDED = {"help": 2.2, "cold": 8.5, "classify": 5.0, "musicnn": 15.2}
DEFAULT_SONG = "/usr/share/games/wesnoth/1.16/data/core/music/breaking_the_chains.ogg"
CLASSIFY = "import sys, genriflow; print(genriflow.classify(sys.argv[1]))"


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one run of ``argv`` (which must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def measure(song: Path, sources: Sequence[Path | None],
            repeat: int) -> list[dict[str, float]]:
    """Median seconds of each start-up figure for genriflow from each of ``sources`` (a
    ``src`` folder; ``None``: the one this Python imports). The sources take turns within
    each repeat, so that a machine's changing load weighs on each alike."""
    runs = [{"help": [], "cold": [], "warm": [], "classify": []} for _ in sources]
    for _ in range(repeat):
        for src, times in zip(sources, runs, strict=True):
            env = dict(os.environ)
            if src is not None:
                env["PYTHONPATH"] = str(src)
            cli = [sys.executable, "-c", "import sys; from genriflow.cli import app; "
                   "sys.argv[0] = 'genriflow'; app()"]
            times["help"].append(timed([*cli, "--help"], env))
            with tempfile.TemporaryDirectory() as store:
                predict = [*cli, "predict", str(song), "--store", store, "-q"]
                times["cold"].append(timed(predict, env))
                times["warm"].append(timed(predict, env))
            with tempfile.TemporaryDirectory() as store:
                times["classify"].append(timed([sys.executable, "-c", CLASSIFY, str(song)],
                                               {**env, "GENRIFLOW_STORE": store}))
    return [{name: statistics.median(values) for name, values in times.items()}
            for times in runs]


def musicnn(python: str | None, song: Path, repeat: int) -> tuple[float, str]:
    """The original tagger's seconds on ``song`` (median), or the recorded figure."""
    if python is not None:
        argv = [python, "-m", "musicnn.tagger", str(song), "--model", "MSD_musicnn",
                "--topN", "5"]
        return (statistics.median(timed(argv, dict(os.environ)) for _ in range(repeat)),
                f"measured ({python})")
    return RECORDED["musicnn"], "recorded in issue 24, not measured here (no TensorFlow)"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("song", nargs="?", type=Path, default=Path(DEFAULT_SONG))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="an older genriflow's src folder, timed the same way")
    parser.add_argument("--musicnn-python", default=None,
                        help="a Python with the musicnn package and TensorFlow")
    args = parser.parse_args(argv)
    if not args.song.is_file():
        sys.exit(f"no song at {args.song}")

    print("$ python " + shlex.join(sys.argv))
    print(f"song: {args.song}; median of {args.repeat} runs each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    print("(cold: a fresh feature store; warm: the same command again, served from it)")
    now, *rest = measure(args.song, [None, *([args.baseline_src] if args.baseline_src
                                             else [])], args.repeat)
    before = rest[0] if rest else None
    original, how = musicnn(args.musicnn_python, args.song, args.repeat)

    labels = {"help": "genriflow --help", "cold": "genriflow predict SONG (cold)",
              "warm": "genriflow predict SONG (warm)",
              "classify": "genriflow.classify(SONG), fresh"}
    header = f"{'':<34}{'now':>8}{'target':>8}"
    header += f"{'baseline':>10}" if before else ""
    header += f"{'issue 24':>10}"
    print("\n" + header)
    for name, label in labels.items():
        target = TARGETS[name]
        line = f"{label:<34}{now[name]:>7.2f}s{'' if target is None else f'{target:.1f}s':>8}"
        line += f"{before[name]:>9.2f}s" if before else ""
        recorded = RECORDED.get(name)
        line += f"{'' if recorded is None else f'{recorded:.1f}s':>10}"
        print(line)
    print(f"\noriginal musicnn tagger, same song: {original:.1f} s ({how})")
    print(f"genriflow predict cold takes {now['cold'] / original:.2f}x its time, warm "
          f"{now['warm'] / original:.2f}x (different machines and loads unless measured)")
    if before:
        print(f"baseline: genriflow from {args.baseline_src}, run in turn with this one; "
              "now/baseline: " + ", ".join(f"{name} {now[name] / before[name]:.2f}"
                                            for name in labels))


if __name__ == "__main__":
    main()
