"""Unimodal outputs u_a, u_v under the config's ``unimodal`` score (per-modality accuracy, rho, OGM's coefficients).

Mirrors ``unimodalLogits`` in ``src/core/fusion.ts`` and ``AVModel.unimodal`` / ``setFeatureMeans`` in
``src/core/model.ts``:
- ``zero``: u_a = fusion(z_a, 0), u_v = fusion(0, z_v) (the paper; ``AVClassifier.heads``);
- ``mean``: the other modality's feature is its training-set mean, u_a = fusion(z_a, E[z_v]); the means come from
  the last evaluation pass over the training set, and before any pass the batch's own means stand in;
- ``half-bias``: OGM-GE's code, each modality's own linear part: concat W_a z_a + b/2, sum fc_x(z_a) and
  fc_y(z_v), decision head_a(z_a) and head_v(z_v); defined for concat, sum and decision only.
a and v are the first and the second branch, whatever their kinds (e.g. rgb and flow).
"""

import torch

UNIMODAL_SCORES = ("zero", "mean", "half-bias")
HALF_BIAS_FUSIONS = ("concat", "sum", "decision")


class Unimodal:
    """The unimodal score of a run, with the training-set feature means it keeps for ``mean``."""

    def __init__(self, mode="zero"):
        if mode not in UNIMODAL_SCORES:
            raise ValueError("unimodal must be one of %s, got %r" % (", ".join(UNIMODAL_SCORES), mode))
        self.mode = mode
        self.means = None  # (E[z_a], E[z_v]), each [1, d], for mode mean

    def set_means(self, mean_audio, mean_visual):
        self.means = (mean_audio.detach(), mean_visual.detach())

    def logits(self, model, z_a, z_v, reduce=None):
        """(u_a, u_v) for features z_a, z_v [B, d] of ``model`` (an AVClassifier).

        ``reduce`` sums a tensor over the processes that hold the batch, for the batch's own means (mode mean
        before the first evaluation pass); None: the batch is all here.
        """
        fm = model.fusion_module
        if self.mode == "zero":
            return fm(z_a, torch.zeros_like(z_v)), fm(torch.zeros_like(z_a), z_v)
        if self.mode == "mean":
            if self.means is not None:
                mean_a, mean_v = self.means
            elif reduce is None:
                mean_a, mean_v = z_a.mean(0, keepdim=True), z_v.mean(0, keepdim=True)
            else:
                count = float(reduce(torch.tensor([float(z_a.shape[0])], device=z_a.device)))
                mean_a = (reduce(z_a.sum(0, keepdim=True)) / count).to(z_a.dtype)
                mean_v = (reduce(z_v.sum(0, keepdim=True)) / count).to(z_v.dtype)
            b = z_a.shape[0]
            return fm(z_a, mean_v.expand(b, -1)), fm(mean_a.expand(b, -1), z_v)
        fusion = model.fusion
        if fusion == "concat":
            d = z_a.shape[1]
            w, bias = fm.fc_out.weight, fm.fc_out.bias
            half = bias * 0.5
            return z_a @ w[:, :d].t() + half, z_v @ w[:, d:].t() + half
        if fusion == "sum":
            return fm.fc_x(z_a), fm.fc_y(z_v)
        if fusion == "decision":
            return fm.head_a(z_a), fm.head_v(z_v)
        raise ValueError("unimodal = half-bias is defined for %s fusion, not %s" % (", ".join(HALF_BIAS_FUSIONS), fusion))
