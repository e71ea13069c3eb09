"""The one explicit training loop every genriflow network uses.

Adam on a class-weighted cross-entropy (optionally with mixup), on a binary cross-entropy
per genre (multi-label: one sigmoid each), or on the squared error of reconstructing the
input (autoencoders); validation after every epoch, ReduceLROnPlateau
and early stopping on the validation loss, and the best epoch's weights restored at the
end. Seeded and deterministic on CPU. Weights are stored as safetensors only (never pickle).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Subset

from genriflow.datasets.discover import DatasetError
from genriflow.errors import one_of
from genriflow.models.torch_device import resolve_device
from genriflow.progress import bar_console
from genriflow.training.network_config import LoopConfig as LoopConfig

Transform = Callable[[Tensor, torch.Generator], Tensor]

#: What :func:`fit` minimises: the class-weighted cross-entropy of logits against labels,
#: the mean binary cross-entropy of one logit per genre against 0/1 genre vectors
#: (several genres per item), or the mean squared error of a reconstruction against the
#: input (labels unused).
LOSSES = ("cross-entropy", "binary-cross-entropy", "reconstruction")


@dataclass
class History:
    """Per-epoch record of a fit.

    ``valid_loss`` and ``valid_acc`` stay empty when there was no validation set, the
    accuracies when the loss is ``reconstruction``.
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
    y : array-like of int, shape (n,), or of 0/1, shape (n, n_classes)
        Class indices, or each item's genres (multi-label), given as float vectors.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[Tensor, int | Tensor]:
        # np.array copies the one row: writable, float32, detached from the memmap.
        x = torch.from_numpy(np.array(self.X[i], dtype=np.float32))
        if np.ndim(self.y) == 2:
            return x, torch.from_numpy(np.array(self.y[i], dtype=np.float32))
        return x, int(self.y[i])

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


def _batch_loss(output: Tensor, x: Tensor, targets: Tensor | None,
                weight: Tensor | None, loss: str = "cross-entropy") -> tuple[Tensor, Tensor]:
    """Summed loss and summed weights of a batch: the weighted cross-entropy of logits
    ``output`` against ``targets``, the binary cross-entropy of each logit against its 0/1
    target, or without targets, the squared error of ``output`` against the input ``x``
    (weights: one per value, so ``sum / weights`` is the mean)."""
    if targets is None:
        return F.mse_loss(output, x, reduction="sum"), x.new_tensor(float(x.numel()))
    if loss == "binary-cross-entropy":
        return (F.binary_cross_entropy_with_logits(output, targets, reduction="sum"),
                x.new_tensor(float(targets.numel())))
    return _weighted_ce(output, targets, weight)


def _targets(y: Tensor, n_classes: int, dtype: torch.dtype) -> Tensor:
    """Target vectors of a batch: one-hot class indices, or the 0/1 genre vectors as
    they are (multi-label)."""
    if y.is_floating_point():
        return y.to(dtype)
    return F.one_hot(y, n_classes).to(dtype)


def _unpack(batch: Tensor | list | tuple, device: torch.device) -> tuple[Tensor, Tensor | None]:
    """``(x, y)`` of a batch on ``device``; ``y`` is ``None`` for items that are inputs alone."""
    if not isinstance(batch, list | tuple):
        return batch.to(device, non_blocking=True), None
    y = batch[1].to(device, non_blocking=True) if len(batch) > 1 else None
    return batch[0].to(device, non_blocking=True), y


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

    def add(self, loss: Tensor, weight: Tensor, logits: Tensor,
            labels: Tensor | None) -> None:
        self.loss += float(loss)
        self.weight += float(weight)
        if labels is not None:
            top = logits.argmax(dim=1)
            if labels.ndim == 2:  # multi-label: the top genre is one of the item's
                right = labels[torch.arange(len(top), device=top.device), top] > 0.5
            else:
                right = top == labels
            self.correct += int(right.sum())
            self.count += len(labels)

    def result(self) -> tuple[float, float | None]:
        """Loss and accuracy (``None`` when no labels were scored)."""
        accuracy = self.correct / self.count if self.count else None
        return self.loss / max(self.weight, 1e-12), accuracy


def evaluate(model: nn.Module, data: Dataset, weight: Tensor | None = None,
             batch_size: int = 64, device: str | torch.device = "auto",
             transform: Callable[[Tensor], Tensor] | None = None, *,
             loss: str = "cross-entropy") -> tuple[float, float | None]:
    """The loss and accuracy of ``model`` on ``data`` (eval mode, no grad).

    Parameters
    ----------
    weight : Tensor, shape (n_classes,), optional
        Class weights, as :func:`fit` used them; ``None``: unweighted.
    transform : callable, optional
        Deterministic batch transform (e.g. a center crop) applied on the device.
    loss : str
        One of :data:`LOSSES`, as :func:`fit` used it.

    Returns
    -------
    loss : float
    accuracy : float or None
        ``None`` for the ``reconstruction`` loss.
    """
    one_of("loss", loss, LOSSES)
    device = resolve_device(device)
    model.to(device).eval()
    totals = _Totals()
    with torch.no_grad():
        for batch in DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=0):
            x, y = _unpack(batch, device)
            if transform is not None:
                x = transform(x)
            output = model(x)
            if loss == "reconstruction":
                totals.add(*_batch_loss(output, x, None, None), output, None)
                continue
            w = torch.ones(output.shape[1], device=device) if weight is None else weight
            targets = _targets(y, output.shape[1], output.dtype)
            totals.add(*_batch_loss(output, x, targets, w.to(device), loss), output, y)
    return totals.result()


def _train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                 weight: Tensor | None, config: LoopConfig, transform: Transform | None,
                 generators: tuple[torch.Generator, torch.Generator],
                 rng: np.random.Generator, device: torch.device,
                 loss: str = "cross-entropy") -> tuple[float, float | None]:
    """One pass over the training data; returns (loss, accuracy). ``weight`` ``None``:
    the reconstruction loss."""
    cpu_generator, device_generator = generators
    model.train()
    totals = _Totals()
    for batch in loader:
        x, y = _unpack(batch, device)
        if transform is not None:
            x = transform(x, device_generator)
        targets = None if weight is None else _targets(y, len(weight), x.dtype)
        if targets is not None and config.mixup > 0:
            x, targets = _mix(x, targets, config.mixup, rng, cpu_generator)
        output = model(x)
        loss_sum, weight_sum = _batch_loss(output, x, targets, weight, loss)
        optimizer.zero_grad(set_to_none=True)
        (loss_sum / weight_sum).backward()
        optimizer.step()
        # Under mixup, a prediction is right when it names the dominant label.
        labels = None if targets is None else (
            targets if loss == "binary-cross-entropy" else targets.argmax(dim=1))
        totals.add(loss_sum.detach(), weight_sum.detach(), output.detach(), labels)
    return totals.result()


def _make_loader(train: Dataset, config: LoopConfig, generator: torch.Generator,
                 device: torch.device) -> DataLoader:
    # A last batch of one breaks BatchNorm in training mode; with shuffling a different
    # example is left out each epoch, so nothing is lost for good.
    drop_last = len(train) > config.batch_size and len(train) % config.batch_size == 1
    return DataLoader(train, batch_size=config.batch_size, shuffle=True, generator=generator,
                      num_workers=0, drop_last=drop_last, pin_memory=device.type == "cuda")


def _check_labels(labels: np.ndarray, n_classes: int) -> None:
    if labels.min() < 0 or labels.max() >= n_classes:
        # The callers number the classes themselves: this is a bug, not a user's error.
        raise ValueError(f"labels must lie in [0, {n_classes}); got {labels.min()}..."
                         f"{labels.max()}")


def fit(model: nn.Module, train: Dataset, valid: Dataset | None, n_classes: int | None,
        config: LoopConfig, *, loss: str = "cross-entropy", transform: Transform | None = None,
        eval_transform: Callable[[Tensor], Tensor] | None = None,
        progress: bool = False, on_epoch: Callable[[History], None] | None = None) -> History:
    """Train ``model`` in place and restore the weights of its best epoch.

    Parameters
    ----------
    model : nn.Module
        Maps a batch ``(batch, ...)`` to logits ``(batch, n_classes)``, or for the
        ``reconstruction`` loss to a tensor of the input's shape. Seed its construction
        yourself; ``config.seed`` covers shuffling, dropout, mixup and ``transform``.
    train, valid : Dataset
        Items ``(x: Tensor float32, y: int)`` (for ``binary-cross-entropy``, ``y`` a float
        0/1 vector per item); for the ``reconstruction`` loss, ``x`` alone
        (or with a label, unused). Without ``valid`` the scheduler follows the training
        loss, there is no early stopping and the last epoch's weights are kept.
    n_classes : int or None
        ``None`` for the ``reconstruction`` loss.
    config : LoopConfig
    loss : str
        One of :data:`LOSSES`. ``class_weights`` applies to the cross-entropy, ``mixup``
        to both cross-entropies.
    transform : callable ``(x, generator) -> x``, optional
        Train-time batch augmentation on the device (see :mod:`genriflow.training.augment`);
        ``generator`` is a seeded ``torch.Generator`` on the training device.
    eval_transform : callable ``x -> x``, optional
        Deterministic batch transform for validation (e.g. a center crop to the training
        crop's length).
    progress : bool
        Show a rich progress bar over epochs.
    on_epoch : callable ``history -> None``, optional
        Called after every epoch with the history so far (its last entries are the
        epoch's scores), before early stopping is decided: a hyperparameter search
        reports the validation loss and may stop the fit by raising (an Optuna
        ``TrialPruned``), which leaves the loop with the exception, weights not restored.

    Returns
    -------
    History
        The model ends on the training device, in eval mode.

    Raises
    ------
    DatasetError
        If the training set is empty.
    """
    one_of("loss", loss, LOSSES)
    device = resolve_device(config.device)
    if len(train) == 0:
        raise DatasetError("the training set is empty")
    with _torch_settings(config.num_threads or os.cpu_count() or 1):
        torch.manual_seed(config.seed)
        weight = None if loss == "reconstruction" else _loss_weight(train, n_classes,
                                                                      config, device, loss)
        model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=config.lr_factor, patience=config.lr_patience)
        generators = (torch.Generator().manual_seed(config.seed + 1),
                      torch.Generator(device=device).manual_seed(config.seed + 2))
        mixup_rng = np.random.default_rng(config.seed)
        loader = _make_loader(train, config, torch.Generator().manual_seed(config.seed), device)
        run = _Run(model, valid, weight, config, eval_transform, loss, device)
        with _progress_bar(progress, config.epochs) as advance:
            for _ in range(config.epochs):
                run.history.lr.append(optimizer.param_groups[0]["lr"])
                train_scores = _train_epoch(model, loader, optimizer, weight, config, transform,
                                            generators, mixup_rng, device, loss)
                monitored = run.end_epoch(train_scores)
                scheduler.step(monitored)
                advance(run.history)
                if on_epoch is not None:
                    on_epoch(run.history)
                if run.should_stop():
                    break
        run.restore_best()
    model.eval()
    return run.history


def _loss_weight(train: Dataset, n_classes: int, config: LoopConfig,
                 device: torch.device, loss: str = "cross-entropy") -> Tensor:
    """The cross-entropy's class weights (all ones without ``config.class_weights``)."""
    if loss == "binary-cross-entropy":
        return torch.ones(n_classes, device=device)
    labels = dataset_labels(train)
    _check_labels(labels, n_classes)
    weight = class_weights(labels, n_classes) if config.class_weights else torch.ones(n_classes)
    return weight.to(device)


class _Run:
    """Bookkeeping of one fit: history, best weights, patience."""

    def __init__(self, model: nn.Module, valid: Dataset | None, weight: Tensor | None,
                 config: LoopConfig, eval_transform: Callable[[Tensor], Tensor] | None,
                 loss: str, device: torch.device) -> None:
        self.model, self.valid, self.weight, self.config = model, valid, weight, config
        self.eval_transform, self.loss, self.device = eval_transform, loss, device
        self.history = History()
        self.best_loss = float("inf")
        self.best_state: dict[str, Tensor] | None = None

    def end_epoch(self, train_scores: tuple[float, float | None]) -> float:
        """Record the epoch's scores; return the loss the scheduler should follow."""
        h = self.history
        h.train_loss.append(train_scores[0])
        if train_scores[1] is not None:
            h.train_acc.append(train_scores[1])
        if self.valid is None:
            h.best_epoch = h.epochs
            return train_scores[0]
        loss, acc = evaluate(self.model, self.valid, self.weight, self.config.batch_size,
                             self.device, self.eval_transform, loss=self.loss)
        h.valid_loss.append(loss)
        if acc is not None:
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
    # the scores take what the count, the bar and the time leave of the line (80 columns)
    scores = Column(ratio=1, no_wrap=True, overflow="ellipsis")
    columns = (TextColumn("epoch"), MofNCompleteColumn(), BarColumn(bar_width=20),
               TimeElapsedColumn(), TextColumn("{task.fields[scores]}", table_column=scores))
    with Progress(*columns, console=bar_console(), expand=True) as bar:
        task = bar.add_task("fit", total=epochs, scores="")

        def advance(history: History) -> None:
            bar.update(task, advance=1, scores=_epoch_summary(history))

        yield advance


def _epoch_summary(h: History) -> str:
    text = f"train loss {h.train_loss[-1]:.4f}"
    text += f" acc {h.train_acc[-1]:.3f}" if h.train_acc else ""
    if h.valid_loss:
        text += f" | valid loss {h.valid_loss[-1]:.4f}"
        text += f" acc {h.valid_acc[-1]:.3f}" if h.valid_acc else ""
    return text + f" | lr {h.lr[-1]:.2g}"

