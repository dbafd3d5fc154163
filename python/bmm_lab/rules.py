"""The lab's training rules on top of ``AVClassifier``: ERM, MM, B-MM, OGM / OGM-GE, the unimodal rows, MMPareto,
AGM, PMR, UMT and G-Blending (METHOD.md section 3; the balancing methods' references are in their TS files).

Each rule mirrors its TS file, arithmetic included:
- ``soft_cross_entropy``, ``interpolate``, ``permute_rows``: ``src/core/methods/method.ts``;
- ``erm_loss``: ``erm.ts``;
- ``mix_features``, ``mm_loss``: ``mm.ts`` (lambda z + (1 - lambda) z[p] on both features, before fusion);
- ``balance_plan``, ``planned_rho``, ``mix_weak_inputs``, ``bmm_loss``: ``bmm.ts``;
- ``ogm_coefficients``, ``ogm_coefficient_tensors``, ``modulate_gradients``, ``ogm_loss``: ``ogm-ge.ts``
  (unimodal outputs from ``unimodal.py``);
- ``unimodal_only_loss``: ``unimodal.ts``; ``mmpareto_step`` and its helpers: ``mmpareto.ts``; ``agm_step`` and its
  helpers: ``agm.ts``; ``pmr_loss``, ``class_feature_means``, ``PmrState``: ``pmr.ts``; ``umt_loss``: ``umt.ts``;
  ``gblend_loss``, ``blend_weights``, ``gblend_probe`` (and its loop ``probe_losses``), ``GblendState``: ``gblend.ts``;
  ``greedy_loss``, ``speed_groups``, ``learning_speeds``, ``d_bdr``, ``schedule_after_step``, ``update_gate_means``,
  ``GreedyState``: ``greedy.ts`` (the MMTM blocks themselves: ``model.MMTM``, ``mmtm.ts``).
  The step functions (``method_step``) run their own backward passes, as ``stepGradients``.
The random choices (lambda, p, m) are arguments: the replay takes them from the lab's trace, the trainer draws them.
A permutation is a list of batch positions, or a ``Partners`` when the batch is split across processes (each
process holds some rows; a row's partner may be in another process). ``reduce`` arguments sum a tensor over those
processes (None: one process).
"audio" and "visual" (arguments, ``weak``, the ``coef`` keys, the methods audio-only / visual-only) mean the first and
the second branch, whatever their kinds (``modalities.py``: a spectrogram, rgb or flow).
"""

import copy
import math
import re
from collections import namedtuple

import torch
import torch.nn.functional as F

from .optim import make_adam, step_lr
from .unimodal import Unimodal
from .validation import MASK, Rng

AUDIO_NET = "audio_net"
VISUAL_NET = "visual_net"
MODALITIES = ("audio", "visual")

BalancePlan = namedtuple("BalancePlan", ["weak", "m"])
BalancePlan.__doc__ = "The modality to mix (None: none) and the strength m in [0, 1) for an epoch."

BatchLoss = namedtuple("BatchLoss", ["loss", "logits", "coef"])
BatchLoss.__doc__ = "A batch's loss, its fused logits, and OGM's coefficients {audio, visual} (tensors) or None."


def micro_batch_ranges(n, size):
    """A batch of ``n`` positions split into micro-batches of ``size`` as (start, end) pairs; a last piece of one
    clip joins the one before (``microBatchRanges`` in trainStep.ts). ``size`` 0 or >= n: the whole batch."""
    if not size or size <= 0 or size >= n:
        return [(0, n)]
    out = [[s, min(n, s + size)] for s in range(0, n, size)]
    if len(out) > 1 and out[-1][1] - out[-1][0] < 2:
        out.pop()
        out[-1][1] = n
    return [tuple(r) for r in out]


# Methods whose micro-batched steps the replay reproduces: no per-batch draw the trace keeps only once (MM's
# lambda, B-MM's Beta sample) and no gradient modulation of each micro-batch's own gradients.
MICRO_BATCH_METHODS = ("erm", "bmm", "audio-only", "visual-only", "gblend")


def one_hot(labels, num_classes, dtype=torch.float32):
    """One-hot targets [B, C] from int64 labels [B]."""
    return F.one_hot(labels.long(), num_classes).to(dtype)


def soft_cross_entropy(logits, targets):
    """Cross-entropy against (possibly soft) targets, averaged over the batch: -(t * log_softmax(x)).sum(1).mean()."""
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def permute_rows(x, perm):
    """x[p]: row i of the result is row perm[i] of x (each row's mixing partner)."""
    if isinstance(perm, Partners):
        return perm(x)
    return x[torch.as_tensor(perm, dtype=torch.long, device=x.device)]


class Partners:
    """Mixing partners of this process's rows of a batch split across processes (DistributedDataParallel).

    ``perm`` holds, for each local row, its partner's position in the whole batch; ``gather`` assembles the whole
    batch from every process's rows (in batch order, differentiable). One process: ``gather`` is None and this is
    ``x[perm]``.
    """

    def __init__(self, perm, gather=None):
        self.perm = list(perm)
        self.gather = gather

    def __call__(self, x):
        whole = self.gather(x) if self.gather is not None else x
        return whole[torch.as_tensor(self.perm, dtype=torch.long, device=x.device)]


def interpolate(a, b, m):
    """(1 - m) a + m b, written as the TS does, so m = 0 gives a exactly."""
    return a * (1 - m) + b * m


def mix_features(z_a, z_v, targets, lam, perm):
    """MM's convex combinations: lambda x + (1 - lambda) x[p] for z_a, z_v and the targets (``mixFeatures``)."""
    w = 1 - lam  # lambda x + (1 - lambda) x[p] == interpolate(x, x[p], 1 - lambda)
    return (
        interpolate(z_a, permute_rows(z_a, perm), w),
        interpolate(z_v, permute_rows(z_v, perm), w),
        interpolate(targets, permute_rows(targets, perm), w),
    )


def balance_plan(rho, epoch, options):
    """Weak modality and m for a 0-based epoch from rho (``balancePlan``); ``options`` is the config's ``bmm``.

    No balancing during warm-up, before rho is known (None), or when rho is degenerate (not finite or <= 0). The
    weak modality is visual when rho > 1, else audio; r = max(rho, 1/rho); m = tanh(beta (r - 1)), or tanh(beta r)
    with coef = "tanh(beta*r)"; m is bounded by ``maxM``.
    """
    if rho is None or epoch < options["warmup"] or not math.isfinite(rho) or rho <= 0:
        return BalancePlan(None, 0.0)
    weak = "visual" if rho > 1 else "audio"
    r = max(rho, 1 / rho)
    beta = options["beta"]
    m = math.tanh(beta * r) if options["coef"] == "tanh(beta*r)" else math.tanh(beta * (r - 1))
    return BalancePlan(weak, min(m, options.get("maxM", 1)))


def planned_rho(history, smoothing):
    """The rho B-MM plans with (``plannedRho``): the last valid one, or with smoothing s > 0 the exponential average
    of log rho over the epochs so far, L_k = s L_(k-1) + (1 - s) log rho_k. Degenerate values (0, infinite) are
    skipped; None when there is none.
    """
    valid = [r for r in history if math.isfinite(r) and r > 0]
    if not valid:
        return None
    if smoothing <= 0:
        return valid[-1]
    log = math.log(valid[0])
    for r in valid[1:]:
        log = smoothing * log + (1 - smoothing) * math.log(r)
    return math.exp(log)


def ramp_factor(epoch, step, steps, options):
    """B-MM's ramp (``rampFactor``): with ``ramp`` R > 0, m is scaled by min(1, t / (R S)) at the t-th balanced step,
    t = (epoch - warmup) S + step + 1 (0-based epoch and step, S steps per epoch); 1 without a ramp."""
    ramp = options.get("ramp", 0)
    if ramp <= 0:
        return 1.0
    t = (epoch - options["warmup"]) * steps + step + 1
    return max(0.0, min(1.0, t / (ramp * max(1, steps))))


def epoch_rho(rho, history, options):
    """The rho an epoch's plan uses, as ``beginEpoch``: the last epoch's, or ``planned_rho`` with rhoSmoothing > 0."""
    smoothing = options.get("rhoSmoothing", 0)
    return planned_rho(history, smoothing) if smoothing > 0 else rho


def mix_weak_inputs(audio, visual, targets, weak, m, perm, target_mode="weak"):
    """Input-level mixing of the weak modality, (1 - m) x_w + m x_w[p] (``mixWeakInputs``).

    The strong modality's tensor is returned as is; the targets are mixed the same way (``weak``) or kept
    (``original``). Returns (audio, visual, targets).
    """
    mixed_targets = interpolate(targets, permute_rows(targets, perm), m) if target_mode == "weak" else targets
    if weak == "audio":
        return interpolate(audio, permute_rows(audio, perm), m), visual, mixed_targets
    if weak == "visual":
        return audio, interpolate(visual, permute_rows(visual, perm), m), mixed_targets
    raise ValueError("weak must be 'audio' or 'visual', got %r" % (weak,))


def erm_loss(model, audio, visual, targets):
    """Plain training: CE(fusion(z_a, z_v), y)."""
    logits = model(audio, visual)[0]
    return BatchLoss(soft_cross_entropy(logits, targets), logits, None)


def mm_loss(model, audio, visual, targets, lam, perm):
    """Multimodal Mixup: CE(fusion(z~_a, z~_v), y~) with MM's lambda and permutation."""
    z_a, z_v = model.encode(audio, visual)
    z_a, z_v, mixed_targets = mix_features(z_a, z_v, targets, lam, perm)
    logits = model.fusion_module(z_a, z_v)
    return BatchLoss(soft_cross_entropy(logits, mixed_targets), logits, None)


def bmm_loss(model, audio, visual, targets, weak, m, perm, options):
    """Balanced Multimodal Mixup for one batch with the batch's weak modality, strength m and permutation.

    ``weak`` None (or m = 0) is a plain batch. ``options`` is the config's ``bmm`` (``level``, ``targets``); m is
    the batch's strength (already times lambda for sample = beta).
    """
    if weak is None or m == 0:
        return erm_loss(model, audio, visual, targets)
    if options["level"] == "input":
        audio, visual, mixed_targets = mix_weak_inputs(audio, visual, targets, weak, m, perm, options["targets"])
        logits = model(audio, visual)[0]
        return BatchLoss(soft_cross_entropy(logits, mixed_targets), logits, None)
    z_a, z_v = model.encode(audio, visual)
    if weak == "audio":
        z_a = interpolate(z_a, permute_rows(z_a, perm), m)
    else:
        z_v = interpolate(z_v, permute_rows(z_v, perm), m)
    mixed_targets = interpolate(targets, permute_rows(targets, perm), m) if options["targets"] == "weak" else targets
    logits = model.fusion_module(z_a, z_v)
    return BatchLoss(soft_cross_entropy(logits, mixed_targets), logits, None)


def ogm_coefficients(score_audio, score_visual, alpha):
    """k_a, k_v from the two batch scores, as plain numbers (``ogmCoefficients``).

    ratio_v = s_v / s_a, ratio_a = 1 / ratio_v; the stronger modality (ratio > 1) gets 1 - tanh(alpha ratio), the
    other 1; both 1 when the scores are equal (or undefined).
    """
    ratio_v = _divide(score_visual, score_audio)
    ratio_a = _divide(1.0, ratio_v)
    if ratio_v > 1:
        return {"audio": 1.0, "visual": 1 - math.tanh(alpha * ratio_v)}
    if ratio_a > 1:
        return {"audio": 1 - math.tanh(alpha * ratio_a), "visual": 1.0}
    return {"audio": 1.0, "visual": 1.0}


def _divide(a, b):
    """a / b with IEEE results for b = 0 (as JavaScript numbers)."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def ogm_scores(logits_audio, logits_visual, targets):
    """The batch scores s_m = sum_i softmax(u_m)[i, y_i] (targets one-hot), as 0-d tensors."""
    return (F.softmax(logits_audio, dim=1) * targets).sum(), (F.softmax(logits_visual, dim=1) * targets).sum()


def ogm_coefficient_tensors(score_audio, score_visual, alpha):
    """Tensor version of ``ogm_coefficients`` (``coefficientTensors``): (k_a, k_v) as 0-d tensors."""
    ratio_v = score_visual / score_audio
    ratio_a = score_audio / score_visual
    one = torch.ones((), dtype=ratio_v.dtype, device=ratio_v.device)
    k_v = torch.where(ratio_v > 1, 1 - torch.tanh(ratio_v * alpha), one)
    k_a = torch.where(ratio_a > 1, 1 - torch.tanh(ratio_a * alpha), one)
    return k_a, k_v


def ogm_active(epoch, options):
    """Whether OGM modulates in this 0-based epoch: start <= epoch <= end (both included, as OGM-GE's code)."""
    return options["start"] <= epoch <= options["end"]


def ogm_loss(model, audio, visual, targets, alpha, active, unimodal=None, reduce=None):
    """Fused CE and, when ``active``, the batch's coefficients {audio, visual} from the same forward pass.

    ``unimodal`` (a ``Unimodal``; default zero) gives the unimodal outputs behind the scores; ``reduce`` sums the
    scores (and a batch mean) over the processes that hold the batch.
    """
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    loss = soft_cross_entropy(logits, targets)
    if not active:
        return BatchLoss(loss, logits, None)
    with torch.no_grad():
        logits_audio, logits_visual = (unimodal or Unimodal("zero")).logits(model, z_a, z_v, reduce)
        score_audio, score_visual = ogm_scores(logits_audio, logits_visual, targets)
        if reduce is not None:
            score_audio, score_visual = reduce(torch.stack([score_audio, score_visual]))
        k_a, k_v = ogm_coefficient_tensors(score_audio, score_visual, alpha)
    return BatchLoss(loss, logits, {"audio": k_a, "visual": k_v})


def is_encoder_conv_kernel(name, shape, encoder):
    """Whether a parameter is a 4-D conv kernel of the given encoder (``audio_net`` or ``visual_net``)."""
    return name.startswith(encoder + ".") and len(shape) == 4


def modulate_gradients(model, coef, mode, generator=None):
    """OGM's rewrite of the encoders' conv kernel gradients after backward, in place (``modulateGradients``).

    Every 4-D kernel gradient g of encoder m becomes g k_m; with mode ``ogm-ge`` the strong encoder (k < 1) also
    gets N(0, 1) (std(g) + 1e-8) noise, std unbiased over g's elements. k = 1 leaves a gradient as it is. The noise
    comes from ``generator`` (it cannot match TF.js's random stream).
    """
    for encoder, k in ((AUDIO_NET, coef["audio"]), (VISUAL_NET, coef["visual"])):
        strong = bool(k < 1)
        for name, p in model.named_parameters():
            if p.grad is None or not is_encoder_conv_kernel(name, p.shape, encoder):
                continue
            g = p.grad
            if mode == "ogm-ge" and strong:
                n = g.numel()
                std = torch.sqrt(((g - g.mean()) ** 2).sum() / max(1, n - 1))
                noise = torch.randn(g.shape, generator=generator, dtype=g.dtype, device=g.device) * (std + 1e-8)
                p.grad = g * k + noise
            else:
                p.grad = g * k


def unimodal_only_loss(model, audio, visual, targets, modality):
    """The audio-only / visual-only rows (``unimodal.ts``): CE(fusion(z_a, 0), y) or CE(fusion(0, z_v), y); the
    other encoder is not run (no gradient, so Adam leaves it alone)."""
    fm = model.fusion_module
    if modality == "audio":
        z_a = model.encode_audio(audio)
        logits = fm(z_a, torch.zeros_like(z_a))
    else:
        z_v = model.encode_visual(visual)
        logits = fm(torch.zeros_like(z_v), z_v)
    return BatchLoss(soft_cross_entropy(logits, targets), logits, None)


def umt_loss(model, audio, visual, targets, alpha, teachers):
    """UMT (``umt.ts``): CE(fusion(z_a, z_v), y) + alpha (MSE(z_a, t_a) + MSE(z_v, t_v)), the teachers' features
    from their frozen encoders (evaluation mode, no gradient)."""
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    with torch.no_grad():
        t_a = teachers.audio.encode_audio(audio)
        t_v = teachers.visual.encode_visual(visual)
    distill = F.mse_loss(z_a, t_a) + F.mse_loss(z_v, t_v)
    return BatchLoss(soft_cross_entropy(logits, targets) + alpha * distill, logits, None)


class UmtTeachers:
    """UMT's frozen teachers: ``audio`` (its first branch teaches) and ``visual`` (its second), in evaluation mode."""

    def __init__(self, audio, visual):
        self.audio = audio
        self.visual = visual
        for m in (audio, visual):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)

    def to(self, *args):
        self.audio.to(*args)
        self.visual.to(*args)
        return self


# -- methods that compute their gradients themselves (several passes): the step functions below run backward and
# -- leave the gradients Adam applies in ``p.grad``, as ``stepGradients`` does in the lab.

STEP_METHODS = ("mmpareto", "agm")


def min_norm_weight(v11, v12, v22):
    """MMPareto's two-task min-norm weight c of min_c |c x_1 + (1 - c) x_2|^2 (``minNormWeight``), plain numbers."""
    if v12 >= v11:
        return 0.999
    if v12 >= v22:
        return 0.001
    return -(v12 - v22) / (v11 + v22 - 2 * v12)


def pareto_weight(v11, v12, v22):
    """k_1, the weight of the multimodal gradient (``paretoWeight``): 1/2 when the cosine is > 0, else the min-norm c."""
    cos = v12 / max(math.sqrt(v11) * math.sqrt(v22), 1e-8)
    return 0.5 if cos > 0 else min_norm_weight(v11, v12, v22)


def pareto_weight_tensor(v11, v12, v22):
    """Tensor version of ``pareto_weight`` (``paretoWeightTensor``)."""
    cos = v12 / torch.clamp(torch.sqrt(v11) * torch.sqrt(v22), min=1e-8)
    between = (v22 - v12) / (v11 + v22 - v12 * 2)
    c = torch.where(v12 >= v11, torch.full_like(v11, 0.999), torch.where(v12 >= v22, torch.full_like(v11, 0.001), between))
    return torch.where(cos > 0, torch.full_like(v11, 0.5), c)


def pareto_combine(g1, g2, k, gamma):
    """gamma max(1, |g1 + g2| / |c|) c with c = 2 k g1 + 2 (1 - k) g2, zero where c is (``paretoCombine``)."""
    combined = g1 * (k * 2) + g2 * ((1 - k) * 2)
    plain_norm = torch.linalg.vector_norm(g1 + g2)
    norm = torch.linalg.vector_norm(combined)
    ratio = plain_norm / torch.clamp(norm, min=1e-30)
    scale = torch.where(norm > 0, torch.clamp(ratio, min=1.0), torch.zeros_like(norm))
    return combined * (scale * gamma)


def _trainable(model):
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def mmpareto_step(model, audio, visual, targets, gamma, unimodal=None):
    """MMPareto on one batch (``mmpareto.ts``): the gradients of L_mm and of L_a + L_v, per encoder the Pareto weight
    and the rescaled combination, the head the plain sum. Sets ``p.grad``; returns the BatchLoss (loss L_mm + L_a +
    L_v) with ``coef`` {audio, visual} = k_1 per encoder."""
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    loss_mm = soft_cross_entropy(logits, targets)
    u_a, u_v = (unimodal or Unimodal("zero")).logits(model, z_a, z_v)
    loss_uni = soft_cross_entropy(u_a, targets) + soft_cross_entropy(u_v, targets)
    named = _trainable(model)
    params = [p for _, p in named]
    g_mm = torch.autograd.grad(loss_mm, params, retain_graph=True, allow_unused=True)
    g_uni = torch.autograd.grad(loss_uni, params, allow_unused=True)
    coef = {}
    done = set()
    with torch.no_grad():
        for encoder, key in ((AUDIO_NET, "audio"), (VISUAL_NET, "visual")):
            idx = [i for i, (n, _) in enumerate(named) if n.startswith(encoder + ".") and g_mm[i] is not None and g_uni[i] is not None]
            dot = lambda a, b: sum((a[i] * b[i]).sum() for i in idx)  # noqa: E731
            k = pareto_weight_tensor(dot(g_mm, g_mm), dot(g_mm, g_uni), dot(g_uni, g_uni))
            for i in idx:
                params[i].grad = pareto_combine(g_mm[i], g_uni[i], k, gamma)
                done.add(i)
            coef[key] = k
        for i, p in enumerate(params):
            if i in done:
                continue
            parts = [g for g in (g_mm[i], g_uni[i]) if g is not None]
            p.grad = (parts[0] + parts[1]) if len(parts) == 2 else (parts[0] if parts else None)
    return BatchLoss((loss_mm + loss_uni).detach(), logits, coef)


def shapley_responses(full, audio_only, visual_only):
    """AGM's responses (``shapleyResponses``): m_a = (f(a,v) - f(0,v) + f(a,0)) / 2, m_v = (f(a,v) - f(a,0) + f(0,v)) / 2."""
    return (full - visual_only + audio_only) * 0.5, (full - audio_only + visual_only) * 0.5


def agm_score(logits, targets):
    """s = mean_i -log max(softmax(x)[i, y_i], 1e-8) (``agmScore``)."""
    p = (F.softmax(logits, dim=1) * targets).sum(dim=1)
    return -torch.log(torch.clamp(p, min=1e-8)).mean()


def agm_coefficients(scores, means, alpha):
    """k_a, k_v from the batch scores and the running means before the step, plain numbers (``agmCoefficients``)."""

    def k(s, o, ms, mo):
        return math.exp(alpha * min(math.exp(mo - ms) - math.exp(o - s), 10))

    return {"audio": k(scores["audio"], scores["visual"], means["audio"], means["visual"]), "visual": k(scores["visual"], scores["audio"], means["visual"], means["audio"])}


def head_output_weights(fusion):
    """The head's output layer weights AGM's clipping looks at (``headOutputWeights``)."""
    if fusion == "sum":
        return ["fusion_module.fc_x.weight", "fusion_module.fc_y.weight"]
    if fusion == "decision":
        return ["fusion_module.head_a.weight", "fusion_module.head_v.weight"]
    return ["fusion_module.fc_out.weight"]


def agm_clip(model, output_weights):
    """clip_grad_norm_(max 5) of every gradient when an output-layer gradient leaves [-5, 5] (``agmClip``), in place."""
    grads = [(n, p) for n, p in model.named_parameters() if p.grad is not None]
    head = [p.grad for n, p in grads if n in output_weights]
    if not head:
        return
    extreme = torch.stack([g.abs().max() for g in head]).max()
    norm = torch.sqrt(sum((p.grad * p.grad).sum() for _, p in grads))
    factor = torch.clamp(5 / (norm + 1e-6), max=1.0)
    scale = torch.where(extreme > 5, factor, torch.ones_like(factor))
    for _, p in grads:
        p.grad = p.grad * scale


class AgmState:
    """AGM's running means of the scores over the steps so far (0 before the first) and their count; kept in the
    trainer's checkpoint (``state_dict``), as the lab's."""

    def __init__(self):
        self.means = None
        self.steps = 0

    def state_dict(self):
        return None if self.means is None else {"means": [m.detach().cpu() for m in self.means], "steps": self.steps}

    def load_state_dict(self, state, device=None):
        self.means = tuple(m.to(device) for m in state["means"])
        self.steps = int(state["steps"])


def agm_step(model, audio, visual, targets, alpha, fusion, state):
    """AGM on one batch (``agm.ts``): the training forward and CE, the two masked passes in evaluation mode, the
    coefficients from the scores and ``state``'s running means (then updated), backward, the encoder kernels'
    gradients times k_m, the clipping. Returns the BatchLoss with ``coef`` {audio, visual}."""
    logits = model(audio, visual)[0]
    loss = soft_cross_entropy(logits, targets)
    with torch.no_grad():
        was_training = model.training
        model.eval()
        audio_only = model(audio, torch.zeros_like(visual))[0]
        visual_only = model(torch.zeros_like(audio), visual)[0]
        model.train(was_training)
        r_a, r_v = shapley_responses(logits.detach(), audio_only, visual_only)
        s_a, s_v = agm_score(r_a, targets), agm_score(r_v, targets)
        m_a, m_v = state.means if state.means is not None else (torch.zeros_like(s_a), torch.zeros_like(s_v))

        def k(s, o, ms, mo):
            return torch.exp(torch.clamp(torch.exp(mo - ms) - torch.exp(o - s), max=10) * alpha)

        k_a, k_v = k(s_a, s_v, m_a, m_v), k(s_v, s_a, m_v, m_a)
        state.steps += 1
        t = state.steps
        state.means = (m_a * ((t - 1) / t) + s_a / t, m_v * ((t - 1) / t) + s_v / t)
    loss.backward()
    modulate_gradients(model, {"audio": k_a, "visual": k_v}, "ogm")
    agm_clip(model, head_output_weights(fusion))
    return BatchLoss(loss.detach(), logits, {"audio": k_a, "visual": k_v})


def prototype_logits(z, prototypes):
    """-|z_i - p_c|, the Euclidean distance of each feature [B, d] to each class prototype [C, d] (``prototypeLogits``)."""
    diff = z.unsqueeze(1) - prototypes.unsqueeze(0)
    return -torch.sqrt((diff * diff).sum(dim=2))


def pmr_coefficients(score_audio, score_visual):
    """(beta, lambda) of PMR from the prototype scores, plain numbers (``pmrCoefficients``)."""
    ratio = score_audio / score_visual
    clip = lambda x: min(1.0, max(0.0, x))  # noqa: E731
    return {"audio": 0.0, "visual": clip(ratio - 1)} if ratio >= 1 else {"audio": clip(1 / ratio - 1), "visual": 0.0}


def class_feature_means(model, batches, num_classes):
    """Per-class mean features (P_a, P_v) [C, d] over ``batches`` of (audio, visual, labels) in evaluation mode
    (``classFeatureMeans``; zero for a class without clips)."""
    was_training = model.training
    model.eval()
    sums_a = sums_v = None
    counts = torch.zeros(num_classes)
    with torch.no_grad():
        for audio, visual, labels in batches:
            z_a, z_v = model.encode(audio, visual)
            t = one_hot(labels, num_classes, z_a.dtype).to(z_a.device).t()
            sums_a = t @ z_a if sums_a is None else sums_a + t @ z_a
            sums_v = t @ z_v if sums_v is None else sums_v + t @ z_v
            counts += torch.bincount(labels.long().cpu(), minlength=num_classes).to(counts.dtype)
    model.train(was_training)
    n = torch.clamp(counts, min=1).to(sums_a.dtype).to(sums_a.device).unsqueeze(1)
    return sums_a / n, sums_v / n


class PmrState:
    """PMR's class prototypes (P_a, P_v), renewed before each epoch: the fresh class means, then with momentum mu
    (1 - mu) P_new + mu P_old after the first epoch (``createPmr``'s beginEpoch)."""

    def __init__(self, momentum):
        self.momentum = momentum
        self.prototypes = None

    def state_dict(self):
        """The prototypes for the trainer's checkpoint (the lab keeps them too), None before the first epoch."""
        return None if self.prototypes is None else {"prototypes": [p.detach().cpu() for p in self.prototypes]}

    def load_state_dict(self, state, device=None):
        self.prototypes = tuple(p.to(device) for p in state["prototypes"])

    def begin_epoch(self, epoch, fresh):
        if self.prototypes is not None and epoch > 0:
            mu = self.momentum
            self.prototypes = tuple(f * (1 - mu) + o * mu for f, o in zip(fresh, self.prototypes))
        else:
            self.prototypes = fresh


def pmr_loss(model, audio, visual, targets, alpha, prototypes):
    """PMR on one batch (``pmr.ts``): CE(fused) + alpha beta CE(sim_a) + alpha lambda CE(sim_v), the coefficients
    (tensors, differentiated as in the reference) in ``coef`` {audio: beta, visual: lambda}."""
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    fused = soft_cross_entropy(logits, targets)
    if prototypes is None:
        return BatchLoss(fused, logits, None)
    sim_a, sim_v = prototype_logits(z_a, prototypes[0]), prototype_logits(z_v, prototypes[1])
    ratio = (F.softmax(sim_a, dim=1) * targets).sum() / (F.softmax(sim_v, dim=1) * targets).sum()
    strong_audio = ratio >= 1
    zero = torch.zeros_like(ratio)
    beta = torch.where(strong_audio, zero, torch.clamp(1 / ratio - 1, 0, 1))
    lam = torch.where(strong_audio, torch.clamp(ratio - 1, 0, 1), zero)
    loss = fused + beta * alpha * soft_cross_entropy(sim_a, targets) + lam * alpha * soft_cross_entropy(sim_v, targets)
    return BatchLoss(loss, logits, {"audio": beta.detach(), "visual": lam.detach()})


# -- G-Blending (``gblend.ts``): loss weights of the audio, visual and fused heads, measured every gblend.superEpoch
# -- epochs by probe-training copies of the model, one per head, and scoring them on the validation clips.

BLEND_HEADS = ("audio", "visual", "fused")
PROBE_SALT = 0x6B1E4D2F


def _js_div(a, b):
    """a / b as JavaScript divides (b = 0 gives +-Infinity, or NaN for 0 / 0), for plain numbers."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def blend_weights(losses):
    """w_h = |G| / O^2 normalised to sum 1, G = L^V_last - L^V_first, O = (L^V_last - L^T_last) - (L^V_first -
    L^T_first), from ``losses`` {head: {trainFirst, valFirst, trainLast, valLast}} (``blendWeights``); 1/3 each
    when a weight is not finite (O = 0) or the sum is not > 0. Plain numbers."""
    raw = []
    for h in BLEND_HEADS:
        l = losses[h]
        g = l["valLast"] - l["valFirst"]
        o = l["valLast"] - l["trainLast"] - (l["valFirst"] - l["trainFirst"])
        raw.append(_js_div(abs(g), o * o))
    total = raw[0] + raw[1] + raw[2]
    if not all(math.isfinite(w) for w in raw) or not total > 0:
        return {h: 1 / 3 for h in BLEND_HEADS}
    return {h: w / total for h, w in zip(BLEND_HEADS, raw)}


def head_logits(model, head, z_a, z_v, logits, unimodal=None, reduce=None):
    """The logits of one head: the fused ``logits``, or a unimodal output of the run's score (``headLogits``)."""
    if head == "fused":
        return logits
    u_a, u_v = (unimodal or Unimodal("zero")).logits(model, z_a, z_v, reduce)
    return u_a if head == "audio" else u_v


def head_loss(model, head, audio, visual, targets, unimodal=None, reduce=None):
    """The probe's loss: CE of one head (forward of both encoders, as the lab's ``model.forward``); a BatchLoss."""
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    return BatchLoss(soft_cross_entropy(head_logits(model, head, z_a, z_v, logits, unimodal, reduce), targets), logits, None)


def gblend_loss(model, audio, visual, targets, weights, unimodal=None, reduce=None):
    """G-Blending on one batch (``gblend.ts`` batchLoss): w_a CE(u_a, y) + w_v CE(u_v, y) + w_f CE(fused, y), u the
    unimodal outputs of ``unimodal`` (the run's score), ``weights`` {audio, visual, fused} plain numbers."""
    if weights is None:
        raise ValueError("gblend: the loss weights were not measured before the epoch")
    z_a, z_v = model.encode(audio, visual)
    logits = model.fusion_module(z_a, z_v)
    u_a, u_v = (unimodal or Unimodal("zero")).logits(model, z_a, z_v, reduce)
    loss = (
        soft_cross_entropy(u_a, targets) * weights["audio"]
        + soft_cross_entropy(u_v, targets) * weights["visual"]
        + soft_cross_entropy(logits, targets) * weights["fused"]
    )
    return BatchLoss(loss, logits, None)


def probe_generator(seed, epoch):
    """The probe's own generator before 0-based ``epoch``: Rng(((seed ^ salt) >>> 0) + epoch >>> 0), so the run's
    stream of random numbers is the same as without the probe."""
    return Rng((((int(seed) ^ PROBE_SALT) & MASK) + int(epoch)) & MASK)


def probe_losses(epochs, n_train, batch, rng, train_step, val_loss, on_epoch=None):
    """One head's probe (``probeHead``'s loop): ``epochs`` epochs, each in the order ``rng.permutation(n_train)``
    over the trained clips, batches of ``batch`` (a final batch of fewer than 2 clips skipped); after the first and
    the last epoch the epoch's size-weighted mean training loss and ``val_loss()``.

    ``train_step(indices, start, k)`` runs one optimisation step on the batch of trained-clip ``indices`` (positions
    ``start`` .. of probe epoch ``k``'s order) and returns its loss (a number); ``on_epoch(k, order)``, when given,
    is called before each probe epoch's batches. Returns {trainFirst, valFirst, trainLast, valLast}.
    """
    losses = {"trainFirst": math.nan, "valFirst": math.nan, "trainLast": math.nan, "valLast": math.nan}
    for k in range(epochs):
        order = rng.permutation(n_train)
        if on_epoch is not None:
            on_epoch(k, order)
        loss_sum, seen, position = 0.0, 0, 0
        while position < len(order):
            size = min(batch, len(order) - position)
            if size < 2:
                break
            loss_sum += train_step(order[position : position + size], position, k) * size
            seen += size
            position += size
        if k == 0 or k == epochs - 1:
            val = val_loss()
            train = loss_sum / seen if seen else math.nan
            if k == 0:
                losses["trainFirst"], losses["valFirst"] = train, val
            if k == epochs - 1:
                losses["trainLast"], losses["valLast"] = train, val
    return losses


def probe_copy(model):
    """A copy of the model for a probe: parameters and BatchNorm running statistics, no gradients, training mode."""
    out = copy.deepcopy(model)
    for p in out.parameters():
        p.grad = None
    return out.train()


def gblend_probe(config, model, epoch, n_train, train_inputs, val_batches, unimodal=None, make_copy=probe_copy):
    """G-Blending's probe before 0-based ``epoch`` on one process, as ``beforeEpoch`` / ``probeHead`` in gblend.ts.

    For the heads audio, visual, fused in turn, all drawing from one ``probe_generator(seed, epoch)``: a copy of
    ``model`` (``make_copy``) with a fresh Adam like the main one at the epoch's StepLR rate, trained
    ``gblend.superEpoch`` epochs on that head's CE alone over the ``n_train`` trained clips (``probe_losses``), in
    micro-batches when the config has them (summed weighted by size, one Adam step); the validation loss is the mean
    CE of the head over the validation clips in evaluation mode (the copy's running statistics).

    ``train_inputs(indices)`` gives (audio, visual, labels) of trained clips in batch order; ``val_batches()`` yields
    the validation clips' (audio, visual, labels) in batches of max(batch, 16), in order; ``unimodal`` is the run's
    ``Unimodal`` (its feature means are shared, not changed). Returns (weights {audio, visual, fused}, losses {head:
    {trainFirst, valFirst, trainLast, valLast}}); the copies are thrown away and ``model`` is left as it was.
    """
    unimodal = unimodal or Unimodal("zero")
    lr = step_lr(config["lr"], epoch, config["stepLr"])
    rng = probe_generator(config["seed"], epoch)
    micro = config.get("microBatch", 0)
    measured = {}
    for head in BLEND_HEADS:
        probe = make_copy(model)
        scores = Unimodal(unimodal.mode)
        scores.means = unimodal.means
        optimizer = make_adam(probe, lr, config["weightDecay"])
        first = next(probe.parameters())
        dtype, device = first.dtype, first.device

        def train_step(indices, _start, _k, probe=probe, optimizer=optimizer, head=head, scores=scores):
            audio, visual, labels = train_inputs(indices)
            audio, visual = audio.to(device, dtype), visual.to(device, dtype)
            targets = one_hot(labels, probe.num_classes, dtype).to(device)
            optimizer.zero_grad(set_to_none=True)
            ranges = micro_batch_ranges(len(indices), micro)
            if len(ranges) == 1:
                loss = head_loss(probe, head, audio, visual, targets, scores).loss
                loss.backward()
                value = float(loss.detach())
            else:
                total, value = len(indices), 0.0
                for a, b in ranges:
                    loss = head_loss(probe, head, audio[a:b], visual[a:b], targets[a:b], scores).loss
                    (loss * ((b - a) / total)).backward()
                    value += float(loss.detach()) * (b - a) / total
            optimizer.step()
            return value

        def val_loss(probe=probe, head=head, scores=scores):
            probe.eval()
            total, count = 0.0, 0
            try:
                with torch.no_grad():
                    for audio, visual, labels in val_batches():
                        targets = one_hot(labels, probe.num_classes, dtype).to(device)
                        loss = head_loss(probe, head, audio.to(device, dtype), visual.to(device, dtype), targets, scores).loss
                        total += float(loss * len(labels))
                        count += len(labels)
            finally:
                probe.train()
            if count == 0:
                raise ValueError("method gblend needs validation clips held out of the training split: set valSplit (e.g. 0.1)")
            return total / count

        measured[head] = probe_losses(config["gblend"]["superEpoch"], n_train, config["batch"], rng, train_step, val_loss)
        del probe, optimizer
    return blend_weights(measured), measured


class GblendState:
    """G-Blending's state: the loss weights {audio, visual, fused} (None before the first probe; kept in the
    trainer's checkpoint, so a resumed run probes where an uninterrupted one does) and the last probe's losses."""

    def __init__(self, super_epoch):
        self.super_epoch = super_epoch
        self.weights = None
        self.losses = None

    def state_dict(self):
        return None if self.weights is None else {"weights": dict(self.weights)}

    def load_state_dict(self, state, device=None):
        self.weights = {k: float(state["weights"][k]) for k in BLEND_HEADS}

    def due(self, epoch):
        """Whether the probe runs before 0-based ``epoch``: no weights yet, or every superEpoch epochs from 0."""
        return self.weights is None or epoch % self.super_epoch == 0


# -- Greedy (``greedy.ts``): Wu et al., ICML 2022, "Characterizing and overcoming the greedy nature of learning in
# -- multi-modal deep neural networks". Written from nyukat/greedy_multimodal_learning, src/balanced_mmtm.py,
# -- src/callbacks.py (Bias_Mitigation_Strong), and GeWu-Lab/BalanceBenchmark, balancemm/trainer/Greedy_trainer.py.
#
# The model has MMTM blocks after layer2-4 (``AVClassifier(mmtm=True)``, ``model.MMTM``). The loss is the fused
# cross-entropy with the MMTM forward, as ERM (BalanceBenchmark's Greedy trainer; the authors' code has one head per
# view and sums the views' cross-entropies). After each training step's forward the running means of the gates are
# updated; after its backward, before Adam (so before Adam's weight decay, which PyTorch adds inside the step), the
# conditional learning speeds and the re-balancing schedule (``GreedyState.end_step``):
# - main_m = sum ||g||^2 / sum ||p||^2 over the trainable parameters of encoder m (every ``audio_net.*`` resp.
#   ``visual_net.*`` parameter: conv kernels, BatchNorm weights and biases; running statistics are buffers),
#   bypass_m the same over the blocks' ``fc_audio`` (resp. ``fc_visual``) and the shared ``fc_squeeze`` (counted for
#   both); the fusion head counts for neither. A parameter without a gradient adds 0 to ||g||^2 (its weight still
#   counts); a group whose weights sum to 0 has speed 0.
# - running sums M (float64, of the speeds read back as numbers) and d = log10(M_bypass_a / M_main_a) -
#   log10(M_bypass_v / M_main_v); d = 0 (no re-balancing) while any of the four sums is 0 (or not finite).
# - before epoch ``greedy.start`` (0-based) the speeds are summed and nothing is held. From it, a step outside a
#   window sums and computes d; |d| > ``greedy.epsilon`` starts a window: the next ``greedy.window`` steps hold the
#   gates of the audio branch (d > 0) or the visual branch (d < 0) at their running means; within a window the
#   speeds are not summed and d is not computed (the authors' code).
# The running means are the authors' cumulative means, mean <- (gbar + mean n) / (n + 1) over the training steps
# (gbar: the step's batch mean of a block's gates, computed before any replacement), with their bug fixed (their
# second modality's mean took the first modality's gates) and only training steps counted (theirs counted every
# forward); a step holds the means before its own update. Evaluation passes run the blocks plainly.

GREEDY_HOLDS = (None, "audio", "visual")
SPEED_GROUPS = ("mainAudio", "mainVisual", "bypassAudio", "bypassVisual")
_BYPASS = (
    (re.compile(r"^mmtm\d+\.fc_squeeze\."), ("bypassAudio", "bypassVisual")),
    (re.compile(r"^mmtm\d+\.fc_audio\."), ("bypassAudio",)),
    (re.compile(r"^mmtm\d+\.fc_visual\."), ("bypassVisual",)),
)


def speed_groups(name):
    """The speed groups a parameter counts for (``speedGroups``): mainAudio, mainVisual, bypassAudio and/or
    bypassVisual (fc_squeeze: both bypasses; the fusion head: none)."""
    if name.startswith(AUDIO_NET + "."):
        return ("mainAudio",)
    if name.startswith(VISUAL_NET + "."):
        return ("mainVisual",)
    for pattern, groups in _BYPASS:
        if pattern.match(name):
            return groups
    return ()


def learning_speeds(model):
    """Each group's sum ||g||^2 / sum ||p||^2 over ``model``'s trainable parameters (``speedRatios``), with the
    current ``p.grad`` and weights, as Python floats {mainAudio, mainVisual, bypassAudio, bypassVisual}; 0 for a
    group whose weights sum to 0. A parameter without a gradient adds 0 to ||g||^2."""
    grads = {k: [] for k in SPEED_GROUPS}
    weights = {k: [] for k in SPEED_GROUPS}
    with torch.no_grad():
        for name, p in model.named_parameters():
            groups = speed_groups(name)
            if not groups or not p.requires_grad:
                continue
            w = (p * p).sum()
            g = (p.grad * p.grad).sum() if p.grad is not None else None
            for k in groups:
                weights[k].append(w)
                if g is not None:
                    grads[k].append(g)
        out = {}
        for k in SPEED_GROUPS:
            w = torch.stack(weights[k]).sum() if weights[k] else None
            if w is None or not float(w) > 0:
                out[k] = 0.0
                continue
            g = torch.stack(grads[k]).sum() if grads[k] else torch.zeros_like(w)
            out[k] = (g / w).item()
    return out


def d_bdr(sums):
    """d = log10(M_bypass_a / M_main_a) - log10(M_bypass_v / M_main_v) from the running sums (``dBdr``); 0.0 (no
    re-balancing) while any of the four sums is 0, and also when a sum or a ratio is not a finite positive number
    (gradients that overflowed, e.g. under bfloat16 autocast), where the logarithms are undefined."""
    if not all(math.isfinite(sums[k]) and sums[k] > 0 for k in SPEED_GROUPS):
        return 0.0
    ratio_a, ratio_v = sums["bypassAudio"] / sums["mainAudio"], sums["bypassVisual"] / sums["mainVisual"]
    if not all(math.isfinite(r) and r > 0 for r in (ratio_a, ratio_v)):
        return 0.0
    return math.log10(ratio_a) - math.log10(ratio_v)


GreedySchedule = namedtuple("GreedySchedule", ["curation", "count", "hold", "sums"])
GreedySchedule.__doc__ = (
    "Greedy's re-balancing state: whether a window runs (curation), the steps of it done (count), the modality "
    "held in the next step (hold: None, 'audio' or 'visual') and the running sums of the speeds {group: float}."
)


def initial_schedule():
    """The schedule before the first step (``initialSchedule``): no window, nothing held, all sums 0."""
    return GreedySchedule(False, 0, None, {k: 0.0 for k in SPEED_GROUPS})


def schedule_after_step(schedule, epoch, speeds, options):
    """(the schedule after a step of 0-based ``epoch`` with these ``speeds``, the d it computed or None within a
    window), as ``scheduleAfterStep``; ``options`` is the config's ``greedy`` {epsilon, window, start}.

    - unlocked (epoch >= start) within a window: count + 1; the window ends (curation off, hold None) when count
      reaches ``window``; no sums, d None;
    - otherwise the speeds are added to the sums and d computed; unlocked and |d| > epsilon: a window starts
      (count 0, hold "audio" when d > 0, else "visual"); else no window, hold None, count 0.
    """
    unlocked = epoch >= options["start"]
    if unlocked and schedule.curation:
        count = schedule.count + 1
        if count == options["window"]:
            return schedule._replace(curation=False, count=count, hold=None), None
        return schedule._replace(count=count), None
    sums = {k: schedule.sums[k] + float(speeds[k]) for k in SPEED_GROUPS}
    d = d_bdr(sums)
    if unlocked and abs(d) > options["epsilon"]:
        return GreedySchedule(True, 0, "audio" if d > 0 else "visual", sums), d
    return GreedySchedule(False, 0, None, sums), d


def update_gate_means(means, record, n):
    """mean <- (gbar + mean * n) / (n + 1) per block and modality (``updateGateMeans``): ``record`` and the result
    are one (audio, visual) pair per block; ``means`` None before the first step (zeros)."""
    out = []
    for i, (gbar_a, gbar_v) in enumerate(record):
        mean_a, mean_v = means[i] if means is not None else (torch.zeros_like(gbar_a), torch.zeros_like(gbar_v))
        out.append(((gbar_a + mean_a * n) / (n + 1), (gbar_v + mean_v * n) / (n + 1)))
    return out


def greedy_loss(model, audio, visual, targets, hold=None, means=None, record=None):
    """Greedy on one batch (``greedy.ts`` batchLoss / stepGradients): CE(fusion(z_a, z_v), y) with the MMTM forward,
    ``hold`` (None, "audio", "visual") replacing that modality's gates by ``means`` (one (mean_a, mean_v) pair per
    block); ``record`` (a list) receives the blocks' (gbar_a, gbar_v)."""
    z_a, z_v = model.encode(audio, visual, mmtm_hold=hold, mmtm_means=means if hold is not None else None, mmtm_record=record)
    logits = model.fusion_module(z_a, z_v)
    return BatchLoss(soft_cross_entropy(logits, targets), logits, None)


class GreedyState:
    """Greedy's state across steps: the gates' running means (one (mean_a, mean_v) pair per block, None before the
    first step) and their step count n, the schedule (``GreedySchedule``), and per step what it held and the d it
    computed (``last``, the trace's ``greedy``). Kept in the trainer's checkpoint (``state_dict``), as the lab's.

    A step: ``batch_loss`` runs the forward (``forward_hold``: the trace's hold when the mixing has one, as in the
    replay, else this state's), keeping the gate record; after backward ``end_step`` updates the means, takes the
    speeds and moves the schedule. ``held`` counts the epoch's steps whose forward held each modality and
    ``epoch_d`` is the epoch's last d (None before one); ``begin_epoch`` resets both.
    """

    def __init__(self):
        self.means = None
        self.steps = 0
        self.schedule = initial_schedule()
        self.record = None
        self.forward_hold = None
        self.last = None
        self.held = {"audio": 0, "visual": 0}
        self.epoch_d = None

    def begin_epoch(self):
        self.held = {"audio": 0, "visual": 0}
        self.epoch_d = None

    def loss(self, model, audio, visual, targets, hold=None):
        """The step's loss (``greedy_loss``) holding ``hold``, recording the gates for ``end_step``."""
        if hold is not None and self.means is None:
            raise ValueError("method greedy: the %s gates are held before any training step gave their running means" % hold)
        self.record = []
        self.forward_hold = hold
        return greedy_loss(model, audio, visual, targets, hold, self.means, self.record)

    def end_step(self, model, epoch, options, reduce=None, share=1.0):
        """After the step's backward (gradients in ``p.grad``, all-reduced under DDP), before Adam: the running means
        from the forward's record, the speeds (``learning_speeds``), the schedule (``schedule_after_step``, 0-based
        ``epoch``, the config's ``greedy``). ``reduce`` sums over the processes holding the batch, ``share`` this
        process's fraction of its clips: the record becomes the whole batch's mean gates. Returns and keeps
        ``last`` = {"hold": the hold this state's schedule gave the step, "dBDR": d or None}."""
        if self.record is None:
            raise ValueError("method greedy: end_step without a forward (GreedyState.loss) in this step")
        record = self.record
        if reduce is not None:
            flat = torch.cat([g for pair in record for g in pair]) * share
            parts = list(torch.split(reduce(flat).to(flat.dtype), [g.numel() for pair in record for g in pair]))
            record = [(parts[2 * i], parts[2 * i + 1]) for i in range(len(record))]
        self.means = update_gate_means(self.means, record, self.steps)
        self.steps += 1
        if self.forward_hold is not None:
            self.held[self.forward_hold] += 1
        hold = self.schedule.hold
        self.schedule, d = schedule_after_step(self.schedule, epoch, learning_speeds(model), options)
        self.record = None
        if d is not None:
            self.epoch_d = d
        self.last = {"hold": hold, "dBDR": d}
        return dict(self.last)

    def state_dict(self):
        """The state for the trainer's checkpoint, None before the first step."""
        if self.means is None:
            return None
        s = self.schedule
        return {
            "means": [[a.detach().cpu(), v.detach().cpu()] for a, v in self.means],
            "steps": self.steps,
            "curation": s.curation,
            "count": s.count,
            "hold": s.hold,
            "sums": dict(s.sums),
        }

    def load_state_dict(self, state, device=None):
        if state["hold"] not in GREEDY_HOLDS:
            raise ValueError("checkpoint: the greedy state has an unknown hold %r" % (state["hold"],))
        self.means = [(a.to(device), v.to(device)) for a, v in state["means"]]
        self.steps = int(state["steps"])
        self.schedule = GreedySchedule(bool(state["curation"]), int(state["count"]), state["hold"], {k: float(state["sums"][k]) for k in SPEED_GROUPS})


# Methods the trainer runs on one process only (their own passes, or per-epoch state over the whole training set).
ONE_PROCESS_METHODS = STEP_METHODS + ("pmr",)


def method_step(config, model, audio, visual, targets, unimodal=None, state=None):
    """One batch of a method in ``STEP_METHODS``: loss, its own backward passes and gradient rewriting (``p.grad``
    left for Adam). ``state``: the method's state across steps (``method_state``)."""
    method = config["method"]
    if method == "mmpareto":
        return mmpareto_step(model, audio, visual, targets, config["mmpareto"]["gamma"], unimodal)
    if method == "agm":
        return agm_step(model, audio, visual, targets, config["agm"]["alpha"], config["fusion"], state)
    raise ValueError("method %r has no step rule here (known: %s)" % (method, ", ".join(STEP_METHODS)))


def method_state(config):
    """A fresh state for the config's method (AGM's running means, PMR's prototypes, G-Blending's weights, Greedy's
    gate means and schedule), or None."""
    if config["method"] == "agm":
        return AgmState()
    if config["method"] == "pmr":
        return PmrState(config["pmr"]["momentum"])
    if config["method"] == "gblend":
        return GblendState(config["gblend"]["superEpoch"])
    if config["method"] == "greedy":
        return GreedyState()
    return None


def batch_loss(config, model, audio, visual, targets, mixing, epoch, unimodal=None, reduce=None, state=None):
    """The config's method on one batch with given random choices; ``epoch`` is 0-based.

    ``mixing``: ``perm`` (MM, B-MM; a list or ``Partners``), ``lambda`` (MM), ``m`` and ``weak`` (B-MM: the
    batch's strength and mixed modality, None when it does not mix), ``blend`` (G-Blending's weights {audio, visual,
    fused}; without it, those of ``state``), ``greedy`` (Greedy: the trace's {hold, dBDR}; its hold is the step's,
    else that of ``state``'s schedule). ``unimodal``: the run's ``Unimodal`` (OGM's scores, G-Blending's heads);
    ``reduce``: sums over the processes holding the batch (OGM's scores, the batch's own feature means). Returns a
    BatchLoss; OGM's coefficients are in ``coef``.
    """
    method = config["method"]
    if method == "erm":
        return erm_loss(model, audio, visual, targets)
    if method == "mm":
        return mm_loss(model, audio, visual, targets, mixing["lambda"], mixing["perm"])
    if method == "bmm":
        return bmm_loss(model, audio, visual, targets, mixing.get("weak"), mixing.get("m"), mixing.get("perm"), config["bmm"])
    if method == "ogm-ge":
        return ogm_loss(model, audio, visual, targets, config["ogm"]["alpha"], ogm_active(epoch, config["ogm"]), unimodal, reduce)
    if method in ("audio-only", "visual-only"):
        return unimodal_only_loss(model, audio, visual, targets, method.split("-")[0])
    if method == "pmr":
        return pmr_loss(model, audio, visual, targets, config["pmr"]["alpha"], state.prototypes)
    if method == "umt":
        if not isinstance(state, UmtTeachers):
            raise ValueError("method umt needs its teachers (UmtTeachers) as the state")
        return umt_loss(model, audio, visual, targets, config["umt"]["alpha"], state)
    if method == "gblend":
        weights = mixing.get("blend") if mixing else None
        if weights is None and isinstance(state, GblendState):
            weights = state.weights
        return gblend_loss(model, audio, visual, targets, weights, unimodal, reduce)
    if method == "greedy":
        if not isinstance(state, GreedyState):
            raise ValueError("method greedy needs its state (GreedyState: the gates' running means and the schedule)")
        traced = mixing.get("greedy") if mixing else None
        hold = traced.get("hold") if traced is not None else state.schedule.hold
        return state.loss(model, audio, visual, targets, hold)
    raise ValueError("method %r has no batch-loss rule here (known: erm, mm, bmm, ogm-ge, audio-only, visual-only, pmr, umt, gblend, greedy; %s use method_step)" % (method, ", ".join(STEP_METHODS)))
