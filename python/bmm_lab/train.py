"""Trains a run of the lab in PyTorch: the lab's session (``src/core/session.ts``) on a dataset pack, on GPUs.

    python -m bmm_lab.train --config RUN.json --data PACK --out DIR [--resume] [--workers N]
        [--device cuda|cpu] [--amp bf16] [--augment on|off] [--sync-bn] [--weights START.safetensors]
        [--trace TRACE.jsonl]

RUN.json is a run-config document (``{"format":"bmm-lab-run","version":1,"config":{…}}``, the lab's "Export run
config"); its sizes must be the pack's (audioHeight, audioWidth for a spectrogram branch, visualSize, frames; a pack
is not resized). The model's two branches are the pack's ``branches`` (``["spectrogram","rgb"]``,
``["spectrogram","flow"]`` or ``["rgb","flow"]``): ``audio_net`` the first, ``visual_net`` the second, and
"audio" / "visual" in method names (audio-only, visual-only) and metrics mean first and second branch. Every
method and option of the lab trains here with the same rules as the replay (``rules.py``): ERM, MM, B-MM (warmup,
beta, coef, level, targets, sample, maxM, rhoSmoothing), OGM / OGM-GE, audio-only and visual-only, MMPareto, AGM and PMR
(these three on one process), UMT, G-Blending, Greedy, with the ``unimodal`` score, Adam with L2
weight decay and the StepLR schedule. Per epoch, as the session: the learning rate of the schedule; B-MM's plan
from rho of the evaluation pass after the previous epoch (none before the first); G-Blending's probe when due; the
training batches in an order drawn from the seed (a final batch of one clip is skipped); with ``bnStats = precise``
the BatchNorm statistics recomputed over the clean training clips (``bnstats.py``); then an evaluation pass over the
training clips (rho, per-modality train accuracy, the feature means of unimodal = mean), one over the validation
clips (with valSplit) and one over the test set.

The validation split (``valSplit`` > 0): the lab's clips are held out (``validation.hold_out``, the lab's generator
and seed, so the same clips as the lab's run) and never trained on; every pass over "the training set" above runs
over the clips left, in position order, and each epoch's metrics gain ``val`` {fused, audio, visual} (the heads'
accuracies on the held-out clips; also in the epoch's JSON line), and "best" in the summary is the test accuracy at
the best validation epoch per head (``bestRule`` "validation"), as ``src/core/results.ts``. The trace's indices stay
positions in the whole training split.

G-Blending (``gblend``, needs valSplit): before the first epoch and every ``gblend.superEpoch`` epochs (a resumed
run keeps the checkpoint's weights and probes where an uninterrupted run does), the probe of ``rules.gblend_probe`` (the lab's own generator for its
orders, so with augment off on one process it measures what the replay measures) gives the loss weights of the
audio, visual and fused heads; each probe batch is split across the processes like a training batch (with
--sync-bn the same run as one process), the validation passes are run by every process, and rank 0's losses are
taken. The weights are in the trace (``blend``), on stderr after each probe, and in the checkpoint's metrics
(``coefficients`` {audio, visual}, as the lab's epoch report). With augment on, a probe batch is augmented like a
training batch, with draws of its own (seeded by the epoch, the head, the probe epoch and the slot).

Greedy (``greedy``; ``rules.GreedyState``): the model has MMTM blocks (``AVClassifier(mmtm=True)``); each step's
forward holds the modality its own schedule says (decisions from its own d), then after backward (under DDP after
the gradients' all-reduce, so every process computes the same d and the same windows; the batch means of the gates
are the whole batch's, summed over processes) the gate means, the learning speeds and the schedule move on, before
Adam. The trace's ``greedy`` is {hold, dBDR} per step (null for the other methods). Per epoch stderr gets a line
with the steps that held each modality's gates and the epoch's last d, and the checkpoint's metrics keep them as
``greedy`` {heldAudio, heldVisual, dBDR} (the JSON lines stay the lab's: its epoch report has nothing for Greedy).
The gate means, their count, the four sums and the window (curation, count, hold) are in the checkpoint's
``method_state``. Under DDP the wrapper finds unused parameters (a held modality's fc gets no gradient). Greedy
with micro-batches is refused by the config's validation.

Training batches come from a DataLoader with ``--workers`` processes: the paper's augmentation (T random frames in
time order, RandomResizedCrop and horizontal flip per clip on each frame branch, flow's u negated when flipped,
``data.py``) when the config's ``augment`` is on,
else the evaluation transforms; ``--augment`` overrides the config (and the written config says what ran). The
seed drives the initial weights (``torch.manual_seed``), the order, the permutations and Beta draws (one numpy
generator), each clip's crop (a generator per seed, epoch and slot, whatever the workers) and OGM-GE's noise (a
torch generator): the same seed gives the same run on the same device. These draws are not TF.js's, so a run here
is not the lab's run step for step (the replay is for that).

Outputs in DIR (only the first process writes): ``config.json`` (the run-config document of what ran),
``metrics.jsonl`` (one line per epoch then a summary line, the objects ``bmm-lab train --json`` prints; stdout gets
the same lines), ``checkpoint.pt`` after every epoch (``checkpoint.py``), ``model.safetensors`` at the end (the lab's
names, layouts and metadata: the lab and ``load_model`` read it). ``--trace`` writes the lab's step trace (epoch,
step, indices, loss, perm, lambda, m, weak, coef, blend, greedy), which ``python -m bmm_lab.replay`` replays. ``--weights`` starts
from saved weights (checked against the config and the pack). ``--resume`` continues DIR from its last completed
epoch: a run killed mid-epoch redoes that epoch and, with augment off on the same device, gives the same epochs as
one never interrupted. Exit status 0 when trained, 1 when the loss became NaN or infinite (the weights of the last
completed epoch are kept and written), 2 for input refused before training (the message names the file).

``--device`` defaults to cuda when a GPU is there. ``--amp bf16`` runs forward passes under bfloat16 autocast
(CUDA; on CPUs too, where it is slower unless the CPU has bfloat16 units); weights and Adam stay float32.

Several GPUs, one process each (DistributedDataParallel; NCCL on GPUs, gloo on CPUs):

    torchrun --nproc_per_node 4 -m bmm_lab.train --config RUN.json --data PACK --out DIR --sync-bn

The config's ``batch`` is the global batch: each step's batch is split across the processes (``batch`` must be
divisible by their number; an epoch's shorter last batch is split as evenly as possible), so N processes train the
same run as one: the same order and the same draws on every process (one seed), MM/B-MM permutations over the
whole batch (a row's partner may be in another process: rows and features are gathered), OGM's batch scores summed
over processes, losses normalised by the global batch (the batch's own feature means of unimodal = mean summed over
processes, with their gradient). ``--sync-bn`` makes BatchNorm use the whole batch's
statistics (PyTorch's SyncBatchNorm on CUDA; ``distributed.SyncBatchNorm2d`` on CPU); without it each process
normalises its own share, which is a different run. The evaluation passes are split across processes and summed;
B-MM's plan is computed once and broadcast. Several machines: run the same command on each, e.g.

    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 --rdzv-id RUN \\
        -m bmm_lab.train --config RUN.json --data PACK --out DIR --sync-bn

with PACK and DIR on a shared file system (or DIR local to the machine of rank 0, which alone writes). With
PyTorch 1.13 under Python 3.11, torchrun's own defaults fail (``'NoneType' object has no attribute 'get'`` in
``to_map``); ``--redirects 1 --tee 1`` avoids that path (the console lines of rank 0 then start with
``[default0]:``; metrics.jsonl is unchanged).
"""

import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from . import distributed
from .checkpoint import CHECKPOINT_FILE, CheckpointError, check_checkpoint, load_checkpoint, save_checkpoint
from .config import RUN_CONFIG_FORMAT, RUN_CONFIG_VERSION, ConfigError, load_run_config, validate_config
from .data import EpochBatches, PackInputs, epoch_batches, make_loader, rank_rows
from .export import config_metadata, save_weights
from .bnstats import recompute_bn_stats
from .imbalance import evaluate_split
from .jsformat import js_number
from .model import AVClassifier, method_has_mmtm
from .optim import make_adam, set_lr, step_lr
from .pack import PackError, load_pack
from .replay import ReplayError, gblend_without_validation, load_start_model
from .report import epoch_json, json_line, summary_json
from .teachers import TeacherError, load_teachers
from .rules import BLEND_HEADS, ONE_PROCESS_METHODS, STEP_METHODS, Partners, blend_weights, class_feature_means, balance_plan, batch_loss, epoch_rho, head_loss, method_state, method_step, modulate_gradients, one_hot, probe_generator, probe_losses, ramp_factor
from .unimodal import Unimodal
from .validation import hold_out

RUN_FILES = ("checkpoint.pt", "metrics.jsonl")
DRAW_STREAM = 0  # seed-sequence tag of the trainer's draws (augmentation uses data.AUGMENT_STREAM)


class TrainError(ValueError):
    """Input the trainer refuses before training; the message names the file and what was expected."""


class Diverged(RuntimeError):
    """The loss became NaN or infinite."""


def _log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class _BatchStep(nn.Module):
    """One batch's loss under the config's method, as one module call (DistributedDataParallel wraps this)."""

    def __init__(self, model, config, unimodal, state=None):
        super().__init__()
        self.model = model
        self.config = config
        self.unimodal = unimodal
        self.state = state

    def forward(self, audio, visual, targets, mixing, epoch, reduce):
        r = batch_loss(self.config, self.model, audio, visual, targets, mixing, epoch, self.unimodal, reduce, self.state)
        coef = None if r.coef is None else torch.stack([r.coef["audio"], r.coef["visual"]])
        return r.loss, r.logits, coef


class _ProbeStep(nn.Module):
    """One batch of G-Blending's probe: the CE of one head of a copy of the model (DistributedDataParallel wraps it)."""

    def __init__(self, model, head, unimodal):
        super().__init__()
        self.model = model
        self.head = head
        self.unimodal = unimodal

    def forward(self, audio, visual, targets, reduce):
        r = head_loss(self.model, self.head, audio, visual, targets, self.unimodal, reduce)
        return r.loss, r.logits


class Trainer:
    """A run: the model, Adam, the draws, the loaders, the epochs so far; ``train_epoch`` runs the next epoch.

    ``procs`` (``distributed.Processes``) is this process's place; ``start_state`` optional start weights;
    ``on_step`` receives each step's trace record (the first process only).
    """

    def __init__(self, config, pack, procs=None, workers=0, amp=None, sync_bn=False, start_state=None, on_step=None, dtype=torch.float32, teachers=None):
        self.config = config
        self.pack = pack
        self.procs = procs or distributed.Processes()
        self.device = self.procs.device
        self.amp = amp
        self.dtype = dtype
        self.on_step = on_step
        self.num_classes = len(pack.class_names)
        seed = int(config["seed"])
        # The validation split (valSplit): training-split positions of the trained and the held-out clips.
        self.train_positions, self.val_positions = hold_out(pack.train.labels, config.get("valSplit", 0), seed)
        torch.manual_seed(seed)
        model = AVClassifier(self.num_classes, config["fusion"], config["width"], modalities=pack.modalities, mmtm=method_has_mmtm(config["method"]))
        if start_state is not None:
            model.load_state_dict(start_state, strict=True)
        self.model = model.to(self.device, dtype)
        self.optimizer = make_adam(self.model, config["lr"], config["weightDecay"])
        self.unimodal = Unimodal(config["unimodal"])
        self.rng = np.random.default_rng([seed % 2**32, DRAW_STREAM])
        self.noise = torch.Generator(device=self.device).manual_seed(seed)
        self.metrics = []
        self.rho_history = []
        self.plan = None
        self.method_state = method_state(config)
        if config["method"] == "umt":
            if teachers is None:
                raise TrainError("method umt needs its teachers: --teacher-audio and --teacher-visual")
            self.method_state = teachers.to(self.device, dtype)
        step = _BatchStep(self.model, config, self.unimodal, self.method_state)
        self.sync_bn = bool(sync_bn and self.procs.distributed)
        if self.procs.distributed:
            if sync_bn:
                distributed.convert_sync_batchnorm(self.model, self.procs)
            # device_ids None: the batch is already on this process's device, and DDP leaves the step's other
            # arguments (partners, the reduce function) as they are. Greedy: a held modality's fc has no gradient
            # (on every process alike, so its grad stays None).
            step = nn.parallel.DistributedDataParallel(step, device_ids=None, find_unused_parameters=config["method"] == "greedy")
        self.step = step
        # Sums over the processes sharing a batch (differentiable: G-Blending's unimodal heads with the batch's own
        # feature means train through them).
        self.reduce = self.procs.sum_differentiable if self.procs.distributed else None
        self.sampler = EpochBatches()
        self.loader = make_loader(PackInputs(pack, config["augment"], seed), self.sampler, workers, self.device.type == "cuda")
        self.last_good = None

    # -- inputs --------------------------------------------------------------------------------------------------

    def _batches(self, keys):
        """Iterates (audio, visual, labels) of batches of ``PackInputs`` keys, loaded by the workers."""
        self.sampler.set(keys)
        return iter(self.loader)

    def _positions(self, split_name):
        """(pack split, positions in it) of "train" (the trained clips), "val" (the held-out ones) or "test"."""
        if split_name == "test":
            return self.pack.test, range(self.pack.test.size)
        return self.pack.train, self.train_positions if split_name == "train" else self.val_positions

    def _evaluate(self, split_name, measure_means):
        """This process's share of an evaluation pass over "train" (the trained clips), "val" or "test", summed
        over processes."""
        split, positions = self._positions(split_name)
        lo, hi = rank_rows(len(positions), self.procs.rank, self.procs.world)
        size = max(self.config["batch"], 16)
        kind = "test" if split_name == "test" else "train"
        keys = [[(kind, positions[i], None, 0) for i in range(s, min(s + size, hi))] for s in range(lo, hi, size)]
        with self._autocast():
            return evaluate_split(self.model, split, size, self.dtype, self.unimodal, measure_means, batches=self._batches(keys), reduce=self.reduce)

    def _precise_bn(self):
        """bnStats = precise: BatchNorm statistics recomputed over the clean training set (``bnstats.py``), each
        batch of the training batch size split across processes like a training batch."""
        positions = self.train_positions
        keys = []
        for start in range(0, len(positions), self.config["batch"]):
            size = min(self.config["batch"], len(positions) - start)
            if size < 2:
                break
            lo, hi = rank_rows(size, self.procs.rank, self.procs.world)
            keys.append([("train", positions[i], None, 0) for i in range(start + lo, start + hi)])
        with self._autocast():
            recompute_bn_stats(self.model, self._batches(keys), self.dtype)
        if self.procs.distributed and not self.sync_bn:
            # Each process saw only its share: the processes' statistics are averaged, so every one evaluates alike.
            with torch.no_grad():
                for m in self.model.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
                        for buf in (m.running_mean, m.running_var):
                            buf.copy_(self.procs.sum(buf) / self.procs.world)

    def _autocast(self):
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp == "bf16")

    # -- draws -----------------------------------------------------------------------------------------------------

    def _draw(self, size, epoch, step, steps):
        """This batch's random choices, in the lab's order (MM: lambda, perm; B-MM: lambda when sampled, perm when
        it mixes); the same on every process. B-MM's m is the plan's, times the ramp's factor and the lambda."""
        method = self.config["method"]
        alpha = self.config["mm"]["alpha"]
        out = {"perm": None, "lambda": None, "m": None, "weak": None}
        if method == "mm":
            out["lambda"] = float(self.rng.beta(alpha, alpha))
            out["perm"] = self.rng.permutation(size).tolist()
        elif method == "bmm":
            plan = self.plan
            options = self.config["bmm"]
            m = plan.m * (ramp_factor(epoch, step, steps, options) if plan.weak is not None else 1)
            if plan.weak is not None and options["sample"] == "beta":
                out["lambda"] = float(self.rng.beta(alpha, alpha))
                m = m * out["lambda"]
            out["batch_m"] = m
            if plan.weak is not None and m != 0:
                out["perm"] = self.rng.permutation(size).tolist()
                out["m"], out["weak"] = m, plan.weak
        return out

    # -- one epoch -------------------------------------------------------------------------------------------------

    @property
    def epochs_done(self):
        return len(self.metrics)

    def train_epoch(self, limit_steps=None, evaluate=True):
        """Trains and evaluates the next epoch; returns its metrics. Raises Diverged (weights of the last completed
        epoch restored) when the loss stops being finite.

        For benchmarks: ``limit_steps`` stops after that many steps and ``evaluate=False`` skips the evaluation
        passes; the result is then the training part (loss, trainAcc, samplesPerSec, stepSeconds) and the epoch
        does not count as done.
        """
        config, procs = self.config, self.procs
        e = self.epochs_done
        started = time.perf_counter()
        self.last_good = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        lr = step_lr(config["lr"], e, config["stepLr"])
        set_lr(self.optimizer, lr)
        if config["method"] == "bmm":
            rho = self.metrics[-1]["rho"] if self.metrics else None
            plan = balance_plan(epoch_rho(rho, self.rho_history, config["bmm"]), e, config["bmm"]) if procs.main else None
            self.plan = procs.broadcast(plan)
        if config["method"] == "pmr":
            # PMR's prototypes before the epoch's first step: the class means of the trained clips in order.
            size, positions = config["batch"], self.train_positions
            keys = [[("train", p, None, 0) for p in positions[s : s + size]] for s in range(0, len(positions), size)]
            batches = ((a.to(self.device, self.dtype), v.to(self.device, self.dtype), y) for a, v, y in self._batches(keys))
            with self._autocast():
                self.method_state.begin_epoch(e, class_feature_means(self.model, batches, self.num_classes))
        if config["method"] == "gblend" and self.method_state.due(e):
            self._gblend_probe(e)
        if config["method"] == "greedy":
            self.method_state.begin_epoch()
        # The epoch's order over the trained clips; ``pos`` below is a clip's place among them.
        order = self.rng.permutation(len(self.train_positions))
        batches = epoch_batches(order, config["batch"])
        local = []
        for b in batches:
            lo, hi = rank_rows(len(b), procs.rank, procs.world)
            local.append([("train", self.train_positions[pos], e, slot) for slot, pos in b[lo:hi]])
        it = self._batches(local)
        totals = {"loss": 0.0, "correct": 0.0, "seen": 0, "mix_sum": 0.0, "mix_count": 0, "coef_a": 0.0, "coef_v": 0.0, "coef_count": 0, "seconds": 0.0}
        step_seconds = []
        self.model.train()
        for s, b in enumerate(batches[:limit_steps]):
            t0 = time.perf_counter()
            size = len(b)
            sizes = [hi - lo for lo, hi in (rank_rows(size, r, procs.world) for r in range(procs.world))]
            lo, _ = rank_rows(size, procs.rank, procs.world)
            mine = sizes[procs.rank]
            draws = self._draw(size, e, s, len(batches))
            audio, visual, labels = next(it)
            audio = audio.to(self.device, self.dtype, non_blocking=True)
            visual = visual.to(self.device, self.dtype, non_blocking=True)
            labels = labels.to(self.device, non_blocking=True)
            targets = one_hot(labels, self.num_classes, self.dtype)
            blend = self.method_state.weights if config["method"] == "gblend" else None
            mixing = {"lambda": draws["lambda"], "m": draws["m"], "weak": draws["weak"], "perm": None, "blend": blend}
            if draws["perm"] is not None:
                gather = (lambda x, sizes=sizes: procs.gather_rows(x, sizes)) if procs.distributed else None
                mixing["perm"] = Partners(draws["perm"][lo : lo + mine], gather)
            self.optimizer.zero_grad(set_to_none=True)
            if config["method"] in STEP_METHODS:
                # One process (prepare refuses more): the method runs its own backward passes.
                with self._autocast():
                    r = method_step(config, self.model, audio, visual, targets, self.unimodal, self.method_state)
                loss, logits, coef = r.loss, r.logits, torch.stack([r.coef["audio"], r.coef["visual"]])
            else:
                with self._autocast():
                    loss, logits, coef = self.step(audio, visual, targets, mixing, e, self.reduce)
                # Normalised by the whole batch: DDP averages the processes' gradients, each of a mean over its share.
                scale = mine * procs.world / size
                (loss * scale if scale != 1 else loss).backward()
                if coef is not None and config["method"] == "ogm-ge":
                    modulate_gradients(self.model, {"audio": coef[0], "visual": coef[1]}, config["ogm"]["mode"], self.noise)
            greedy = None
            if config["method"] == "greedy":
                # After the gradients' all-reduce, before Adam: the gate means, the learning speeds, the schedule.
                reduce = procs.sum if procs.distributed else None
                greedy = self.method_state.end_step(self.model, e, config["greedy"], reduce, mine / size)
            self.optimizer.step()
            with torch.no_grad():
                correct = (logits.argmax(1) == labels).sum().double()
                if procs.distributed:
                    stats = procs.sum(torch.stack([loss.detach().double() * mine, correct]))
                    step_loss, step_correct = float(stats[0]) / size, float(stats[1])
                else:
                    step_loss, step_correct = float(loss.detach()), float(correct)
            step_seconds.append(time.perf_counter() - t0)
            totals["seconds"] += step_seconds[-1]
            if not math.isfinite(step_loss):
                self.model.load_state_dict(self.last_good)
                raise Diverged(
                    "the loss became %s at epoch %d, batch %d; training stopped and the weights of the last completed epoch (%d) were kept. "
                    "Try a lower learning rate (now %s)." % (js_number(step_loss), e + 1, s + 1, e, js_number(config["lr"]))
                )
            coef_values = None if coef is None else [float(coef[0]), float(coef[1])]
            totals["loss"] += step_loss * size
            totals["correct"] += step_correct
            totals["seen"] += size
            if config["method"] == "bmm":
                totals["mix_sum"] += draws["batch_m"]
                totals["mix_count"] += 1
            elif coef_values is not None:
                totals["mix_sum"] += min(coef_values)
                totals["mix_count"] += 1
                totals["coef_a"] += coef_values[0]
                totals["coef_v"] += coef_values[1]
                totals["coef_count"] += 1
            if self.on_step is not None and procs.main:
                self.on_step(
                    {
                        "epoch": e + 1,
                        "step": s,
                        "indices": [self.train_positions[pos] for _, pos in b],
                        "loss": step_loss,
                        "perm": draws["perm"],
                        "lambda": draws["lambda"],
                        "m": draws["m"],
                        "weak": draws["weak"],
                        "coef": None if coef_values is None else {"audio": coef_values[0], "visual": coef_values[1]},
                        "blend": None if blend is None else dict(blend),
                        "greedy": greedy,
                    }
                )
        if not evaluate:
            seen, seconds = totals["seen"], totals["seconds"]
            return {"loss": totals["loss"] / seen, "trainAcc": totals["correct"] / seen, "samplesPerSec": seen / seconds, "stepSeconds": step_seconds}
        if config.get("bnStats") == "precise":
            self._precise_bn()
        train_eval = self._evaluate("train", True)
        val_eval = self._evaluate("val", False) if self.val_positions else None
        test_eval = self._evaluate("test", False)
        metrics = {
            "epoch": e + 1,
            "loss": totals["loss"] / totals["seen"] if totals["seen"] else math.nan,
            "trainAcc": totals["correct"] / totals["seen"] if totals["seen"] else 0.0,
            "testAcc": test_eval.accuracy("fused"),
            "audio": {"trainAcc": train_eval.accuracy("audio"), "testAcc": test_eval.accuracy("audio")},
            "visual": {"trainAcc": train_eval.accuracy("visual"), "testAcc": test_eval.accuracy("visual")},
            "rho": train_eval.rho(),
            "mix": self._epoch_mix(totals),
            "lr": lr,
            "samplesPerSec": totals["seen"] / totals["seconds"] if totals["seconds"] > 0 else 0.0,
            "seconds": time.perf_counter() - started,
        }
        if config["method"] in ("ogm-ge", "pmr") + STEP_METHODS:
            n = totals["coef_count"]
            neutral = {"mmpareto": 0.5, "pmr": 0.0}.get(config["method"], 1.0)
            metrics["coefficients"] = {"audio": totals["coef_a"] / n, "visual": totals["coef_v"] / n} if n else {"audio": neutral, "visual": neutral}
        if config["method"] == "gblend":
            # As gblend.ts's epochReport: the unimodal heads' weights (the fused head's is 1 minus their sum).
            w = self.method_state.weights
            metrics["coefficients"] = {"audio": w["audio"], "visual": w["visual"]}
        if config["method"] == "greedy":
            metrics["greedy"] = self._greedy_report(e)
        if val_eval is not None:
            metrics["val"] = {h: val_eval.accuracy(h) for h in ("fused", "audio", "visual")}
        self.metrics.append(metrics)
        self.rho_history.append(metrics["rho"])
        return metrics

    def _greedy_report(self, e):
        """Greedy's epoch: the steps whose forward held the audio / the visual gates, and the epoch's last d (None
        when every step of it was in a window); logged on stderr by the first process."""
        state = self.method_state
        report = {"heldAudio": state.held["audio"], "heldVisual": state.held["visual"], "dBDR": state.epoch_d}
        if self.procs.main:
            d = report["dBDR"]
            _log(
                "train: epoch %d: Greedy held the audio gates in %d steps, the visual gates in %d (last d_BDR %s)"
                % (e + 1, report["heldAudio"], report["heldVisual"], "none" if d is None else "%.6g" % d)
            )
        return report

    # -- G-Blending's probe ------------------------------------------------------------------------------------------

    def _probe_copy(self):
        """A copy of the model for a probe (weights and BatchNorm running statistics; plain BatchNorm layers, turned
        into synchronised ones like the model's with --sync-bn)."""
        probe = AVClassifier(self.num_classes, self.config["fusion"], self.config["width"], modalities=self.pack.modalities, mmtm=method_has_mmtm(self.config["method"]))
        probe.load_state_dict(self.model.state_dict(), strict=True)
        probe = probe.to(self.device, self.dtype).train()
        if self.sync_bn:
            probe = distributed.convert_sync_batchnorm(probe, self.procs)
        return probe

    def _gblend_probe(self, e):
        """G-Blending's probe before 0-based epoch ``e`` (``rules.gblend_probe``'s rule, the trainer's inputs): per
        head a copy of the model with a fresh Adam at the epoch's rate trains gblend.superEpoch epochs over the
        trained clips in the orders of ``probe_generator(seed, e)``, each batch split across the processes like a
        training batch (DistributedDataParallel; with --sync-bn, BatchNorm over the whole batch), augmented like a
        training batch when augment is on (its own draws per head, probe epoch and slot); the validation loss is
        the head's mean CE over the held-out clips in evaluation mode in batches of max(batch, 16), computed by every
        process. Every process ends with rank 0's losses and weights."""
        config, procs = self.config, self.procs
        started = time.perf_counter()
        lr = step_lr(config["lr"], e, config["stepLr"])
        rng = probe_generator(config["seed"], e)
        eval_size = max(config["batch"], 16)
        positions, held = self.train_positions, self.val_positions
        measured = {}
        for h, head in enumerate(BLEND_HEADS):
            probe = self._probe_copy()
            scores = Unimodal(self.unimodal.mode)
            scores.means = self.unimodal.means
            optimizer = make_adam(probe, lr, config["weightDecay"])
            step = _ProbeStep(probe, head, scores)
            if procs.distributed:
                # Unused parameters: a unimodal head's loss does not reach the other encoder (unimodal zero).
                step = nn.parallel.DistributedDataParallel(step, device_ids=None, find_unused_parameters=True)
            state = {}

            def on_epoch(k, order, h=h, state=state):
                # The probe epoch's batches of this process, in one pass of the loader (augmentation keyed by
                # (epoch, 1 + head, probe epoch) and the slot, apart from the training epochs' draws).
                keys = []
                for start in range(0, len(order), config["batch"]):
                    size = min(config["batch"], len(order) - start)
                    if size < 2:
                        break
                    lo, hi = rank_rows(size, procs.rank, procs.world)
                    keys.append([("train", positions[order[start + j]], (e, 1 + h, k), start + j) for j in range(lo, hi)])
                state["batches"] = self._batches(keys)

            def train_step(indices, _start, _k, probe=probe, step=step, optimizer=optimizer, state=state):
                size = len(indices)
                lo, hi = rank_rows(size, procs.rank, procs.world)
                mine = hi - lo
                audio, visual, labels = next(state["batches"])
                audio, visual = audio.to(self.device, self.dtype), visual.to(self.device, self.dtype)
                targets = one_hot(labels.to(self.device), self.num_classes, self.dtype)
                optimizer.zero_grad(set_to_none=True)
                with self._autocast():
                    loss, _ = step(audio, visual, targets, self.reduce)
                scale = mine * procs.world / size
                (loss * scale if scale != 1 else loss).backward()
                optimizer.step()
                if not procs.distributed:
                    return float(loss.detach())
                return float(procs.sum(loss.detach().double().reshape(1) * mine)) / size

            def val_loss(probe=probe, head=head, scores=scores):
                # Every process scores all the held-out clips (a small pass), in the batches one process uses.
                probe.eval()
                total, count = 0.0, 0
                keys = [[("train", p, None, 0) for p in held[s : s + eval_size]] for s in range(0, len(held), eval_size)]
                try:
                    with torch.no_grad(), self._autocast():
                        for audio, visual, labels in self._batches(keys):
                            targets = one_hot(labels.to(self.device), self.num_classes, self.dtype)
                            loss = head_loss(probe, head, audio.to(self.device, self.dtype), visual.to(self.device, self.dtype), targets, scores).loss
                            total += float(loss * len(labels))
                            count += len(labels)
                finally:
                    probe.train()
                return total / count

            measured[head] = probe_losses(config["gblend"]["superEpoch"], len(positions), config["batch"], rng, train_step, val_loss, on_epoch)
            del probe, step, optimizer
        # The training losses are sums over processes, the validation passes the same everywhere; rank 0's numbers
        # are taken so that no rounding of another device can make the processes' weights differ.
        measured = procs.broadcast(measured)
        self.method_state.losses = measured
        self.method_state.weights = blend_weights(measured)
        if procs.main:
            w = self.method_state.weights
            _log(
                "train: epoch %d: G-Blending weights audio %.4f, visual %.4f, fused %.4f (probe of %d epochs per head, %.1f s)"
                % (e + 1, w["audio"], w["visual"], w["fused"], config["gblend"]["superEpoch"], time.perf_counter() - started)
            )

    def _epoch_mix(self, totals):
        """The epoch's ``mix``, as the methods' ``epochReport``: B-MM's mean m, OGM-GE's mean strong coefficient
        (1 outside its window), else None."""
        method = self.config["method"]
        mean = totals["mix_sum"] / totals["mix_count"] if totals["mix_count"] else None
        if method == "ogm-ge":
            return 1.0 if mean is None else mean
        return mean if method == "bmm" else None

    # -- state -----------------------------------------------------------------------------------------------------

    def checkpoint_state(self):
        """The checkpoint after the last completed epoch (``checkpoint.py``)."""
        rng = {"numpy": copy.deepcopy(self.rng.bit_generator.state), "noise": self.noise.get_state(), "torch": torch.get_rng_state()}
        if torch.cuda.is_available() and self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        means = None if self.unimodal.means is None else [m.detach().cpu() for m in self.unimodal.means]
        return {
            "format": "bmm-lab-checkpoint",
            "version": 1,
            "config": copy.deepcopy(self.config),
            "class_names": list(self.pack.class_names),
            "modalities": list(self.pack.modalities),
            "train_size": self.pack.train.size,
            "test_size": self.pack.test.size,
            "epoch": self.epochs_done,
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": {"base_lr": self.config["lr"], "stepLr": self.config["stepLr"], "last_epoch": self.epochs_done - 1, "lr": self.optimizer.param_groups[0]["lr"]},
            "rng": rng,
            "metrics": copy.deepcopy(self.metrics),
            "rho_history": list(self.rho_history),
            "bmm": None if self.plan is None else {"weak": self.plan.weak, "m": self.plan.m},
            "unimodal_means": means,
            # AGM's running means, PMR's prototypes, G-Blending's weights (None for the other methods, and before any).
            "method_state": self.method_state.state_dict() if hasattr(self.method_state, "state_dict") else None,
        }

    def restore(self, state):
        """Continues from a checkpoint's state (after ``check_checkpoint``)."""
        self.model.load_state_dict(state["model"], strict=True)
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]["numpy"]
        self.noise.set_state(state["rng"]["noise"])
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        self.metrics = copy.deepcopy(state["metrics"])
        self.rho_history = list(state["rho_history"])
        means = state.get("unimodal_means")
        self.unimodal.means = None if means is None else tuple(m.to(self.device) for m in means)
        kept = state.get("method_state")  # absent in older checkpoints: the method's state starts again
        if kept is not None and hasattr(self.method_state, "load_state_dict"):
            self.method_state.load_state_dict(kept, self.device)

    def close(self):
        """Stops the loader's workers."""
        it = getattr(self.loader, "_iterator", None)
        if it is not None and hasattr(it, "_shutdown_workers"):
            it._shutdown_workers()


# -- the command ---------------------------------------------------------------------------------------------------


def _parser():
    p = argparse.ArgumentParser(prog="python -m bmm_lab.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="run-config document (bmm-lab-run JSON); with --resume, defaults to the checkpoint's")
    p.add_argument("--data", required=True, help="dataset pack folder (pack.json and its shards)")
    p.add_argument("--out", required=True, help="output folder: config.json, metrics.jsonl, checkpoint.pt, model.safetensors")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last completed epoch")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes per training process (default 2; 0: none)")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when available, else cpu")
    p.add_argument("--amp", choices=("bf16",), help="bfloat16 autocast for forward passes")
    p.add_argument("--augment", choices=("on", "off"), help="overrides the config's augment (off: evaluation transforms)")
    p.add_argument("--sync-bn", action="store_true", help="with several processes: BatchNorm over the whole batch")
    p.add_argument("--weights", help="start from these weights (.safetensors of the lab or of this trainer)")
    p.add_argument("--trace", help="write one JSON object per step here (the lab's --trace format)")
    p.add_argument("--float64", action="store_true", help="train in double precision (to measure float32 rounding)")
    p.add_argument("--teacher-audio", help="method umt: the audio teacher (an audio-only run's .safetensors)")
    p.add_argument("--teacher-visual", help="method umt: the visual teacher (a visual-only run's .safetensors)")
    return p


def prepare(args, world=1):
    """Reads and checks everything before training: (config, config source, pack, checkpoint or None, start state).

    Raises TrainError, ConfigError, PackError or CheckpointError naming the file.
    """
    out = args.out
    ckpt_path = os.path.join(out, CHECKPOINT_FILE)
    if os.path.exists(out) and not os.path.isdir(out):
        raise TrainError("--out %s: is a file; give a folder" % out)
    state = None
    if args.resume:
        state = load_checkpoint(ckpt_path)
    else:
        held = [f for f in RUN_FILES if os.path.exists(os.path.join(out, f))]
        if held:
            raise TrainError("--out %s already holds a run (%s); continue it with --resume or choose another folder" % (out, ", ".join(held)))
    if args.config:
        config = load_run_config(args.config)
        source = args.config
    elif state is not None:
        config = copy.deepcopy(state["config"])
        source = ckpt_path
    else:
        raise TrainError("--config RUN.json is required (a run-config document: {\"format\":\"bmm-lab-run\",\"version\":1,\"config\":{...}})")
    if args.augment is not None:
        config["augment"] = args.augment == "on"
    pack = load_pack(args.data)
    try:
        pack.check_config(config, source)
    except ValueError as e:
        raise TrainError(str(e)) from None
    try:
        validate_config(config, pack.train.size)
    except ConfigError as e:
        raise ConfigError(e.field, "%s: %s (the pack %s has %d training clips)" % (source, e, pack.manifest_path, pack.train.size)) from None
    if config.get("microBatch", 0) > 0:
        raise TrainError("%s: microBatch %d: the PyTorch trainer steps on whole batches (GPU memory is its concern, not wasm's); set microBatch to 0 here" % (source, config["microBatch"]))
    trained, held = hold_out(pack.train.labels, config.get("valSplit", 0), config["seed"])
    if config["method"] == "gblend" and not held:
        raise TrainError("%s: %s" % (source, gblend_without_validation(config, pack)))
    if state is not None:
        check_checkpoint(state, config, source, pack, ckpt_path)
    batch = config["batch"]
    n_train = len(trained)
    clips = "%d training clips%s in %s" % (n_train, " left of %d (valSplit)" % pack.train.size if held else "", pack.manifest_path)
    if world > 1 and config["method"] in ONE_PROCESS_METHODS:
        raise TrainError("%s: method %s trains on one process here (its own gradient passes or per-epoch state); run it without torchrun" % (source, config["method"]))
    if batch % world:
        raise TrainError("%s: batch %d is the global batch, split across %d processes; it must be divisible by %d" % (source, batch, world, world))
    last = n_train % batch
    if world > 1 and 1 < last < world:
        raise TrainError(
            "%s: an epoch's last batch has %d clips (%s, batch %d), fewer than the %d processes; "
            "choose a batch that leaves 0, 1 or at least %d" % (source, last, clips, batch, world, world)
        )
    smallest = min([batch // world] + ([last // world] if last > 1 else []))
    if world > 1 and smallest < 2 and not getattr(args, "sync_bn", False):
        raise TrainError(
            "%s: with batch %d (%s) a process's share of a batch can be %d clip, which has no batch "
            "statistics without --sync-bn; use --sync-bn, or a batch that gives every process at least 2 clips" % (source, batch, clips, smallest)
        )
    start_state = None
    if args.weights:
        if state is not None:
            raise TrainError("--weights and --resume: a resumed run continues from its checkpoint; drop --weights")
        try:
            start_state = load_start_model(args.weights, config, source, pack).state_dict()
        except ReplayError as e:
            raise TrainError(str(e)) from None
    return config, source, pack, state, start_state


def _device_kind(args):
    if args.device == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda: no CUDA device is available here (use --device cpu)")
    return args.device or ("cuda" if torch.cuda.is_available() else "cpu")


def _rewrite_trace(path, epochs_done):
    """Keeps the trace's steps of completed epochs (a resumed run redoes the interrupted one)."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        kept = [line for line in f if line.strip() and json.loads(line)["epoch"] <= epochs_done]
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(kept)


def main(argv=None):
    args = _parser().parse_args(argv)
    rank, world, _ = distributed.environment()
    say = _log if rank == 0 else (lambda message: None)
    try:
        kind = _device_kind(args)
        config, source, pack, state, start_state = prepare(args, world)
        if args.workers < 0:
            raise TrainError("--workers must be >= 0, got %d" % args.workers)
        teachers = None
        if config["method"] == "umt":
            if not (args.teacher_audio and args.teacher_visual):
                raise TrainError("method umt needs --teacher-audio A.safetensors and --teacher-visual V.safetensors (an audio-only and a visual-only run's weights)")
            teachers = load_teachers(args.teacher_audio, args.teacher_visual, pack.modalities, config["width"])
        elif args.teacher_audio or args.teacher_visual:
            raise TrainError("--teacher-audio and --teacher-visual are for method umt, not %s" % config["method"])
    except (TrainError, ConfigError, PackError, CheckpointError, TeacherError) as e:
        say("error: %s" % e)
        return 2
    procs = distributed.start(kind)
    trace = None
    try:
        if procs.main:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
                json.dump({"format": RUN_CONFIG_FORMAT, "version": RUN_CONFIG_VERSION, "config": config}, f, indent=2)
                f.write("\n")
            if args.trace:
                if state is not None:
                    _rewrite_trace(args.trace, state["epoch"])
                trace = open(args.trace, "a" if state is not None else "w", encoding="utf-8")
        on_step = None
        if trace is not None:

            def on_step(record):
                trace.write(json_line(record) + "\n")
                trace.flush()

        dtype = torch.float64 if args.float64 else torch.float32
        trainer = Trainer(config, pack, procs, args.workers, args.amp, args.sync_bn, start_state, on_step, dtype, teachers)
        if state is not None:
            trainer.restore(state)
        return _run(trainer, args, say)
    finally:
        if trace is not None:
            trace.close()
        procs.close()


def _run(trainer, args, say):
    """Trains the remaining epochs, writing the outputs; returns the exit status."""
    procs, config, pack = trainer.procs, trainer.config, trainer.pack
    backend = "pytorch-%s" % procs.device.type
    dataset = os.path.basename(os.path.abspath(args.data))
    metrics_path = os.path.join(args.out, "metrics.jsonl")
    held = " (%d of them held out for validation)" % len(trainer.val_positions) if trainer.val_positions else ""
    say(
        "train: %s x %d, pack %s (%d classes, %d train%s / %d test clips), method %s, fusion %s, width %s, batch %d, augment %s%s"
        % (
            procs.device.type, procs.world, dataset, len(pack.class_names), pack.train.size, held, pack.test.size, config["method"],
            config["fusion"], js_number(config["width"]), config["batch"], "on" if config["augment"] else "off",
            ", resumed after epoch %d" % trainer.epochs_done if args.resume else "",
        )
    )
    if procs.main:
        with open(metrics_path, "w", encoding="utf-8") as f:
            f.writelines(json_line(epoch_json(m)) + "\n" for m in trainer.metrics)
    error = None
    try:
        while trainer.epochs_done < config["epochs"]:
            try:
                m = trainer.train_epoch()
            except Diverged as e:
                error = str(e)
                say("error: %s" % error)
                break
            if procs.main:
                save_checkpoint(trainer.checkpoint_state(), os.path.join(args.out, CHECKPOINT_FILE))
                line = json_line(epoch_json(m))
                with open(metrics_path, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
    finally:
        trainer.close()
    if procs.main:
        save_weights(trainer.model, os.path.join(args.out, "model.safetensors"), config_metadata(config, pack.class_names, pack.modalities))
        line = json_line(summary_json(config, backend, dataset, trainer.metrics, error, pack.class_names, pack.modalities))
        with open(metrics_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    procs.barrier()
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
