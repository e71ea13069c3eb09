"""Audio made in the tests: tones and the broken files a music library really holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050


def tone(seconds: float, freq: float = 440.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A harmonic tone with a little noise, float32 mono."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    y = sum(0.2 / k * np.sin(2 * np.pi * freq * k * t) for k in range(1, 5))
    return (y + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def write_bad_files(folder: Path) -> dict[str, str]:
    """The broken inputs a music library really holds; returns file name -> expected kind."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.mp3").write_text("shopping list, not a song\n" * 50)
    sf.write(folder / "header-only.wav", np.zeros(0, np.float32), SR)
    sf.write(folder / "blip.wav", tone(0.5), SR)
    sf.write(folder / "whole.flac", tone(20.0), SR)
    header = (folder / "whole.flac").read_bytes()[:100]  # a FLAC header, then noise
    (folder / "garbled.flac").write_bytes(header + np.random.default_rng(0).bytes(50_000))
    (folder / "whole.flac").unlink()
    return {"empty.wav": "empty", "notes.mp3": "unsupported", "header-only.wav": "empty",
            "blip.wav": "too-short", "garbled.flac": "corrupt"}


def write_truncated(folder: Path, name: str = "truncated.mp3", seconds: float = 20.0,
                    keep: float = 1 / 3) -> Path:
    """A partly downloaded song: an mp3 of ``seconds`` cut after ``keep`` of its bytes.

    Usable: the part that decodes (about ``keep * seconds``) is analysed, with a warning.
    """
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / f".whole-{name}"
    sf.write(whole, tone(seconds), SR, format="MP3")
    data = whole.read_bytes()
    whole.unlink()
    path = folder / name
    path.write_bytes(data[: int(len(data) * keep)])
    return path
