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
    where ``--musicnn-python`` (default: this Python) can import it with TensorFlow (never
    a genriflow dependency); otherwise it says so and prints the figure issue 24 recorded
    for it, labelled as recorded, not measured.

The song defaults to a Debian game-music track, copied to a temporary folder first. Each
figure is wall-clock seconds and, beside it, the CPU seconds (user + system) of the
process and its children, which a machine shared with other jobs inflates far less: the
load average is printed at the start and the end; say both when quoting them.

    python benchmarks/startup.py
    python benchmarks/startup.py SONG --repeat 7 --baseline-src /tmp/base/src
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shlex
import shutil
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


def run_timed(argv: Sequence[str], env: dict[str, str], *, status: int = 0
              ) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall-clock and CPU (user + system, children included) seconds of one run of
    ``argv``, which must exit with ``status``, and what it wrote."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != status:
        raise SystemExit(f"{shlex.join(argv)} gave status {done.returncode}, not {status}:\n"
                         f"{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``argv``, which must succeed."""
    seconds, cpu, _ = run_timed(argv, env)
    return seconds, cpu


def measure(song: Path, sources: Sequence[Path | None],
            repeat: int) -> list[dict[str, list[tuple[float, float]]]]:
    """Every run's (wall, CPU) seconds of each start-up figure for genriflow from each of
    ``sources`` (a ``src`` folder; ``None``: the one this Python imports). The sources take
    turns within each repeat, so that a machine's changing load weighs on each alike."""
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
    return runs


def compile_bytecode(sources: Sequence[Path | None]) -> None:
    """Byte-compile each genriflow of ``sources`` (``None``: the one this Python imports),
    as installing a wheel does: an editable checkout under ``PYTHONDONTWRITEBYTECODE=1``
    would otherwise compile every module it imports again on each timed run."""
    for src in sources:
        if src is None:
            spec = importlib.util.find_spec("genriflow")
            assert spec is not None and spec.submodule_search_locations
            folder = Path(spec.submodule_search_locations[0])
        else:
            folder = src / "genriflow"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=True)


def median(runs: list[tuple[float, float]], which: int) -> float:
    """The median wall (``which`` 0) or CPU (1) seconds of ``runs``."""
    return statistics.median(run[which] for run in runs)


def musicnn(python: str, song: Path, repeat: int) -> tuple[float, str]:
    """The original tagger's median wall-clock seconds on ``song``, measured where
    ``python`` imports it with TensorFlow; else issue 24's recorded figure, and why."""
    probe = subprocess.run([python, "-c", "import musicnn.tagger, tensorflow"],
                           capture_output=True, text=True)
    if probe.returncode == 0:
        argv = [python, "-m", "musicnn.tagger", str(song), "--model", "MSD_musicnn",
                "--topN", "5"]
        seconds = statistics.median(timed(argv, dict(os.environ))[0] for _ in range(repeat))
        return seconds, f"measured here ({python}, same song)"
    why = (probe.stderr.strip().splitlines() or ["cannot import it"])[-1]
    return RECORDED["musicnn"], (f"NOT RUNNABLE HERE ({why}); the figure is the one issue 24 "
                                 "recorded a song, not measured on this song or machine")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("song", nargs="?", type=Path, default=Path(DEFAULT_SONG))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="an older genriflow's src folder, timed the same way")
    parser.add_argument("--musicnn-python", default=sys.executable,
                        help="a Python with the musicnn package and TensorFlow "
                             "(default: this one)")
    args = parser.parse_args(argv)
    if not args.song.is_file():
        sys.exit(f"no song at {args.song}")

    print("$ python " + shlex.join(sys.argv))
    print(f"song: {args.song} (a copy); median of {args.repeat} runs each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    print("(cold: a fresh feature store; warm: the same command again, served from it; "
          "each figure wall-clock / CPU user+sys seconds)")
    sources = [None, *([args.baseline_src] if args.baseline_src else [])]
    compile_bytecode(sources)
    print("(genriflow byte-compiled first, as installing it does)")
    with tempfile.TemporaryDirectory() as folder:
        song = Path(shutil.copy(args.song, folder))
        now, *rest = measure(song, sources, args.repeat)
        original, how = musicnn(args.musicnn_python, song, args.repeat)
    before = rest[0] if rest else None

    labels = {"help": "genriflow --help", "cold": "genriflow predict SONG (cold)",
              "warm": "genriflow predict SONG (warm)",
              "classify": "genriflow.classify(SONG), fresh"}
    header = f"{'':<34}{'now wall':>10}{'now CPU':>9}{'target':>8}"
    header += f"{'base wall':>11}{'base CPU':>10}" if before else ""
    header += f"{'issue 24':>10}"
    print("\n" + header)
    for name, label in labels.items():
        target, recorded = TARGETS[name], RECORDED.get(name)
        line = (f"{label:<34}{median(now[name], 0):>9.2f}s{median(now[name], 1):>8.2f}s"
                f"{'' if target is None else f'{target:.1f}s':>8}")
        if before:
            line += f"{median(before[name], 0):>10.2f}s{median(before[name], 1):>9.2f}s"
        line += f"{'' if recorded is None else f'{recorded:.1f}s':>10}"
        print(line)
    print("\nevery run (wall/CPU s): " + "; ".join(
        f"{name} " + " ".join(f"{w:.2f}/{c:.2f}" for w, c in now[name]) for name in labels))
    print(f"\noriginal musicnn tagger: {original:.1f} s, {how}")
    print(f"genriflow predict cold takes {median(now['cold'], 0) / original:.2f}x its time, "
          f"warm {median(now['warm'], 0) / original:.2f}x"
          + ("" if how.startswith("measured") else
             " (against the recorded figure: another song, machine and load)"))
    if before:
        print(f"baseline: genriflow from {args.baseline_src}, run in turn with this one; "
              "now/baseline (wall): " + ", ".join(
                  f"{name} {median(now[name], 0) / median(before[name], 0):.2f}"
                  for name in labels))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
