"""Writes a model as the lab exports it: safetensors with OGM-GE's state-dict names and the lab's metadata.

Mirrors ``exportSafetensors`` and ``metadataStrings`` in ``src/core/export.ts`` (METHOD.md section 7): F32 weights and
running statistics, ``num_batches_tracked`` as an I64 scalar, in state-dict order, and ``__metadata__`` strings
format_version, class_names, num_classes, fusion, method, preset, width, audio_shape, visual_shape, written with
JavaScript's ``String`` and ``JSON.stringify`` so the file matches one the lab would write.
"""

import torch

from .jsformat import js_json, js_number
from .loader import FORMAT_VERSION
from .safetensors_io import save_file


def metadata_strings(class_names, fusion, method, preset, width, audio_shape, visual_shape):
    """The lab's ``__metadata__`` (all strings); shapes in PyTorch layouts, audio [C, H, W], visual [C, T, H, W]."""
    return {
        "format_version": FORMAT_VERSION,
        "class_names": js_json(list(class_names)),
        "num_classes": str(len(class_names)),
        "fusion": fusion,
        "method": str(method),
        "preset": str(preset),
        "width": js_number(width),
        "audio_shape": js_json([int(d) for d in audio_shape]),
        "visual_shape": js_json([int(d) for d in visual_shape]),
    }


def config_metadata(config, class_names, visual_channels):
    """The metadata the lab writes for a session with this config (``weightsMetadata``)."""
    return metadata_strings(
        class_names,
        config["fusion"],
        config["method"],
        config["preset"],
        config["width"],
        [1, config["audioHeight"], config["audioWidth"]],
        [visual_channels, config["frames"], config["visualSize"], config["visualSize"]],
    )


def save_weights(model, path, metadata):
    """Saves the state dict (floats as F32, whatever the model's dtype; num_batches_tracked I64) with metadata."""
    state = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        state[name] = t.float().contiguous() if t.is_floating_point() else t.to(torch.int64).contiguous()
    save_file(state, path, metadata)
