"""``--model auto``: choose the model *and its input* on the validation part.

The candidates, in this order (ties go to the earlier, cheaper one):

1. every head of :data:`~genriflow.models.classical.AUTO_CANDIDATES` on the GTZAN table
   features (``kaggle``);
2. the same heads on pretrained embeddings (``msd-musicnn``, read from the stored
   ``musicnn`` analysis, so tags and embeddings of a song are computed once);
3. the short-chunk CNN on ``log-mel``, only with enough data: at least
   :attr:`AutoConfig.network_min_per_class` training clips in every genre, on a hold-out
   split with a validation part. Otherwise it is listed as skipped, with the reason.

Each candidate is fitted on the training part and scored on the validation part
(accuracy, with its 95 % Wilson interval). The best is the winner: a classical head is
refitted on train + validation, the network keeps its best-validation epoch (which was
itself picked on validation, so its figure there is slightly optimistic). Test rows are
never read here; testing the winner, once, is the workflows layer's
(:mod:`genriflow.workflows.auto_select`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import FEATURE_SETS
from genriflow.intervals import wilson_interval
from genriflow.models import NETWORK_NAMES
from genriflow.models.classical import AUTO_CANDIDATES, CLASSICAL_MODELS
from genriflow.training.classical import TrainConfig, fit_pipeline

if TYPE_CHECKING:
    from genriflow.training.deep import DeepTrainConfig, NetworkFit

#: Inputs of the classical heads ``auto`` tries: the GTZAN table, pretrained embeddings.
AUTO_INPUTS = ("kaggle", "msd-musicnn")
#: Fewest training clips per genre before ``auto`` also trains the network: below it, a
#: CNN trained from scratch loses to heads on pretrained embeddings (README, Results).
NETWORK_MIN_PER_CLASS = 50


@dataclass(frozen=True)
class AutoConfig:
    """What ``auto`` tries; saved in the model folder (``auto.json``, ``config.json``).

    Attributes
    ----------
    inputs : tuple of str
        Feature sets for the classical heads (vector sets: ``kaggle``, ``msd-musicnn``,
        ``mtt-musicnn``, ...).
    heads : tuple of str
        Classical models (names of :data:`~genriflow.models.classical.CLASSICAL_MODELS`).
    network : str or None
        A network (optionally ``network@feature-set``), tried with enough data; ``None``
        never tries one.
    network_min_per_class : int
        Training clips every genre needs before the network is tried.
    """

    inputs: tuple[str, ...] = AUTO_INPUTS
    heads: tuple[str, ...] = AUTO_CANDIDATES
    network: str | None = "shortchunk-cnn"
    network_min_per_class: int = NETWORK_MIN_PER_CLASS

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "heads", tuple(self.heads))
        if not self.inputs or not self.heads:
            raise ConfigError("inputs" if not self.inputs else "heads", "names nothing to try")
        for name in self.inputs:
            one_of("inputs", name, FEATURE_SETS)
        for name in self.heads:
            one_of("heads", name, CLASSICAL_MODELS)
        if self.network is not None:
            one_of("network", self.network.partition("@")[0], NETWORK_NAMES)
        at_least("network_min_per_class", self.network_min_per_class, 1)

    def to_dict(self) -> dict:
        """JSON-ready (tuples as lists)."""
        return {**asdict(self), "inputs": list(self.inputs), "heads": list(self.heads)}

    def network_input(self) -> str:
        """The network's input feature set (``log-mel`` for ``shortchunk-cnn``)."""
        from genriflow.training.network_config import parse_network

        return parse_network(self.network)[1]


@dataclass
class Candidate:
    """One thing ``auto`` tried, or skipped and why.

    Attributes
    ----------
    name : str
        ``model@input`` (a valid ``--model``: ``svm@msd-musicnn``, ``shortchunk-cnn@log-mel``).
    correct, n : int
        Right answers and clips of the validation part (0 when not scored).
    skipped : str or None
        Why it was not scored.
    """

    name: str
    correct: int = 0
    n: int = 0
    skipped: str | None = None

    @property
    def model(self) -> str:
        return self.name.partition("@")[0]

    @property
    def input(self) -> str:
        return self.name.partition("@")[2]

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.correct, self.n) if self.n else None

    def to_dict(self) -> dict:
        return {"name": self.name, "model": self.model, "input": self.input,
                "valid_accuracy": self.accuracy, "correct": self.correct, "n": self.n,
                "interval": None if self.n == 0 else list(self.interval),
                "skipped": self.skipped}


@dataclass
class AutoChoice:
    """What ``auto`` tried, each candidate's validation figure and the winner.

    Attributes
    ----------
    candidates : list of Candidate
    winner : str
    part : str
        What the figures were measured on, e.g. ``valid (stratified, 30 items)``.
    config : AutoConfig
    note : str or None
        How the winner was taken when nothing could be scored.
    """

    candidates: list[Candidate]
    winner: str
    part: str
    config: AutoConfig = field(default_factory=AutoConfig)
    note: str | None = None

    def to_dict(self) -> dict:
        return {"winner": self.winner, "part": self.part, "note": self.note,
                "config": self.config.to_dict(),
                "candidates": [c.to_dict() for c in self.candidates]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AutoChoice:
        candidates = [Candidate(c["name"], c["correct"], c["n"], c["skipped"])
                      for c in data["candidates"]]
        return cls(candidates, data["winner"], data["part"], AutoConfig(**data["config"]),
                   data.get("note"))

    def table(self) -> pd.DataFrame:
        """One row per candidate: name, model, input, validation accuracy, interval, reason."""
        return pd.DataFrame([c.to_dict() for c in self.candidates])

    def markdown(self) -> list[str]:
        """The report's section: the candidates' table and the winner."""
        lines = [f"## Model selection (`auto`, on {self.part}; test never used)", "",
                 "| candidate | validation accuracy | 95 % interval | note |",
                 "| --- | --- | --- | --- |"]
        for c in self.candidates:
            name = f"**{c.name}**" if c.name == self.winner else c.name
            if c.n:
                low, high = c.interval
                lines.append(f"| {name} | {c.accuracy:.3f} ({c.correct}/{c.n}) | "
                             f"{low:.3f}-{high:.3f} | |")
            else:
                lines.append(f"| {name} | - | - | skipped: {c.skipped} |")
        lines += ["", f"Winner: **{self.winner}**" + (f" ({self.note})" if self.note else ""),
                  ""]
        return lines

    @classmethod
    def pooled(cls, choices: Sequence[AutoChoice], part: str) -> AutoChoice:
        """The rounds of a k-fold split as one table: counts summed over the validation
        folds (disjoint, so each clip counts once), the winner chosen most often."""
        first = choices[0]
        candidates = [Candidate(c.name, sum(ch.candidates[i].correct for ch in choices),
                                sum(ch.candidates[i].n for ch in choices), c.skipped)
                      for i, c in enumerate(first.candidates)]
        winners = [ch.winner for ch in choices]
        winner = max(dict.fromkeys(winners), key=winners.count)
        note = f"chosen in {winners.count(winner)} of {len(winners)} folds"
        return cls(candidates, winner, part, first.config, note)


@dataclass
class AutoFit:
    """The winner, fitted: a pipeline refitted on train + validation, or a network.

    Attributes
    ----------
    choice : AutoChoice
    dataset : FeatureDataset
        The winner's input.
    estimator : sklearn.pipeline.Pipeline or None
    network : NetworkFit or None
    train_accuracy : float
        On the rows it was fitted on (train + valid for a head, train for the network).
    """

    choice: AutoChoice
    dataset: FeatureDataset
    estimator: Any = None
    network: NetworkFit | None = None
    train_accuracy: float = float("nan")

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Labels of the dataset rows where ``rows`` is true."""
        if self.network is not None:
            return self.network.model.predict(self.dataset.rows(rows))
        return self.estimator.predict(self.dataset.X[rows])


def network_reason(labels_train: Sequence[str], config: AutoConfig, *, method: str,
                   has_valid: bool) -> str | None:
    """Why the network is not tried on this split (``None``: it is).

    Parameters
    ----------
    labels_train : sequence of str
        Labels of the training part.
    config : AutoConfig
    method : str
        The concrete split method.
    has_valid : bool
        Whether the split has a validation part.
    """
    if config.network is None:
        return "no network asked for (AutoConfig.network is None)"
    if method.startswith("kfold"):
        return "networks train on a hold-out split, not k-fold"
    if not has_valid:
        return "no validation part to stop on"
    counts = pd.Series(list(labels_train), dtype=object).value_counts()
    fewest = int(counts.min()) if len(counts) else 0
    if fewest < config.network_min_per_class:
        return (f"too little data: {fewest} training clips in genre {counts.idxmin()!r}, "
                f"needs at least {config.network_min_per_class} in every genre")
    return None


def choose_auto(datasets: Mapping[str, FeatureDataset], parts: np.ndarray,
                config: AutoConfig | None = None, *, train: TrainConfig | None = None,
                network: DeepTrainConfig | None = None,
                extra_train: Sequence[FeatureDataset] = (),
                skipped: Mapping[str, str] | None = None, part: str = "valid",
                progress: bool = False) -> AutoFit:
    """Fit every candidate on the training part, score it on the validation part, keep the
    best and fit it for use.

    Parameters
    ----------
    datasets : mapping of str to FeatureDataset
        Feature set -> the same rows (same files, same order) under that set.
    parts : np.ndarray of str, shape (n_rows,)
        ``train``, ``valid``, ``test`` or ``excluded`` per row; test rows are never read.
    config : AutoConfig or None
    train : TrainConfig or None
        Seed and PCA of the heads.
    network : DeepTrainConfig or None
        How to train the network; ``None`` (or the network's input missing from
        ``datasets``) skips it.
    extra_train : sequence of FeatureDataset
        Augmented copies of the training clips for the network.
    skipped : mapping of str to str
        Reasons for inputs (feature set names) or the network (its name) not available.
    part : str
        Label of the validation part in the report, e.g. ``valid (stratified, 30 items)``.
    progress : bool
        The network's progress bar.

    Returns
    -------
    AutoFit

    Raises
    ------
    ConfigError
        If no candidate can run.
    """
    config, train, skipped = config or AutoConfig(), train or TrainConfig(), skipped or {}
    fit_rows, valid = parts == "train", parts == "valid"
    candidates, fits = [], {}
    for input_set in config.inputs:
        for head in config.heads:
            name = f"{head}@{input_set}"
            dataset = datasets.get(input_set)
            if dataset is None:
                candidates.append(Candidate(name, skipped=skipped.get(input_set,
                                                                      "features not computed")))
            elif not valid.any():
                candidates.append(Candidate(name, skipped="no validation part"))
            else:
                try:
                    fitted = fit_pipeline(head, dataset, fit_rows, train)
                except ConfigError as exc:  # a head these training rows cannot fit (svm)
                    candidates.append(Candidate(name, skipped=exc.reason))
                    continue
                candidates.append(_scored(name, fitted.predict(dataset.X[valid]), dataset, valid))
    if config.network is not None:
        candidates.append(_network_candidate(datasets, parts, config, network, extra_train,
                                             skipped, progress, fits))
    scored = [c for c in candidates if c.n]
    note = None
    if scored:
        winner = max(scored, key=lambda c: c.accuracy)
    else:
        runnable = [c for c in candidates if c.input in datasets and c.model in config.heads]
        if not runnable:
            raise ConfigError("model", "auto has no candidate to try: "
                              + "; ".join(f"{c.name}: {c.skipped}" for c in candidates))
        winner, note = runnable[0], "no validation part: the first candidate, unscored"
    choice = AutoChoice(candidates, winner.name, part, config, note)
    dataset = datasets[winner.input]
    if winner.name in fits:
        net = fits[winner.name]
        train_accuracy = float(np.mean(net.model.predict(dataset.rows(fit_rows))
                                       == dataset.y[fit_rows]))
        return AutoFit(choice, dataset, network=net, train_accuracy=train_accuracy)
    rows = fit_rows | valid
    estimator = fit_pipeline(winner.model, dataset, rows, train)
    train_accuracy = float(np.mean(estimator.predict(dataset.X[rows]) == dataset.y[rows]))
    return AutoFit(choice, dataset, estimator=estimator, train_accuracy=train_accuracy)


def _scored(name: str, predicted: np.ndarray, dataset: FeatureDataset,
            valid: np.ndarray) -> Candidate:
    return Candidate(name, int(np.sum(predicted == dataset.y[valid])), int(valid.sum()))


def _network_candidate(datasets: Mapping[str, FeatureDataset], parts: np.ndarray,
                       config: AutoConfig, network: DeepTrainConfig | None,
                       extra_train: Sequence[FeatureDataset], skipped: Mapping[str, str],
                       progress: bool, fits: dict[str, NetworkFit]) -> Candidate:
    """The network scored on validation (its fit kept in ``fits``), or why it was skipped."""
    from genriflow.training.deep import train_network

    input_set = config.network_input()
    name = f"{config.network.partition('@')[0]}@{input_set}"
    reason = skipped.get(config.network) or skipped.get(name)
    if reason is None:
        reason = network_reason(
            datasets[next(iter(datasets))].y[parts == "train"], config,
            method=network.split.method if network else "none",
            has_valid=bool((parts == "valid").any()))
    if reason is None and (network is None or input_set not in datasets):
        reason = "features not computed"
    if reason is not None:
        return Candidate(name, skipped=reason)
    dataset = datasets[input_set]
    fitted = train_network(dataset, replace(network, network=name), extra_train=extra_train,
                           progress=progress)
    if not np.array_equal(fitted.parts, parts):
        raise RuntimeError("the network's split differs from the heads' split")
    fits[name] = fitted
    valid = parts == "valid"
    return _scored(name, fitted.model.predict(dataset.rows(valid)), dataset, valid)
