"""The trainer's checkpoint: everything a run needs to continue after its last completed epoch (``torch.save``).

A dict ``{"format": "bmm-lab-checkpoint", "version": 1, "config", "class_names", "modalities" (the pack's
branches; absent in older checkpoints), "train_size", "test_size",
"epoch" (completed epochs), "model" (state dict), "optimizer" (Adam's state dict), "scheduler" (the StepLR
schedule and the epoch it is at), "rng" (the trainer's numpy generator, the OGM-GE noise generator, torch's CPU and
CUDA generators), "metrics" (one dict per epoch, ``report.py``), "rho_history", "bmm" (the last epoch's plan),
"unimodal_means" (the training-set feature means of unimodal = mean, or None), "method_state" (AGM's running
means, PMR's prototypes, G-Blending's weights, Greedy's gate means, step count, sums of learning speeds and window,
or None; absent in older checkpoints)}``. Written to a temporary file and
renamed, so a run killed while writing keeps the previous one. As ``checkCheckpoint`` in ``src/core/checkpoint.ts``,
a checkpoint is refused for another model, another config or another dataset, naming the file and the first
difference.
"""

import os

import torch

from .jsformat import js_json

CHECKPOINT_FORMAT = "bmm-lab-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_FILE = "checkpoint.pt"
# Settings a resumed run may change: only how long it trains.
RESUMABLE_CHANGES = ("epochs",)


class CheckpointError(ValueError):
    """A checkpoint that is missing or does not fit the run; the message names the file."""


def save_checkpoint(state, path):
    """Writes ``state`` to ``path`` atomically (temporary file, then rename)."""
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path):
    """The checkpoint dict at ``path``; CheckpointError when it is missing or not a checkpoint of this version."""
    if not os.path.exists(path):
        raise CheckpointError("%s: no checkpoint to resume from (train without --resume to start a run in %s)" % (path, os.path.dirname(path) or "."))
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:  # a truncated or foreign file: torch raises many kinds
        raise CheckpointError("%s: cannot be read as a checkpoint (%s)" % (path, e)) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError("%s: not a %s file" % (path, CHECKPOINT_FORMAT))
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError("%s: checkpoint version %s is not supported (expected %d)" % (path, state.get("version"), CHECKPOINT_VERSION))
    return state


def _flat(config, prefix=""):
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, prefix + key + "."))
        else:
            out[prefix + key] = value
    return out


def check_checkpoint(state, config, config_source, pack, path):
    """Refuses a checkpoint made for other classes, another pack size or another config (but for ``epochs``)."""
    if list(state["class_names"]) != list(pack.class_names):
        raise CheckpointError(
            "%s: made for %d classes %s, but %s has %d classes %s"
            % (path, len(state["class_names"]), js_json(list(state["class_names"])), pack.manifest_path, len(pack.class_names), js_json(pack.class_names))
        )
    made_for = state.get("modalities")  # absent in checkpoints written before branch kinds
    if made_for is not None and list(made_for) != list(pack.modalities):
        raise CheckpointError(
            "%s: made for branches %s, but %s has branches %s" % (path, js_json(list(made_for)), pack.manifest_path, js_json(list(pack.modalities)))
        )
    for key, size in (("train_size", pack.train.size), ("test_size", pack.test.size)):
        if state[key] != size:
            raise CheckpointError("%s: made with %s %d, but %s has %d; is this another pack?" % (path, key, state[key], pack.manifest_path, size))
    made, wanted = _flat(state["config"]), _flat(config)
    for key in sorted(set(made) | set(wanted)):
        if key in RESUMABLE_CHANGES:
            continue
        if made.get(key) != wanted.get(key):
            raise CheckpointError(
                "%s: made with %s = %s, but %s has %s (a resumed run keeps its config; only epochs may change)"
                % (path, key, js_json(made.get(key)), config_source, js_json(wanted.get(key)))
            )
