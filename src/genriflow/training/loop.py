"""The one explicit training loop every genriflow network uses.

Adam on a class-weighted cross-entropy (optionally with mixup), validation after every
epoch, ReduceLROnPlateau and early stopping on the validation loss, and the best epoch's
weights restored at the end. Seeded and deterministic on CPU. Weights are stored as
safetensors only (never pickle).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from torch import Tensor, nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset, Subset  # noqa: E402

Transform = Callable[[Tensor, torch.Generator], Tensor]


@dataclass(frozen=True)
class LoopConfig:
    """How a network is trained.

    Attributes
    ----------
    epochs : int
        Upper bound; early stopping usually ends sooner.
    batch_size : int
    lr : float
        Initial Adam learning rate.
    weight_decay : float
        Adam's L2 penalty.
    patience : int
        Epochs without a lower validation loss before stopping.
    lr_factor, lr_patience : float, int
        ReduceLROnPlateau on the validation loss.
    class_weights : bool
        Weight the cross-entropy by inverse class frequency of the training labels.
    mixup : float
        Alpha of the Beta(alpha, alpha) mixing coefficient; 0 turns mixup off.
    seed : int
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    num_threads : int or None
        CPU threads for torch during the fit (``None``: ``os.cpu_count()``).
    """

    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    lr_factor: float = 0.1
    lr_patience: int = 5
    class_weights: bool = True
    mixup: float = 0.0
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.lr <= 0 or not 0 < self.lr_factor < 1:
            raise ValueError("lr must be positive and lr_factor in (0, 1)")
        if self.mixup < 0:
            raise ValueError("mixup alpha must be >= 0 (0 turns it off)")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"unknown device {self.device!r}; choose auto, cpu or cuda")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class History:
    """Per-epoch record of a fit.

    ``valid_loss`` and ``valid_acc`` stay empty when there was no validation set.
    ``best_epoch`` is 1-based (the weights kept are those after that epoch); 0 before
    any epoch ran. ``lr`` is the learning rate used during each epoch.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict:
        return asdict(self)


class ArrayDataset(Dataset):
    """``(x, y)`` items over numpy arrays, without copying them.

    Parameters
    ----------
    X : array-like, shape (n, ...)
        Features; may be a read-only ``np.memmap`` (rows are read per item).
    y : array-like of int, shape (n,)
        Class indices.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        # np.array copies the one row: writable, float32, detached from the memmap.
        return torch.from_numpy(np.array(self.X[i], dtype=np.float32)), int(self.y[i])

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self.y)


def dataset_labels(data: Dataset) -> np.ndarray:
    """Class indices of a dataset, shape (n,), without reading features where possible."""
    if isinstance(data, ArrayDataset):
        return data.labels
    if isinstance(data, Subset):
        return dataset_labels(data.dataset)[np.asarray(data.indices)]
    return np.array([int(data[i][1]) for i in range(len(data))], dtype=np.int64)


def class_weights(labels: np.ndarray, n_classes: int) -> Tensor:
    """Inverse-frequency weights ``n / (n_classes * count)``, shape (n_classes,).

    Balanced labels give all ones. A class absent from ``labels`` is counted once, so its
    weight stays finite.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=n_classes)[:n_classes]
    weights = len(labels) / (n_classes * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without CUDA raises."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but CUDA is not available "
                         f"(torch {torch.__version__}); use device 'cpu' or 'auto'")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {name!r}; choose auto, cpu or cuda")
    return torch.device(name)


@contextmanager
def _torch_settings(threads: int) -> Iterator[None]:
    """Deterministic algorithms and a thread count for the fit, restored afterwards."""
    previous = (torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled(), torch.get_num_threads())
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])
        torch.set_num_threads(previous[2])


def _weighted_ce(logits: Tensor, targets: Tensor, weight: Tensor) -> tuple[Tensor, Tensor]:
    """Summed weighted cross-entropy and summed weights of a batch.

    Parameters
    ----------
    logits, targets : Tensor, shape (batch, n_classes)
        ``targets`` are (soft) class probabilities.
    weight : Tensor, shape (n_classes,)

    Notes
    -----
    ``sum / weights`` is PyTorch's weighted mean for hard targets, extended to soft
    ones, so mixup and plain batches (and whole epochs) share one scale.
    """
    weighted = targets * weight
    return -(weighted * F.log_softmax(logits, dim=1)).sum(), weighted.sum()


def _mix(x: Tensor, targets: Tensor, alpha: float, rng: np.random.Generator,
         generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Mixup: convex combination of the batch with a permutation of itself."""
    lam = float(rng.beta(alpha, alpha))
    perm = torch.randperm(len(x), generator=generator).to(x.device)
    return lam * x + (1 - lam) * x[perm], lam * targets + (1 - lam) * targets[perm]


@dataclass
class _Totals:
    loss: float = 0.0
    weight: float = 0.0
    correct: int = 0
    count: int = 0

    def add(self, loss: Tensor, weight: Tensor, logits: Tensor, labels: Tensor) -> None:
        self.loss += float(loss)
        self.weight += float(weight)
        self.correct += int((logits.argmax(dim=1) == labels).sum())
        self.count += len(labels)

    def result(self) -> tuple[float, float]:
        return self.loss / max(self.weight, 1e-12), self.correct / max(self.count, 1)


def evaluate(model: nn.Module, data: Dataset, weight: Tensor | None = None,
             batch_size: int = 64, device: str | torch.device = "auto",
             transform: Callable[[Tensor], Tensor] | None = None) -> tuple[float, float]:
    """Weighted cross-entropy and accuracy of ``model`` on ``data`` (eval mode, no grad).

    Parameters
    ----------
    weight : Tensor, shape (n_classes,), optional
        Class weights, as :func:`fit` used them; ``None``: unweighted.
    transform : callable, optional
        Deterministic batch transform (e.g. a center crop) applied on the device.

    Returns
    -------
    loss, accuracy : float
    """
    device = _as_device(device)
    model.to(device).eval()
    totals = _Totals()
    with torch.no_grad():
        for x, y in DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=0):
            x, y = x.to(device), y.to(device)
            if transform is not None:
                x = transform(x)
            logits = model(x)
            w = torch.ones(logits.shape[1], device=device) if weight is None else weight
            targets = F.one_hot(y, logits.shape[1]).to(logits.dtype)
            totals.add(*_weighted_ce(logits, targets, w.to(device)), logits, y)
    return totals.result()


def _train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                 weight: Tensor, config: LoopConfig, transform: Transform | None,
                 generators: tuple[torch.Generator, torch.Generator],
                 rng: np.random.Generator) -> tuple[float, float]:
    """One pass over the training data; returns (loss, accuracy)."""
    device = weight.device
    cpu_generator, device_generator = generators
    model.train()
    totals = _Totals()
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if transform is not None:
            x = transform(x, device_generator)
        targets = F.one_hot(y, len(weight)).to(x.dtype)
        if config.mixup > 0:
            x, targets = _mix(x, targets, config.mixup, rng, cpu_generator)
        logits = model(x)
        loss_sum, weight_sum = _weighted_ce(logits, targets, weight)
        optimizer.zero_grad(set_to_none=True)
        (loss_sum / weight_sum).backward()
        optimizer.step()
        # Under mixup, a prediction is right when it names the dominant label.
        totals.add(loss_sum.detach(), weight_sum.detach(), logits.detach(),
                   targets.argmax(dim=1))
    return totals.result()


def _make_loader(train: Dataset, config: LoopConfig, generator: torch.Generator,
                 device: torch.device) -> DataLoader:
    # A last batch of one breaks BatchNorm in training mode; with shuffling a different
    # example is left out each epoch, so nothing is lost for good.
    drop_last = len(train) > config.batch_size and len(train) % config.batch_size == 1
    return DataLoader(train, batch_size=config.batch_size, shuffle=True, generator=generator,
                      num_workers=0, drop_last=drop_last, pin_memory=device.type == "cuda")


def _as_device(device: str | torch.device) -> torch.device:
    return device if isinstance(device, torch.device) else resolve_device(device)


def _check_labels(labels: np.ndarray, n_classes: int) -> None:
    if len(labels) == 0:
        raise ValueError("the training set is empty")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}); got {labels.min()}..."
                         f"{labels.max()}")


def fit(model: nn.Module, train: Dataset, valid: Dataset | None, n_classes: int,
        config: LoopConfig, transform: Transform | None = None, progress: bool = False, *,
        eval_transform: Callable[[Tensor], Tensor] | None = None) -> History:
    """Train ``model`` in place and restore the weights of its best epoch.

    Parameters
    ----------
    model : nn.Module
        Maps a batch ``(batch, ...)`` to logits ``(batch, n_classes)``. Seed its
        construction yourself; ``config.seed`` covers shuffling, dropout, mixup and
        ``transform``.
    train, valid : Dataset
        Items ``(x: Tensor float32, y: int)``. Without ``valid`` the scheduler follows the
        training loss, there is no early stopping and the last epoch's weights are kept.
    n_classes : int
    config : LoopConfig
    transform : callable ``(x, generator) -> x``, optional
        Train-time batch augmentation on the device (see :mod:`genriflow.training.augment`);
        ``generator`` is a seeded ``torch.Generator`` on the training device.
    progress : bool
        Show a rich progress bar over epochs.
    eval_transform : callable ``x -> x``, optional
        Deterministic batch transform for validation (e.g. a center crop to the training
        crop's length).

    Returns
    -------
    History
        The model ends on the training device, in eval mode.
    """
    device = resolve_device(config.device)
    labels = dataset_labels(train)
    _check_labels(labels, n_classes)
    with _torch_settings(config.num_threads or os.cpu_count() or 1):
        torch.manual_seed(config.seed)
        weight = (class_weights(labels, n_classes) if config.class_weights
                  else torch.ones(n_classes)).to(device)
        model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=config.lr_factor, patience=config.lr_patience)
        generators = (torch.Generator().manual_seed(config.seed + 1),
                      torch.Generator(device=device).manual_seed(config.seed + 2))
        mixup_rng = np.random.default_rng(config.seed)
        loader = _make_loader(train, config, torch.Generator().manual_seed(config.seed), device)
        run = _Run(model, valid, weight, config, eval_transform)
        with _progress_bar(progress, config.epochs) as advance:
            for _ in range(config.epochs):
                run.history.lr.append(optimizer.param_groups[0]["lr"])
                train_scores = _train_epoch(model, loader, optimizer, weight, config, transform,
                                            generators, mixup_rng)
                monitored = run.end_epoch(train_scores)
                scheduler.step(monitored)
                advance(run.history)
                if run.should_stop():
                    break
        run.restore_best()
    model.eval()
    return run.history


class _Run:
    """Bookkeeping of one fit: history, best weights, patience."""

    def __init__(self, model: nn.Module, valid: Dataset | None, weight: Tensor,
                 config: LoopConfig, eval_transform: Callable[[Tensor], Tensor] | None) -> None:
        self.model, self.valid, self.weight, self.config = model, valid, weight, config
        self.eval_transform = eval_transform
        self.history = History()
        self.best_loss = float("inf")
        self.best_state: dict[str, Tensor] | None = None

    def end_epoch(self, train_scores: tuple[float, float]) -> float:
        """Record the epoch's scores; return the loss the scheduler should follow."""
        h = self.history
        h.train_loss.append(train_scores[0])
        h.train_acc.append(train_scores[1])
        if self.valid is None:
            h.best_epoch = h.epochs
            return train_scores[0]
        loss, acc = evaluate(self.model, self.valid, self.weight, self.config.batch_size,
                             self.weight.device, self.eval_transform)
        h.valid_loss.append(loss)
        h.valid_acc.append(acc)
        if loss < self.best_loss:
            self.best_loss, h.best_epoch = loss, h.epochs
            # Clone: state_dict() aliases the parameters the optimizer keeps updating.
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return loss

    def should_stop(self) -> bool:
        h = self.history
        if self.valid is None or h.epochs - h.best_epoch < self.config.patience:
            return False
        h.stopped_early = h.epochs < self.config.epochs
        return h.stopped_early

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


@contextmanager
def _progress_bar(enabled: bool, epochs: int) -> Iterator[Callable[[History], None]]:
    """Yield ``advance(history)``; a rich bar over epochs when enabled, else a no-op."""
    if not enabled:
        yield lambda history: None
        return
    columns = (TextColumn("epoch"), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[scores]}"))
    with Progress(*columns) as bar:
        task = bar.add_task("fit", total=epochs, scores="")

        def advance(history: History) -> None:
            bar.update(task, advance=1, scores=_epoch_summary(history))

        yield advance


def _epoch_summary(h: History) -> str:
    text = f"train loss {h.train_loss[-1]:.4f} acc {h.train_acc[-1]:.3f}"
    if h.valid_loss:
        text += f" | valid loss {h.valid_loss[-1]:.4f} acc {h.valid_acc[-1]:.3f}"
    return text + f" | lr {h.lr[-1]:.2g}"


def predict_proba(model: nn.Module, data: Tensor | Dataset, batch_size: int = 64,
                  device: str | torch.device = "auto") -> np.ndarray:
    """Softmax class probabilities, in eval mode and without gradients.

    Parameters
    ----------
    data : Tensor, shape (n, ...), or Dataset
        A dataset may yield ``x`` or ``(x, y)``.

    Returns
    -------
    np.ndarray, float32, shape (n, n_classes)
        ``(0, 0)`` for empty data. The model is left on ``device``, in its previous mode.
    """
    device = _as_device(device)
    was_training = model.training
    model.to(device).eval()
    chunks = []
    with torch.no_grad():
        for batch in _batches(data, batch_size):
            x = batch[0] if isinstance(batch, list | tuple) else batch
            chunks.append(torch.softmax(model(x.to(device)), dim=1).float().cpu().numpy())
    model.train(was_training)
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


def _batches(data: Tensor | Dataset, batch_size: int) -> Iterator:
    if isinstance(data, Tensor):
        return iter(data.split(batch_size))
    return iter(DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=0))


def plot_history(history: History, path: Path, title: str) -> None:
    """Save loss and accuracy per epoch, train vs validation, best epoch marked (PNG)."""
    epochs = np.arange(1, history.epochs + 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (("loss", history.train_loss, history.valid_loss),
              ("accuracy", history.train_acc, history.valid_acc))
    for ax, (name, train_values, valid_values) in zip(axes, panels, strict=True):
        ax.plot(epochs, train_values, label="train")
        if valid_values:
            ax.plot(epochs, valid_values, label="validation")
        if history.best_epoch:
            ax.axvline(history.best_epoch, color="grey", linestyle="--",
                       label=f"best epoch ({history.best_epoch})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
