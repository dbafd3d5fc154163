"""The lab's model in PyTorch: OGM-GE's AVClassifier with two ResNet-18 encoders (METHOD.md section 2).

State-dict names follow OGM-GE (GeWu-Lab/OGM-GE_CVPR2022) so the lab's exported weights load with
``load_state_dict(strict=True)``. ``audio_net`` is the first branch and ``visual_net`` the second; each has a kind
(``modalities.py``). Layouts are PyTorch's: a spectrogram ``[N, 1, H, W]``, frames (rgb, flow) ``[N, C, T, H, W]``.
With ``mmtm=True`` (the model of method greedy, ``method_has_mmtm``) MMTM blocks couple the encoders after layer2,
layer3 and layer4 (``MMTM``; ``src/core/mmtm.ts``).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .modalities import DEFAULT_MODALITIES, MODALITY_CHANNELS, check_modalities, is_frames, modalities_from_channels

FUSIONS = ("concat", "sum", "film", "gated", "decision")
# The encoder layers followed by an MMTM block (1-based; the modules ``mmtm2``..``mmtm4``), and their base widths.
MMTM_LAYERS = (2, 3, 4)
_MMTM_BASE_WIDTHS = {2: 128, 3: 256, 4: 512}
MMTM_COUPLED = "the MMTM blocks couple the two encoders: encode both branches together"


def method_has_mmtm(method):
    """Whether a method's model has the MMTM blocks (``methodHasMmtm`` in model.ts): method greedy only."""
    return method == "greedy"


def scaled_width(base, width):
    """Channels for a base width under the multiplier: max(1, round(base * width)), halves rounded up.

    Rounding is JavaScript's Math.round (halves up), so the TypeScript side computes the same numbers; Python's
    round() would round halves to even. x - floor(x) is exact, unlike floor(x + 0.5) for x just below a half.
    """
    x = base * float(width)
    r = math.floor(x)
    return max(1, int(r + 1 if x - r >= 0.5 else r))


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """ResNet-18 trunk without pooling or fc: [N, C, H, W] -> [N, d, h, w] with d = scaled_width(512, width)."""

    def __init__(self, in_channels, width=1.0):
        super().__init__()
        widths = [scaled_width(b, width) for b in (64, 128, 256, 512)]
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], 2, stride=1)
        self.layer2 = self._make_layer(widths[1], 2, stride=2)
        self.layer3 = self._make_layer(widths[2], 2, stride=2)
        self.layer4 = self._make_layer(widths[3], 2, stride=2)
        self.out_channels = widths[3]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        # As torchvision/OGM-GE: a projection shortcut only where the shape changes (not in layer1 at any width).
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def stem(self, x):
        """conv1 -> BN -> ReLU -> maxpool."""
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def layer(self, k):
        """layer``k`` (1..4)."""
        return getattr(self, "layer%d" % k)

    def forward(self, x):
        x = self.stem(x)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class ConcatFusion(nn.Module):
    def __init__(self, d, num_classes):
        super().__init__()
        self.fc_out = nn.Linear(2 * d, num_classes)

    def fused(self, x, y):
        return torch.cat((x, y), dim=1)

    def forward(self, x, y):
        return self.fc_out(self.fused(x, y))


class SumFusion(nn.Module):
    def __init__(self, d, num_classes):
        super().__init__()
        self.fc_x = nn.Linear(d, num_classes)
        self.fc_y = nn.Linear(d, num_classes)

    def fused(self, x, y):
        # fc_x(x) + fc_y(y) is one linear map of [x ; y], so that concatenation is its "last linear input".
        return torch.cat((x, y), dim=1)

    def forward(self, x, y):
        return self.fc_x(x) + self.fc_y(y)


class FiLM(nn.Module):
    """OGM-GE's FiLM with x_film=True: x (= z_a) gives gamma, beta that modulate y (= z_v).

    ``fc(x)`` has 2d outputs: gamma is the first d, beta the last d (``torch.split(fc(x), d, 1)``).
    """

    def __init__(self, d, num_classes):
        super().__init__()
        self.dim = d
        self.fc = nn.Linear(d, 2 * d)
        self.fc_out = nn.Linear(d, num_classes)

    def fused(self, x, y):
        gamma, beta = torch.split(self.fc(x), self.dim, 1)
        return gamma * y + beta

    def forward(self, x, y):
        return self.fc_out(self.fused(x, y))


class GatedFusion(nn.Module):
    """OGM-GE's GatedFusion with x_gate=True: fc_out(sigmoid(fc_x(x)) * fc_y(y))."""

    def __init__(self, d, num_classes):
        super().__init__()
        self.fc_x = nn.Linear(d, d)
        self.fc_y = nn.Linear(d, d)
        self.fc_out = nn.Linear(d, num_classes)

    def fused(self, x, y):
        return torch.sigmoid(self.fc_x(x)) * self.fc_y(y)

    def forward(self, x, y):
        return self.fc_out(self.fused(x, y))


class DecisionFusion(nn.Module):
    """Late fusion: the mean of one linear head per modality."""

    def __init__(self, d, num_classes):
        super().__init__()
        self.head_a = nn.Linear(d, num_classes)
        self.head_v = nn.Linear(d, num_classes)

    def fused(self, x, y):
        # As for sum: (head_a(x) + head_v(y)) / 2 is a linear map of [x ; y].
        return torch.cat((x, y), dim=1)

    def forward(self, x, y):
        return (self.head_a(x) + self.head_v(y)) / 2


class MMTM(nn.Module):
    """One MMTM block of method greedy (Wu et al., ICML 2022, "Characterizing and overcoming the greedy nature of
    learning in multi-modal deep neural networks"; after nyukat/greedy_multimodal_learning, src/balanced_mmtm.py,
    as ``mmtmBlock`` in ``src/core/mmtm.ts``) on the audio map A [N*Ta, Ca, h, w] and the visual map V
    [N*Tv, Cv, h', w'] (Ta, Tv frames per clip; 1 for a spectrogram branch):

    - squeeze per clip: s_a, s_v [N, C], each map averaged over (T, h, w), i.e. over (h, w) for a spectrogram;
    - e = relu(fc_squeeze([s_a ; s_v])), fc_squeeze: Ca + Cv -> int(2 (Ca + Cv) / 4) units (squeeze ratio 4);
    - g_a = sigmoid(fc_audio(e)) [N, Ca], g_v = sigmoid(fc_visual(e)) [N, Cv];
    - A * g_a and V * g_v, gate row n broadcast over h, w and the T images of clip n.

    ``hold`` "audio" (or "visual") replaces g_a (g_v) by ``mean`` (that block's running mean of those gates, a
    constant [C] broadcast over the batch), so that fc then gets no gradient (its grad stays None). ``forward``
    returns (A', V', (gbar_a, gbar_v)): the batch means of g_a and g_v before any replacement, detached, for the
    running means. The authors' second modality is ``skeleton``; here ``fc_audio`` gates the first branch and
    ``fc_visual`` the second. Linear layers start as the fusion head's (xavier-normal weights, zero biases).
    """

    def __init__(self, audio_channels, visual_channels):
        super().__init__()
        squeezed = int(2 * (audio_channels + visual_channels) / 4)
        self.fc_squeeze = nn.Linear(audio_channels + visual_channels, squeezed)
        self.fc_audio = nn.Linear(squeezed, audio_channels)
        self.fc_visual = nn.Linear(squeezed, visual_channels)
        for m in (self.fc_squeeze, self.fc_audio, self.fc_visual):
            nn.init.xavier_normal_(m.weight)
            nn.init.constant_(m.bias, 0)

    def forward(self, audio, visual, audio_frames=1, visual_frames=1, hold=None, mean=None):
        if hold not in (None, "audio", "visual"):
            raise ValueError("MMTM: hold must be None, 'audio' or 'visual', got %r" % (hold,))
        if hold is not None and mean is None:
            raise ValueError("MMTM: holding the %s gates needs their running means" % hold)
        e = F.relu(self.fc_squeeze(torch.cat([_squeeze(audio, audio_frames), _squeeze(visual, visual_frames)], 1)))

        def gates(fc, held):
            # A held modality's gates are still computed, for their batch mean, but off the graph: nothing
            # differentiable from its fc reaches the loss.
            with torch.set_grad_enabled(torch.is_grad_enabled() and not held):
                return torch.sigmoid(fc(e))

        g_a, g_v = gates(self.fc_audio, hold == "audio"), gates(self.fc_visual, hold == "visual")
        # The records in the weights' dtype (under bfloat16 autocast the gates are bfloat16; their means are not).
        dtype = self.fc_audio.weight.dtype
        gbar = (g_a.detach().mean(0).to(dtype), g_v.detach().mean(0).to(dtype))
        if hold == "audio":
            g_a = mean[0]
        if hold == "visual":
            g_v = mean[1]
        return _gate(audio, audio_frames, g_a), _gate(visual, visual_frames, g_v), gbar


def _squeeze(x, frames):
    """A map of N*T images [N*T, C, h, w] averaged per clip over (T, h, w): [N, C]."""
    nt, c, h, w = x.shape
    return x.reshape(nt // frames, frames, c, h, w).mean(dim=(1, 3, 4))


def _gate(x, frames, g):
    """x [N*T, C, h, w] times its clip's gate row (g [N, C], or one held [C] for every clip)."""
    nt, c, h, w = x.shape
    rows = g.reshape(1, 1, c, 1, 1) if g.dim() == 1 else g.reshape(nt // frames, 1, c, 1, 1)
    return (x.reshape(nt // frames, frames, c, h, w) * rows).reshape(nt, c, h, w)


_FUSION_CLASSES = {
    "concat": ConcatFusion,
    "sum": SumFusion,
    "film": FiLM,
    "gated": GatedFusion,
    "decision": DecisionFusion,
}


class AVClassifier(nn.Module):
    """Two ResNet-18 encoders and a fusion head; returns (logits, logits_audio, logits_visual).

    ``modalities`` is the pair of branch kinds, e.g. ("rgb", "flow"); default ("spectrogram", "rgb"). The older
    ``audio_channels`` / ``visual_channels`` still work: 1 is a spectrogram, 3 rgb, 2 flow. "audio" and "visual" in
    the names here mean the first and the second branch, whatever their kinds.

    ``mmtm=True`` (method greedy) adds the modules ``mmtm2``, ``mmtm3``, ``mmtm4`` (``MMTM``), registered after
    ``fusion_module`` (so their state-dict keys follow the head's): block k gates the outputs of layer k of both
    encoders (C_k = scaled_width(128 | 256 | 512, width) channels each), and layer k + 1 continues from the gated
    maps. The blocks run in training and evaluation mode alike. ``encode``, ``features`` and ``forward`` take three
    optional keywords for a training step of method greedy (evaluation passes leave them out):

    - ``mmtm_hold``: None, "audio" or "visual": that modality's gates are replaced by its running means;
    - ``mmtm_means``: the running means, one (mean_a [C_k], mean_v [C_k]) pair per block, blocks 2, 3, 4 in order
      (needed with a hold);
    - ``mmtm_record``: a list; the forward appends one (gbar_a, gbar_v) pair per block, blocks 2, 3, 4 in order, the
      detached batch means of the gates computed before any replacement.

    With the blocks the encoders cannot run alone: ``encode_audio`` / ``encode_visual`` raise ValueError.
    """

    def __init__(self, num_classes, fusion="concat", width=1.0, audio_channels=None, visual_channels=None, modalities=None, mmtm=False):
        super().__init__()
        if fusion not in _FUSION_CLASSES:
            raise ValueError("unknown fusion %r (expected one of %s)" % (fusion, ", ".join(FUSIONS)))
        if int(num_classes) < 1:
            raise ValueError("num_classes must be at least 1, got %r" % (num_classes,))
        if modalities is None:
            if audio_channels is None and visual_channels is None:
                modalities = DEFAULT_MODALITIES
            else:
                modalities = modalities_from_channels(1 if audio_channels is None else audio_channels, 3 if visual_channels is None else visual_channels)
        self.modalities = check_modalities(modalities)
        for name, given, kind in (("audio_channels", audio_channels, self.modalities[0]), ("visual_channels", visual_channels, self.modalities[1])):
            if given is not None and given != MODALITY_CHANNELS[kind]:
                raise ValueError("%s %r disagrees with modalities %s (%s has %d)" % (name, given, list(self.modalities), kind, MODALITY_CHANNELS[kind]))
        self.num_classes = int(num_classes)
        self.fusion = fusion
        self.width = float(width)
        self.mmtm = bool(mmtm)
        self.audio_net = ResNet18(MODALITY_CHANNELS[self.modalities[0]], width)
        self.visual_net = ResNet18(MODALITY_CHANNELS[self.modalities[1]], width)
        self.dim = self.audio_net.out_channels
        self.fusion_module = _FUSION_CLASSES[fusion](self.dim, self.num_classes)
        for m in self.fusion_module.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.constant_(m.bias, 0)
        if self.mmtm:
            for k in MMTM_LAYERS:
                c = scaled_width(_MMTM_BASE_WIDTHS[k], width)
                self.add_module("mmtm%d" % k, MMTM(c, c))

    def mmtm_blocks(self):
        """The MMTM blocks, blocks 2, 3, 4 in order (empty without ``mmtm``)."""
        return [getattr(self, "mmtm%d" % k) for k in MMTM_LAYERS] if self.mmtm else []

    def check_input(self, x, branch):
        """Raises ValueError when a branch's input has the wrong rank or channel count for its kind."""
        name = ("audio", "visual")[branch]
        kind = self.modalities[branch]
        c = MODALITY_CHANNELS[kind]
        layout = "[N, %d, T, H, W]" % c if is_frames(kind) else "[N, %d, H, W]" % c
        rank = 5 if is_frames(kind) else 4
        if x.dim() != rank or x.shape[1] != c:
            raise ValueError(
                "%s (the %s branch, %s) must be %s, got shape %s" % (name, ("first", "second")[branch], kind, layout, list(x.shape))
            )

    def encode(self, audio, visual, mmtm_hold=None, mmtm_means=None, mmtm_record=None):
        """(z_a [N, d], z_v [N, d]) from the first and second branch's inputs, each checked against its kind; with
        MMTM blocks the encoders run layer by layer, each block gating both maps (the keywords: the class doc)."""
        self.check_input(audio, 0)
        self.check_input(visual, 1)
        if not self.mmtm:
            if mmtm_hold is not None:
                raise ValueError("mmtm_hold %r: this model has no MMTM blocks (mmtm=False)" % (mmtm_hold,))
            return self.encode_audio(audio), self.encode_visual(visual)
        if mmtm_hold is not None and mmtm_means is None:
            raise ValueError("MMTM: holding the %s gates needs their running means (mmtm_means)" % mmtm_hold)
        a, frames_a = _images(self.modalities[0], audio)
        v, frames_v = _images(self.modalities[1], visual)
        a, v = self.audio_net.stem(a), self.visual_net.stem(v)
        for k in range(1, 5):
            a, v = self.audio_net.layer(k)(a), self.visual_net.layer(k)(v)
            if k in MMTM_LAYERS:
                i = MMTM_LAYERS.index(k)
                mean = mmtm_means[i] if mmtm_hold is not None else None
                a, v, gbar = getattr(self, "mmtm%d" % k)(a, v, frames_a, frames_v, mmtm_hold, mean)
                if mmtm_record is not None:
                    mmtm_record.append(gbar)
        return _pool(a, frames_a), _pool(v, frames_v)

    def encode_audio(self, audio):
        """z_a [N, d] from the first branch's input alone (the audio-only row); not with MMTM blocks."""
        if self.mmtm:
            raise ValueError(MMTM_COUPLED)
        return _encode_branch(self.audio_net, self.modalities[0], audio)

    def encode_visual(self, visual):
        """z_v [N, d] from the second branch's input alone (the visual-only row); not with MMTM blocks."""
        if self.mmtm:
            raise ValueError(MMTM_COUPLED)
        return _encode_branch(self.visual_net, self.modalities[1], visual)

    def features(self, audio, visual, **mmtm):
        """(z_a, z_v, fused), fused being the input of the last linear layer (METHOD.md section 4); ``mmtm``: the
        keywords of ``encode``."""
        z_a, z_v = self.encode(audio, visual, **mmtm)
        return z_a, z_v, self.fusion_module.fused(z_a, z_v)

    def heads(self, z_a, z_v):
        """Fused and unimodal logits from features; the unimodal ones zero the other feature (METHOD.md 2)."""
        logits = self.fusion_module(z_a, z_v)
        logits_audio = self.fusion_module(z_a, torch.zeros_like(z_v))
        logits_visual = self.fusion_module(torch.zeros_like(z_a), z_v)
        return logits, logits_audio, logits_visual

    def forward(self, audio, visual, **mmtm):
        """(logits, logits_audio, logits_visual); ``mmtm``: the keywords of ``encode``."""
        z_a, z_v = self.encode(audio, visual, **mmtm)
        return self.heads(z_a, z_v)


def _images(kind, x):
    """A branch's input as images [N*T, C, H, W] and its frames per clip T (1 for a spectrogram)."""
    if not is_frames(kind):
        return x, 1
    n, c, t, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w), t


def _pool(v, frames):
    """The final map [N*T, d, h, w] averaged per clip over (T, h, w): [N, d]."""
    if frames == 1:
        return F.adaptive_avg_pool2d(v, 1).flatten(1)
    return v.reshape(v.shape[0] // frames, frames, v.shape[1], v.shape[2], v.shape[3]).mean(dim=(1, 3, 4))


def _encode_branch(net, kind, x):
    """A branch's feature [N, d]: a spectrogram [N, C, H, W] averaged over h and w; frames [N, C, T, H, W] run as
    N*T images and averaged over T, h and w together (as OGM-GE's adaptive_avg_pool3d on [N, d, T, h, w])."""
    images, frames = _images(kind, x)
    return _pool(net(images), frames)
