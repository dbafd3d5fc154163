"""Dataset packs: the lab's decoded clips as files (``bmm-lab pack``, ``bmm-lab train --data DIR``), read for PyTorch.

Mirrors ``src/data/pack.ts`` (the reader's checks and messages) and ``src/core/batches.ts`` (model inputs with the
evaluation transforms). The contract:

- DIR holds ``pack.json`` and the shard files it lists: ``{"format":"bmm-lab-pack","version":1,"class_names":[…],
  "branches":["spectrogram","rgb"],"shapes":{"spectrogram":[1,H,W],"rgb":[T,S,S,3]},
  "shards":[{"file":"part-00000.safetensors","clips":N},…]}``;
- ``branches``: the first modality trains ``audio_net``, the second ``visual_net``; supported today:
  ``["spectrogram","rgb"]`` and ``["spectrogram","flow"]``;
- each shard: ``spectrogram`` F32 ``[n,1,H,W]``, ``rgb`` U8 ``[n,T,S,S,3]`` or ``flow`` U8 ``[n,T,S,S,2]`` (time
  order, channels last, 0-255, flow 128 = no motion), ``label`` I64 ``[n]``, ``split`` U8 ``[n]`` (0 train, 1 test),
  optional ``__metadata__.clip_ids`` (a JSON array of n strings);
- a split's order is shard order, then row order: the trace's ``indices`` are positions in the training split.

A pack is stored at the model's T and S (the evaluation transform of a stored clip of T frames is all its frames,
no resize), so a config with other sizes is refused rather than resized.
"""

import json
import os

import numpy as np
import torch

from .jsformat import js_json
from .safetensors_io import SafetensorsError, decode_numpy, parse_header

PACK_FORMAT = "bmm-lab-pack"
PACK_VERSION = 1
PACK_BRANCHES = ("spectrogram", "rgb", "flow")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PackError(ValueError):
    """A malformed pack; the message names the file and the field."""

    def __init__(self, file, message):
        super().__init__("%s: %s" % (file, message))
        self.file = file


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool) or isinstance(x, float) and x.is_integer()


def _is_int_array(x, n):
    return isinstance(x, list) and len(x) == n and all(_is_int(v) and v > 0 for v in x)


def parse_manifest(text, file="pack.json"):
    """The checked ``pack.json`` as a dict (``parseManifest``); raises PackError naming ``file`` and the field."""
    try:
        m = json.loads(text)
    except ValueError as e:
        raise PackError(file, "not JSON (%s)" % e) from None
    if not isinstance(m, dict):
        raise PackError(file, "expected a JSON object")
    if m.get("format") != PACK_FORMAT:
        raise PackError(file, 'format is %s, expected "%s"' % (_json_or_undefined(m, "format"), PACK_FORMAT))
    version = m.get("version")
    if not (_is_int(version) and version == PACK_VERSION):
        raise PackError(file, "version %s is not supported (this lab reads version %d)" % (_json_or_undefined(m, "version"), PACK_VERSION))
    names = m.get("class_names")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise PackError(file, "class_names must be an array of at least 2 distinct strings")
    branches = m.get("branches")
    if not isinstance(branches, list) or len(branches) != 2 or not all(isinstance(b, str) and b in PACK_BRANCHES for b in branches):
        raise PackError(file, "branches must be two of %s, got %s" % (", ".join(PACK_BRANCHES), _json_or_undefined(m, "branches")))
    if branches[0] != "spectrogram" or branches[1] == "spectrogram":
        raise PackError(
            file,
            'branches %s are not supported yet: the lab trains ["spectrogram","rgb"] or ["spectrogram","flow"]' % js_json(branches),
        )
    shapes = m.get("shapes")
    if not isinstance(shapes, dict):
        raise PackError(file, "shapes is missing")
    spec = shapes.get("spectrogram")
    if not _is_int_array(spec, 3) or spec[0] != 1:
        raise PackError(file, "shapes.spectrogram must be [1,H,W], got %s" % _json_or_undefined(shapes, "spectrogram"))
    visual = branches[1]
    channels = 3 if visual == "rgb" else 2
    vs = shapes.get(visual)
    if not _is_int_array(vs, 4) or vs[1] != vs[2] or vs[3] != channels:
        raise PackError(file, "shapes.%s must be [T,S,S,%d], got %s" % (visual, channels, _json_or_undefined(shapes, visual)))
    shards = m.get("shards")
    if not isinstance(shards, list) or not shards:
        raise PackError(file, "shards must list at least one shard")
    for i, s in enumerate(shards):
        name = s.get("file") if isinstance(s, dict) else None
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
            raise PackError(file, "shards[%d].file must be a file name in the pack folder" % i)
        clips = s.get("clips")
        if not _is_int(clips) or clips < 1:
            raise PackError(file, "shards[%d].clips must be a positive integer" % i)
    return m


def _json_or_undefined(obj, key):
    """``JSON.stringify(obj[key])`` as the TS reader writes it (``undefined`` for a missing key)."""
    return js_json(obj[key]) if key in obj else "undefined"


class _Shard:
    def __init__(self, audio, frames, labels, split, clip_ids):
        self.audio = audio  # float32 [n, 1, H, W]
        self.frames = frames  # uint8 [n, T, S, S, C]
        self.labels = labels  # int64 [n]
        self.split = split  # uint8 [n]
        self.clip_ids = clip_ids  # list of n strings, or None


def _tensor_of(file, codes, arrays, name, code, shape):
    if name not in arrays:
        raise PackError(file, 'tensor "%s" is missing' % name)
    if codes[name] != code:
        raise PackError(file, 'tensor "%s" is %s, expected %s' % (name, codes[name], code))
    got = list(arrays[name].shape)
    if got != list(shape):
        raise PackError(file, 'tensor "%s" has shape %s, expected %s (from pack.json)' % (name, js_json(got), js_json(list(shape))))
    return arrays[name]


def _read_shard(manifest, index, data, file):
    n = int(manifest["shards"][index]["clips"])
    try:
        _, entries, _ = parse_header(data)
        arrays, metadata = decode_numpy(data)
    except SafetensorsError as e:
        raise PackError(file, str(e)) from None
    codes = {name: code for name, code, _, _, _ in entries}
    visual = manifest["branches"][1]
    spec = [int(d) for d in manifest["shapes"]["spectrogram"]]
    vshape = [int(d) for d in manifest["shapes"][visual]]
    audio = _tensor_of(file, codes, arrays, "spectrogram", "F32", [n] + spec)
    frames = _tensor_of(file, codes, arrays, visual, "U8", [n] + vshape)
    labels = _tensor_of(file, codes, arrays, "label", "I64", [n])
    split = _tensor_of(file, codes, arrays, "split", "U8", [n])
    classes = len(manifest["class_names"])
    bad = np.flatnonzero((labels < 0) | (labels >= classes))
    if bad.size:
        i = int(bad[0])
        raise PackError(file, "label[%d] is %d, outside the %d classes of class_names" % (i, int(labels[i]), classes))
    bad = np.flatnonzero(split > 1)
    if bad.size:
        i = int(bad[0])
        raise PackError(file, "split[%d] is %d; expected 0 (train) or 1 (test)" % (i, int(split[i])))
    clip_ids = None
    if "clip_ids" in metadata:
        try:
            ids = json.loads(metadata["clip_ids"])
        except ValueError:
            ids = None
        if not isinstance(ids, list) or len(ids) != n or not all(isinstance(x, str) for x in ids):
            raise PackError(file, "__metadata__.clip_ids must be a JSON array of %d strings" % n)
        clip_ids = ids
    return _Shard(audio, frames, labels, split, clip_ids)


def evaluation_frame_indices(n, t):
    """Indices of T evenly spaced frames among n: round(linspace(0, n - 1, T)), halves up as Math.round."""
    if t == 1:
        return [(n - 1) // 2]
    return [int(np.floor(j * (n - 1) / (t - 1) + 0.5)) for j in range(t)]


def normalise_frames(frames, visual, dtype=torch.float32):
    """Model input [B, C, T, S, S] from stored frames uint8 [B, T, S, S, C], as ``BatchBuilder.visual`` does.

    RGB: (x - 255 mean) / (255 std) with ImageNet's mean and std; flow: x / 127.5 - 1. Computed in ``dtype``.
    ``frames`` may also be a tensor of pixel values 0-255 (an augmented crop).
    """
    x = frames.to(dtype) if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames)).to(dtype)
    if visual == "rgb":
        mean = torch.tensor([m * 255 for m in IMAGENET_MEAN], dtype=dtype)
        std = torch.tensor([s * 255 for s in IMAGENET_STD], dtype=dtype)
        x = (x - mean) / std
    elif visual == "flow":
        x = x / 127.5 - 1
    else:
        raise ValueError("no visual transform for branch %r" % (visual,))
    return x.permute(0, 4, 1, 2, 3).contiguous()


class Split:
    """One split of a pack: ``size`` clips with ``labels``, in shard order then row order."""

    def __init__(self, name, pack, rows):
        self.name = name
        self.pack = pack
        self._rows = rows  # [(shard, row)]
        self.size = len(rows)
        self.labels = np.array([shard.labels[row] for shard, row in rows], dtype=np.int64)
        ids = [shard.clip_ids for shard, _ in rows]
        self.clip_ids = [shard.clip_ids[row] for shard, row in rows] if all(i is not None for i in ids) else None

    def check_positions(self, positions):
        """Raises IndexError naming the first position outside 0..size-1."""
        for p in positions:
            if not (isinstance(p, (int, np.integer)) and not isinstance(p, bool)) or not 0 <= p < self.size:
                raise IndexError("position %r is outside the %s split (0..%d)" % (p, self.name, self.size - 1))

    def clip(self, position):
        """The stored clip at a position: (spectrogram float32 [1,H,W], frames uint8 [T,S,S,C], label), not copied."""
        shard, row = self._rows[position]
        return shard.audio[row], shard.frames[row], int(shard.labels[row])

    def inputs(self, positions, dtype=torch.float32):
        """(audio [B,1,H,W], visual [B,C,T,S,S], labels int64 [B]) for positions of this split (evaluation transforms)."""
        positions = list(positions)
        self.check_positions(positions)
        t = self.pack.frames
        audio = np.stack([self.clip(p)[0] for p in positions])
        frame_idx = evaluation_frame_indices(t, t)  # all T stored frames: the pack is stored at the model's T
        frames = np.stack([self.clip(p)[1][frame_idx] for p in positions])
        labels = torch.from_numpy(self.labels[positions])
        return torch.from_numpy(audio).to(dtype), normalise_frames(frames, self.pack.visual_branch, dtype), labels


class Pack:
    """A read and checked pack: ``class_names``, ``branches``, sizes, and the ``train`` and ``test`` splits."""

    def __init__(self, directory, manifest, shards):
        self.directory = directory
        self.manifest = manifest
        self.class_names = list(manifest["class_names"])
        self.branches = list(manifest["branches"])
        self.visual_branch = self.branches[1]
        _, self.audio_height, self.audio_width = (int(d) for d in manifest["shapes"]["spectrogram"])
        self.frames, self.visual_size, _, self.visual_channels = (int(d) for d in manifest["shapes"][self.visual_branch])
        rows = {0: [], 1: []}
        for shard in shards:
            for row in range(len(shard.labels)):
                rows[int(shard.split[row])].append((shard, row))
        self.train = Split("train", self, rows[0])
        self.test = Split("test", self, rows[1])

    @property
    def manifest_path(self):
        return os.path.join(self.directory, "pack.json")

    def check_config(self, config, source="config"):
        """Raises ValueError when the config's input sizes differ from the pack's (a pack is never resized)."""
        pairs = [
            ("audioHeight", self.audio_height, "shapes.spectrogram H"),
            ("audioWidth", self.audio_width, "shapes.spectrogram W"),
            ("visualSize", self.visual_size, "shapes.%s S" % self.visual_branch),
            ("frames", self.frames, "shapes.%s T" % self.visual_branch),
        ]
        wrong = ["%s %s in %s but %s %d in %s" % (k, config[k], source, what, v, self.manifest_path) for k, v, what in pairs if config[k] != v]
        if wrong:
            raise ValueError(
                "the config's input sizes differ from the pack's (a pack is stored at the model's sizes; it is not resized): "
                + "; ".join(wrong)
            )


def load_pack(directory):
    """Reads and checks a pack folder (``readPack``); raises PackError naming the file and the field."""
    manifest_path = os.path.join(directory, "pack.json")
    try:
        with open(manifest_path, "rb") as f:
            text = f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or e
        raise PackError(manifest_path, "cannot be read (%s); a pack folder holds pack.json and its shards" % why) from None
    manifest = parse_manifest(text, manifest_path)
    shards = []
    for i, entry in enumerate(manifest["shards"]):
        path = os.path.join(directory, entry["file"])
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise PackError(path, "listed in pack.json shards[%d] but cannot be read (%s)" % (i, e.strerror or e)) from None
        shards.append(_read_shard(manifest, i, data, path))
    pack = Pack(directory, manifest, shards)
    if pack.train.size == 0:
        raise PackError(manifest_path, "the pack has no training clips (split 0)")
    if pack.test.size == 0:
        raise PackError(manifest_path, "the pack has no test clips (split 1)")
    return pack
