"""genriflow on a whole music library: genre + tags + embedding, songs per second, side by side.

On a folder of songs (default: the Debian game-music library of
``benchmarks/debian_library.py``, built if missing), prints in one run:
  - the whole user-visible job on a cold, fresh feature store, scan included: genres and
    tags in one pass (``genriflow.analyse(folder)``, the default model) and the similarity
    index (``genriflow.similar(None, folder)``); ``--via api`` times
    ``genriflow.classify`` + ``genriflow.tag`` + ``genriflow.similar`` instead, ``--via
    library`` the library index (``Library.scan`` + ``Library.classify``); in songs per
    second and seconds per song, against the target of 0.35 s per song on 2 cores;
  - the projected time for 3,500 songs of 5 minutes on this machine (seconds per song
    scaled by 300 s over the library's mean duration: linear in length, so conservative
    where only excerpts are analysed);
  - peak memory: the most resident at once in this process and all its descendants (the
    feature workers are loky's, alive until exit, which ``getrusage(RUSAGE_CHILDREN)``
    never sees: /proc is sampled every 0.5 s), with ``ru_maxrss`` of this process, each
    worker's high-water mark and ``RUSAGE_CHILDREN``;
  - a second run over the unchanged library (same store: everything must come from it);
  - sampled against full-song analysis (the default model, both runs): share of songs whose top
    genre agrees between the default sampling and ``full=True`` (target at least 95 %),
    and the mean overlap of their top-5 tags;
  - the same songs through the original musicnn command-line tagger
    (``python -m musicnn.tagger``, TensorFlow, the whole song) where ``--musicnn-python``
    names a Python that has it (a throwaway virtual environment, never a dependency; see
    ``--help``), timed per song, process start included, beside genriflow's figures,
    with the overlap of its top-5 tags and genriflow's top-5 ``msd:`` tags.

Every figure comes from this run, on this machine; run it on an idle one (other processes
inflate every timing). The exact command is printed first, and where the musicnn networks
ran (runtime, device, ONNX Runtime's providers or the GPU's name).

``--device cuda`` runs the networks of every job on the GPU (``GENRIFLOW_DEVICE``, workers
included), with one process by default: each worker process would hold its own CUDA
context and copy of the networks, and one process already keeps the networks' passes
short; ``--jobs N`` lets N processes decode and share the GPU. The agreement checks are the
same on every device.

    python benchmarks/library.py
    python benchmarks/library.py --musicnn-python /tmp/musicnn-tf/bin/python
    python benchmarks/library.py ~/Music --no-full --jobs 2
    python benchmarks/library.py --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import debian_library

#: The issue's targets.
TARGET_SECONDS_PER_SONG = 0.35
#: The model every timed job answers with: genriflow's default.
MODEL = "gtzan"
TARGET_AGREEMENT = 0.95
#: The library the projection is for.
PROJECTED_SONGS, PROJECTED_SONG_SECONDS = 3500, 300.0
#: What the original's virtual environment needs (tools/musicnn_reference.py made one so).
MUSICNN_VENV_HINT = (
    "python3.11 -m venv /tmp/musicnn-tf && /tmp/musicnn-tf/bin/pip install "
    "tensorflow-cpu==2.15.1 librosa==0.11.0 soundfile && /tmp/musicnn-tf/bin/pip install "
    "--no-deps musicnn==0.1.0   then: --musicnn-python /tmp/musicnn-tf/bin/python"
)


# --------------------------------------------------------------------------- pure logic


def sampling_kwargs(
    func: Callable, *, full: bool = False, excerpts: int | None = None
) -> tuple[dict, str]:
    """Keyword arguments asking ``func`` for full-song analysis or ``excerpts`` excerpts,
    with whatever this genriflow's API offers, and a note saying which was used.

    ``full=True`` / ``excerpts=N`` where the function has them; otherwise the older
    ``max_windows`` (``None``: every clip of the song, i.e. the whole song).
    """
    params = inspect.signature(func).parameters
    if full:
        if "full" in params:
            return {"full": True}, "full=True"
        if "max_windows" in params:
            return {"max_windows": None}, "max_windows=None (no full=True here: every clip)"
        raise TypeError(f"{func.__name__} has neither full nor max_windows")
    if excerpts is None:
        return {}, "default sampling"
    if "excerpts" in params:
        return {"excerpts": excerpts}, f"excerpts={excerpts}"
    if "max_windows" in params:
        return {"max_windows": excerpts}, f"max_windows={excerpts} (no excerpts= here)"
    raise TypeError(f"{func.__name__} has neither excerpts nor max_windows")


def agreement(first: dict[str, str], second: dict[str, str]) -> tuple[int, int]:
    """Songs (keys of both) whose values are equal, and songs compared."""
    common = sorted(set(first) & set(second))
    return sum(first[p] == second[p] for p in common), len(common)


def overlap(
    first: dict[str, Sequence[str]], second: dict[str, Sequence[str]], k: int = 5
) -> tuple[float, int]:
    """Mean share of the top-``k`` items two rankings have in common, and songs compared."""
    common = sorted(set(first) & set(second))
    if not common:
        return float("nan"), 0
    shares = [len(set(first[p][:k]) & set(second[p][:k])) / k for p in common]
    return sum(shares) / len(shares), len(common)


def projected_seconds(
    seconds_per_song: float,
    mean_song_seconds: float,
    songs: int = PROJECTED_SONGS,
    song_seconds: float = PROJECTED_SONG_SECONDS,
) -> float:
    """Time for ``songs`` songs of ``song_seconds``: per-song time scaled linearly by length."""
    if mean_song_seconds <= 0:
        return float("nan")
    return songs * seconds_per_song * song_seconds / mean_song_seconds


def spread(items: Sequence, n: int | None) -> list:
    """``n`` items evenly spread over ``items`` (all of them when ``n`` is None or larger)."""
    if n is None or n >= len(items):
        return list(items)
    if n <= 0:
        return []
    return [items[(i * len(items)) // n] for i in range(n)]


def parse_musicnn_tags(text: str) -> dict[str, list[str]]:
    """The original tagger's ``--save`` file: ``path,model,input_length=..,input_overlap=..,
    tag,tag,...`` per line (the path itself may hold commas)."""
    out = {}
    for line in text.splitlines():
        head, sep, rest = line.partition(",input_length=")
        if not sep:
            continue
        path = head.rsplit(",", 1)[0]
        out[path] = rest.split(",")[2:]
    return out


def fmt_duration(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "n/a"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


# --------------------------------------------------------------------------- memory


def _proc_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``); 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _proc_cpu_ticks(pid: int) -> int:
    """User + system CPU time of a live process, in clock ticks; 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return 0


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant (Linux ``/proc``; just ``root`` elsewhere)."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


class MemoryWatch:
    """Peak memory of this process and all its descendants while the block runs.

    ``getrusage(RUSAGE_CHILDREN)`` sees only children that were waited for, so it misses
    the feature workers (loky's processes, alive until exit). This
    samples the process tree's resident sets every ``interval`` seconds in a thread:
    ``peak_total_kib`` is the most resident at once (sampled), ``peak_kib`` each process's
    own high-water mark (``VmHWM``), ``cpu_seconds`` the CPU time the tree spent in the
    block (user + system; a process that ends loses at most its last interval), which
    other load on the machine does not inflate as it does wall time.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_total_kib = 0
        self.peak_kib: dict[int, int] = {}
        self.most_processes = 0
        self._ticks: dict[int, int] = {}
        self._baseline: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        me = os.getpid()
        tree = process_tree(me)
        total = 0
        for pid in tree:
            total += _proc_kib(pid, "VmRSS")
            hwm = _proc_kib(pid, "VmHWM")
            if hwm:
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), hwm)
            self._ticks[pid] = max(self._ticks.get(pid, 0), _proc_cpu_ticks(pid))
        self.peak_total_kib = max(self.peak_total_kib, total)
        self.most_processes = max(self.most_processes, len(tree))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemoryWatch:
        self.sample()
        self._baseline = dict(self._ticks)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def cpu_seconds(self) -> float:
        ticks = sum(t - self._baseline.get(pid, 0) for pid, t in self._ticks.items())
        return ticks / os.sysconf("SC_CLK_TCK")

    def largest_other_kib(self) -> int:
        me = os.getpid()
        return max((k for pid, k in self.peak_kib.items() if pid != me), default=0)


# --------------------------------------------------------------------------- genriflow


@dataclass
class Job:
    """One pass of the user-visible job over a folder."""

    seconds: dict[str, float] = field(default_factory=dict)
    genres: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)  # every tag, best first
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    embedded: int | None = None  # embeddings computed by the similarity index update
    excerpts: dict[str, int] = field(default_factory=dict)  # windows the model analysed

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def excerpts_line(self) -> str:
        """The mean, median and range of windows analysed a song, as the issue asks."""
        counts = sorted(self.excerpts.values())
        if not counts:
            return "excerpts a song: not known"
        return (f"excerpts a song: mean {sum(counts) / len(counts):.1f}, median "
                f"{counts[len(counts) // 2]}, {counts[0]}-{counts[-1]}")


def run_api(
    folder: Path, options, *, full: bool = False, excerpts: int | None = None, embed: bool = True
) -> Job:
    """``genriflow.classify``, ``genriflow.tag`` and (with ``embed``) ``genriflow.similar``
    over ``folder``: genres, every tag ranked, the similarity index."""
    import genriflow

    job = Job()
    kwargs, note = sampling_kwargs(genriflow.classify, full=full, excerpts=excerpts)
    job.notes.append(f"classify: {note}")
    start = time.perf_counter()
    predictions = genriflow.classify(folder, model=MODEL, options=options, **kwargs)
    job.seconds["genre"] = time.perf_counter() - start
    job.genres = {p.path: p.genre for p in predictions.predictions}
    job.excerpts = {p.path: len(p.offsets) for p in predictions.predictions}
    job.errors.update({str(e.path): str(e) for e in predictions.errors})

    kwargs, note = sampling_kwargs(genriflow.tag, full=full, excerpts=excerpts)
    job.notes.append(f"tag: {note}")
    start = time.perf_counter()
    tagged = genriflow.tag(folder, k=100, options=options, **kwargs)
    job.seconds["tags"] = time.perf_counter() - start
    job.tags = {t.path: [name for name, _ in t.top] for t in tagged.tags}
    job.errors.update({str(e.path): str(e) for e in tagged.errors})

    if embed:
        kwargs = {}
        if full or excerpts is not None:
            kwargs, note = sampling_kwargs(genriflow.similar, full=full, excerpts=excerpts)
            job.notes.append(f"similar: {note}")
        start = time.perf_counter()
        found = genriflow.similar(None, folder, options=options, **kwargs)
        job.seconds["embedding"] = time.perf_counter() - start
        job.embedded = found.update.computed
        job.errors.update({str(e.path): str(e) for e in found.update.errors})
    return job


def run_analyse(
    folder: Path, options, *, full: bool = False, excerpts: int | None = None, embed: bool = True
) -> Job:
    """``genriflow.analyse`` (genres and tags in one pass, the embedding stored with them)
    then, with ``embed``, ``genriflow.similar(None, folder)`` to build the index from it."""
    import genriflow

    job = Job()
    kwargs, note = sampling_kwargs(genriflow.analyse, full=full, excerpts=excerpts)
    job.notes.append(f"analyse: {note}")
    start = time.perf_counter()
    # genriflow before the one pipeline named the tag count ``k``, now ``k_tags``
    tags_k = "k_tags" if "k_tags" in inspect.signature(genriflow.analyse).parameters else "k"
    both = genriflow.analyse(
        folder, model=MODEL, tags=True, options=options, **{tags_k: 100}, **kwargs
    )
    job.seconds["genre + tags"] = time.perf_counter() - start
    job.genres = {p.path: p.genre for p in both.predictions}
    job.excerpts = {p.path: len(p.offsets) for p in both.predictions}
    job.tags = {t.path: [name for name, _ in t.top] for t in both.tags}
    job.errors.update({str(e.path): str(e) for e in both.errors})
    if embed:
        kwargs, note = sampling_kwargs(genriflow.similar, full=full, excerpts=excerpts)
        start = time.perf_counter()
        found = genriflow.similar(None, folder, options=options, **kwargs)
        job.seconds["similarity index"] = time.perf_counter() - start
        job.embedded = found.update.computed
        job.errors.update({str(e.path): str(e) for e in found.update.errors})
    return job


def has_analyse() -> bool:
    """Whether this genriflow has the one-pass ``genriflow.analyse``."""
    import genriflow

    try:
        return callable(genriflow.analyse)
    except AttributeError:
        return False


def has_library() -> bool:
    """Whether this genriflow has the library workflow (``genriflow.library.Library``)."""
    try:
        from genriflow.library import Library  # noqa: F401
    except ImportError:
        return False
    return True


def run_library(folder: Path, options, db: Path) -> Job:
    """``Library(db).scan(folder)`` then ``.classify(model=MODEL)``: the library
    workflow's genre, tags, moods, voice and embedding of every song, in one index."""
    from genriflow.library import Library

    job = Job(notes=[f"genriflow.library: Library.scan + Library.classify(model={MODEL!r})"])
    with Library(db) as library:
        start = time.perf_counter()
        scanned = library.scan([folder], progress=options.progress)
        job.seconds["scan"] = time.perf_counter() - start
        start = time.perf_counter()
        report = library.classify(model=MODEL, options=options)
        job.seconds["genre + tags + embedding"] = time.perf_counter() - start
        frame = library.songs()
    for error in [*scanned.errors, *report.errors]:
        job.errors[str(error.path)] = str(error)
    analysed = frame[frame["genre"].notna()]
    job.genres = dict(zip(analysed["path"], analysed["genre"], strict=True))
    job.tags = {
        p: str(t).split("; ") for p, t in zip(analysed["path"], analysed["tags"], strict=True)
    }
    job.embedded = report.analysed
    job.notes.append(
        f"scan: {scanned}; classify: analysed {report.analysed}, failed {report.failed}"
    )
    return job


def scan(folder: Path) -> tuple[list[Path], dict[str, float], float]:
    """The audio files of ``folder``, their durations (headers only) and the seconds taken."""
    from genriflow.audio import AudioError, info
    from genriflow.datasets.discover import iter_audio_files

    start = time.perf_counter()
    files = iter_audio_files(folder)
    durations = {}
    for f in files:
        with contextlib.suppress(AudioError):
            durations[str(f)] = info(f).duration
    return files, durations, time.perf_counter() - start


# --------------------------------------------------------------------------- original musicnn


@dataclass
class Original:
    python: str
    version: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    maxrss_kib: int = 0
    tags: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def musicnn_python(given: str | None) -> tuple[str | None, str, float]:
    """The Python to run the original with, its versions (or why it is unusable), and the
    seconds a process takes to start and import ``musicnn.tagger`` with TensorFlow."""
    if not given:
        return None, "no --musicnn-python given", float("nan")
    path = Path(given).expanduser()
    if path.is_dir():
        path = path / "bin" / "python"
    if not path.exists():
        return None, f"{path}: not found", float("nan")
    code = (
        "import musicnn.tagger, tensorflow as tf, importlib.metadata as m;"
        "print(tf.__version__, m.version('musicnn'))"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    probe = subprocess.run(
        [str(path), "-c", code], capture_output=True, text=True, check=False, timeout=300, env=env
    )
    seconds = time.perf_counter() - start
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["failed"])[-1]
        return None, f"{path}: cannot import musicnn.tagger and tensorflow ({last})", seconds
    tf_version, musicnn_version = probe.stdout.split()[-2:]
    return str(path), f"TensorFlow {tf_version}, musicnn {musicnn_version}", seconds


def run_original(python: str, files: Sequence[Path], model: str, version: str) -> Original:
    """``python -m musicnn.tagger FILE --model MODEL --topN 5 --save ...``, one process per
    song as its command line works; wall time and peak RSS of each process."""
    result = Original(python, version)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with tempfile.TemporaryDirectory(prefix="musicnn-original-") as tmp:
        saved = Path(tmp) / "tags.csv"
        for i, f in enumerate(files, 1):
            log = Path(tmp) / "log.txt"
            with open(log, "w") as out:
                start = time.perf_counter()
                proc = subprocess.Popen(
                    [
                        python,
                        "-m",
                        "musicnn.tagger",
                        str(f),
                        "--model",
                        model,
                        "--topN",
                        "5",
                        "--save",
                        str(saved),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                elapsed = time.perf_counter() - start
            result.maxrss_kib = max(result.maxrss_kib, usage.ru_maxrss)
            if proc.returncode != 0:
                lines = [s for s in log.read_text(errors="replace").splitlines() if s.strip()]
                result.errors[str(f)] = (lines or ["failed"])[-1][:200]
                print(
                    f"  original musicnn [{i}/{len(files)}] FAILED {f.name}: "
                    f"{result.errors[str(f)]}",
                    flush=True,
                )
                continue
            result.seconds[str(f)] = elapsed
            print(f"  original musicnn [{i}/{len(files)}] {f.name}: {elapsed:.1f} s", flush=True)
        if saved.exists():
            result.tags = parse_musicnn_tags(saved.read_text())
    return result


# --------------------------------------------------------------------------- report


def placement():
    """Where this genriflow runs the networks under this process's environment (runtime,
    device); exits with the one-line reason where the device cannot be used here."""
    from genriflow.errors import ConfigError
    from genriflow.features.pretrained import backend

    try:
        return backend.placement()
    except ConfigError as exc:
        raise SystemExit(f"--device: {exc}") from None


def row(label: str, *cells: str, width: int = 40) -> str:
    return f"  {label:<34}" + "".join(f"{c:<{width}}" for c in cells).rstrip()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="original musicnn venv: " + MUSICNN_VENV_HINT,
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=None,
        help="songs (default: the Debian library, built if missing)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="Debian library: first N tracks only (its own folder)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes (default: every core; 1 where the networks run on CUDA)",
    )
    parser.add_argument(
        "--via",
        choices=("auto", "analyse", "api", "library"),
        default="auto",
        help="the timed job: analyse = genriflow.analyse (genres + tags in one pass) + "
        "genriflow.similar(None, folder); api = genriflow.classify + tag + similar; "
        "library = genriflow.library's Library.scan + classify; auto (default) = analyse "
        "where this genriflow has it, else api",
    )
    parser.add_argument(
        "--excerpts",
        type=int,
        default=None,
        help="excerpts per song for the sampled runs (default: genriflow's)",
    )
    parser.add_argument(
        "--no-full", action="store_true", help="skip the full-song run (and the agreement figures)"
    )
    parser.add_argument(
        "--musicnn-python",
        default=os.environ.get("GENRIFLOW_MUSICNN_PYTHON"),
        help="a Python (or venv folder) with the original musicnn and "
        "TensorFlow; default $GENRIFLOW_MUSICNN_PYTHON",
    )
    parser.add_argument(
        "--musicnn-model",
        default="MSD_musicnn",
        help="the original's model (MSD_musicnn, MTT_musicnn, ...)",
    )
    parser.add_argument(
        "--musicnn-songs",
        type=int,
        default=10,
        help="songs the original tags, spread over the library (0: all); "
        "its figures are per song, so a sample projects the same",
    )
    parser.add_argument(
        "--curve",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[],
        help="also the agreement with the full song at these excerpt counts (e.g. "
        "4,6,8,12), read from the full run's store: every sampled patch lies on the full "
        "run's grid, so no audio is decoded again",
    )
    parser.add_argument(
        "--full-store",
        type=Path,
        default=None,
        help="keep the full-song run's feature store here (reused if it exists: a "
        "killed run resumes), e.g. to study other samplings from it",
    )
    parser.add_argument(
        "--network-backend",
        choices=("auto", "onnx", "torch"),
        default="auto",
        help="what runs the musicnn networks (GENRIFLOW_NETWORK_BACKEND for every job of "
        "this run, workers included; default auto: genriflow's choice, ONNX Runtime on a CPU)",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the musicnn networks run (GENRIFLOW_DEVICE for every job of this run, "
        "workers included; default auto: CUDA where the back end can use it, else the CPU)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    command = sys.argv[1:] if argv is None else list(argv)
    print("$ python " + shlex.join(["benchmarks/library.py", *command]))
    load = os.getloadavg()
    busy = "  (busy: every timing is inflated)" if load[0] > 0.5 else ""
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} at start{busy}")
    if args.network_backend != "auto":
        os.environ["GENRIFLOW_NETWORK_BACKEND"] = args.network_backend
    if args.device != "auto":
        os.environ["GENRIFLOW_DEVICE"] = args.device
    placed = placement()
    print(
        f"musicnn networks: --network-backend {args.network_backend} --device {args.device}"
        f" -> {placed.runtime} on {placed.device}"
    )

    folder = args.folder
    if folder is None:
        folder = debian_library.default_out(args.limit)
        built = debian_library.build(
            folder, limit=args.limit, verbose=not args.quiet, jobs=args.jobs
        )
        print(debian_library.report(built))
    folder = folder.resolve()
    if args.jobs is None and placed.device == "cuda":
        args.jobs = 1  # one process feeds the GPU (see the module docstring)
        print("--jobs 1 (the default on CUDA)")

    import genriflow
    from genriflow.features.options import RunOptions
    from genriflow.features.pretrained import backend

    files, durations, scan_s = scan(folder)
    if not files:
        raise SystemExit(f"{folder}: no audio files")
    known = [d for d in durations.values() if d > 0]
    mean_s = sum(known) / len(known) if known else float("nan")
    formats: dict[str, int] = {}
    for f in files:
        formats[f.suffix.lstrip(".")] = formats.get(f.suffix.lstrip("."), 0) + 1
    mix = ", ".join(f"{k} {v}" for k, v in formats.items())
    print(
        f"songs: {len(files)} in {folder} ({mix}); mean {mean_s / 60:.2f} min, total "
        f"{sum(known) / 3600:.2f} h of audio"
    )
    via = args.via if args.via != "auto" else ("analyse" if has_analyse() else "api")
    if via == "library" and not has_library():
        raise SystemExit("--via library: this genriflow has no genriflow.library")
    if via == "analyse" and not has_analyse():
        raise SystemExit("--via analyse: this genriflow has no genriflow.analyse")
    # genres and every tag, sampled or full: the one-pass call where the job uses it
    pass_of = run_analyse if via != "api" and has_analyse() else run_api
    progress = not args.quiet

    with tempfile.TemporaryDirectory(prefix="genriflow-bench-") as tmp:
        store, db = Path(tmp) / "store", Path(tmp) / "library.db"
        options = RunOptions(store=store, n_jobs=args.jobs, progress=progress)

        def job() -> Job:
            if via == "library":
                return run_library(folder, options, db)
            return pass_of(folder, options, excerpts=args.excerpts)

        version = getattr(genriflow, "__version__", "")
        print(f"\ngenriflow {version}, via {via}: cold run, fresh store {store}", flush=True)
        with MemoryWatch() as memory:
            cold = job()
        self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # this process computes files too: its runtime, device, providers or GPU name
        ran_on = backend.describe()
        print("genriflow: second run, same store, unchanged library", flush=True)
        warm = job()
        sampled = cold
        if via == "library" and not args.no_full:  # every tag, for the comparisons
            print("genriflow: sampled genres and tags through the API (same store)", flush=True)
            sampled = pass_of(folder, options, excerpts=args.excerpts, embed=False)

    full, curve = None, {}
    if not args.no_full:
        kept = contextlib.nullcontext(str(args.full_store)) if args.full_store else None
        with kept or tempfile.TemporaryDirectory(prefix="genriflow-bench-full-") as store:
            print("genriflow: full-song run, fresh store", flush=True)
            full = pass_of(
                folder,
                RunOptions(store=store, n_jobs=args.jobs, progress=progress),
                full=True,
                embed=False,
            )
            curve = {
                n: pass_of(
                    folder, RunOptions(store=store, n_jobs=args.jobs), excerpts=n, embed=False
                )
                for n in args.curve
            }

    python, why, startup_s = musicnn_python(args.musicnn_python)
    original = None
    if python is not None:
        chosen = spread(files, None if args.musicnn_songs == 0 else args.musicnn_songs)
        print(
            f"original musicnn ({why}, {args.musicnn_model}): {len(chosen)} of "
            f"{len(files)} songs, one process each",
            flush=True,
        )
        original = run_original(python, chosen, args.musicnn_model, why)

    n = len(files)
    per_song = cold.total / n
    projection = projected_seconds(per_song, mean_s)
    print(f"\n=== {n} songs, mean {mean_s / 60:.2f} min; every figure from this run ===")
    print(f"$ python {shlex.join(['benchmarks/library.py', *command])}")
    print(f"listing + reading {len(durations)} headers (for the durations): {scan_s:.2f} s")
    breakdown = " + ".join(f"{k} {v:.1f} s" for k, v in cold.seconds.items())
    print(f"genriflow cold, fresh store ({via}): {breakdown} = {cold.total:.1f} s")
    print(f"  musicnn networks ran on: {ran_on} ({args.jobs or os.cpu_count()} processes)")
    verdict = "met" if per_song <= TARGET_SECONDS_PER_SONG else "NOT met"
    print(
        f"  {n / cold.total:.2f} songs/s, {per_song:.2f} s per song (target <= "
        f"{TARGET_SECONDS_PER_SONG} s per song on 2 cores: {verdict}; {os.cpu_count()} cores "
        "here)"
    )
    print(
        f"  projected {PROJECTED_SONGS:,} songs of {PROJECTED_SONG_SECONDS / 60:.0f} min: "
        f"{fmt_duration(projection)} (x {PROJECTED_SONG_SECONDS:.0f} s / {mean_s:.0f} s "
        f"mean; target <= 30 min); unscaled {fmt_duration(PROJECTED_SONGS * per_song)}"
    )
    cpu_per_song = memory.cpu_seconds / n
    print(
        f"  CPU time (this process and its workers): {memory.cpu_seconds:.1f} s = "
        f"{cpu_per_song:.2f} CPU-s per song: at best {cpu_per_song / 2:.2f} s per song on 2 "
        "idle cores (load from others does not inflate CPU time)"
    )
    print(
        f"  peak memory: {mib(memory.peak_total_kib)} resident at once in "
        f"{memory.most_processes} processes (this one, loky's workers and helpers; sampled every "
        f"{memory.interval} s); ru_maxrss: this process {mib(self_kib)}, largest worker "
        f"{mib(memory.largest_other_kib())} (VmHWM), waited-for children {mib(child_kib)}"
    )
    if cold.errors:
        shown = "; ".join(f"{Path(p).name}: {e}" for p, e in list(cold.errors.items())[:5])
        print(f"  {len(cold.errors)} files failed: {shown}")
    print(f"  ({'; '.join(cold.notes)}; embeddings computed: {cold.embedded})")
    print(f"  {cold.excerpts_line()}")
    breakdown = " + ".join(f"{k} {v:.2f} s" for k, v in warm.seconds.items())
    print(
        f"genriflow second run (unchanged library, same store): {breakdown} = "
        f"{warm.total:.2f} s, {cold.total / max(warm.total, 1e-9):.0f}x faster than the "
        f"first; embeddings computed: {warm.embedded}"
    )
    if full is not None:
        same, compared = agreement(sampled.genres, full.genres)
        share, _ = overlap(sampled.tags, full.tags)
        pct = same / compared if compared else float("nan")
        verdict = "met" if pct >= TARGET_AGREEMENT else "NOT met"
        print(
            f"sampled vs full song ({MODEL}; {'; '.join(full.notes)}): full run "
            f"{full.total:.1f} s for genre + tags ({full.total / n:.2f} s per song)"
        )
        print(
            f"  top genre agrees on {same}/{compared} songs = {pct:.1%} (target >= "
            f"{TARGET_AGREEMENT:.0%}: {verdict}); top-5 tags in common {share:.1%}"
        )
        print(f"  sampled {sampled.excerpts_line()}; full {full.excerpts_line()}")
        for p in sorted(set(sampled.genres) & set(full.genres)):
            if sampled.genres[p] != full.genres[p]:
                print(f"    {Path(p).name}: sampled {sampled.genres[p]}, full {full.genres[p]}")
        for k, job in curve.items():
            same, compared = agreement(job.genres, full.genres)
            share, _ = overlap(job.tags, full.tags)
            print(
                f"  {k:3d} excerpts: top genre agrees on {same}/{compared} = "
                f"{same / max(compared, 1):.1%}; top-5 tags in common {share:.1%} "
                f"({job.total:.1f} s, from the full run's store)"
            )

    print("\nside by side (same songs, same machine, this run):")
    print(
        row(
            "",
            "genriflow (genre + tags + embedding)",
            f"original musicnn CLI ({args.musicnn_model} tags)",
        )
    )
    if original is None:
        print(row("songs", f"{n}", "skipped"))
        print(row("seconds per song", f"{per_song:.2f} s", "-"))
        print(f"original musicnn skipped: {why}. To provide it: {MUSICNN_VENV_HINT}")
        return
    done = list(original.seconds)
    o_per = sum(original.seconds.values()) / len(done) if done else float("nan")
    o_mean = sum(durations.get(p, 0.0) for p in done) / len(done) if done else float("nan")
    tried = len(original.seconds) + len(original.errors)
    print(row("songs", f"{n}", f"{len(done)} of {tried} tried ({len(original.errors)} failed)"))
    print(row("what each analyses", "genriflow's default sampling", "whole song, every 3 s patch"))
    print(row("mean song length", f"{mean_s / 60:.2f} min", f"{o_mean / 60:.2f} min"))
    print(
        row(
            "seconds per song",
            f"{per_song:.2f} s",
            f"{o_per:.2f} s (incl. {startup_s:.1f} s start + TF import)",
        )
    )
    print(row("songs per second", f"{n / cold.total:.3f}", f"{1 / o_per:.3f}"))
    print(
        row(
            f"projected {PROJECTED_SONGS:,} x 5 min",
            fmt_duration(projection),
            fmt_duration(projected_seconds(o_per, o_mean)),
        )
    )
    print(
        row(
            "peak memory",
            f"{mib(memory.peak_total_kib)} in {memory.most_processes} processes",
            f"{mib(original.maxrss_kib)} (one process, ru_maxrss)",
        )
    )
    if done:
        print(row("genriflow faster by", f"{o_per / per_song:.1f}x per song"))
    vocabulary = "mtt" if args.musicnn_model.upper().startswith("MTT") else "msd"
    for name, run in (("sampled", sampled), ("full-song", full)):
        if run is None:
            continue
        ours = {
            p: [t.split(":", 1)[1] for t in tags if t.startswith(vocabulary + ":")]
            for p, tags in run.tags.items()
        }
        share, compared = overlap(ours, original.tags)
        print(
            f"top-5 {vocabulary} tags in common, genriflow {name} vs the original "
            f"(whole song): {share:.1%} over {compared} songs"
        )
    for p, e in list(original.errors.items())[:5]:
        print(f"  original failed on {Path(p).name}: {e}")


if __name__ == "__main__":
    main()
