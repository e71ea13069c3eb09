"""The training loop on tiny models and toy data."""

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Subset

from genriflow.errors import ConfigError
from genriflow.evaluation.plots import plot_history
from genriflow.models.torch_device import predict_proba, resolve_device
from genriflow.training.augment import compose, random_crop, spec_augment
from genriflow.training.loop import (
    ArrayDataset,
    History,
    LoopConfig,
    class_weights,
    dataset_labels,
    evaluate,
    fit,
)

CONFIG = LoopConfig(epochs=15, batch_size=16, lr=0.02, patience=100, lr_patience=100,
                    device="cpu", num_threads=1)


def blobs(n_per_class: int, seed: int, spread: float = 0.5) -> ArrayDataset:
    """Three well-separated Gaussian blobs in 2-D."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    X = np.concatenate([c + spread * rng.standard_normal((n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per_class)
    return ArrayDataset(X.astype(np.float32), y)


def mlp(n_in: int = 2, n_out: int = 3, hidden: int = 16, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def random_labels(n: int, seed: int) -> ArrayDataset:
    rng = np.random.default_rng(seed)
    return ArrayDataset(rng.standard_normal((n, 8)).astype(np.float32), rng.integers(0, 2, n))


def test_learns_separable_blobs():
    model = mlp()
    history = fit(model, blobs(40, 0), blobs(20, 1), 3, CONFIG)
    assert history.epochs == CONFIG.epochs and not history.stopped_early
    assert history.valid_acc[history.best_epoch - 1] > 0.9
    probs = predict_proba(model, torch.from_numpy(blobs(20, 2).X), batch_size=7, device="cpu")
    assert probs.shape == (60, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (probs.argmax(axis=1) == blobs(20, 2).y).mean() > 0.9


def test_early_stopping_restores_best_weights():
    train, valid = random_labels(64, 0), random_labels(64, 1)
    config = replace(CONFIG, epochs=60, lr=0.03, patience=4, batch_size=8)
    model = mlp(8, 2, hidden=64)
    history = fit(model, train, valid, 2, config)
    assert history.stopped_early
    assert history.epochs == history.best_epoch + config.patience < config.epochs
    assert min(history.valid_loss) == history.valid_loss[history.best_epoch - 1]
    weight = class_weights(dataset_labels(train), 2)
    loss, acc = evaluate(model, valid, weight, config.batch_size, "cpu")
    assert loss == pytest.approx(history.valid_loss[history.best_epoch - 1], rel=1e-6)
    assert acc == history.valid_acc[history.best_epoch - 1]


def test_plateau_lowers_learning_rate():
    config = replace(CONFIG, epochs=12, lr=0.03, lr_patience=1, lr_factor=0.5, batch_size=8)
    history = fit(mlp(8, 2, hidden=64), random_labels(64, 0), random_labels(64, 1), 2, config)
    assert history.lr[0] == 0.03
    assert history.lr[-1] < 0.03
    assert all(b <= a for a, b in zip(history.lr, history.lr[1:], strict=False))


def test_without_validation_keeps_last_epoch_and_restores_torch_settings(tmp_path):
    threads = torch.get_num_threads()
    history = fit(mlp(), blobs(10, 0), None, 3, replace(CONFIG, epochs=3, num_threads=2))
    assert history.valid_loss == [] and history.best_epoch == 3 == history.epochs
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()
    plot_history(history, tmp_path / "train_only.png", "no validation")
    assert (tmp_path / "train_only.png").stat().st_size > 1000


def test_same_seed_gives_identical_history_and_weights():
    def run(seed):
        model = nn.Sequential(nn.Linear(2, 16), nn.Dropout(0.3), nn.ReLU(), nn.Linear(16, 3))
        torch.manual_seed(0)
        model.apply(lambda m: m.reset_parameters() if isinstance(m, nn.Linear) else None)
        config = replace(CONFIG, epochs=4, mixup=0.4, seed=seed)
        return model, fit(model, blobs(12, 0), blobs(6, 1), 3, config)

    (model_a, history_a), (model_b, history_b) = run(3), run(3)
    assert history_a == history_b
    for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert run(4)[1] != history_a


def test_class_weights_inverse_frequency():
    weights = class_weights(np.array([0, 0, 0, 1, 2, 2]), 4)
    # n / (n_classes * count): 6 / (4 * [3, 1, 2, 0 -> counted once])
    np.testing.assert_allclose(weights.numpy(), [0.5, 1.5, 0.75, 1.5])
    assert torch.equal(class_weights(np.array([0, 1, 2]), 3), torch.ones(3))


def test_weighted_loss_is_the_weighted_mean():
    model = mlp()
    data = blobs(5, 0)
    weight = torch.tensor([1.0, 2.0, 4.0])
    loss, _ = evaluate(model, data, weight, batch_size=4, device="cpu")
    with torch.no_grad():
        logits = model(torch.from_numpy(data.X))
    expected = nn.functional.cross_entropy(logits, torch.from_numpy(data.y), weight=weight)
    assert loss == pytest.approx(float(expected), rel=1e-5)


def test_mixup_and_batch_transform_run():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 6, 30)).astype(np.float32)
    X[12:, :3] += 2.0
    data = ArrayDataset(X, np.repeat([0, 1], 12))
    model = nn.Sequential(nn.Flatten(), nn.Linear(6 * 16, 2))
    transform = compose(partial(random_crop, frames=16), partial(spec_augment, time_width=3,
                                                                 freq_width=1))
    config = replace(CONFIG, epochs=3, mixup=0.2)
    history = fit(model, data, data, 2, config, transform=transform, progress=True,
                  eval_transform=lambda x: x[:, :, :16])
    assert history.epochs == 3
    assert all(np.isfinite(history.train_loss)) and all(0 <= a <= 1 for a in history.train_acc)


def test_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="labels must lie"):
        fit(mlp(), blobs(4, 0), None, 2, CONFIG)


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="`device` must be one of auto, cpu, cuda; got 'tpu'"):
        resolve_device("tpu")


def test_plot_history(tmp_path):
    history = History(train_loss=[1.0, 0.6, 0.5], train_acc=[0.4, 0.7, 0.8],
                      valid_loss=[1.1, 0.7, 0.9], valid_acc=[0.3, 0.6, 0.5], lr=[1e-3] * 3,
                      best_epoch=2)
    path = tmp_path / "history.png"
    plot_history(history, path, "toy run")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_array_dataset_over_memmap(tmp_path):
    X = np.arange(24, dtype=np.float64).reshape(4, 2, 3)
    X.tofile(tmp_path / "x.bin")
    mm = np.memmap(tmp_path / "x.bin", dtype=np.float64, mode="r", shape=(4, 2, 3))
    data = ArrayDataset(mm, np.array([0, 1, 1, 0]))
    x, y = data[2]
    assert x.dtype == torch.float32 and x.shape == (2, 3) and y == 1
    assert torch.equal(x, torch.from_numpy(X[2].astype(np.float32)))
    x += 1  # a per-item copy: the read-only map is untouched
    assert data.X is mm and mm[2, 0, 0] == 12
    assert dataset_labels(Subset(data, [3, 1])).tolist() == [0, 1]
    probs = predict_proba(nn.Sequential(nn.Flatten(), nn.Linear(6, 2)), data, device="cpu")
    assert probs.shape == (4, 2)
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        ArrayDataset(mm, np.zeros(3))


def test_reconstruction_loss_trains_an_autoencoder_with_early_stopping(tmp_path):
    rng = np.random.default_rng(0)
    X = torch.from_numpy((rng.standard_normal((48, 2)) @ rng.standard_normal((2, 6)))
                         .astype(np.float32))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 2), nn.Linear(2, 6))
    config = replace(CONFIG, epochs=40, lr=0.01, patience=3, mixup=0.5)
    train, valid = torch.utils.data.TensorDataset(X[:40]), torch.utils.data.TensorDataset(X[40:])
    history = fit(model, train, valid, None, config, loss="reconstruction")
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_acc == [] and history.valid_acc == []
    assert min(history.valid_loss) == history.valid_loss[history.best_epoch - 1]
    loss, acc = evaluate(model, valid, device="cpu", loss="reconstruction")
    assert acc is None
    with torch.no_grad():
        expected = float(nn.functional.mse_loss(model(X[40:]), X[40:]))
    assert loss == pytest.approx(expected, rel=1e-5)
    plot_history(history, tmp_path / "loss.png", "autoencoder")
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_settings_are_checked_where_they_are_declared():
    for field, value in (("epochs", 0), ("batch_size", 0), ("lr", 0.0), ("lr_factor", 1.0),
                         ("mixup", -0.1), ("device", "tpu")):
        with pytest.raises(ConfigError, match=f"^`{field}` "):
            LoopConfig(**{field: value})
    with pytest.raises(ConfigError, match="`loss` must be one of"):
        fit(mlp(), blobs(4, 0), None, 3, CONFIG, loss="hinge")
