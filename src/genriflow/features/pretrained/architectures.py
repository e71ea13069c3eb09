"""The two musicnn architectures as PyTorch modules: :class:`MusiCNN` and :class:`VGG`.

musicnn (Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging", ISMIR 2019 late-breaking demo; PyPI ``musicnn==0.1.0``, ISC licence) trained a
musically motivated CNN (``musicnn``) and a VGG-like baseline, each on MagnaTagATune (MTT)
and on the Million Song Dataset (MSD), 50 tags each. These modules rebuild both
architectures of ``musicnn/models.py``; their weights ship with genriflow
(:mod:`~genriflow.features.pretrained.weights`).

Porting notes (TensorFlow -> PyTorch):

* TensorFlow lays out images as (batch, time, frequency, channel), PyTorch as (batch,
  channel, time, frequency); kernels are permuted accordingly (``tools/convert_musicnn.py``)
  and every feature returned by :meth:`MusicnnNet.features` is put back in musicnn's
  time-first layout.
* ``tf.compat.v1.layers.batch_normalization`` uses epsilon 1e-3 (PyTorch: 1e-5).
* TensorFlow's ``'same'`` padding puts the extra row *after* the input for even kernels.
* musicnn's back end concatenates max- and mean-pooled features on a trailing axis before
  flattening, so the dense layer sees them interleaved (max_0, mean_0, max_1, ...); the
  VGG's dense layer sees pool5 flattened in (time, frequency, channel) order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genriflow.features.pretrained.preprocessing import N_FRAMES, N_MELS

__all__ = ["VGG", "MusiCNN", "MusicnnNet"]

_TF_BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default



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
        Names of the outputs (empty until
        :func:`~genriflow.features.pretrained.weights.load_pretrained` sets them).
    name : str
        The :data:`~genriflow.features.pretrained.weights.PRETRAINED` name the weights
        came from ("" if none).
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
            Log-mel patches (batch, frames, 96), float32, as
            :func:`~genriflow.features.pretrained.preprocessing.to_patches` makes.
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


class _FrontEndBlock(nn.Module):
    """musicnn's ``timbral_block``/``tempo_block``: conv, ReLU, BN, max over frequency.

    ``factors`` (``None`` by default): ``(basis, mix)``, a factorisation of the filters,
    ``conv.weight == mix @ basis`` within float rounding (basis (r, 1, kh, kw), mix
    (filters, r)); inference then convolves with the ``r`` basis filters and mixes them
    per frame. The shipped networks' timbral filters have numerical rank far below their
    204 filters, so the ONNX export (``tools/export_onnx.py``) sets it where that is
    cheaper; the same outputs within float rounding.
    """

    def __init__(self, filters: int, kernel: tuple[int, int], pad_time: tuple[int, int]):
        super().__init__()
        self.pad_time = pad_time
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = _bn(filters, 2)
        self.factors: tuple[Tensor, Tensor] | None = None

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
        if self.factors is None:
            z = F.conv2d(x, self.conv.weight * sign[:, None, None, None], self.conv.bias * sign)
        else:
            basis, mix = self.factors
            z = F.conv2d(F.conv2d(x, basis), (mix * sign[:, None])[:, :, None, None],
                         self.conv.bias * sign)
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
