"""Shared fixtures: the real GTZAN-derived data beside the repo, and audio files made here."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (GTZAN splits, the Kaggle feature table, 47 real clips)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def kaggle_table(shared_data: Path) -> Path:
    return shared_data / "gtzan-features" / "features_30_sec.csv"
