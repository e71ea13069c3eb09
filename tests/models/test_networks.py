"""The PyTorch networks: shapes, a first training step, regularisation and the registry."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from genriflow.features import FEATURE_SET_NAMES  # noqa: E402
from genriflow.models.networks import (  # noqa: E402
    CS229CNN,
    NETWORK_INPUTS,
    NETWORKS,
    GenriflowCNN,
    ShortChunkCNN,
    build_network,
)

N_CLASSES = 4


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: tiny batches gain nothing from more, and CI cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

#: Each network's documented input, without the batch dimension, and its constructor options.
CASES = {
    "genriflow-cnn": ((166, 1292), {}),
    "genriflow-cnn-regularised": ((166, 1292), {"regularised": True}),
    "genriflow-lstm-cnn": ((166, 1292), {}),
    "cs229-cnn": ((64, 173), {}),
    "cs229-cnn-dropout": ((64, 173), {"norm": "dropout"}),
    "cs229-ffnn": ((64, 173), {}),
    "cs229-ffnn-raw": ((44100,), {"n_inputs": 44100}),
    "mm-cnn": ((128, 128), {}),
    "shortchunk-cnn": ((128, 130), {}),
    "shortchunk-cnn-16k": ((96, 188), {"n_mels": 96}),
}


def _network(case: str) -> tuple[nn.Module, tuple[int, ...]]:
    shape, kwargs = CASES[case]
    name = next(n for n in sorted(NETWORKS, key=len, reverse=True) if case.startswith(n))
    return build_network(name, N_CLASSES, **kwargs), shape


def test_registry_names_every_network_and_its_feature_set():
    assert set(NETWORK_INPUTS) == set(NETWORKS)
    assert set(NETWORK_INPUTS.values()) <= set(FEATURE_SET_NAMES)
    assert {c for c in CASES if c in NETWORKS} == set(NETWORKS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_gives_finite_logits(case):
    torch.manual_seed(0)
    net, shape = _network(case)
    n_params = sum(p.numel() for p in net.parameters())
    print(f"{case}: {n_params:,} parameters")
    assert 10_000 < n_params < 50_000_000
    logits = net(torch.randn(3, *shape))
    assert logits.shape == (3, N_CLASSES)
    assert torch.isfinite(logits).all()
    net.eval()
    with torch.no_grad():
        assert net(torch.randn(1, *shape)).shape == (1, N_CLASSES)


@pytest.mark.parametrize(("name", "shape"), [("shortchunk-cnn", (128, 64)),
                                             ("cs229-cnn", (64, 173))])
def test_two_steps_on_a_fixed_batch_reduce_the_loss(name, shape):
    torch.manual_seed(0)
    net = build_network(name, N_CLASSES, dropout=0.0)
    x, y = torch.randn(8, *shape), torch.arange(8) % N_CLASSES
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)

    def loss() -> torch.Tensor:
        return nn.functional.cross_entropy(net(x), y)

    first = loss()
    for _ in range(2):
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()
    with torch.no_grad():
        assert loss() < first


def test_genriflow_cnn_regularisation_is_batch_norm_dropout_and_weight_decay():
    def kinds(net: nn.Module) -> set[type]:
        return {type(m) for m in net.modules()}

    plain, regularised = GenriflowCNN(), GenriflowCNN(regularised=True)
    assert not kinds(plain) & {nn.BatchNorm1d, nn.Dropout}
    assert {nn.BatchNorm1d, nn.Dropout} <= kinds(regularised)
    assert plain.weight_decay == 0.0
    assert regularised.weight_decay == GenriflowCNN.weight_decay == 1e-4


def test_cs229_cnn_rejects_an_unknown_norm():
    with pytest.raises(ValueError, match="norm"):
        CS229CNN(norm="layer")


@pytest.mark.parametrize("shape", [(128, 130), (128, 60), (96, 188), (128, 431), (64, 1)])
def test_shortchunk_pools_any_chunk_to_one_embedding(shape):
    torch.manual_seed(0)
    net = ShortChunkCNN(n_classes=N_CLASSES, n_mels=shape[0])
    x = torch.randn(2, *shape) * 20 - 40  # dB-like values: the input batch norm copes
    assert net.embedding(x).shape == (2, net.embedding_size) == (2, 512)
    logits = net(x)
    assert logits.shape == (2, N_CLASSES)
    assert torch.isfinite(logits).all()


def test_build_network_names_the_known_networks_on_a_typo():
    with pytest.raises(ValueError, match="unknown network 'shortchunk'.*shortchunk-cnn"):
        build_network("shortchunk", N_CLASSES)
    assert isinstance(build_network("mm-cnn", 3), nn.Module)
