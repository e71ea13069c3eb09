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


# -- Test tiers (issue 27) ---------------------------------------------------------------
# `make test` runs the fast tier, `-m "not (slow or subprocess or network or browser or
# ray)"`; `make test-all` (what CI runs) runs every test. The markers are registered, with
# their rule, in pyproject.toml; they are applied here, in one place, by what a test uses
# (its fixtures) or where it is (its file, or its file and name), never by weakening it.

#: Fixtures whose use puts a test in a heavy tier: the library's ``cli`` runs
#: ``python -m genriflow`` in a fresh process; ``running``/``service``/``client`` serve the
#: service with uvicorn on a real socket; ``cluster`` starts a local Ray instance.
TIER_BY_FIXTURE = {
    "cli": "subprocess",
    "running": "network",
    "service": "network",
    "client": "network",
    "cluster": "ray",
}

#: Whole files: every test (or all but a quick one) spawns the command line or a browser.
TIER_BY_FILE = {
    "test_cli.py": ("subprocess",),
    "service/test_cli_serve.py": ("subprocess", "network"),
    "service/test_page.py": ("browser", "network"),
    "beets_plugin/test_beet_end_to_end.py": ("subprocess",),
}

#: Single tests that start ``genriflow`` (or another Python) as a child process.
TIER_BY_TEST = {
    "workflows/test_tuning.py": (
        "test_a_killed_tune_resumes_without_repeating_finished_trials",
        "test_bad_tune_input_is_one_line"),
    "features/test_ray_engine.py": ("test_predict_engine_ray_matches_local",),
    "features/test_store.py": ("test_sigkill_halfway_then_resume_computes_only_the_rest",),
    "inference/test_one_pass.py": ("test_network_sets_run_in_workers_after_torch_ran_here",),
    "library/test_names_as_they_are.py": (
        "test_scan_and_ls_name_every_file_exactly",
        "test_predict_names_every_song_and_every_failure_exactly",
        "test_plan_and_apply_name_every_file_and_value_exactly"),
    "library/test_tag_containers.py": (
        "test_an_id3v2_2_mp3_is_refused_in_one_line_and_left_byte_identical",),
    "library/test_plan_playlists.py": (
        "test_a_song_the_model_calls_none_of_its_genres_can_keep_its_genre",),
    "models/test_musicnn.py": ("test_loads_without_the_musicnn_package",),
    "test_api.py": ("test_import_is_fast_and_lazy",),
    "test_benchmark_library.py": ("test_memory_watch_sees_descendants",
                                  "test_memory_watch_counts_cpu_of_children"),
    "training/test_auto.py": ("test_the_cli_prints_the_candidates",),
}

#: Single tests whose own work is long (more than ~20 s each in the fast tier's first run,
#: `--durations`, on 2 busy cores): ``slow``, as if marked where written.
SLOW_BY_TEST = {
    "training/test_clustering.py": ("test_cluster_run_folder_on_the_demo_stack",  # 202 s
                                    "test_lstm_autoencoder_learns_and_separates_sequences",  # 63 s
                                    "test_kaggle_table_clusters_beat_chance"),  # 27 s
    "workflows/test_song_evaluation.py": (  # 109 s
        "test_the_default_model_is_scored_on_its_split_as_predict_classifies",),
    "training/test_transfer.py": ("test_embedding_sets_have_the_layer_sizes",),  # 90 s
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
