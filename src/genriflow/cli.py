"""The ``genriflow`` command line: a few lines per command over the library."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from genriflow.audio.errors import AudioError
from genriflow.datasets.splits import SPLIT_METHODS, SplitConfig
from genriflow.features import FEATURE_SET_NAMES
from genriflow.models import NETWORK_NAMES
from genriflow.models.classical import CLASSICAL_MODELS

if TYPE_CHECKING:
    from genriflow.features.sets import FeatureConfig

app = typer.Typer(
    help="Tell which genre a piece of music belongs to, from the audio itself.",
    no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

Jobs = Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes "
                                          "(default: all cores).")]
StoreDir = Annotated[Path | None, typer.Option("--store", help="Feature store folder (default: "
                                               "$GENRIFLOW_STORE or ~/.cache/genriflow).")]
NoStore = Annotated[bool, typer.Option("--no-store", help="Compute every feature afresh and "
                                       "keep none.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


@contextmanager
def user_errors():
    """Known failures become one red line on stderr and exit status 2, never a traceback."""
    try:
        yield
    except (AudioError, ValueError, FileNotFoundError) as exc:  # DatasetError, ModelError too
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/red]")
        raise typer.Exit(130) from None


def _store(store: Path | None, no_store: bool) -> Path | None:
    from genriflow.locations import default_store_dir

    return None if no_store else (store or default_store_dir())


def _dataset(data_dir: Path | None, features: Path | None, store: Path | None,
             jobs: int | None, quiet: bool, config: FeatureConfig | None = None):
    from genriflow.features.dataset import from_audio, from_table

    if (data_dir is None) == (features is None):
        raise ValueError("give either DATA_DIR (audio) or --features CSV, not both or neither")
    if features is not None:
        return from_table(features)
    return from_audio(data_dir, config, store=store, n_jobs=jobs, progress=not quiet)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Argument(help="Folder to write the corpus into.")],
    per_genre: Annotated[int, typer.Option(help="Clips per genre.")] = 20,
    seconds: Annotated[float, typer.Option(help="Length of each clip in seconds.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same corpus).")] = 0,
) -> None:
    """Synthesise the labelled 10-genre demo corpus (GTZAN genre names, GTZAN layout)."""
    from genriflow.datasets.synthetic import make_demo_corpus

    with user_errors():
        paths = make_demo_corpus(out, per_genre=per_genre, seconds=seconds, seed=seed)
    console.print(f"wrote {len(paths)} clips to {out}")


@app.command()
def features(
    data_dir: Annotated[Path, typer.Argument(help="Folder of labelled audio (folder per "
                                             "genre, any depth) or a manifest CSV.")],
    sets: Annotated[str, typer.Option(help="Comma-separated feature sets: "
                                      f"{', '.join(FEATURE_SET_NAMES)}.")] = "kaggle",
    out: Annotated[Path | None, typer.Option(help="Write the first vector set as a table "
                                             "(.csv or .parquet).")] = None,
    png: Annotated[Path | None, typer.Option(help="Export mel-image as PNGs into "
                                             "<png>/<genre>/.")] = None,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Compute feature sets for a folder of audio, each file decoded once, into the store."""
    from genriflow.features.dataset import from_audio_sets
    from genriflow.features.representations import export_mel_images
    from genriflow.features.sets import FeatureConfig, feature_set
    from genriflow.features.table import write_feature_table

    with user_errors():
        configs = [FeatureConfig(set=name.strip()) for name in sets.split(",") if name.strip()]
        datasets = from_audio_sets(data_dir, configs, _store(store, no_store), jobs, not quiet)
        for name, dataset in datasets.items():
            console.print(f"{name}: {len(dataset.frame)} files, shape {dataset.X.shape[1:]}")
        vector_sets = [c.set for c in configs if feature_set(c.set).columns is not None]
        if out is not None and vector_sets:
            write_feature_table(datasets[vector_sets[0]], out)
            console.print(f"wrote the {vector_sets[0]} table to {out}")
        if png is not None and "mel-image" in datasets:
            images = datasets["mel-image"]
            names = [Path(p).stem for p in images.frame["path"]]
            export_mel_images(images.X, images.y, names, png)
            console.print(f"wrote {len(names)} mel images under {png}")
    _print_errors(next(iter(datasets.values())).errors)


@app.command()
def train(
    data_dir: Annotated[Path | None, typer.Argument(help="Folder of labelled audio or a "
                                                    "manifest CSV.")] = None,
    features: Annotated[Path | None, typer.Option(help="Train from a Kaggle-style feature "
                                                  "table instead of audio.")] = None,
    split: Annotated[str, typer.Option(help=f"One of: {', '.join(SPLIT_METHODS)}.")] = "auto",
    model: Annotated[str, typer.Option(help=f"auto, one of: {', '.join(CLASSICAL_MODELS)}; or "
                                       f"a network: {', '.join(NETWORK_NAMES)} "
                                       "(optionally network@feature-set).")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: "
                                             "models/<model>-<time>).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of splits and models.")] = 0,
    folds: Annotated[int, typer.Option(help="Folds of the k-fold splits.")] = 10,
    pca: Annotated[int | None, typer.Option(help="PCA components after scaling.")] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs of a network.")] = 50,
    device: Annotated[str, typer.Option(help="Networks: auto, cpu or cuda.")] = "auto",
    augment: Annotated[str, typer.Option(help="Networks: none, weak (noise) or strong (noise, "
                                         "stretch, shift, pitch) copies of training clips.")
                       ] = "none",
    copies: Annotated[int, typer.Option(help="Augmented copies per training clip.")] = 1,
    embeddings: Annotated[str | None, typer.Option(help="Transfer learning: train the "
                                                   "classical model on a pretrained network's "
                                                   "embeddings: msd-musicnn, mtt-musicnn, "
                                                   "msd-vgg or mtt-vgg.")] = None,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Train a genre classifier, evaluate it honestly and save its model folder."""
    from genriflow.training.api import train_any

    with user_errors():
        out = out or Path("models") / f"{model.replace('@', '-')}-{_stamp()}"
        metrics, errors = train_any(model, out, data_dir, features, SplitConfig(
            method=split, seed=seed, n_folds=folds), pca=pca, epochs=epochs, device=device,
            augment=augment, copies=copies, embeddings=embeddings,
            store=_store(store, no_store), n_jobs=jobs,
            progress=not quiet)
    _print_result(metrics, out)
    _print_errors(errors)


@app.command()
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="A model folder written by train.")],
    data_dir: Annotated[Path | None, typer.Argument(help="Labelled audio.")] = None,
    features: Annotated[Path | None, typer.Option(help="A Kaggle-style feature table.")] = None,
    part: Annotated[str, typer.Option(help="test/valid/train (the model's own split) or all "
                                      "(data the model never saw).")] = "test",
    out: Annotated[Path | None, typer.Option(help="Run folder (default: runs/evaluate-<time>)."
                                             )] = None,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Score a saved model: accuracy, per-genre figures and confusion matrix, with the split."""
    from genriflow.evaluation.evaluate import evaluate_to_folder
    from genriflow.models.folder import load_model

    with user_errors():
        loaded = load_model(model_dir)
        dataset = _dataset(data_dir, features, _store(store, no_store), jobs, quiet,
                           loaded.feature_config)
        out = out or Path("runs") / f"evaluate-{_stamp()}"
        metrics = evaluate_to_folder(loaded, dataset, out, part)
    _print_result(metrics, out)
    _print_errors(dataset.errors)


@app.command()
def predict(
    paths: Annotated[list[Path], typer.Argument(help="MODEL_DIR (unless --model or --tags "
                                                "alone), then audio files and/or folders.")],
    model: Annotated[str | None, typer.Option(help="A model folder, or zero-shot (genres from "
                                              "the pretrained taggers, no training).")
                     ] = None,
    tags: Annotated[bool, typer.Option("--tags", help="Also print the top tags, vocal or "
                                       "instrumental, and moods (pretrained musicnn).")
                    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    top: Annotated[int, typer.Option(help="Genres (and tags) to show per song.")] = 3,
    max_windows: Annotated[int, typer.Option(help="Most clips analysed per long song.")] = 10,
    aggregation: Annotated[str, typer.Option(help="mean (of probabilities) or vote.")] = "mean",
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Give each song its most probable genres (and tags). Exit status 1 if any file failed.

    genriflow predict MODEL_DIR songs/ | predict --model zero-shot songs/ | predict --tags songs/
    """
    from genriflow.inference.output import render_predictions, render_tags
    from genriflow.inference.predict import predict_files
    from genriflow.inference.tags import tag_files
    from genriflow.models.folder import load_model

    with user_errors():
        if format not in ("table", "csv", "json"):
            raise ValueError(f"unknown format {format!r}; choose table, csv or json")
        if model is None and not tags:
            model, paths = str(paths[0]), paths[1:]
        if not paths:
            raise ValueError("no audio files or folders given")
        options = {"max_windows": max_windows, "store": _store(store, no_store),
                   "n_jobs": jobs, "progress": not quiet}
        predictions, errors = ([], [])
        if model is not None:
            predictions, errors = predict_files(load_model(model), paths,
                                                aggregation=aggregation, **options)
        song_tags, tag_errors = tag_files(paths, k=max(top, 5), **options) if tags else ([], [])
    if model is not None:
        render_predictions(predictions, format, top, console)
    if tags:
        render_tags(song_tags, format, console)
    errors = errors or tag_errors
    _print_errors(errors)
    if errors:
        raise typer.Exit(1)


@app.command()
def similar(
    paths: Annotated[list[Path], typer.Argument(help="[SONG] LIBRARY_DIR: the songs of the "
                                                "library most like SONG; the library alone "
                                                "indexes it (and scores it if labelled).")],
    k: Annotated[int, typer.Option("-k", help="How many songs.")] = 5,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Songs like this one, by pretrained embedding (cosine), from an incremental index.

    The index lives in the feature store and follows the library: only new or changed
    files are embedded. In a folder-per-genre library, precision@k (the share of each
    song's k nearest songs with its genre) is printed too.
    """
    from genriflow.inference.similar import SimilarityIndex, library_labels, precision_at_k

    with user_errors():
        if len(paths) not in (1, 2):
            raise ValueError("give [SONG] LIBRARY_DIR")
        if no_store:
            raise ValueError("similar keeps its index in the feature store; drop --no-store")
        index = SimilarityIndex(paths[-1], _store(store, no_store))
        update = index.update(n_jobs=jobs, progress=not quiet)
        console.print(f"index: {len(index)} songs ({len(update.added)} added, "
                      f"{len(update.changed)} changed, {len(update.removed)} removed, "
                      f"{update.computed} embedded now)")
        nearest = index.query(paths[0], k) if len(paths) == 2 else []
        labels = library_labels(index)
        score = precision_at_k(index, labels, k) if labels and len(index) > k else None
    for rank, (path, similarity) in enumerate(nearest, start=1):
        console.print(f"{rank:>3}  {similarity:.3f}  {path}", highlight=False)
    if score is not None:
        console.print(f"precision@{k} over the library (same-genre neighbours, "
                      f"{len(index)} songs): [bold]{score:.3f}[/bold]")
    _print_errors(update.errors)


@app.command()
def compare(
    data_dir: Annotated[Path, typer.Argument(help="Folder of labelled audio or a manifest.")],
    models: Annotated[str, typer.Option(help="Comma-separated models: classical names, auto, "
                                        "networks (name or name@feature-set).")
                      ] = "knn,svm,logreg,shortchunk-cnn",
    split: Annotated[str, typer.Option(help=f"One of: {', '.join(SPLIT_METHODS)}.")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Run folder (default: runs/compare-<time>)."
                                             )] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the split and the models.")] = 0,
    epochs: Annotated[int, typer.Option(help="Most epochs of each network.")] = 50,
    device: Annotated[str, typer.Option(help="Networks: auto, cpu or cuda.")] = "auto",
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Train several models on one dataset and split; print and save the comparison table."""
    from rich.table import Table

    from genriflow.training.compare import compare as run_compare

    with user_errors():
        out = out or Path("runs") / f"compare-{_stamp()}"
        names = [m.strip() for m in models.split(",") if m.strip()]
        table = run_compare(data_dir, names, out, SplitConfig(method=split, seed=seed),
                            epochs, device, _store(store, no_store), jobs, not quiet)
    view = Table("model", "input", "train", "valid", "test", "balanced",
                 title=f"split: {table['split'].iloc[0]}")
    for r in table.itertuples():
        view.add_row(r.model, r.input, *[("-" if v is None or v != v else f"{v:.3f}")
                                         for v in (r.train, r.valid, r.test, r.test_balanced)])
    console.print(view)
    console.print(f"table: {out / 'comparison.md'}")


@app.command()
def plot(
    target: Annotated[Path, typer.Argument(help="A song (seven pictures of it), a folder of "
                                           "labelled audio or a feature table .csv/.parquet "
                                           "(dataset pictures).")],
    out: Annotated[Path | None, typer.Option(help="Folder for the PNGs and report.html "
                                             "(default: plots/<name>).")] = None,
    offset: Annotated[float, typer.Option(help="Song: start of the window, seconds.")] = 0.0,
    duration: Annotated[float, typer.Option(help="Song: length of the window, seconds.")
                        ] = 30.0,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Pictures: waveform, spectrograms, chroma, tonnetz, MFCC and ZCR of a song; box plots,
    PCA and correlations of a dataset."""
    from genriflow.plots.folder import plot_to_folder

    with user_errors():
        out = out or Path("plots") / target.stem
        paths = plot_to_folder(target, out, offset=offset, duration=duration,
                               store=_store(store, no_store), n_jobs=jobs, progress=not quiet)
    for path in paths:
        console.print(f"wrote {path}")
    console.print(f"report: {out / 'report.html'}")


@app.command()
def cluster(
    data_dir: Annotated[Path | None, typer.Argument(help="Folder of labelled audio or a "
                                                    "manifest CSV.")] = None,
    features: Annotated[Path | None, typer.Option(help="Cluster a Kaggle-style feature "
                                                  "table instead of audio.")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated: pca-gmm, kmeans, "
                                         "lstm-autoencoder (needs a frame set).")
                       ] = "pca-gmm,kmeans",
    feature_set: Annotated[str, typer.Option("--set", help="Representation of the audio: "
                                             f"{', '.join(FEATURE_SET_NAMES)}.")] = "kaggle",
    clusters: Annotated[int | None, typer.Option(help="Number of clusters (default: one per "
                                                 "genre).")] = None,
    components: Annotated[int, typer.Option(help="PCA components before clustering.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run folder (default: runs/cluster-<time>)."
                                             )] = None,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Find genres without labels; score the clusters against the labels (ARI, NMI, accuracy)."""
    from rich.table import Table

    from genriflow.features.sets import FeatureConfig
    from genriflow.training.clustering import ClusterConfig, cluster_to_folder

    with user_errors():
        config = ClusterConfig(tuple(m.strip() for m in methods.split(",") if m.strip()),
                               clusters, components, seed)
        dataset = _dataset(data_dir, features, _store(store, no_store), jobs, quiet,
                           FeatureConfig(set=feature_set))
        out = out or Path("runs") / f"cluster-{_stamp()}"
        run = cluster_to_folder(dataset, out, config)
    view = Table("method", "ARI", "NMI", "matched accuracy",
                 title=f"{run.feature_set}, {len(run.assignments)} items (all, no split)")
    for r in run.scores.itertuples():
        view.add_row(r.method, f"{r.ari:.3f}", f"{r.nmi:.3f}", f"{r.matched_accuracy:.3f}")
    console.print(view)
    console.print(f"report: {out / 'report.html'}  PCA picture: {out / 'pca-scatter.png'}")
    _print_errors(dataset.errors)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the corpus, model and reports.")] = Path(
        "demo-output"),
    per_genre: Annotated[int, typer.Option(help="Clips per genre.")] = 30,
    seconds: Annotated[float, typer.Option(help="Seconds per clip.")] = 10.0,
    jobs: Jobs = None, quiet: Quiet = False,
) -> None:
    """The whole job on the built-in demo corpus: data, features, training, report, predictions."""
    from genriflow.demo import run_demo

    with user_errors():
        summary = run_demo(out, per_genre=per_genre, seconds=seconds, n_jobs=jobs,
                           progress=not quiet, console=console)
    console.print(f"[bold]test accuracy: {summary.accuracy:.3f}[/bold] on {summary.part}")
    console.print(f"report: {summary.report}")


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _print_result(metrics: dict, out: Path) -> None:
    test = metrics["test"]
    std = f" ± {test['accuracy_std']:.3f}" if "accuracy_std" in test else ""
    chosen = f"model: {metrics['chosen']}, " if "chosen" in metrics else ""
    console.print(f"{chosen}accuracy [bold]{test['accuracy']:.3f}{std}[/bold] "
                  f"(balanced {test['balanced_accuracy']:.3f}) on {test['part']}")
    if metrics["split"].get("groups_crossing"):
        console.print(f"[yellow]warning: {metrics['split']['groups_crossing']} groups cross "
                      "splits; this figure is inflated by leakage[/yellow]")
    console.print(f"report: {out / 'report.html'}")


def _print_errors(errors: list[AudioError]) -> None:
    if errors:
        err_console.print(f"[yellow]{len(errors)} file(s) could not be used:[/yellow]")
    for err in errors:
        err_console.print(f"  {err.path}: {err.reason}", highlight=False, soft_wrap=True)
