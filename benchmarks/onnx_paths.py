"""The musicnn networks on each runtime path, checked against PyTorch fp32 on real music.

On copies of the Debian game-music tracks (``benchmarks/debian_library.py``'s packages:
Wesnoth, Warzone 2100, Singularity, Nexuiz; the originals are only read, into a temporary
folder), prints in one run, for PyTorch float32 (the reference), ONNX Runtime float32 (the
shipped models) and ONNX Runtime int8 (the shipped models quantised here by
``tools/export_onnx.py``'s :func:`quantize_int8`, ``--int8`` dynamic or static; none
ships):

  - agreement with PyTorch: the default model's (``gtzan``) top genre, songs agreeing out
    of all with a 95 % Wilson interval (threshold 99 %), and the mean overlap of each
    song's top-5 MTT tags (threshold 90 %); the largest difference of any feature value;
  - per-patch time of each network (the same patches, batches of 2, this process's
    threads) and per-song time (decoding, the default sampling's excerpts, both networks
    and the head: ``extract_sets`` + ``predictions_from``, in this process);
  - which paths hold both thresholds, and the fastest of them (the CPU default).

Every song runs on every path in turn (the paths alternate, so a busy machine slows
them alike). Run on an idle machine; the load average is printed.

    python benchmarks/onnx_paths.py                 # every track
    python benchmarks/onnx_paths.py --limit 20
    python benchmarks/onnx_paths.py ~/Music --limit 20   # a folder's songs instead
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import debian_library
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from export_onnx import INT8_METHODS, quantize_int8  # noqa: E402 (tools/ is on the path now)

PATHS = ("torch", "onnx", "onnx-int8")
LABELS = {"torch": "PyTorch fp32", "onnx": "ONNX Runtime fp32", "onnx-int8": "ONNX Runtime int8"}
PER_SONG = "decoding, log-mel, both musicnn networks and the head, one process"
TARGET_GENRE, TARGET_TAGS = 0.99, 0.90
TIMED_NETWORKS = ("msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg")
#: Excerpts of each song, fixed: every path analyses the same windows.
EXCERPTS = 12


def copy_tracks(folder: Path, limit: int | None, source: Path | None = None) -> list[Path]:
    """The packages' tracks, or the songs of ``source``, copied into ``folder`` (originals
    opened read-only)."""
    if source is not None:
        from genriflow.audio import AUDIO_EXTENSIONS

        found = sorted(p for p in source.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
        if not found:
            sys.exit(f"{source}: no audio files")
        out = []
        for i, song in enumerate(found[:limit] if limit else found):
            out.append(folder / f"{i:03d}-{song.name}")
            out[-1].write_bytes(song.read_bytes())
        return out
    tracks, missing = debian_library.find_tracks()
    if missing:
        print(f"not installed: {', '.join(missing)}")
    tracks = tracks[:limit] if limit else tracks
    out = []
    for i, track in enumerate(tracks):
        suffix = Path(track.member or track.source).suffix
        dest = folder / f"{i:03d}-{track.package}{suffix}"
        with track.open() as src:
            dest.write_bytes(src.read())
        out.append(dest)
    return out


def top5_overlap(a: np.ndarray, b: np.ndarray) -> float:
    return len(set(np.argsort(-a)[:5]) & set(np.argsort(-b)[:5])) / 5


def write_int8(folder: Path, method: str) -> Path:
    """The shipped float32 models quantised by ``method``, as ``folder/<name>.onnx``."""
    from genriflow.features.pretrained.onnx_runtime import onnx_path

    folder.mkdir()
    for name in TIMED_NETWORKS:
        (folder / f"{name}.onnx").write_bytes(quantize_int8(onnx_path(name).read_bytes(), method))
    return folder


def on_path(path: str, int8: Path):
    """The context that runs the networks on ``path``: a back end (``onnx-int8``: ONNX
    Runtime on the models in ``int8``)."""
    from contextlib import ExitStack

    from genriflow.features.pretrained import backend, onnx_runtime

    stack = ExitStack()
    stack.enter_context(backend.using("torch" if path == "torch" else "onnx"))
    if path == "onnx-int8":
        stack.enter_context(onnx_runtime.models_in(int8))
    return stack


def song_outputs(
    song: Path, path: str, int8: Path, model
) -> tuple[str, np.ndarray, np.ndarray, float]:
    """Top genre, mean MTT tags and mean analysis of one song on ``path``; seconds.

    Through the inference pipeline, on a fixed :data:`EXCERPTS` excerpts (the same windows
    on every path, so only the networks differ)."""
    from genriflow.features.options import RunOptions
    from genriflow.features.sampling import Sampling
    from genriflow.inference.pipeline import Pipeline

    options = RunOptions(n_jobs=1, network_backend="torch" if path == "torch" else "onnx")
    pipe = Pipeline(model, sampling=Sampling(excerpts=EXCERPTS), options=options)
    start = time.perf_counter()
    with on_path(path, int8):  # one process (n_jobs=1): the int8 models are this one's
        features = pipe.preprocess(str(song), tags=True)
    answer = pipe.postprocess(features, pipe.forward(features), tags=False)
    seconds = time.perf_counter() - start
    found = features.songs[0]
    tags = found["musicnn-tags"].row()[50:]
    analysis = found["musicnn"].row()
    return answer.prediction.top(1)[0][0], tags, analysis, seconds


def patch_times(patches: np.ndarray, runs: int, int8: Path) -> dict[str, dict[str, float]]:
    """Best-of-``runs`` seconds per patch of every network on every path."""
    from genriflow.features.pretrained import backend

    times: dict[str, dict[str, float]] = {path: {} for path in PATHS}
    for name in TIMED_NETWORKS:
        for path in PATHS:
            with on_path(path, int8):
                backend.run(patches[:2], name)  # open the session, load the weights
                best = float("inf")
                for _ in range(runs):
                    start = time.perf_counter()
                    backend.run(patches, name)
                    best = min(best, time.perf_counter() - start)
            times[path][name] = best / len(patches)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=None,
        help="songs to check (default: the Debian game-music packages' tracks)",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N tracks only")
    parser.add_argument("--runs", type=int, default=3, help="timings per patch figure")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of each runtime (default 1: as each process of a library job runs)",
    )
    parser.add_argument(
        "--int8", choices=INT8_METHODS, default="dynamic", help="quantisation of the int8 path"
    )
    args = parser.parse_args(argv)
    print(
        "$ python "
        + shlex.join(["benchmarks/onnx_paths.py", *(sys.argv[1:] if argv is None else argv)])
    )
    print(
        f"machine: {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f} at start (other processes inflate every timing)"
    )

    import onnxruntime
    import torch

    from genriflow.features.pretrained import onnx_runtime
    from genriflow.intervals import wilson_interval
    from genriflow.models.folder import load_model
    from genriflow.models.registry import DEFAULT_MODEL

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # as the feature engine's workers
    onnx_runtime.set_threads(args.threads)
    print(
        f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, "
        f"{args.threads} thread(s) each; models in {onnx_runtime.ONNX_DIR}"
    )
    model = load_model(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory() as tmp:
        int8 = write_int8(Path(tmp) / "int8", args.int8)
        songs = copy_tracks(Path(tmp), args.limit, args.folder)
        print(
            f"{len(songs)} tracks copied to a temporary folder; default model "
            f"{DEFAULT_MODEL!r} reads {[c.set for c in model.feature_configs]}"
        )
        for path in PATHS:  # sessions opened, weights loaded, kernels compiled: untimed
            song_outputs(songs[0], path, int8, model)
        genres: dict[str, list[str]] = {p: [] for p in PATHS}
        tags: dict[str, list[np.ndarray]] = {p: [] for p in PATHS}
        analyses: dict[str, list[np.ndarray]] = {p: [] for p in PATHS}
        seconds: dict[str, list[float]] = {p: [] for p in PATHS}
        for i, song in enumerate(songs):
            order = PATHS[i % len(PATHS) :] + PATHS[: i % len(PATHS)]
            for path in order:
                genre, tag, analysis, took = song_outputs(song, path, int8, model)
                genres[path].append(genre)
                tags[path].append(tag)
                analyses[path].append(analysis)
                seconds[path].append(took)
            if (i + 1) % 10 == 0:
                print(f"  {i + 1}/{len(songs)} songs", flush=True)
        from genriflow.audio import load
        from genriflow.features.pretrained.preprocessing import SR, musicnn_log_mel, to_patches

        patches = to_patches(musicnn_log_mel(load(songs[0], sr=SR, duration=60.0)))[:20]
        per_patch = patch_times(patches, args.runs, int8)

    n = len(songs)
    print(f"\n{n} songs; reference: {LABELS['torch']}")
    header = (
        f"{'path':<20}{'top genre agrees':>26}{'top-5 MTT':>11}{'max |diff|':>12}"
        f"{'s/song':>8}" + "".join(f"{name + ' ms':>16}" for name in TIMED_NETWORKS)
    )
    print(header)
    holding = []
    for path in PATHS:
        agree = sum(a == b for a, b in zip(genres[path], genres["torch"], strict=True))
        low, high = wilson_interval(agree, n)
        overlap = float(
            np.mean([top5_overlap(a, b) for a, b in zip(tags[path], tags["torch"], strict=True)])
        )
        diff = max(
            float(np.abs(a - b).max())
            for a, b in zip(analyses[path], analyses["torch"], strict=True)
        )
        held = agree / n >= TARGET_GENRE and overlap >= TARGET_TAGS
        if held:
            holding.append(path)
        print(
            f"{LABELS[path]:<20}{f'{agree}/{n} [{low:.1%}, {high:.1%}]':>26}"
            f"{overlap:>11.1%}{diff:>12.2e}{np.mean(seconds[path]):>8.2f}"
            + "".join(f"{per_patch[path][name] * 1000:>16.1f}" for name in TIMED_NETWORKS)
            + ("" if held else "   (fails a threshold)")
        )
    print(
        f"thresholds: top genre >= {TARGET_GENRE:.0%} of songs, top-5 MTT tags >= "
        f"{TARGET_TAGS:.0%} overlap; per-patch: {len(patches)} patches of one song, best of "
        f"{args.runs}; s/song: {PER_SONG}"
    )
    fastest = min(holding, key=lambda p: np.mean(seconds[p]))
    print(
        f"paths holding both: {', '.join(LABELS[p] for p in holding)}; fastest per song: "
        f"{LABELS[fastest]} ({np.mean(seconds['torch']) / np.mean(seconds[fastest]):.2f}x "
        f"PyTorch)"
    )
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
