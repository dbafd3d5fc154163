"""Writes a model as the lab exports it: safetensors with OGM-GE's state-dict names and the lab's metadata.

Mirrors ``exportSafetensors`` and ``metadataStrings`` in ``src/core/export.ts`` (METHOD.md section 7): F32 weights and
running statistics, ``num_batches_tracked`` as an I64 scalar, in state-dict order, and ``__metadata__`` strings
format_version, class_names, num_classes, fusion, method, preset, width, modalities, audio_shape, visual_shape,
written with JavaScript's ``String`` and ``JSON.stringify`` so the file matches one the lab would write.
"""

import torch

from .jsformat import js_json, js_number
from .loader import FORMAT_VERSION
from .modalities import MODALITY_CHANNELS, check_modalities, is_frames, modalities_from_channels, modalities_of_old_metadata
from .safetensors_io import save_file


def metadata_strings(class_names, fusion, method, preset, width, audio_shape, visual_shape, modalities=None):
    """The lab's ``__metadata__`` (all strings); shapes in PyTorch layouts: the first branch's (``audio_shape``)
    [1, H, W] for a spectrogram or [C, T, H, W] for frames, the second's (``visual_shape``) [C, T, H, W].
    ``modalities`` is the pair of branch kinds; None: the old reading of the shapes (a spectrogram, then rgb or
    flow by ``visual_shape``'s channels)."""
    pair = check_modalities(modalities) if modalities is not None else modalities_of_old_metadata(list(visual_shape))
    return {
        "format_version": FORMAT_VERSION,
        "class_names": js_json(list(class_names)),
        "num_classes": str(len(class_names)),
        "fusion": fusion,
        "method": str(method),
        "preset": str(preset),
        "width": js_number(width),
        "modalities": js_json(list(pair)),
        "audio_shape": js_json([int(d) for d in audio_shape]),
        "visual_shape": js_json([int(d) for d in visual_shape]),
    }


def config_input_shape(config, kind):
    """A branch's input shape for a session with this config: [1, audioHeight, audioWidth] for a spectrogram,
    [C, frames, visualSize, visualSize] for frames."""
    if not is_frames(kind):
        return [1, config["audioHeight"], config["audioWidth"]]
    return [MODALITY_CHANNELS[kind], config["frames"], config["visualSize"], config["visualSize"]]


def config_metadata(config, class_names, modalities):
    """The metadata the lab writes for a session with this config (``weightsMetadata``).

    ``modalities`` is the pair of branch kinds (a pack's ``modalities``); an integer is read as the older argument,
    the second branch's channel count after a spectrogram (3 rgb, 2 flow).
    """
    pair = modalities_from_channels(1, modalities) if isinstance(modalities, int) else check_modalities(modalities)
    return metadata_strings(
        class_names,
        config["fusion"],
        config["method"],
        config["preset"],
        config["width"],
        config_input_shape(config, pair[0]),
        config_input_shape(config, pair[1]),
        pair,
    )


def save_weights(model, path, metadata):
    """Saves the state dict (floats as F32, whatever the model's dtype; num_batches_tracked I64) with metadata."""
    state = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        state[name] = t.float().contiguous() if t.is_floating_point() else t.to(torch.int64).contiguous()
    save_file(state, path, metadata)
