"""Loads a model exported by the lab (safetensors with OGM-GE state-dict names, METHOD.md section 7)."""

import json

import torch

from .model import FUSIONS, AVClassifier
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
    audio_shape, JSON [C, H, W]; visual_shape, JSON [C, T, H, W]. Only format_version, fusion and one of
    class_names / num_classes are required; width defaults to 1, the channels to 1 (audio) and 3 (visual).
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
    out["audio_shape"] = _json(meta, "audio_shape", "array [C, H, W]") if "audio_shape" in meta else None
    out["visual_shape"] = _json(meta, "visual_shape", "array [C, T, H, W]") if "visual_shape" in meta else None
    for key, rank in (("audio_shape", 3), ("visual_shape", 4)):
        s = out[key]
        if s is not None and (not isinstance(s, list) or len(s) != rank or not all(isinstance(d, int) for d in s)):
            raise ValueError("metadata %s must be a JSON array of %d integers, got %r" % (key, rank, meta[key]))
    out["audio_channels"] = out["audio_shape"][0] if out["audio_shape"] else 1
    out["visual_channels"] = out["visual_shape"][0] if out["visual_shape"] else 3
    return out


def build_model(meta):
    """An AVClassifier with the architecture described by the (string) metadata."""
    p = parse_metadata(meta)
    return AVClassifier(p["num_classes"], p["fusion"], p["width"], p["audio_channels"], p["visual_channels"])


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
