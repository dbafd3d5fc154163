"""Replays a training run of the lab step by step in PyTorch, from its trace, to compare the two implementations.

    /usr/bin/python3 -m bmm_lab.replay --config RUN.json --data PACK_DIR --weights START.safetensors \\
        --trace TRACE.jsonl --out FINAL.safetensors [--steps-out STEPS.jsonl] [--float64]

RUN.json is the run-config document of the traced run, PACK_DIR the pack it trained on, START the weights it
started from, TRACE the JSONL of ``bmm-lab train --trace`` (recorded with ``--augment off``): per step ``epoch``
(from 1), ``step`` (from 0), ``indices`` (positions in the training split, batch order), ``loss``, ``perm``,
``lambda``, ``m``, ``weak``, ``coef``, ``blend``, ``greedy`` (Greedy's {hold, dBDR}; null for the other methods, and
absent in older traces, read as null). The model's branches are the pack's (any of its supported pairs;
"audio" and "visual" in the trace mean first and second branch). Each step is rebuilt as the session does it
(``src/core/session.ts``, ``trainStep.ts``): the epoch's StepLR rate, the batch with the evaluation transforms, the
config's method with the trace's random choices (perm, lambda; B-MM's weak and m as recorded; G-Blending's loss
weights as recorded; Greedy's MMTM forward holding the trace's ``greedy.hold``), backward, OGM's modulation, Adam; MMPareto and AGM run their own passes
(``rules.method_step``), and their coefficients are this side's own.
With ``valSplit`` > 0 the clips the lab holds out (``validation.hold_out`` with the config's seed) are refused as
indices (the trace numbers the whole training split) and every pass over the training set (precise BatchNorm
statistics, rho and the feature means, PMR's class means, the steps of an epoch) runs over the clips left, in order,
as the session's trainStore.
Independently, B-MM's rho comes from this side's own evaluation pass over the training clips before each epoch
after the first (with the config's ``unimodal`` score, ``bmm.rhoSmoothing`` and ``bmm.maxM``), OGM's coefficients
from this side's forward pass (for ``unimodal = mean``, with the feature means of that same pass), and G-Blending's
weights from this side's own probe (``rules.gblend_probe``: before the first epoch and every ``gblend.superEpoch``
epochs, on copies of the model, scored on the held-out clips), and Greedy's gate means, learning speeds and
schedule (``rules.GreedyState``: its own running means and sums, its own d after each step's backward, its own
windows; the forward still holds what the trace holds, should the two schedules part): STEPS.jsonl records them, one
object per step ``{"epoch", "step", "loss", "m", "weak", "coef", "blend", "greedy"}`` (``greedy``: {hold: what this
side's schedule holds in the step, dBDR: this side's d, null within a window} for method greedy, else null), for
comparison with the trace. FINAL gets the lab's
names and metadata. ``--float64`` runs everything in double precision (the probe too), to measure float32 noise.
OGM-GE's gradient noise is drawn from a torch generator seeded with the config's seed (it cannot match TF.js's
stream; compare with ``ogm.mode = ogm``). Exit status 2 and one message on stderr for input it refuses.
"""

import argparse
import json
import math
import sys

import torch

from .bnstats import recompute_bn_stats, training_batches
from .config import ConfigError, load_run_config, validate_config
from .export import config_input_shape, config_metadata, save_weights
from .imbalance import evaluate_split
from .jsformat import js_json
from .loader import check_state_dict, parse_metadata
from .model import AVClassifier, method_has_mmtm
from .optim import make_adam, set_lr, step_lr
from .pack import PackError, load_pack
from .teachers import TeacherError, load_teachers
from .rules import BLEND_HEADS, GREEDY_HOLDS, MICRO_BATCH_METHODS, STEP_METHODS, balance_plan, micro_batch_ranges, batch_loss, class_feature_means, epoch_rho, gblend_probe, method_state, method_step, modulate_gradients, ogm_active, one_hot, ramp_factor
from .safetensors_io import SafetensorsError, load_file
from .unimodal import Unimodal
from .validation import hold_out

TRACE_KEYS = ("perm", "lambda", "m", "weak", "coef", "blend", "greedy")
STEP_KEYS = ("epoch", "step", "loss", "m", "weak", "coef", "blend", "greedy")


class ReplayError(ValueError):
    """Input the replay refuses; the message names the file (and line) and what was expected."""


def steps_per_epoch(n_train, batch):
    """Optimisation steps of a full epoch: batches of ``batch``, a final batch of one clip skipped."""
    return math.ceil(n_train / batch) - (1 if n_train % batch == 1 else 0)


class TrainingClips:
    """The clips a run trains on: the pack's training split without the validation clips ``valSplit`` holds out
    (``hold_out`` with the config's seed), as the session's trainStore (a SubsetClipStore in ascending position
    order). ``train`` is that subset as a split (every pass over "the training set" runs over it, in order), ``val``
    the held-out clips (None without), ``positions`` the training-split position of each trained clip (the trace's
    indices are training-split positions)."""

    def __init__(self, config, split):
        positions, held = hold_out(split.labels, config.get("valSplit", 0), config["seed"])
        self.split = split
        self.positions = positions
        self.held = frozenset(held)
        self.train = split.subset(positions, "train (trained clips)") if held else split
        self.val = split.subset(held, "validation") if held else None


def gblend_without_validation(config, pack):
    """The session's refusal of a gblend run whose valSplit holds out no clip of the pack (None when it does)."""
    return "method gblend: valSplit %s holds out no clips of %s (%d training clips; a class needs at least 2 to give one); G-Blending measures its loss weights on held-out clips: raise valSplit or add clips" % (
        js_json(config["valSplit"]), pack.manifest_path, pack.train.size)


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_record(r, where, config, config_path, n_train, epoch_clips, held=frozenset()):
    """Checks one trace object against the config and the pack; ``epoch_clips`` holds the epoch's clips so far,
    ``held`` the validation clips (training-split positions the run never trains on)."""
    batch = config["batch"]
    indices = r.get("indices")
    if not isinstance(indices, list) or not all(_is_int(i) for i in indices):
        raise ReplayError("%s: indices must be a list of integers, got %s" % (where, js_json(indices)))
    for i in indices:
        if not 0 <= i < n_train:
            raise ReplayError("%s: index %d is outside the training split of the pack (positions 0..%d)" % (where, i, n_train - 1))
        if i in held:
            raise ReplayError(
                "%s: index %d is a validation clip: valSplit %s (%s) holds it out of the training split with seed %s, so the run never trains on it"
                % (where, i, js_json(config["valSplit"]), config_path, js_json(config["seed"]))
            )
    n_train -= len(held)
    if len(set(indices)) != len(indices):
        raise ReplayError("%s: indices repeat a clip within the batch" % where)
    again = sorted(set(indices) & epoch_clips)
    if again:
        raise ReplayError("%s: clip %d is already in an earlier batch of epoch %d" % (where, again[0], r["epoch"]))
    size = min(batch, n_train - r["step"] * batch)
    if len(indices) != size:
        raise ReplayError(
            "%s: step %d has %d clips; with batch %d (%s) and %d training clips it has %d"
            % (where, r["step"], len(indices), batch, config_path, n_train, size)
        )
    perm = r.get("perm")
    if perm is not None and (not isinstance(perm, list) or sorted(perm) != list(range(len(indices))) or not all(_is_int(p) for p in perm)):
        raise ReplayError("%s: perm must be a permutation of 0..%d (the batch positions), got %s" % (where, len(indices) - 1, js_json(perm)))
    for key in ("loss", "lambda", "m"):
        v = r.get(key)
        if v is not None and not _is_number(v):
            raise ReplayError("%s: %s must be a number or null, got %s" % (where, key, js_json(v)))
    if not _is_number(r.get("loss")):
        raise ReplayError("%s: loss must be a number, got %s" % (where, js_json(r.get("loss"))))
    if r.get("weak") not in (None, "audio", "visual"):
        raise ReplayError('%s: weak must be "audio", "visual" or null, got %s' % (where, js_json(r.get("weak"))))
    coef = r.get("coef")
    if coef is not None and not (isinstance(coef, dict) and all(_is_number(coef.get(k)) for k in ("audio", "visual"))):
        raise ReplayError("%s: coef must be null or {audio, visual} numbers, got %s" % (where, js_json(coef)))
    blend = r.get("blend")
    if blend is not None and not (isinstance(blend, dict) and all(_is_number(blend.get(k)) for k in BLEND_HEADS)):
        raise ReplayError("%s: blend must be null or {audio, visual, fused} numbers, got %s" % (where, js_json(blend)))
    greedy = r.get("greedy")
    if greedy is not None and not (
        isinstance(greedy, dict) and "hold" in greedy and "dBDR" in greedy and greedy["hold"] in GREEDY_HOLDS and (greedy["dBDR"] is None or _is_number(greedy["dBDR"]))
    ):
        raise ReplayError('%s: greedy must be null or {hold: "audio", "visual" or null, dBDR: a number or null}, got %s' % (where, js_json(greedy)))
    _check_method(r, where, config, config_path)


def _check_method(r, where, config, config_path):
    """Refuses a step whose recorded choices do not fit the config's method (a trace of another run)."""
    method = config["method"]
    e = r["epoch"] - 1

    def never(*keys):
        for k in keys:
            if r.get(k) is not None:
                raise ReplayError(
                    "%s: %s is %s, but method %s (%s) never records it; is this the trace of another method?"
                    % (where, k, js_json(r[k]), method, config_path)
                )

    def always(*keys):
        for k in keys:
            if r.get(k) is None:
                raise ReplayError(
                    "%s: %s is null, but method %s (%s) records it on every step; is this the trace of another method?"
                    % (where, k, method, config_path)
                )

    if method != "gblend":
        never("blend")
    if method != "greedy":
        never("greedy")
    if method in ("erm", "audio-only", "visual-only", "umt"):
        never(*TRACE_KEYS)
    elif method == "greedy":
        never("perm", "lambda", "m", "weak", "coef")
        always("greedy")
        hold = r["greedy"]["hold"]
        if hold is not None and e < config["greedy"]["start"]:
            raise ReplayError(
                "%s: greedy.hold is %s in epoch %d (0-based %d), before greedy.start %d (%s), when nothing is held"
                % (where, js_json(hold), r["epoch"], e, config["greedy"]["start"], config_path)
            )
    elif method == "gblend":
        never("perm", "lambda", "m", "weak", "coef")
        always("blend")
    elif method in STEP_METHODS + ("pmr",):
        never("perm", "lambda", "m", "weak")
        always("coef")
    elif method == "mm":
        always("perm", "lambda")
        never("m", "weak", "coef")
    elif method == "bmm":
        never("coef")
        if r.get("weak") is not None:
            always("perm", "m")
        else:
            never("perm", "m")
        if config["bmm"]["sample"] == "fixed":
            never("lambda")
    elif method == "ogm-ge":
        never("perm", "lambda", "m", "weak")
        if ogm_active(e, config["ogm"]):
            always("coef")
        elif r.get("coef") is not None:
            o = config["ogm"]
            raise ReplayError(
                "%s: coef is given, but epoch %d (0-based %d) is outside the modulation window ogm.start %d .. ogm.end %d (%s)"
                % (where, r["epoch"], e, o["start"], o["end"], config_path)
            )


def read_trace(path, config, config_path, n_train, held=frozenset()):
    """The trace's step objects, checked (sequence, indices, fields, method); raises ReplayError naming the line.

    ``n_train`` is the size of the pack's training split (the indices' range), ``held`` the validation clips in it
    (refused as indices; the epoch's steps are those of the clips left)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise ReplayError("%s: cannot be read (%s)" % (path, e.strerror or e)) from None
    trained = n_train - len(held)
    held_text = "; valSplit holds %d of the split's %d out for validation" % (len(held), n_train) if held else ""
    per_epoch = steps_per_epoch(trained, config["batch"])
    records = []
    epoch_clips = set()
    for number, line in enumerate(lines, start=1):
        if line.strip() == "":
            continue
        where = "%s:%d" % (path, number)
        try:
            r = json.loads(line)
        except ValueError as e:
            raise ReplayError("%s: not JSON (%s)" % (where, e)) from None
        if not isinstance(r, dict):
            raise ReplayError("%s: expected a JSON object per line" % where)
        epoch, step = r.get("epoch"), r.get("step")
        if not _is_int(epoch) or epoch < 1 or not _is_int(step) or step < 0:
            raise ReplayError("%s: epoch (from 1) and step (from 0) must be integers, got %s and %s" % (where, js_json(epoch), js_json(step)))
        if not records:
            if (epoch, step) != (1, 0):
                raise ReplayError(
                    "%s: the trace must start at epoch 1 step 0 (the start weights have no optimiser state), got epoch %d step %d"
                    % (where, epoch, step)
                )
        else:
            prev_epoch, prev_step = records[-1][1]["epoch"], records[-1][1]["step"]
            if (epoch, step) == (prev_epoch + 1, 0):
                if prev_step + 1 != per_epoch:
                    raise ReplayError(
                        "%s: epoch %d starts after %d steps of epoch %d; a full epoch has %d (%d training clips in batches of %d%s)"
                        % (where, epoch, prev_step + 1, prev_epoch, per_epoch, trained, config["batch"], held_text)
                    )
                epoch_clips = set()
            elif (epoch, step) != (prev_epoch, prev_step + 1):
                raise ReplayError(
                    "%s: epoch %d step %d follows epoch %d step %d; expected epoch %d step %d (a gap in the trace)"
                    % (where, epoch, step, prev_epoch, prev_step, prev_epoch, prev_step + 1)
                )
        if epoch > config["epochs"]:
            raise ReplayError("%s: epoch %d is beyond the run's %d epochs (%s)" % (where, epoch, config["epochs"], config_path))
        if step >= per_epoch:
            raise ReplayError(
                "%s: step %d is beyond the %d steps of an epoch (%d training clips in batches of %d%s)"
                % (where, step, per_epoch, trained, config["batch"], held_text)
            )
        _check_record(r, where, config, config_path, n_train, epoch_clips, held)
        epoch_clips.update(r["indices"])
        records.append((number, r))
    if not records:
        raise ReplayError("%s: the trace has no steps" % path)
    return records


def check_weights_metadata(meta, config, config_path, pack, weights_path):
    """Refuses start weights whose metadata describes another model than the config and the pack."""
    try:
        p = parse_metadata(meta)
    except ValueError as e:
        raise ReplayError("%s: %s" % (weights_path, e)) from None
    cfg = "in %s" % config_path
    expected = [
        ("fusion", p["fusion"], config["fusion"], "fusion " + cfg),
        ("width", p["width"], float(config["width"]), "width " + cfg),
        ("num_classes", p["num_classes"], len(pack.class_names), "class_names in " + pack.manifest_path),
    ]
    if p["class_names"] is not None:
        expected.append(("class_names", p["class_names"], pack.class_names, "class_names in " + pack.manifest_path))
    expected.append(("modalities", list(p["modalities"]), list(pack.modalities), "branches in " + pack.manifest_path))
    for key, kind in (("audio_shape", pack.audio_branch), ("visual_shape", pack.visual_branch)):
        if p[key] is None:
            continue
        if kind == "spectrogram":
            source = "[1, audioHeight, audioWidth] " + cfg
        else:
            source = "[%s channels, frames, visualSize, visualSize] %s" % (kind, cfg)
        expected.append((key, p[key], config_input_shape(config, kind), source))
    for key, got, want, source in expected:
        if got != want:
            raise ReplayError("%s: metadata %s is %s, but %s gives %s" % (weights_path, key, js_json(got), source, js_json(want)))


def _log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def replay(config, pack, model, records, dtype=torch.float32, log=_log, generator=None, teachers=None):
    """Replays checked trace records on ``model`` (start weights loaded); returns this side's step objects.
    ``teachers``: UMT's (UmtTeachers), for method umt."""
    n_classes = len(pack.class_names)
    method = config["method"]
    unimodal = Unimodal(config.get("unimodal", "zero"))
    clips = TrainingClips(config, pack.train)
    train = clips.train
    if method == "gblend" and clips.val is None:
        raise ReplayError(gblend_without_validation(config, pack))
    # The session's evaluation pass over the trained clips after each epoch gives B-MM its rho and, for
    # unimodal = mean, the feature means the unimodal heads use (OGM's scores, MMPareto's and G-Blending's losses);
    # other methods do not depend on it.
    needs_eval = method == "bmm" or (method in ("ogm-ge", "mmpareto", "gblend") and unimodal.mode == "mean")
    state = method_state(config)
    if method == "umt":
        if teachers is None:
            raise ReplayError("method umt replays with its teachers: --teacher-audio and --teacher-visual")
        state = teachers.to(dtype)
    optimizer = make_adam(model, config["lr"], config["weightDecay"])
    eval_batch = max(config["batch"], 16)
    model.train()
    out = []
    plan = None
    history = []
    current_epoch = None
    # bnStats = precise: after every epoch, before its evaluation passes, the BatchNorm statistics are recomputed
    # over the clean training set (bnstats.py, as preciseBn.ts); the last epoch's stay in the final weights.
    precise = config.get("bnStats", "precise") == "precise"
    for number, r in records:
        epoch = r["epoch"]
        e = epoch - 1
        if epoch != current_epoch:
            if precise and current_epoch is not None:
                recompute_bn_stats(model, training_batches(train, config["batch"], dtype), dtype)
            current_epoch = epoch
            lr = step_lr(config["lr"], e, config["stepLr"])
            set_lr(optimizer, lr)
            rho = None  # before the first evaluation pass, as beginEpochProgress
            if needs_eval and epoch > 1:
                rho = evaluate_split(model, train, eval_batch, dtype, unimodal, measure_means=True).rho()
                history.append(rho)
            note = ""
            if method == "gblend" and state.due(e):
                # Before the epoch (the session's beforeEpoch, after the last epoch's evaluation passes): this
                # side's own probe on copies of the model; the steps use the trace's weights.
                state.weights, state.losses = gblend_probe(config, model, e, train.size, lambda idx: train.inputs(idx, dtype), lambda: _batches_of(clips.val, eval_batch, dtype), unimodal)
                note = ", blend weights %s" % js_json(state.weights)
            if method == "bmm":
                plan = balance_plan(epoch_rho(rho, history, config["bmm"]), e, config["bmm"])
                note = ", rho %s, weak %s, m %s" % (rho, plan.weak, plan.m)
            if method == "pmr":
                # Before the epoch's first step, as beginEpoch: the class means of the trained clips in order.
                state.begin_epoch(e, class_feature_means(model, _batches_of(train, config["batch"], dtype), n_classes))
            if method == "greedy":
                state.begin_epoch()
            log("replay: epoch %d, lr %s%s" % (epoch, lr, note))
        audio, visual, labels = pack.train.inputs(r["indices"], dtype)
        targets = one_hot(labels, n_classes, dtype)
        optimizer.zero_grad(set_to_none=True)
        if method in STEP_METHODS:
            result = method_step(config, model, audio, visual, targets, unimodal, state)
        else:
            ranges = micro_batch_ranges(len(r["indices"]), config.get("microBatch", 0))
            if len(ranges) > 1:
                # Micro-batches (trainStep.ts accumulatedStep): each its own loss and BatchNorm statistics, the
                # gradients summed weighted by size, one Adam step; the trace's perm is theirs side by side.
                total = len(r["indices"])
                loss_sum = 0.0
                for a, b in ranges:
                    piece = dict(r)
                    piece["perm"] = [p - a for p in r["perm"][a:b]] if r.get("perm") else None
                    res = batch_loss(config, model, audio[a:b], visual[a:b], targets[a:b], piece, e, unimodal, state=state)
                    (res.loss * ((b - a) / total)).backward()
                    loss_sum += float(res.loss.detach()) * (b - a) / total
                result = res._replace(loss=torch.tensor(loss_sum))
            else:
                hold = (r.get("greedy") or {}).get("hold")
                if method == "greedy" and hold is not None and state.means is None:
                    raise ReplayError("trace line %d (epoch %d step %d): greedy.hold is %s on the run's first step, before any running mean of the gates" % (number, epoch, r["step"], js_json(hold)))
                result = batch_loss(config, model, audio, visual, targets, r, e, unimodal, state=state)
                result.loss.backward()
            if result.coef is not None and method == "ogm-ge":
                modulate_gradients(model, result.coef, config["ogm"]["mode"], generator)
        greedy = state.end_step(model, e, config["greedy"]) if method == "greedy" else None
        optimizer.step()
        loss = float(result.loss.detach())
        if not math.isfinite(loss):
            raise ReplayError("trace line %d (epoch %d step %d): the replayed loss became %s" % (number, epoch, r["step"], loss))
        own = dict.fromkeys(STEP_KEYS)
        own.update(epoch=epoch, step=r["step"], loss=loss)
        if method == "bmm":
            ramp = ramp_factor(e, r["step"], steps_per_epoch(train.size, config["batch"]), config["bmm"])
            own["weak"], own["m"] = _own_mix(plan, config["bmm"], r.get("lambda"), ramp)
        if result.coef is not None:
            own["coef"] = {k: float(v) for k, v in result.coef.items()}
        if method == "gblend":
            own["blend"] = dict(state.weights)
        own["greedy"] = greedy
        out.append(own)
    if precise and current_epoch is not None:
        recompute_bn_stats(model, training_batches(train, config["batch"], dtype), dtype)
    return out


def _batches_of(split, size, dtype):
    """(first branch's input, second's, labels) of a split's clips in order, in batches of ``size``."""
    for start in range(0, split.size, size):
        yield split.inputs(range(start, min(start + size, split.size)), dtype)


def _own_mix(plan, options, lam, ramp=1.0):
    """(weak, m) this side's plan gives a batch, as B-MM's batchLoss records them (None, None when it does not mix);
    ``ramp`` is the step's ramp factor."""
    if plan.weak is None:
        return None, None
    m = plan.m * ramp
    if options["sample"] == "beta":
        if lam is None:
            return plan.weak, None  # the lab drew no lambda: its plan did not mix
        m = m * lam
    if m == 0:
        return None, None
    return plan.weak, m


def load_start_model(weights_path, config, config_path, pack):
    """The AVClassifier of the config with the start weights loaded (strict), after checking their metadata."""
    try:
        state, meta = load_file(weights_path)
    except (OSError, SafetensorsError) as e:
        raise ReplayError("%s: %s" % (weights_path, getattr(e, "strerror", None) or e)) from None
    check_weights_metadata(meta, config, config_path, pack, weights_path)
    model = AVClassifier(len(pack.class_names), config["fusion"], config["width"], modalities=pack.modalities, mmtm=method_has_mmtm(config["method"]))
    try:
        check_state_dict(model, state)
    except ValueError as e:
        raise ReplayError("%s: %s" % (weights_path, e)) from None
    model.load_state_dict(state, strict=True)
    return model


def _check_replayable(config, config_path):
    beta_draws = config["method"] == "bmm" and config["bmm"]["sample"] == "beta"
    if config.get("microBatch", 0) > 0 and (config["method"] not in MICRO_BATCH_METHODS or beta_draws):
        raise ReplayError(
            "%s: microBatch %d with method %s: the trace keeps one draw per batch, not per micro-batch; micro-batched runs replay for %s"
            % (config_path, config["microBatch"], config["method"], ", ".join(MICRO_BATCH_METHODS))
        )
    if config.get("augment"):
        raise ReplayError(
            "%s: augment is true; a trace can only be replayed from a run with --augment off (random crops are not reproduced)" % config_path
        )


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bmm_lab.replay", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="run-config document of the traced run (bmm-lab-run JSON)")
    p.add_argument("--data", required=True, help="pack folder the run trained on")
    p.add_argument("--weights", required=True, help="start weights (.safetensors exported by the lab)")
    p.add_argument("--trace", required=True, help="trace of the run (bmm-lab train --trace, JSONL)")
    p.add_argument("--out", required=True, help="where to write the final weights (.safetensors)")
    p.add_argument("--steps-out", help="write this side's loss, m, weak and coef per step here (JSONL)")
    p.add_argument("--float64", action="store_true", help="run the whole replay in float64")
    p.add_argument("--teacher-audio", help="method umt: the audio teacher (an audio-only run's .safetensors)")
    p.add_argument("--teacher-visual", help="method umt: the visual teacher (a visual-only run's .safetensors)")
    args = p.parse_args(argv)
    try:
        config = load_run_config(args.config)
        _check_replayable(config, args.config)
        pack = load_pack(args.data)
        try:
            pack.check_config(config, args.config)
        except ValueError as e:
            raise ReplayError(str(e)) from None
        try:
            validate_config(config, pack.train.size)
        except ConfigError as e:
            raise ReplayError("%s: %s" % (args.config, e)) from None
        clips = TrainingClips(config, pack.train)
        if config["method"] == "gblend" and clips.val is None:
            raise ReplayError(gblend_without_validation(config, pack))
        model = load_start_model(args.weights, config, args.config, pack)
        records = read_trace(args.trace, config, args.config, pack.train.size, clips.held)
        dtype = torch.float64 if args.float64 else torch.float32
        model = model.to(dtype)
        generator = torch.Generator().manual_seed(int(config["seed"]))
        teachers = None
        if config["method"] == "umt":
            if not (args.teacher_audio and args.teacher_visual):
                raise ReplayError("method umt replays with its teachers: --teacher-audio and --teacher-visual")
            teachers = load_teachers(args.teacher_audio, args.teacher_visual, pack.modalities, config["width"])
        steps = replay(config, pack, model, records, dtype, generator=generator, teachers=teachers)
    except (ConfigError, PackError, ReplayError, TeacherError) as e:
        _log("error: %s" % e)
        return 2
    save_weights(model, args.out, config_metadata(config, pack.class_names, pack.modalities))
    if args.steps_out:
        with open(args.steps_out, "w", encoding="utf-8") as f:
            for s in steps:
                f.write(json.dumps(s, separators=(",", ":")) + "\n")
    _log("replay: %d steps, wrote %s" % (len(steps), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
