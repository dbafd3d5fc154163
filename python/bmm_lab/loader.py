"""Loads a model exported by the lab (safetensors with OGM-GE state-dict names, METHOD.md section 7; a method greedy
model also has its MMTM blocks ``mmtm2``..``mmtm4``, after the fusion module's tensors)."""

import json

import torch

from .jsformat import js_json
from .modalities import MODALITY_CHANNELS, check_modalities, is_frames, modalities_of_old_metadata
from .model import FUSIONS, AVClassifier, method_has_mmtm
from .safetensors_io import load_file

FORMAT_VERSION = "1"


def _json(meta, key, kind):
    try:
        value = json.loads(meta[key])
    except (KeyError, ValueError):
        raise ValueError("metadata %r must be a JSON %s, got %r" % (key, kind, meta.get(key))) from None
    return value


def parse_metadata(meta):
    """The lab's string metadata as typed values; raises ValueError naming the key that is missing or wrong.

    Keys written by the TS exporter (all values are strings): format_version "1"; class_names, a JSON array of
    strings; num_classes, an integer; fusion (concat|sum|film|gated|decision); method; preset; width, a number;
    modalities, the JSON pair of branch kinds (e.g. ["rgb","flow"]); audio_shape, the first branch's input, JSON
    [1, H, W] for a spectrogram or [C, T, S, S] for frames; visual_shape, the second's, JSON [C, T, S, S]. Only
    format_version, fusion and one of class_names / num_classes are required; width defaults to 1. Without
    modalities (files written before it) the pair is ["spectrogram", "flow" if visual_shape[0] == 2 else "rgb"].
    ``audio_channels`` / ``visual_channels`` in the result are the pair's.
    """
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError("metadata format_version must be %r, got %r" % (FORMAT_VERSION, version))
    out = {"format_version": version, "method": meta.get("method"), "preset": meta.get("preset")}
    fusion = meta.get("fusion")
    if fusion not in FUSIONS:
        raise ValueError("metadata fusion must be one of %s, got %r" % (", ".join(FUSIONS), fusion))
    out["fusion"] = fusion
    class_names = None
    if "class_names" in meta:
        class_names = _json(meta, "class_names", "array of strings")
        if not isinstance(class_names, list) or not all(isinstance(c, str) for c in class_names):
            raise ValueError("metadata class_names must be a JSON array of strings, got %r" % meta["class_names"])
    if "num_classes" in meta:
        try:
            num_classes = int(meta["num_classes"])
        except ValueError:
            raise ValueError("metadata num_classes must be an integer, got %r" % meta["num_classes"]) from None
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError("metadata num_classes %d != len(class_names) %d" % (num_classes, len(class_names)))
    elif class_names is not None:
        num_classes = len(class_names)
    else:
        raise ValueError("metadata needs num_classes or class_names")
    out["num_classes"] = num_classes
    out["class_names"] = class_names
    try:
        out["width"] = float(meta.get("width", "1"))
    except ValueError:
        raise ValueError("metadata width must be a number, got %r" % meta["width"]) from None
    out["audio_shape"] = _json(meta, "audio_shape", "array [C, H, W] or [C, T, H, W]") if "audio_shape" in meta else None
    out["visual_shape"] = _json(meta, "visual_shape", "array [C, T, H, W]") if "visual_shape" in meta else None
    s = out["visual_shape"]
    if s is not None and not _is_int_list(s, 4):
        raise ValueError("metadata visual_shape must be a JSON array of 4 integers, got %r" % meta["visual_shape"])
    if "modalities" in meta:
        try:
            out["modalities"] = check_modalities(_json(meta, "modalities", "array of two branch kinds"))
        except ValueError as e:
            raise ValueError("metadata %s" % e) from None
    else:
        out["modalities"] = modalities_of_old_metadata(out["visual_shape"])
    for key, kind in zip(("audio_shape", "visual_shape"), out["modalities"]):
        s = out[key]
        if s is None:
            continue
        rank, layout = (4, "[C, T, H, W]") if is_frames(kind) else (3, "[C, H, W]")
        if not _is_int_list(s, rank):
            raise ValueError("metadata %s must be a JSON array of %d integers %s for a %s branch, got %r" % (key, rank, layout, kind, meta[key]))
        if s[0] != MODALITY_CHANNELS[kind]:
            raise ValueError(
                "metadata %s %s has %d channels, but a %s branch (modalities %s) has %d"
                % (key, js_json(s), s[0], kind, js_json(list(out["modalities"])), MODALITY_CHANNELS[kind])
            )
    out["audio_channels"], out["visual_channels"] = (MODALITY_CHANNELS[k] for k in out["modalities"])
    return out


def _is_int_list(s, rank):
    return isinstance(s, list) and len(s) == rank and all(isinstance(d, int) and not isinstance(d, bool) for d in s)


def build_model(meta):
    """An AVClassifier with the architecture described by the (string) metadata: with the MMTM blocks (``mmtm2``..
    ``mmtm4``) when its method has them (greedy), as the lab's ``modelOptionsFromMetadata``."""
    p = parse_metadata(meta)
    return AVClassifier(p["num_classes"], p["fusion"], p["width"], modalities=p["modalities"], mmtm=method_has_mmtm(p["method"]))


def check_state_dict(model, state):
    """Raises ValueError listing every missing, unexpected or mis-shaped tensor, and non-I64 num_batches_tracked.

    Stricter than load_state_dict(strict=True), which silently accepts shape [1] for a scalar such as
    num_batches_tracked (a PyTorch 0.3 compatibility rule) and casts any dtype.
    """
    want = model.state_dict()
    problems = ["missing %s %s" % (k, list(v.shape)) for k, v in want.items() if k not in state]
    problems += ["unexpected %s" % k for k in state if k not in want]
    for k, v in state.items():
        if k in want and list(v.shape) != list(want[k].shape):
            problems.append("%s has shape %s, expected %s" % (k, list(v.shape), list(want[k].shape)))
        if k.endswith("num_batches_tracked") and v.dtype != torch.int64:
            problems.append("%s has dtype %s, expected int64 (I64)" % (k, v.dtype))
        elif k in want and want[k].is_floating_point() and not v.is_floating_point():
            problems.append("%s has dtype %s, expected a float dtype" % (k, v.dtype))
    if problems:
        raise ValueError("weights do not match the model described by the metadata:\n  " + "\n  ".join(problems))


def load_model(path):
    """(model in eval mode, metadata as stored: a dict of strings) from a lab export; strict state-dict load."""
    state, meta = load_file(path)
    model = build_model(meta)
    check_state_dict(model, state)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, meta
