"""Produce the reference outputs of the original musicnn models (TensorFlow).

This script is NOT part of genriflow and never runs in the project's environment. It
runs the unmodified code of the PyPI package ``musicnn==0.1.0`` (Pons & Serra, ISC
licence) on TensorFlow, and records what it computes, so that
``tests/models/test_musicnn.py`` can check the PyTorch port in
``genriflow.features.pretrained.musicnn`` against it without TensorFlow.

How to run it (Python 3.11, from the repository root)::

    python3.11 -m venv /tmp/tfref
    /tmp/tfref/bin/pip install "tensorflow-cpu==2.15.1" "librosa==0.11.0" soundfile
    /tmp/tfref/bin/pip install --no-deps musicnn==0.1.0
    /tmp/tfref/bin/python tools/musicnn_reference.py

TensorFlow 2.15 is the last release whose ``tf.compat.v1.layers`` works without the
separate ``tf_keras`` package, so musicnn's ``models.py`` and ``extractor.py`` import
unchanged: no shim is needed. (musicnn's ``__init__.py`` is empty.)

It writes, into ``tests/data/`` (or ``--out``):

``musicnn_reference.flac``
    A deterministic 9.5 s, 16 kHz, 16-bit mono test signal (tones, bass, noise drums).
``musicnn_reference.npz`` (compressed)
    ``log_mel``
        ``musicnn.extractor.batch_data`` of the FLAC: the full log-mel (frames, 96).
    ``patches``
        The model inputs (5, 187, 96) float32: the three non-overlapping patches
        ``batch_data`` cuts from the FLAC, one uniform random patch in [0, 4) and one all
        zeros (the log-mel of digital silence).
    ``<model>/taggram``
        For ``MTT_musicnn``, ``MSD_musicnn``, ``MTT_vgg``, ``MSD_vgg``: the sigmoid outputs
        (5, 50).
    ``<model>/mean_pool``, ``<model>/max_pool``, ``<model>/penultimate``
        musicnn models: (5, 753), (5, 753), (5, 200).
    ``<model>/pool5``
        vgg models: pool5 flattened in TensorFlow's (time, frequency, channel) order
        (5, 256).
    ``MTT_musicnn/{timbral,temporal,cnn1,cnn2,cnn3}``, ``MTT_vgg/pool4``
        Intermediate maps of the first patch only (kept small), time first as musicnn
        returns them.
    ``MTT_tags``, ``MSD_tags``
        musicnn's label lists.
    ``meta/<name>``
        Version strings (python, numpy, tensorflow, librosa, musicnn).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from pathlib import Path

import numpy as np

SR = 16000
N_FRAMES = 187
SECONDS = 9.5
MODELS = ("MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg")
FIRST_PATCH_ONLY = {
    "MTT_musicnn": ("timbral", "temporal", "cnn1", "cnn2", "cnn3"),
    "MTT_vgg": ("pool4",),
}


def test_signal(seconds: float = SECONDS, seed: int = 20190801) -> np.ndarray:
    """A music-like deterministic signal: chords, a bass line and noise percussion."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    beat = 0.5
    for i, root in enumerate([220.0, 174.6, 261.6, 196.0] * 3):
        start = i * 4 * beat
        env = np.clip((t - start) / 0.02, 0, 1) * np.exp(-np.clip(t - start, 0, None) / 1.2)
        env *= (t >= start) & (t < start + 4 * beat)
        for ratio in (1.0, 1.26, 1.5):
            for harmonic in range(1, 6):
                y += env * 0.05 / harmonic * np.sin(2 * np.pi * root * ratio * harmonic * t)
        y += env * 0.2 * np.sin(2 * np.pi * root / 4 * t)
    for k in range(int(seconds / beat)):
        start = k * beat
        env = np.exp(-np.clip(t - start, 0, None) / (0.03 if k % 2 else 0.08)) * (t >= start)
        y += env * (0.3 * rng.standard_normal(t.size) if k % 2 else np.sin(2 * np.pi * 60 * t))
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


def run_model(model: str, patches: np.ndarray) -> dict[str, np.ndarray]:
    """Build one musicnn graph as ``musicnn.extractor.extractor`` does and run it."""
    import musicnn
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import extractor, models  # noqa: F401  (extractor disables eager mode)

    labels = config.MTT_LABELS if "MTT" in model else config.MSD_LABELS
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        outputs = models.define_model(x, is_training, model, len(labels))
        if "vgg" in model:
            names = ("logits", "pool1", "pool2", "pool3", "pool4", "pool5")
        else:
            names = ("logits", "timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool",
                     "max_pool", "penultimate")
        fetch = dict(zip(names, outputs, strict=True))
        fetch["taggram"] = tf.nn.sigmoid(fetch["logits"])
        fetch.pop("pool1", None)  # 2.2 MB per patch: not kept
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        folder = os.path.dirname(musicnn.__file__)
        tf.compat.v1.train.Saver().restore(sess, folder + "/" + model + "/")
        values = sess.run(fetch, feed_dict={x: patches, is_training: False})
    out = {"taggram": values["taggram"]}
    if "vgg" in model:
        out["pool5"] = values["pool5"].reshape(len(patches), -1)
    else:
        for name in ("mean_pool", "max_pool", "penultimate"):
            out[name] = values[name]
    for name in FIRST_PATCH_ONLY.get(model, ()):
        out[name] = np.squeeze(values[name][0])
    return {key: np.asarray(value, dtype=np.float32) for key, value in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parents[1] / "tests" / "data"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import librosa
    import soundfile as sf
    import tensorflow as tf
    from musicnn import configuration as config
    from musicnn import extractor

    flac = args.out / "musicnn_reference.flac"
    sf.write(flac, test_signal(), SR, subtype="PCM_16")
    batch, log_mel = extractor.batch_data(str(flac), N_FRAMES, N_FRAMES)
    rng = np.random.default_rng(0)
    patches = np.concatenate([
        batch.astype(np.float32),
        rng.uniform(0.0, 4.0, (1, N_FRAMES, config.N_MELS)).astype(np.float32),
        np.zeros((1, N_FRAMES, config.N_MELS), dtype=np.float32),
    ])
    arrays: dict[str, np.ndarray] = {
        "log_mel": np.asarray(log_mel),
        "patches": patches,
        "MTT_tags": np.array(config.MTT_LABELS),
        "MSD_tags": np.array(config.MSD_LABELS),
        "meta/python": np.array(sys.version.split()[0]),
        "meta/numpy": np.array(np.__version__),
        "meta/tensorflow": np.array(tf.__version__),
        "meta/librosa": np.array(librosa.__version__),
        "meta/musicnn": np.array(importlib.metadata.version("musicnn")),
        "meta/log_mel_dtype": np.array(str(np.asarray(log_mel).dtype)),
    }
    for model in MODELS:
        for name, value in run_model(model, patches).items():
            arrays[f"{model}/{name}"] = value
    np.savez_compressed(args.out / "musicnn_reference.npz", **arrays)
    for name, value in arrays.items():
        print(f"{name:28s} {value.dtype} {value.shape}")
    print(f"wrote {flac} and {args.out / 'musicnn_reference.npz'}")


if __name__ == "__main__":
    main()
