"""PyTorch networks for genre classification, each named after what it reproduces.

Every network maps a batch of one feature set (see
:data:`~genriflow.models.NETWORK_INPUTS`) to logits of shape (batch, n_classes); none
applies a softmax, which is left to the loss and to the prediction code. Every network
also carries a ``weight_decay`` attribute: the L2 penalty its source uses, for the
optimiser to apply (0.0 where the source names none).

==========================  ====================  ==============================================
name                        input                 reproduces
==========================  ====================  ==============================================
``genriflow-cnn``           ``genriflow-stack``   the Genriflow project's CNN
``genriflow-lstm-cnn``      ``genriflow-stack``   the Genriflow project's LSTM + CNN
``cs229-cnn``               ``cs229-mel``         the Stanford CS229 report's CNN
``cs229-ffnn``              ``cs229-mel`` or raw  the Stanford CS229 report's feed-forward net
``mm-cnn``                  ``mel-image``         the 2024 report's base CNN
``shortchunk-cnn``          ``log-mel``           genriflow's default: a compact modern CNN
==========================  ====================  ==============================================

Layer widths that a source's description leaves open are genriflow's choices, kept small
so that every network trains on a CPU; all of them are constructor arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from genriflow.models import NETWORK_INPUTS

__all__ = [
    "NETWORKS",
    "NETWORK_INPUTS",
    "CS229CNN",
    "CS229FFNN",
    "ConvBlock",
    "DenseStack",
    "GenriflowCNN",
    "GenriflowLSTMCNN",
    "MMCNN",
    "ShortChunkCNN",
    "build_network",
]


# --- building blocks -------------------------------------------------------------------


class ConvBlock(nn.Sequential):
    """Convolution, optional batch norm, ReLU, optional max-pool, optional dropout.

    The block shared by every convolutional network here, in one or two dimensions.
    Pooling uses ``ceil_mode`` so that a dimension of size 1 stays 1 instead of vanishing.

    Parameters
    ----------
    in_channels, out_channels : int
    dims : {1, 2}
        ``1`` for (batch, channels, time) input, ``2`` for (batch, channels, height, width).
    kernel_size : int
        Odd, padded to keep the size ("same" convolution) before any stride.
    stride : int
        Stride of the convolution.
    batch_norm : bool
        Batch norm between the convolution and the ReLU (the convolution then has no bias).
    pool : int
        Max-pool kernel and stride; 1 for none.
    dropout : float
        Dropout probability after pooling; 0 for none.
    """

    def __init__(self, in_channels: int, out_channels: int, *, dims: Literal[1, 2] = 2,
                 kernel_size: int = 3, stride: int = 1, batch_norm: bool = False,
                 pool: int = 2, dropout: float = 0.0) -> None:
        conv, norm, max_pool = ((nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d) if dims == 1
                                else (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d))
        layers: list[nn.Module] = [conv(in_channels, out_channels, kernel_size, stride=stride,
                                        padding=kernel_size // 2, bias=not batch_norm)]
        if batch_norm:
            layers.append(norm(out_channels))
        layers.append(nn.ReLU(inplace=True))
        if pool > 1:
            layers.append(max_pool(pool, ceil_mode=True))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class DenseStack(nn.Sequential):
    """Fully connected layers: Linear + ReLU (+ dropout) per hidden width, then a Linear.

    Parameters
    ----------
    n_inputs : int
        Features of the (batch, n_inputs) input.
    hidden : sequence of int
        Widths of the hidden layers; empty for a single linear layer.
    n_outputs : int
        Width of the last layer, which has no activation (it gives the logits).
    dropout : float
        Dropout probability after each hidden ReLU; 0 for none.
    """

    def __init__(self, n_inputs: int, hidden: Sequence[int], n_outputs: int,
                 dropout: float = 0.0) -> None:
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(n_inputs, width), nn.ReLU(inplace=True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            n_inputs = width
        layers.append(nn.Linear(n_inputs, n_outputs))
        super().__init__(*layers)


def _conv_stack(channels: Sequence[int], in_channels: int = 1, first_stride: int = 1,
                **block: object) -> nn.Sequential:
    """:class:`ConvBlock` s from ``in_channels`` through each of ``channels`` in turn.

    ``block`` holds the other :class:`ConvBlock` arguments, the same for every block; only
    the first block's convolution has stride ``first_stride``.
    """
    widths = [in_channels, *channels]
    return nn.Sequential(*(
        ConvBlock(a, b, stride=first_stride if i == 0 else 1, **block)
        for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False))))


def _flat_size(module: nn.Module, shape: Sequence[int]) -> int:
    """Features per sample of ``module``'s output for one input of ``shape`` (no batch)."""
    with torch.no_grad():
        return module(torch.zeros(1, *shape)).flatten(1).shape[1]


# --- the Genriflow project (genriflow-stack) ---------------------------------------------


class GenriflowCNN(nn.Module):
    """The Genriflow project's "CNN on the 4-feature stack with one fully connected layer".

    The (166, frames) stack (12 chroma, 6 tonnetz, 128 mel-dB and 20 MFCC rows) is read as
    166 channels over time by :class:`~torch.nn.Conv1d` layers, which costs far less on a
    CPU than a 2-D convolution over a one-channel 166 x frames image. Each layer is a
    convolution, ReLU and max-pool over time; an adaptive max-pool then keeps
    ``time_bins`` steps, so any number of frames works, and one fully connected layer gives
    the logits.

    With ``regularised=True`` each layer adds batch norm and dropout, and the instance's
    ``weight_decay`` is the class's 1e-4 (the source's L2, applied by the optimiser);
    without it there is neither, and ``weight_decay`` is 0.

    Input: (batch, n_features, frames), (batch, 166, 1292) for 30 s, with rows standardised
    as :class:`~genriflow.models.transforms.FrameStandardizer` does. Output: logits,
    (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    n_features : int
        Rows of the stack, its input channels.
    channels : sequence of int
        Output channels of each convolutional layer.
    kernel_size : int
        Width in frames of every convolution.
    pool : int
        Max-pool width in frames after each convolution.
    time_bins : int
        Time steps kept by the adaptive max-pool before the fully connected layer.
    regularised : bool
        Add batch norm and dropout, and set ``weight_decay``.
    dropout : float
        Dropout probability when regularised.
    """

    weight_decay: float = 1e-4

    def __init__(self, n_classes: int = 10, n_features: int = 166,
                 channels: Sequence[int] = (64, 128, 128), kernel_size: int = 3,
                 pool: int = 4, time_bins: int = 8, regularised: bool = False,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.regularised = regularised
        self.weight_decay = type(self).weight_decay if regularised else 0.0
        self.features = nn.Sequential(
            _conv_stack(channels, n_features, dims=1, kernel_size=kernel_size,
                        batch_norm=regularised, pool=pool,
                        dropout=dropout if regularised else 0.0),
            nn.AdaptiveMaxPool1d(time_bins), nn.Flatten())
        self.classifier = nn.Linear(channels[-1] * time_bins, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a (batch, n_features, frames) stack."""
        return self.classifier(self.features(x))


class GenriflowLSTMCNN(nn.Module):
    """The Genriflow project's "LSTM layers over the frames, then Conv1d, max-pooling over
    time and two fully connected layers".

    To keep the LSTM affordable on a CPU, time is first averaged over ``time_stride``
    frames (1292 frames become 323, about 93 ms each). The stack is then read as a
    sequence of 166-dimensional frames by ``num_layers`` LSTM layers; a
    :class:`ConvBlock` (Conv1d + ReLU) runs over their outputs, a max over all time steps
    keeps one vector, and two fully connected layers give the logits.

    Input: (batch, n_features, frames), (batch, 166, 1292) for 30 s, with rows standardised
    as :class:`~genriflow.models.transforms.FrameStandardizer` does. Output: logits,
    (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    n_features : int
        Rows of the stack, the LSTM's input size.
    time_stride : int
        Frames averaged into one LSTM step; 1 keeps every frame.
    hidden_size : int
        LSTM units per layer.
    num_layers : int
    conv_channels : int
        Output channels of the convolution.
    fc_units : int
        Width of the first fully connected layer.
    dropout : float
        Between LSTM layers and after the first fully connected layer.
    """

    weight_decay: float = 0.0

    def __init__(self, n_classes: int = 10, n_features: int = 166, time_stride: int = 4,
                 hidden_size: int = 64, num_layers: int = 2, conv_channels: int = 64,
                 fc_units: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        self.downsample = nn.AvgPool1d(time_stride, ceil_mode=True)
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.conv = ConvBlock(hidden_size, conv_channels, dims=1, kernel_size=3, pool=1)
        self.classifier = DenseStack(conv_channels, (fc_units,), n_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a (batch, n_features, frames) stack."""
        steps, _ = self.lstm(self.downsample(x).transpose(1, 2))  # (batch, time, hidden)
        features = self.conv(steps.transpose(1, 2)).amax(dim=2)  # max over time
        return self.classifier(features)


# --- the Stanford CS229 report (cs229-mel, cs229-raw) -----------------------------------


class CS229CNN(nn.Module):
    """The CS229 report's CNN: "three conv blocks (conv, max-pool, batch norm or dropout,
    L2) and three fully connected ReLU layers".

    Each block is a 3 x 3 convolution, batch norm (``norm="batch"``) or not, ReLU, a 2 x 2
    max-pool and dropout (``norm="dropout"``) or not; the L2 penalty is the class's
    ``weight_decay``, for the optimiser. The three fully connected layers are two hidden
    ReLU layers and the output layer.

    Input: (batch, n_mels, n_frames) log-mel of one 2 s window, (batch, 64, 173) by
    default; the channel dimension is added inside. Output: logits, (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    n_mels, n_frames : int
        Input geometry, which fixes the size of the first fully connected layer.
    channels : sequence of int
        Output channels of the three blocks.
    norm : {"batch", "dropout"}
        The regulariser of the convolutional blocks.
    hidden : sequence of int
        Widths of the hidden fully connected layers.
    dropout : float
        Dropout probability in the blocks (``norm="dropout"``) and after hidden layers.
    """

    weight_decay: float = 1e-4

    def __init__(self, n_classes: int = 10, n_mels: int = 64, n_frames: int = 173,
                 channels: Sequence[int] = (16, 32, 64),
                 norm: Literal["batch", "dropout"] = "batch",
                 hidden: Sequence[int] = (256, 64), dropout: float = 0.25) -> None:
        super().__init__()
        if norm not in ("batch", "dropout"):
            raise ValueError(f"norm must be 'batch' or 'dropout', not {norm!r}")
        self.features = nn.Sequential(
            _conv_stack(channels, 1, dims=2, batch_norm=norm == "batch", pool=2,
                        dropout=dropout if norm == "dropout" else 0.0),
            nn.Flatten())
        n_flat = _flat_size(self.features, (1, n_mels, n_frames))
        self.classifier = DenseStack(n_flat, hidden, n_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a (batch, n_mels, n_frames) log-mel batch."""
        return self.classifier(self.features(x.unsqueeze(1)))


class CS229FFNN(nn.Module):
    """The CS229 report's feed-forward network: "six fully connected ReLU layers with
    dropout and L2".

    Five hidden ReLU layers, each followed by dropout, and the output layer; the L2 penalty
    is the class's ``weight_decay``, for the optimiser. Any input is flattened per sample.

    Input: a flattened ``cs229-mel`` window, (batch, 64, 173) or (batch, 11072) with the
    default ``n_inputs``, or a ``cs229-raw`` window, (batch, 44100) with
    ``n_inputs=44100``. Output: logits, (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    n_inputs : int
        Values per sample after flattening.
    hidden : sequence of int
        Widths of the hidden layers.
    dropout : float
        Dropout probability after each hidden layer.
    """

    weight_decay: float = 1e-4

    def __init__(self, n_classes: int = 10, n_inputs: int = 64 * 173,
                 hidden: Sequence[int] = (512, 256, 128, 64, 32),
                 dropout: float = 0.25) -> None:
        super().__init__()
        self.classifier = DenseStack(n_inputs, hidden, n_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a batch flattening to (batch, n_inputs)."""
        return self.classifier(x.flatten(1))


# --- the 2024 report (mel-image) ---------------------------------------------------------


class MMCNN(nn.Module):
    """The 2024 report's base CNN: "three conv layers, each with max-pool and dropout;
    dense 128; softmax".

    Each layer is a 3 x 3 (``kernel_size``) convolution, ReLU, 2 x 2 max-pool and dropout;
    the flattened maps go through a dense ReLU layer of ``dense`` units (with dropout) to
    the output layer, whose softmax is left to the loss.

    Input: (batch, height, width) mel-spectrogram images in [0, 1], (batch, 128, 128) by
    default; the channel dimension is added inside. Output: logits, (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    height, width : int
        Image size, which fixes the size of the dense layer's input.
    channels : sequence of int
        Output channels of the three convolutional layers.
    dense : int
        Units of the dense layer.
    conv_dropout, dense_dropout : float
        Dropout after each convolutional layer and after the dense layer.
    kernel_size : int
        Odd side of the convolutions' square kernels (the report's 3; its grid tried 5).
    """

    weight_decay: float = 0.0

    def __init__(self, n_classes: int = 10, height: int = 128, width: int = 128,
                 channels: Sequence[int] = (16, 32, 64), dense: int = 128,
                 conv_dropout: float = 0.25, dense_dropout: float = 0.5,
                 kernel_size: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_stack(channels, 1, dims=2, pool=2, dropout=conv_dropout,
                        kernel_size=kernel_size), nn.Flatten())
        n_flat = _flat_size(self.features, (1, height, width))
        self.classifier = DenseStack(n_flat, (dense,), n_classes, dense_dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a (batch, height, width) image batch."""
        return self.classifier(self.features(x.unsqueeze(1)))


# --- genriflow's default (log-mel) -------------------------------------------------------


class ShortChunkCNN(nn.Module):
    """A compact VGG-like CNN on short log-mel chunks, genriflow's default network.

    After the short-chunk CNNs of music tagging: 3 s crops, a stack of 3 x 3 convolutional
    blocks (batch norm, ReLU, 2 x 2 max-pool) whose channels grow, global pooling and one
    linear layer. An ``nn.BatchNorm2d(1)`` standardises the input, so raw dB values work.
    The first block's convolution has stride 2 (a stem, as in ResNets): with its pool the
    chunk shrinks 4 x 4 at once, which keeps one training step on a CPU cheap. The last
    maps are reduced by a max and a mean over frequency and time, concatenated (the
    :meth:`embedding`), then dropout and a linear layer give the logits. Global pooling and
    ceil-mode pools make any chunk of at least one frame valid.

    Input: (batch, n_mels, frames) log-mel, e.g. (batch, 128, 130) for 3 s at 22050 Hz with
    hop 512, or (batch, 96, 188) at 16 kHz with hop 256. Output: logits,
    (batch, n_classes).

    Parameters
    ----------
    n_classes : int
    n_mels : int
        Mel bands. Only documents the expected input: the network itself takes any size.
    channels : sequence of int
        Output channels of each block; the embedding has ``2 * channels[-1]`` features.
    dropout : float
        Dropout probability before the linear layer.
    """

    weight_decay: float = 1e-4

    def __init__(self, n_classes: int = 10, n_mels: int = 128,
                 channels: Sequence[int] = (32, 32, 64, 64, 128, 256),
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.input_norm = nn.BatchNorm2d(1)
        self.blocks = _conv_stack(channels, 1, first_stride=2, dims=2, batch_norm=True, pool=2)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * channels[-1], n_classes)

    @property
    def embedding_size(self) -> int:
        """Features per sample of :meth:`embedding`."""
        return self.classifier.in_features

    def embedding(self, x: Tensor) -> Tensor:
        """Pooled features (batch, 2 * channels[-1]): global max, then global mean."""
        maps = self.blocks(self.input_norm(x.unsqueeze(1)))
        return torch.cat([maps.amax(dim=(2, 3)), maps.mean(dim=(2, 3))], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (batch, n_classes) of a (batch, n_mels, frames) log-mel batch."""
        return self.classifier(self.dropout(self.embedding(x)))


# --- registry ----------------------------------------------------------------------------

#: Network classes by name.
NETWORKS: dict[str, type[nn.Module]] = {
    "genriflow-cnn": GenriflowCNN,
    "genriflow-lstm-cnn": GenriflowLSTMCNN,
    "cs229-cnn": CS229CNN,
    "cs229-ffnn": CS229FFNN,
    "mm-cnn": MMCNN,
    "shortchunk-cnn": ShortChunkCNN,
}



def build_network(name: str, n_classes: int, **kwargs: object) -> nn.Module:
    """A new network from :data:`NETWORKS`.

    Parameters
    ----------
    name : str
        A key of :data:`NETWORKS`.
    n_classes : int
        Number of logits per sample.
    **kwargs
        Further constructor arguments of the network (input geometry, widths, ...).

    Returns
    -------
    nn.Module
        Freshly initialised, in training mode.

    Raises
    ------
    ValueError
        If ``name`` is not a known network.
    """
    try:
        cls = NETWORKS[name]
    except KeyError:
        known = ", ".join(sorted(NETWORKS))
        raise ValueError(f"unknown network {name!r}; known networks: {known}") from None
    return cls(n_classes=n_classes, **kwargs)
