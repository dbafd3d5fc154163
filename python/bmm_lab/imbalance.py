"""Per-modality scores, the imbalance ratio rho and per-head accuracy from an evaluation pass (METHOD.md section 3).

Mirrors ``src/core/imbalance.ts`` (``probabilityOfLabel``, ``imbalanceRatio``, ``SplitEvaluation``) and
``src/core/evaluate.ts`` (``evaluateSplit``: inference mode, batches of the split in order). As in TS, the scores are
summed in double precision from the logits the model produced (float32 unless the model runs in float64):
``s_m = sum_i softmax(u_m(x_i))[y_i]``, ``rho = s_a / s_v``, u_m the unimodal head of the config's ``unimodal``
score (``unimodal.py``; zero: the other feature zeroed). "audio" and "visual" are the first and the second branch,
whatever their kinds.
"""

import math

import numpy as np
import torch

from .unimodal import Unimodal

HEADS = ("fused", "audio", "visual")


def probability_of_label(logits, labels):
    """softmax(logits_i)[y_i] per row, in float64, from [n, C] logits (array or tensor) and n labels."""
    x = np.asarray(logits.detach().cpu().double().numpy() if isinstance(logits, torch.Tensor) else logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e[np.arange(len(y)), y] / e.sum(axis=1)


def imbalance_ratio(score_audio, score_visual):
    """rho = s_a / s_v (rho > 1: audio is the strong modality); 1 when both are 0, infinity when only s_v is."""
    if score_visual == 0:
        return 1.0 if score_audio == 0 else math.inf
    return score_audio / score_visual


class SplitEvaluation:
    """Correct counts of the fused and unimodal heads and the scores s_a, s_v, accumulated batch by batch."""

    def __init__(self, num_classes):
        self.num_classes = num_classes
        self.correct = {h: 0 for h in HEADS}
        self.score = {"audio": 0.0, "visual": 0.0}
        self.count = 0

    def add(self, labels, logits):
        """Adds a batch: ``labels`` [n], ``logits`` {head: [n, C]}."""
        y = np.asarray(labels, dtype=np.int64)
        for head in HEADS:
            x = logits[head]
            x = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
            self.correct[head] += int((x.argmax(axis=1) == y).sum())  # first maximum on ties, as argmaxRows
        # Summed one clip at a time, in order, as the TS accumulator does.
        for m in ("audio", "visual"):
            for p in probability_of_label(logits[m], y):
                self.score[m] += float(p)
        self.count += len(y)

    def merge(self, reduce):
        """Replaces the counts and scores by their sums over processes (``reduce`` sums a float64 tensor)."""
        local = torch.tensor([self.correct[h] for h in HEADS] + [self.score["audio"], self.score["visual"], self.count], dtype=torch.float64)
        total = reduce(local).cpu().tolist()
        for i, h in enumerate(HEADS):
            self.correct[h] = int(round(total[i]))
        self.score["audio"], self.score["visual"] = total[3], total[4]
        self.count = int(round(total[5]))

    def accuracy(self, head):
        return 0.0 if self.count == 0 else self.correct[head] / self.count

    def rho(self):
        return imbalance_ratio(self.score["audio"], self.score["visual"])


def evaluate_split(model, split, batch_size, dtype=torch.float32, unimodal=None, measure_means=False, batches=None, reduce=None):
    """A SplitEvaluation of ``model`` over every clip of a pack split, in eval mode and without gradients.

    ``unimodal`` (a ``Unimodal``, default zero) gives the unimodal heads. With ``measure_means`` (the pass over the
    training set) and unimodal mean, the split's feature means are measured first in the same pass and set on
    ``unimodal`` before its unimodal outputs are computed, as ``evaluateSplit`` does. The model's training mode is
    restored afterwards. ``batches`` (audio, visual, labels) replace the split's batches in order (a DataLoader,
    or this process's share of the split); ``reduce`` sums a tensor over the processes sharing the split, so every
    process ends with the whole split's evaluation. Inputs go to the model's device.
    """
    unimodal = unimodal if unimodal is not None else Unimodal("zero")
    defer = measure_means and unimodal.mode == "mean"
    evaluation = SplitEvaluation(model.num_classes)
    device = next(model.parameters()).device
    if batches is None:
        batches = (split.inputs(range(start, min(start + batch_size, split.size)), dtype) for start in range(0, split.size, batch_size))
    pending = []
    sums = None
    count = 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for audio, visual, labels in batches:
                z_a, z_v = model.encode(audio.to(device, dtype, non_blocking=True), visual.to(device, dtype, non_blocking=True))
                logits = model.fusion_module(z_a, z_v)
                labels = labels.cpu().numpy()
                if defer:
                    sa, sv = z_a.sum(0, keepdim=True), z_v.sum(0, keepdim=True)
                    sums = (sa, sv) if sums is None else (sa + sums[0], sv + sums[1])
                    count += len(labels)
                    pending.append((labels, logits, z_a, z_v))
                    continue
                logits_audio, logits_visual = unimodal.logits(model, z_a, z_v)
                evaluation.add(labels, {"fused": logits, "audio": logits_audio, "visual": logits_visual})
            if defer:
                if reduce is not None:
                    d = model.dim
                    local = torch.cat(sums, dim=1) if sums is not None else torch.zeros(1, 2 * d, device=device, dtype=dtype)
                    total = reduce(local)
                    sums = (total[:, :d].to(dtype), total[:, d:].to(dtype))
                    count = int(reduce(torch.tensor([float(count)], device=device)).item())
                if sums is not None and count > 0:
                    unimodal.set_means(sums[0] / count, sums[1] / count)
                for labels, logits, z_a, z_v in pending:
                    logits_audio, logits_visual = unimodal.logits(model, z_a, z_v)
                    evaluation.add(labels, {"fused": logits, "audio": logits_audio, "visual": logits_visual})
    finally:
        model.train(was_training)
    if reduce is not None:
        evaluation.merge(reduce)
    return evaluation
