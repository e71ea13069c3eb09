"""The pretrained musicnn taggers, ported to PyTorch with their original weights.

musicnn (Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging", ISMIR 2019 late-breaking demo; PyPI ``musicnn==0.1.0``, ISC licence) ships four
TensorFlow 1 checkpoints: a musically motivated CNN (``musicnn``) and a VGG-like baseline,
each trained on MagnaTagATune (MTT) and on the Million Song Dataset (MSD), 50 tags each.

This module rebuilds both architectures of ``musicnn/models.py`` as plain ``nn.Module``s,
reads the weights straight from the installed package's checkpoints (no TensorFlow: see
:mod:`genriflow.features.pretrained.tf_checkpoint`), and caches the converted weights as
safetensors. ``tests/models/test_musicnn.py`` checks the outputs against the original's,
recorded by ``tools/musicnn_reference.py``.

Porting notes (TensorFlow -> PyTorch):

* TensorFlow lays out images as (batch, time, frequency, channel), PyTorch as (batch,
  channel, time, frequency); kernels are permuted accordingly and every feature returned
  by :meth:`MusicnnNet.features` is put back in musicnn's time-first layout.
* ``tf.compat.v1.layers.batch_normalization`` uses epsilon 1e-3 (PyTorch: 1e-5).
* TensorFlow's ``'same'`` padding puts the extra row *after* the input for even kernels.
* musicnn's back end concatenates max- and mean-pooled features on a trailing axis before
  flattening, so the dense layer sees them interleaved (max_0, mean_0, max_1, ...); the
  VGG's dense layer sees pool5 flattened in (time, frequency, channel) order.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

import librosa
import numpy as np
import safetensors.torch
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genriflow.errors import one_of
from genriflow.features.pretrained.tf_checkpoint import read_checkpoint
from genriflow.locations import pretrained_dir

__all__ = [
    "HOP_LENGTH",
    "MSD_TAGS",
    "MTT_TAGS",
    "N_FFT",
    "N_FRAMES",
    "N_MELS",
    "PRETRAINED",
    "SR",
    "VGG",
    "MusiCNN",
    "MusicnnNet",
    "PretrainedSpec",
    "convert_checkpoint",
    "extract",
    "forward",
    "load_pretrained",
    "musicnn_log_mel",
    "to_patches",
]

SR = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
#: Frames per input patch: ``librosa.time_to_frames(3, sr=SR, hop_length=HOP_LENGTH) + 1``.
N_FRAMES = 187

#: musicnn's ``configuration.MTT_LABELS``, in output order.
MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock",
    "fast", "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian",
    "opera", "male", "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet",
    "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man",
    "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats",
    "harp", "cello", "no voice", "weird", "country", "metal", "female voice", "choral",
)
#: musicnn's ``configuration.MSD_LABELS``, in output order.
MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s",
    "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)

_TF_BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default
_OPTIMIZER_VARIABLES = ("beta1_power", "beta2_power", "global_step")
_INSTALL_HINT = "run `pip install --no-deps musicnn==0.1.0`"


class PretrainedSpec(NamedTuple):
    """Where a pretrained model comes from."""

    checkpoint: str  #: folder of the checkpoint inside the ``musicnn`` package
    architecture: Literal["musicnn", "vgg"]
    tags: tuple[str, ...]


PRETRAINED: dict[str, PretrainedSpec] = {
    "mtt-musicnn": PretrainedSpec("MTT_musicnn", "musicnn", MTT_TAGS),
    "msd-musicnn": PretrainedSpec("MSD_musicnn", "musicnn", MSD_TAGS),
    "mtt-vgg": PretrainedSpec("MTT_vgg", "vgg", MTT_TAGS),
    "msd-vgg": PretrainedSpec("MSD_vgg", "vgg", MSD_TAGS),
}


# --- networks --------------------------------------------------------------------------


def _bn(n: int, dims: int) -> nn.Module:
    cls = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    return cls(n, eps=_TF_BN_EPS, momentum=0.01)  # TF momentum 0.99 = torch 0.01


def _check_input(x: Tensor, n_frames: int | None) -> None:
    if x.ndim != 3 or x.shape[2] != N_MELS or (n_frames and x.shape[1] != n_frames):
        frames = n_frames or "frames"
        raise ValueError(f"expected log-mel patches (batch, {frames}, {N_MELS}), "
                         f"got {tuple(x.shape)}")


class MusicnnNet(nn.Module):
    """What both musicnn architectures share: tags, a name, logits and named features.

    Subclasses implement :meth:`features`; ``forward`` returns its logits.

    Attributes
    ----------
    tags : tuple of str
        Names of the outputs (empty until :func:`load_pretrained` sets them).
    name : str
        The :data:`PRETRAINED` name the weights came from ("" if none).
    """

    def __init__(self) -> None:
        super().__init__()
        self.tags: tuple[str, ...] = ()
        self.name = ""

    def _outputs(self, x: Tensor, intermediate: bool) -> dict[str, Tensor]:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_tags) of log-mel patches (batch, frames, 96)."""
        return self._outputs(x, intermediate=False)["logits"]

    def features(self, x: Tensor, intermediate: bool = False) -> dict[str, Tensor]:
        """The taggram (sigmoid of the logits) and the embeddings of log-mel patches.

        Parameters
        ----------
        x : Tensor
            Log-mel patches (batch, frames, 96), float32, as :func:`to_patches` makes.
        intermediate : bool
            Also return the intermediate feature maps (see the subclass).

        Returns
        -------
        dict[str, Tensor]
            ``taggram`` (batch, n_tags) and the subclass's features.
        """
        out = self._outputs(x, intermediate)
        out["taggram"] = torch.sigmoid(out.pop("logits"))
        return out

    def tf_layers(self) -> list[tuple[str, nn.Module]]:
        """(TensorFlow variable scope, module) of every weighted layer."""
        raise NotImplementedError


class _FrontEndBlock(nn.Module):
    """musicnn's ``timbral_block``/``tempo_block``: conv, ReLU, BN, max over frequency."""

    def __init__(self, filters: int, kernel: tuple[int, int], pad_time: tuple[int, int]):
        super().__init__()
        self.pad_time = pad_time
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = _bn(filters, 2)

    def forward(self, x: Tensor) -> Tensor:  # (B, 1, T, F) -> (B, filters, T)
        x = F.pad(x, (0, 0, *self.pad_time))
        if self.training:
            return self.bn(F.relu(self.conv(x))).amax(dim=3)
        # In inference the batch norm is a per-channel affine map s * v + b, so the maximum
        # over frequency of s * relu(z) + b is s * relu(max z) + b where s > 0 and
        # s * relu(min z) + b = s * relu(-max(-z)) + b where s < 0. Negating the filters of
        # the channels with s < 0 leaves one maximum to take: the same values without
        # passes over the large (B, filters, T, F) map for the batch norm, the ReLU and a
        # minimum, which made these blocks memory-bound.
        bn = self.bn
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        shift = bn.bias - bn.running_mean * scale
        sign = torch.where(scale < 0, -1.0, 1.0)
        z = F.conv2d(x, self.conv.weight * sign[:, None, None, None], self.conv.bias * sign)
        return F.relu(z.amax(dim=3) * sign[:, None]) * scale[:, None] + shift[:, None]


class _MidEndLayer(nn.Module):
    """One mid-end layer: a convolution over time spanning all features, ReLU, BN.

    musicnn writes it as a 2-D convolution whose kernel covers the whole feature axis of a
    one-channel map, which is a 1-D convolution with the features as channels.
    """

    def __init__(self, in_channels: int, filters: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, filters, 7, padding=3)
        self.bn = _bn(filters, 1)

    def forward(self, x: Tensor) -> Tensor:  # (B, C, T) -> (B, filters, T)
        return self.bn(F.relu(self.conv(x)))


def _tf_scopes(modules: Sequence[nn.Module], conv_names: Sequence[str] = ()) -> list[str]:
    """tf.compat.v1.layers' automatic scope names (``conv2d``, ``conv2d_1``, ...) of layers
    listed in creation order; convolutions take ``conv_names`` instead where given."""
    counts: dict[str, int] = {}
    named_convs = iter(conv_names)
    scopes = []
    for module in modules:
        if isinstance(module, nn.Conv1d | nn.Conv2d):
            kind = "conv2d"
            if conv_names:
                scopes.append(next(named_convs))
                continue
        else:
            kind = "dense" if isinstance(module, nn.Linear) else "batch_normalization"
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        scopes.append(kind if n == 0 else f"{kind}_{n}")
    return scopes


class MusiCNN(MusicnnNet):
    """musicnn's ``build_musicnn``: musically motivated front end, dense mid end, pooling.

    Pons & Serra (2019), after Pons et al., "End-to-end learning for music audio tagging at
    scale" (ISMIR 2018); see ``musicnn/models.py``.

    * Front end, on the batch-normalised log-mel: two timbral blocks (kernels 7x38 and
      7x67 over time x frequency, 204 filters each) and three temporal blocks (kernels
      128x1, 64x1 and 32x1, 51 filters each), each convolution + ReLU, BN, then max over
      frequency: 561 features per frame.
    * Mid end: three convolutions over time (kernel 7, ``midend_filters``), each + ReLU +
      BN; the 2nd and 3rd are residual; front end and mid-end outputs are concatenated
      (dense connections): 561 + 3 x 64 = 753 features per frame.
    * Back end: max and mean over time, BN, dropout, dense ``backend_units`` + ReLU, BN
      (the penultimate features), dropout, dense ``n_tags`` (logits).

    Parameters
    ----------
    n_tags : int
        Number of outputs (50 for both shipped models).
    midend_filters, backend_units : int
        64 and 200 for the shipped models (``MSD_musicnn_big``, not shipped: 512 and 500).

    Notes
    -----
    :meth:`features` returns, with ``B`` patches of ``T`` frames: ``taggram`` (B, n_tags),
    ``max_pool`` and ``mean_pool`` (B, 753), ``penultimate`` (B, 200); with
    ``intermediate=True`` also ``timbral`` (B, T, 408), ``temporal`` (B, T, 153) and
    ``cnn1``/``cnn2``/``cnn3`` (B, T, 64). Patches of any length work (pooling is global);
    the models were trained on 187 frames (3 s).
    """

    def __init__(self, n_tags: int = 50, midend_filters: int = 64, backend_units: int = 200):
        super().__init__()
        self.input_bn = _bn(1, 2)
        self.timbral = nn.ModuleList(
            _FrontEndBlock(204, (7, int(width * N_MELS)), (3, 3)) for width in (0.4, 0.7)
        )
        # TF 'same' padding for an even kernel k: (k - 1) // 2 before, k // 2 after.
        self.temporal = nn.ModuleList(
            _FrontEndBlock(51, (k, 1), ((k - 1) // 2, k // 2)) for k in (128, 64, 32)
        )
        front = 2 * 204 + 3 * 51
        self.midend = nn.ModuleList(
            _MidEndLayer(c, midend_filters) for c in (front, midend_filters, midend_filters)
        )
        pooled = front + 3 * midend_filters
        self.pool_bn = _bn(2 * pooled, 1)
        self.dense = nn.Linear(2 * pooled, backend_units)
        self.dense_bn = _bn(backend_units, 1)
        self.output = nn.Linear(backend_units, n_tags)
        self.dropout = nn.Dropout(0.5)

    def _outputs(self, x: Tensor, intermediate: bool) -> dict[str, Tensor]:
        _check_input(x, None)
        h = self.input_bn(x.unsqueeze(1))
        timbral = torch.cat([block(h) for block in self.timbral], dim=1)
        temporal = torch.cat([block(h) for block in self.temporal], dim=1)
        front = torch.cat([timbral, temporal], dim=1)
        cnn1 = self.midend[0](front)
        cnn2 = self.midend[1](cnn1) + cnn1
        cnn3 = self.midend[2](cnn2) + cnn2
        mid = torch.cat([front, cnn1, cnn2, cnn3], dim=1)
        max_pool, mean_pool = mid.amax(dim=2), mid.mean(dim=2)
        pooled = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # interleaved, as TF
        hidden = F.relu(self.dense(self.dropout(self.pool_bn(pooled))))
        penultimate = self.dense_bn(hidden)
        out = {"logits": self.output(self.dropout(penultimate)), "max_pool": max_pool,
               "mean_pool": mean_pool, "penultimate": penultimate}
        if intermediate:
            maps = {"timbral": timbral, "temporal": temporal, "cnn1": cnn1, "cnn2": cnn2,
                    "cnn3": cnn3}
            out.update({name: value.transpose(1, 2) for name, value in maps.items()})
        return out

    def tf_layers(self) -> list[tuple[str, nn.Module]]:
        blocks = [*self.timbral, *self.temporal, *self.midend]
        modules = [self.input_bn, *(m for b in blocks for m in (b.conv, b.bn)),
                   self.pool_bn, self.dense, self.dense_bn, self.output]
        return list(zip(_tf_scopes(modules), modules, strict=True))


class VGG(MusicnnNet):
    """musicnn's ``vgg``: a VGG-like baseline of five 3x3 convolutions.

    Pons & Serra (2019), ``musicnn/models.py``. On the batch-normalised log-mel
    (187 x 96): five blocks of 3x3 convolution (128 filters, 'same') + ReLU, BN and max
    pooling of sizes (4, 1) stride (2, 2), then (2, 2) three times, then (4, 4); dropout;
    a dense layer on the flattened pool5 (2 x 1 x 128 = 256 values).

    Parameters
    ----------
    n_tags : int
        Number of outputs (50 for both shipped models).
    filters : int
        Filters per convolution (128 for the shipped models).

    Notes
    -----
    Inputs must be 187 frames long (the dense layer fixes the size). :meth:`features`
    returns ``taggram`` (B, n_tags) and ``pool5`` (B, 256), flattened in TensorFlow's
    (time, frequency, channel) order; with ``intermediate=True`` also ``pool1`` (B, 92,
    48, 128), ``pool2`` (B, 46, 24, 128), ``pool3`` (B, 23, 12, 128) and ``pool4`` (B, 11,
    6, 128), in TensorFlow's (time, frequency, channel) layout as musicnn returns them.
    """

    def __init__(self, n_tags: int = 50, filters: int = 128):
        super().__init__()
        self.input_bn = _bn(1, 2)
        self.convs = nn.ModuleList(
            nn.Conv2d(1 if i == 0 else filters, filters, 3, padding=1) for i in range(5)
        )
        self.bns = nn.ModuleList(_bn(filters, 2) for _ in range(5))
        self.pools = nn.ModuleList([
            nn.MaxPool2d((4, 1), (2, 2)), nn.MaxPool2d(2), nn.MaxPool2d(2), nn.MaxPool2d(2),
            nn.MaxPool2d(4),
        ])
        self.dropout = nn.Dropout(0.25)
        self.dense = nn.Linear(2 * 1 * filters, n_tags)

    def _outputs(self, x: Tensor, intermediate: bool) -> dict[str, Tensor]:
        _check_input(x, N_FRAMES)
        h = self.input_bn(x.unsqueeze(1))
        out: dict[str, Tensor] = {}
        for i, (conv, bn, pool) in enumerate(zip(self.convs, self.bns, self.pools,
                                                 strict=True)):
            h = pool(bn(F.relu(conv(self.dropout(h) if i else h))))
            if intermediate and i < 4:
                out[f"pool{i + 1}"] = h.permute(0, 2, 3, 1)
        out["pool5"] = h.permute(0, 2, 3, 1).flatten(1)  # TF flattens (time, freq, channel)
        out["logits"] = self.dense(F.dropout(out["pool5"], 0.5, self.training))
        return out

    def tf_layers(self) -> list[tuple[str, nn.Module]]:
        modules = [self.input_bn, *(m for pair in zip(self.convs, self.bns, strict=True)
                                    for m in pair), self.dense]
        names = [f"{i}CNN" for i in range(1, 6)]
        return list(zip(_tf_scopes(modules, names), modules, strict=True))


# --- weight conversion -----------------------------------------------------------------


def _layer_tensors(module: nn.Module, get: Callable[[str], np.ndarray]) -> dict[str, np.ndarray]:
    """The module's parameters/buffers from its TF variables (``get(variable) -> array``)."""
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return {"weight": get("gamma"), "bias": get("beta"), "running_mean":
                get("moving_mean"), "running_var": get("moving_variance")}
    kernel = get("kernel")
    if isinstance(module, nn.Linear):
        weight = kernel.T  # (in, out) -> (out, in)
    elif isinstance(module, nn.Conv1d):
        weight = kernel[:, :, 0, :].transpose(2, 1, 0)  # (k, C, 1, out) -> (out, C, k)
    else:
        weight = kernel.transpose(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
    return {"weight": weight, "bias": get("bias")}


def _is_optimizer_variable(name: str) -> bool:
    return name in _OPTIMIZER_VARIABLES or name.endswith(("/Adam", "/Adam_1"))


def convert_checkpoint(variables: dict[str, np.ndarray], model: MusicnnNet) -> dict[str, Tensor]:
    """Map musicnn's TensorFlow variables onto ``model``'s state dict.

    Parameters
    ----------
    variables : dict[str, numpy.ndarray]
        The checkpoint, as :func:`~genriflow.features.pretrained.tf_checkpoint.read_checkpoint`
        returns it.
    model : MusicnnNet
        A :class:`MusiCNN` or :class:`VGG` of the checkpoint's sizes.

    Returns
    -------
    dict[str, Tensor]
        A complete state dict for ``model`` (BN ``num_batches_tracked`` set to 0).

    Raises
    ------
    ValueError
        If a variable is missing, has the wrong shape or is left over (optimizer slots
        ``*/Adam``, ``*/Adam_1``, ``beta1_power``, ``beta2_power``, ``global_step`` aside),
        or if a parameter or buffer of the model is left unfilled.
    """
    names = {module: name for name, module in model.named_modules()}
    expected = model.state_dict()
    state: dict[str, Tensor] = {}
    used: set[str] = set()
    for scope, module in model.tf_layers():
        def get(var: str, scope: str = scope) -> np.ndarray:
            key = f"{scope}/{var}"
            if key not in variables:
                raise ValueError(f"checkpoint has no variable {key!r}")
            used.add(key)
            return variables[key]

        for attr, value in _layer_tensors(module, get).items():
            key = f"{names[module]}.{attr}"
            if tuple(value.shape) != tuple(expected[key].shape):
                raise ValueError(f"{scope}: shape {value.shape} does not fit {key} "
                                 f"{tuple(expected[key].shape)}")
            state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    for key, value in expected.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.zeros_like(value)
    unused = sorted(k for k in variables if k not in used and not _is_optimizer_variable(k))
    missing = sorted(set(expected) - set(state))
    if unused or missing:
        raise ValueError(f"checkpoint does not match the model: unused {unused}, "
                         f"unfilled {missing}")
    return state


# --- loading ---------------------------------------------------------------------------


def _musicnn_dir() -> Path:
    """The installed ``musicnn`` package's folder, found without importing it."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the musicnn package is not installed: {_INSTALL_HINT}")
    return Path(spec.submodule_search_locations[0])


def _spec(name: str) -> PretrainedSpec:
    return PRETRAINED[one_of("model", name, sorted(PRETRAINED))]


def _save_atomic(state: dict[str, Tensor], path: Path, metadata: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        safetensors.torch.save_file(state, str(tmp), metadata=metadata)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _convert(name: str, model: MusicnnNet, path: Path) -> None:
    """Fill ``model`` from the musicnn package's checkpoint and cache it at ``path``."""
    spec = _spec(name)
    folder = _musicnn_dir() / spec.checkpoint
    if not (folder / ".index").is_file():
        raise FileNotFoundError(f"{folder}/.index: missing from the musicnn package; "
                                f"{_INSTALL_HINT}")
    state = convert_checkpoint(read_checkpoint(f"{folder}/"), model)
    model.load_state_dict(state, strict=True)
    _save_atomic(state, path, {"source": f"musicnn==0.1.0 {spec.checkpoint}", "name": name})


def load_pretrained(name: str, cache_dir: Path | None = None) -> MusicnnNet:
    """A pretrained musicnn model, in eval mode.

    The first call for a name converts the TensorFlow checkpoint of the installed
    ``musicnn`` package and writes ``<cache_dir>/<name>.safetensors`` (atomically); later
    calls read that file. An unreadable cache file is converted again.

    Parameters
    ----------
    name : str
        One of :data:`PRETRAINED`: ``"mtt-musicnn"``, ``"msd-musicnn"``, ``"mtt-vgg"``,
        ``"msd-vgg"``.
    cache_dir : Path, optional
        Where the converted weights live; default :func:`genriflow.locations.pretrained_dir`.

    Returns
    -------
    MusicnnNet
        A :class:`MusiCNN` or :class:`VGG` with ``.tags`` (tuple of str) and ``.name``.

    Raises
    ------
    ValueError
        For an unknown name.
    FileNotFoundError
        If the weights are not cached and the musicnn package is not installed.
    """
    spec = _spec(name)
    model = MusiCNN(len(spec.tags)) if spec.architecture == "musicnn" else VGG(len(spec.tags))
    path = Path(cache_dir if cache_dir is not None else pretrained_dir())
    path = path / f"{name}.safetensors"
    if not path.is_file():
        _convert(name, model, path)
    else:
        try:
            model.load_state_dict(safetensors.torch.load_file(path), strict=True)
        except (OSError, RuntimeError, safetensors.SafetensorError) as exc:
            warnings.warn(f"{path}: unreadable ({exc}); converting again", stacklevel=2)
            _convert(name, model, path)
    model.tags, model.name = spec.tags, name
    return model.eval()


# --- audio -----------------------------------------------------------------------------


def musicnn_log_mel(y: np.ndarray) -> np.ndarray:
    """musicnn's input representation of a 16 kHz mono waveform.

    As ``musicnn.extractor.batch_data``: the librosa mel spectrogram (power, n_fft 512,
    hop 256, 96 bands, librosa's defaults otherwise), rounded to float16, then
    ``log10(10000 x + 1)``. Under NumPy 1 (musicnn's era) ``10000 * float16_array`` is
    computed in float32; NumPy 2 would keep float16 and overflow to ``inf`` for any band
    power above 6.55, so the float32 step is explicit here.

    Parameters
    ----------
    y : numpy.ndarray
        Mono waveform (samples,) at :data:`SR` = 16 kHz; computed in float32, as
        ``librosa.load`` returns it.

    Returns
    -------
    numpy.ndarray
        Log-mel spectrogram (frames, 96), float32, ``frames = 1 + samples // 256``.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected a mono waveform (samples,), got shape {y.shape}")
    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP_LENGTH,
                                         n_mels=N_MELS).T
    mel = mel.astype(np.float16).astype(np.float32)
    return np.log10(10000 * mel + 1).astype(np.float32)


def to_patches(log_mel: np.ndarray, n_frames: int = N_FRAMES, hop: int | None = None,
               pad: Literal["zero", "repeat"] = "zero") -> np.ndarray:
    """Cut a log-mel spectrogram into the model's input patches, as ``batch_data`` does.

    Patches start every ``hop`` frames (default ``n_frames``: no overlap); frames after the
    last whole patch are dropped. Unlike musicnn, which fails on them, spectrograms
    shorter than one patch give one patch, padded with zeros (the log-mel of silence) by
    default or, with ``pad="repeat"``, by repeating the spectrogram (the "repeat-pad" of
    musicnn's training configuration).

    Parameters
    ----------
    log_mel : numpy.ndarray
        (frames, n_mels), as :func:`musicnn_log_mel` returns.
    n_frames : int
        Patch length (187 frames = 3 s; the VGG models accept no other).
    hop : int, optional
        Frames between patch starts; default ``n_frames``.
    pad : {"zero", "repeat"}
        How to fill a spectrogram shorter than one patch.

    Returns
    -------
    numpy.ndarray
        (n_patches, n_frames, n_mels), float32.
    """
    log_mel = np.asarray(log_mel, dtype=np.float32)
    hop = hop or n_frames
    if len(log_mel) == 0:
        raise ValueError("empty spectrogram")
    if len(log_mel) < n_frames:
        if pad == "repeat":
            log_mel = np.resize(log_mel, (n_frames, log_mel.shape[1]))
        else:
            log_mel = np.pad(log_mel, ((0, n_frames - len(log_mel)), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(log_mel, n_frames, axis=0)[::hop]
    return np.ascontiguousarray(windows.transpose(0, 2, 1))


def extract(y: np.ndarray, model: MusicnnNet, batch_size: int = 2,
            intermediate: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of a waveform, one row per non-overlapping 3 s patch.

    What ``musicnn.extractor.extractor(file, model, input_length=3)`` returns, for a
    waveform already at 16 kHz and with short audio padded (see :func:`to_patches`).

    Parameters
    ----------
    y : numpy.ndarray
        Mono waveform (samples,) at 16 kHz.
    model : MusicnnNet
        From :func:`load_pretrained` (in eval mode).
    batch_size, intermediate
        As for :func:`forward`.

    Returns
    -------
    taggram : numpy.ndarray
        (n_patches, n_tags) tag probabilities.
    features : dict[str, numpy.ndarray]
        MusiCNN: ``mean_pool``, ``max_pool`` (n_patches, 753), ``penultimate``
        (n_patches, 200); VGG: ``pool5`` (n_patches, 256); float32.
    """
    return forward(to_patches(musicnn_log_mel(y)), model, batch_size, intermediate)


def forward(patches: np.ndarray, model: MusicnnNet, batch_size: int = 2,
            intermediate: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of log-mel patches, one row per patch.

    Parameters
    ----------
    patches : numpy.ndarray
        (n_patches, 187, 96), as :func:`to_patches` makes.
    model : MusicnnNet
        From :func:`load_pretrained` (in eval mode).
    batch_size : int
        Patches per forward pass. Small batches are fastest on a CPU: the front end's
        feature maps of one or two patches stay in cache (``benchmarks/pretrained.py``; 60
        patches took 1.2 s in batches of 2 against 1.9 s in one batch of 60 on 2 cores;
        one thread, loaded machine: 87 ms a patch in batches of 2, 117 ms in batches of 12).
    intermediate : bool
        Also return the intermediate maps (see :class:`MusiCNN`, :class:`VGG`).

    Returns
    -------
    taggram, features
        As for :func:`extract`.
    """
    n = len(patches)
    # Every pass has exactly ``batch_size`` patches (a short last one is padded): the
    # convolutions' rounding depends on the batch's size, so a patch's numbers depend on
    # how many others it was analysed with only in their last bits (its place in a pair).
    padded = np.zeros((-n % batch_size, *patches.shape[1:]), np.float32)
    patches = np.concatenate([np.asarray(patches, np.float32), padded])
    chunks: list[dict[str, Tensor]] = []
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch_size]))
            chunks.append(model.features(batch, intermediate=intermediate))
    features = {key: np.concatenate([c[key].numpy() for c in chunks])[:n] for key in chunks[0]}
    return features.pop("taggram"), features
