"""Search spaces of ``genriflow tune`` as data: one schema, checked in one place.

A space names, for one model, each parameter to search and its values: a list of
``choices``, or a range (``low``, ``high``, optionally ``log`` and ``step``; whole numbers
for a whole-number range). In YAML (``genriflow tune --space SPACE.yaml``)::

    model: svm            # optional; when given it must be the model tuned
    params:
      C: {low: 0.01, high: 100, log: true}
      gamma: {choices: [0.001, 0.01, 0.1]}

What a model may search: a classical head's classifier settings
(:data:`~genriflow.models.classical.TUNABLE`) and ``pca``; a network's constructor
arguments beyond its input's geometry (:func:`~genriflow.training.deep.network_params`)
and the loop's ``lr``, ``weight_decay`` and ``batch_size``. Every model has a default
space (:func:`default_space`). A bad file is one line naming the file and the field.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genriflow.errors import ConfigError
from genriflow.models.classical import TUNABLE
from genriflow.models.spec import model_spec

#: Loop settings a network's space may search (:class:`~genriflow.training.loop.LoopConfig`).
LOOP_PARAMS = ("lr", "weight_decay", "batch_size")
#: What a classical head's space may set besides its classifier's settings.
CLASSICAL_EXTRA = ("pca",)

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Param:
    """One searched parameter: ``choices``, or a range from ``low`` to ``high``.

    Attributes
    ----------
    name : str
    choices : tuple or None
        The values to try (numbers, strings, ``None``, or lists such as a network's
        ``channels``).
    low, high : int or float or None
        The range's ends, both included; whole numbers make a whole-number range.
    log : bool
        Sample the range on a log scale.
    step : int or float or None
        Spacing of the values in the range.
    """

    name: str
    choices: tuple | None = None
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    step: int | float | None = None

    @property
    def is_int(self) -> bool:
        return self.choices is None and all(isinstance(v, int) for v in (self.low, self.high))

    def grid_values(self) -> list:
        """Every value of the parameter, for a grid: its choices, or a range's steps.

        Raises
        ------
        ConfigError
            A range without ``step`` (a grid needs a finite list).
        """
        if self.choices is not None:
            return list(self.choices)
        if self.step is None:
            raise ConfigError("sampler", f"is grid, but `params.{self.name}` is a range "
                              "without step; give choices or a step (or set `sampler` to tpe)")
        values, value = [], self.low
        while value <= self.high + 1e-12:
            values.append(int(value) if self.is_int else round(float(value), 12))
            value += self.step
        return values

    def suggest(self, trial: Any) -> Any:
        """The value an Optuna trial draws (lists travel as JSON text, as Optuna stores
        only scalars)."""
        if self.choices is not None:
            if all(_is_scalar(c) for c in self.choices):
                return trial.suggest_categorical(self.name, list(self.choices))
            encoded = trial.suggest_categorical(self.name, [json.dumps(c)
                                                            for c in self.choices])
            return json.loads(encoded)
        if self.is_int:
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1,
                                     log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high),
                                   step=self.step, log=self.log)

    def decode(self, value: Any) -> Any:
        """A value as Optuna stored it, back as the model takes it."""
        if self.choices is not None and not all(_is_scalar(c) for c in self.choices):
            return json.loads(value)
        return value


@dataclass(frozen=True)
class SearchSpace:
    """The parameters searched for one model.

    Attributes
    ----------
    model : str
        As ``--model`` names it (``svm``, ``svm@msd-musicnn``, ``mm-cnn``).
    params : tuple of Param
    source : str
        Where it came from (a file, or ``default``), for messages and the report.
    """

    model: str
    params: tuple[Param, ...]
    source: str = "default"

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def grid(self) -> list[dict[str, Any]]:
        """Every combination, in order (the last parameter varies fastest)."""
        values = [p.grid_values() for p in self.params]
        return [dict(zip(self.names, combo, strict=True)) for combo in itertools.product(*values)]

    def suggest(self, trial: Any) -> dict[str, Any]:
        """One trial's values of every parameter."""
        return {p.name: p.suggest(trial) for p in self.params}

    def decode(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """A trial's stored params as the model takes them."""
        by_name = {p.name: p for p in self.params}
        return {name: by_name[name].decode(v) for name, v in stored.items() if name in by_name}

    def encode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values as Optuna stores them (lists as JSON text)."""
        by_name = {p.name: p for p in self.params}
        return {name: (v if _is_scalar(v) or by_name[name].choices is None
                       or all(_is_scalar(c) for c in by_name[name].choices)
                       else json.dumps(v)) for name, v in values.items()}

    def to_dict(self) -> dict:
        """The space as its YAML file writes it."""
        params = {}
        for p in self.params:
            if p.choices is not None:
                params[p.name] = {"choices": list(p.choices)}
            else:
                params[p.name] = {"low": p.low, "high": p.high,
                                  **({"log": True} if p.log else {}),
                                  **({"step": p.step} if p.step is not None else {})}
        return {"model": self.model, "params": params}

    @classmethod
    def from_dict(cls, data: Any, model: str, source: str = "default") -> SearchSpace:
        """The space a mapping describes, checked against ``model``.

        Raises
        ------
        ConfigError
            Naming ``source`` and the field: an unknown key or parameter, a missing or
            malformed value, a range whose ends are not numbers in order, a log range
            not above 0, or a ``model`` other than the one tuned.
        """
        def fail(where: str, reason: str) -> ConfigError:
            return ConfigError("space", f"{source}: `{where}` {reason}")

        if not isinstance(data, Mapping):
            raise fail("(top)", "must be a mapping with params (and optionally model)")
        unknown = set(data) - {"model", "params"}
        if unknown:
            raise fail(sorted(unknown)[0], "is not a field; the fields are model, params")
        if "model" in data and data["model"] != model:
            raise fail("model", f"is {data['model']!r}, but the model tuned is {model!r}")
        params = data.get("params")
        if not isinstance(params, Mapping) or not params:
            raise fail("params", "must map at least one parameter name to its values")
        allowed = tunable(model)
        out = []
        for name, spec in params.items():
            if name not in allowed:
                raise fail(f"params.{name}", f"is not a parameter of {model}; choose from "
                           f"{', '.join(allowed)}")
            out.append(_param(str(name), spec, lambda key, reason, n=name: fail(
                f"params.{n}{'.' + key if key else ''}", reason)))
        return cls(model, tuple(out), source)


def _param(name: str, spec: Any, fail: Any) -> Param:
    if not isinstance(spec, Mapping):
        raise fail("", "must be a mapping: {choices: [...]} or {low: ..., high: ...}")
    unknown = set(spec) - {"choices", "low", "high", "log", "step"}
    if unknown:
        raise fail(sorted(unknown)[0], "is not a field; the fields are choices, or low, high, "
                   "log, step")
    if "choices" in spec:
        if set(spec) - {"choices"}:
            raise fail("choices", "cannot be combined with low, high, log or step")
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise fail("choices", f"must be a non-empty list; got {choices!r}")
        for choice in choices:
            if not (_is_scalar(choice) or isinstance(choice, list)):
                raise fail("choices", f"holds {choice!r}: values must be numbers, text, null "
                           "or lists")
        return Param(name, choices=tuple(choices))
    for key in ("low", "high"):
        if key not in spec:
            raise fail(key, "is missing: give choices, or low and high")
        if not _is_number(spec[key]):
            raise fail(key, f"must be a number; got {spec[key]!r}")
    low, high = spec["low"], spec["high"]
    if not low < high:
        raise fail("high", f"must be above low ({low!r}); got {high!r}")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise fail("log", f"must be true or false; got {log!r}")
    if log and low <= 0:
        raise fail("low", f"must be above 0 for a log range; got {low!r}")
    step = spec.get("step")
    if step is not None and (not _is_number(step) or step <= 0):
        raise fail("step", f"must be a positive number; got {step!r}")
    if step is not None and log:
        raise fail("step", "cannot be combined with log")
    if isinstance(low, int) and isinstance(high, int) and step is not None \
            and not isinstance(step, int):
        raise fail("step", f"must be a whole number for a whole-number range; got {step!r}")
    return Param(name, low=low, high=high, log=log, step=step)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def model_family(model: str) -> tuple[str, str]:
    """``('network' | 'classical', name)`` of a model as ``--model`` names it.

    Raises
    ------
    ConfigError
        Neither a network nor a classical model (``auto`` included: tune one model).
    """
    family, name, _ = model_spec("model", model, auto=False)
    return family, name


def tunable(model: str) -> tuple[str, ...]:
    """The parameters a space for ``model`` may search.

    >>> tunable("logreg")
    ('C', 'pca')
    """
    family, name = model_family(model)
    if family == "classical":
        return (*TUNABLE[name], *CLASSICAL_EXTRA)
    from genriflow.training.network_config import network_params

    return (*network_params(name), *LOOP_PARAMS)


def _range(low: float, high: float, log: bool = False, step: float | None = None) -> dict:
    return {"low": low, "high": high, **({"log": True} if log else {}),
            **({"step": step} if step is not None else {})}


#: Each classical model's default space.
_CLASSICAL_DEFAULTS: dict[str, dict] = {
    "knn": {"n_neighbors": _range(1, 30), "weights": {"choices": ["uniform", "distance"]}},
    "svm": {"C": _range(0.01, 100.0, log=True), "gamma": _range(1e-4, 1.0, log=True)},
    "logreg": {"C": _range(1e-3, 100.0, log=True)},
    "random-forest": {"n_estimators": _range(100, 800, step=100),
                      "max_depth": {"choices": [None, 8, 16]},
                      "min_samples_leaf": _range(1, 5)},
    "gradient-boosting": {"learning_rate": _range(0.01, 0.3, log=True),
                          "max_iter": _range(100, 500, step=100),
                          "max_depth": {"choices": [None, 3, 6]}},
    "mlp": {"alpha": _range(1e-5, 1e-1, log=True),
            "learning_rate_init": _range(1e-4, 1e-2, log=True)},
}


def default_space(model: str) -> SearchSpace:
    """The space ``genriflow tune`` searches for ``model`` when given none.

    Classical heads: their classifier's main settings (``C`` and ``gamma`` for ``svm``,
    ...). Networks: the learning rate, and the dropout the network has; ``mm-cnn`` also
    its filters and kernel size (the dimensions of the 2024 report's grid).

    >>> default_space("svm").names
    ['C', 'gamma']
    >>> default_space("mm-cnn").names
    ['channels', 'kernel_size', 'conv_dropout', 'lr']
    """
    family, name = model_family(model)
    if family == "classical":
        return SearchSpace.from_dict({"params": _CLASSICAL_DEFAULTS[name]}, model)
    params: dict[str, dict] = {}
    if name == "mm-cnn":
        params = {"channels": {"choices": [[16, 32, 64], [32, 64, 128]]},
                  "kernel_size": {"choices": [3, 5]},
                  "conv_dropout": _range(0.1, 0.5)}
    else:
        for dropout in ("dropout", "conv_dropout"):
            if dropout in tunable(model):
                params[dropout] = _range(0.1, 0.5)
    params["lr"] = _range(1e-4, 1e-2, log=True)
    return SearchSpace.from_dict({"params": params}, model)


def _loader() -> type:
    """PyYAML's safe loader, reading ``1e-4`` as a number (YAML 1.2) rather than text."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"))
    return Loader


def load_space(path: str | os.PathLike, model: str) -> SearchSpace:
    """The space of a YAML (or JSON) file for ``model``.

    Raises
    ------
    ConfigError
        A missing or unreadable file, or one that does not follow the schema (the
        message names the file and the field).
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("space", f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError("space", f"{path}: not valid YAML{where}") from None
    return SearchSpace.from_dict(data, model, source=str(path))
