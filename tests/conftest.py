"""Shared fixtures: the real GTZAN-derived data beside the repo, and audio files made here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from permissions import without_dac_override

# The tests import onnxruntime themselves too: with its telemetry off, as genriflow imports
# it (features/pretrained/onnx_runtime.py), nothing is written under ~/.cache or sent.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

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


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> Path:
    """A small synthetic corpus: 10 genres x 10 clips x 4 s, rotating containers."""
    from genriflow.datasets.synthetic import make_demo_corpus

    root = tmp_path_factory.mktemp("demo") / "corpus"
    make_demo_corpus(root, per_genre=10, seconds=4.0, seed=0)
    return root


@pytest.fixture(scope="session")
def feature_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def demo_model(demo_corpus: Path, feature_cache: Path, tmp_path_factory) -> Path:
    """A model folder trained on the demo corpus through the library API."""
    from genriflow.features.dataset import from_audio
    from genriflow.features.options import RunOptions
    from genriflow.training.classical import TrainConfig
    from genriflow.workflows.experiment import train_to_folder

    out = tmp_path_factory.mktemp("models") / "demo"
    dataset = from_audio(demo_corpus, options=RunOptions(store=feature_cache))
    train_to_folder(dataset, out, TrainConfig(model="logreg"))
    return out


@pytest.fixture
def unreadable() -> Iterator[Callable[[Path], Path]]:
    """``unreadable(path)``: the file made unreadable for real for the rest of the test
    (``chmod 000``; running as root, its power to read anything set aside in this thread),
    so that opening it fails with ``EACCES`` from the system, as for a user whose song is
    not theirs. Skipped, saying why, where that cannot be done."""
    made: list[Path] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(without_dac_override())

        def make(path: Path) -> Path:
            path.chmod(0)
            made.append(path)
            try:
                open(path, "rb").close()
            except PermissionError:
                return path
            pytest.skip(f"{path} can still be read after chmod 000 (a file system that "
                        "ignores modes?)")

        try:
            yield make
        finally:
            for path in made:
                path.chmod(0o644)


# -- Test tiers (issue 27) ---------------------------------------------------------------
# `make test` runs the fast tier, `-m "not (slow or subprocess or network or browser or
# ray)"`; `make test-all` (what CI runs) runs every test. The markers are registered, with
# their rule, in pyproject.toml; they are applied here, in one place, by what a test uses
# (its fixtures) or where it is (its file, or its file and name), never by weakening it.

#: Fixtures whose use puts a test in a heavy tier: the library's ``cli_process`` runs
#: ``python -m genriflow`` in a fresh process (its ``cli`` runs the command line in this
#: one); ``running``/``service`` serve the service with uvicorn on a real socket (its
#: ``serving``/``served``/``client`` serve its ASGI app in this process); ``cluster`` starts
#: a local Ray instance.
TIER_BY_FIXTURE = {
    "cli_process": "subprocess",
    "running": "network",
    "service": "network",
    "cluster": "ray",
}

#: Whole files: every test (or all but a quick one) spawns the command line or a browser.
TIER_BY_FILE = {
    "service/test_page.py": ("browser", "network"),
    "service/test_page_refusals.py": ("browser", "network"),
    "service/test_page_looks.py": ("browser", "network"),
    "beets_plugin/test_beet_end_to_end.py": ("subprocess",),
    "test_interrupt.py": ("subprocess",),
}

#: Single tests that start ``genriflow`` (or another Python) as a child process, because
#: the point is a real one: a SIGKILL or SIGSTOP, a lock held by another process, what C
#: code writes to the file descriptors, a fresh interpreter's imports, a shell pipe, a
#: script without a main guard. The others run the command line in this process
#: (tests/commandline.py).
TIER_BY_TEST = {
    "workflows/test_tuning.py": (
        "test_a_killed_tune_resumes_without_repeating_finished_trials",),
    "features/test_ray_engine.py": ("test_predict_engine_ray_matches_local",),
    "features/test_store.py": ("test_sigkill_halfway_then_resume_computes_only_the_rest",),
    "features/test_store_sharing.py": (
        "test_two_runs_at_once_over_overlapping_songs_lose_nothing",
        "test_a_run_opening_the_store_leaves_another_runs_part_in_progress_alone",
        "test_a_writer_killed_mid_part_leaves_nothing_read_and_its_leftovers_are_cleared"),
    "features/test_workers.py": ("test_a_script_without_a_main_guard_runs_its_workers",),
    "inference/test_one_pass.py": ("test_network_sets_run_in_workers_after_torch_ran_here",),
    "library/test_classify.py": (
        "test_a_killed_classify_resumes_with_only_the_unfinished_songs",),
    "library/test_index_faults.py": (
        "test_two_classify_runs_on_one_index_the_second_refused_nothing_corrupted",
        "test_the_cli_says_the_disk_is_full_in_one_line",
        "test_a_scan_killed_halfway_then_run_again_completes_without_duplicates"),
    "beets_plugin/test_plugin_interrupt.py": (
        "test_sigint_to_beet_keeps_the_batches_stored_and_exits_as_beets_does",),
    "library/test_tag_writes.py": (
        "test_sigkill_mid_apply_leaves_every_file_old_or_new_and_a_rerun_finishes",),
    "models/test_musicnn.py": ("test_loads_without_the_musicnn_package",),
    "features/test_onnx_runtime.py": ("test_onnx_runtime_runs_with_its_telemetry_off",),
    "service/test_cli_serve.py": ("test_serve_answers_then_stops_gracefully_on_sigterm",),
    "test_api.py": ("test_import_is_fast_and_lazy",),
    "test_terminal_safety.py": ("test_closed_descriptors_in_a_real_process",),
    "test_benchmark_library.py": ("test_memory_watch_sees_descendants",
                                  "test_memory_watch_counts_cpu_of_children"),
    "test_files_from.py": ("test_a_piped_list_with_progress_bars_on_a_terminal_gives_one_table",),
    "test_cli.py": ("test_predict_on_a_folder_with_broken_files",
                    "test_a_song_named_that_the_user_may_not_read_does_not_stop_the_others",
                    "test_predict_handles_a_sixty_minute_ogg",
                    "test_predict_with_tags_piped_into_pandas_genres_first"),
}

#: Single tests whose own work is long (more than ~20 s each in the fast tier's first run,
#: `--durations`, on 2 busy cores): ``slow``, as if marked where written.
SLOW_BY_TEST = {
    "training/test_clustering.py": ("test_cluster_run_folder_on_the_demo_stack",  # 202 s
                                    "test_lstm_autoencoder_learns_and_separates_sequences",  # 63 s
                                    "test_kaggle_table_clusters_beat_chance"),  # 27 s
    "workflows/test_song_evaluation.py": (  # 109 s
        "test_the_default_model_is_scored_on_its_split_as_predict_classifies",),
    "training/test_transfer.py": ("test_embedding_sets_have_the_layer_sizes",  # 90 s
                                  # msd-musicnn on the 100 demo clips, then a head: 65 s
                                  "test_train_a_head_on_embeddings_and_predict"),
    "training/test_calibration_and_multilabel.py": (
        "test_a_multi_label_network_is_saved_with_thresholds_and_lists_genres",  # 89 s
        "test_a_network_ships_its_temperature"),  # 53 s
    "models/test_model_folder.py": (  # 83 s for gradient boosting
        "test_every_classical_model_fits_saves_and_loads[gradient-boosting]",),
    "training/test_train_from_table.py": (
        "test_three_second_segments_never_cross_splits",  # 58 s
        "test_a_leaky_split_scores_higher_than_the_honest_one"),  # 32 s
    "training/test_deep.py": ("test_compare_tabulates_every_model",  # 44 s
                              "test_augmented_copies_cover_only_the_training_part_and_are_stored"),
    "models/test_builtin.py": ("test_the_fusion_is_the_mean_of_its_two_models_per_song",),  # 35 s
    "training/test_tune.py": (  # 22 s
        "test_network_trials_run_through_the_loop_and_a_hopeless_one_is_pruned",),
}

_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every heavy test with its tier (see :data:`TIER_BY_FIXTURE` and the tables)."""
    for item in items:
        try:
            where = Path(str(item.path)).resolve().relative_to(_TESTS).as_posix()
        except ValueError:  # a doctest of src/, README.md or docs/
            continue
        name = getattr(item, "originalname", item.name)
        tiers = {tier for fixture, tier in TIER_BY_FIXTURE.items()
                 if fixture in getattr(item, "fixturenames", ())}
        tiers.update(TIER_BY_FILE.get(where, ()))
        if name in TIER_BY_TEST.get(where, ()):
            tiers.add("subprocess")
        if name in SLOW_BY_TEST.get(where, ()) or item.name in SLOW_BY_TEST.get(where, ()):
            tiers.add("slow")
        for tier in sorted(tiers):
            item.add_marker(tier)
