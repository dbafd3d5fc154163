"""Dataset packs: the lab's decoded clips as files (``bmm-lab pack``, ``bmm-lab train --data DIR``), read for PyTorch.

Mirrors ``src/data/pack.ts`` (the reader's checks and messages) and ``src/core/batches.ts`` (model inputs with the
evaluation transforms). The contract:

- DIR holds ``pack.json`` and the shard files it lists: ``{"format":"bmm-lab-pack","version":1,"class_names":[…],
  "branches":["spectrogram","rgb"],"shapes":{"spectrogram":[1,H,W],"rgb":[T,S,S,3]},
  "shards":[{"file":"part-00000.safetensors","clips":N},…]}``;
- ``branches``: the first modality trains ``audio_net``, the second ``visual_net``; supported:
  ``["spectrogram","rgb"]``, ``["spectrogram","flow"]`` and ``["rgb","flow"]`` (``modalities.py``);
- ``shapes``: ``spectrogram`` ``[1,H,W]``, ``rgb`` ``[T,S,S,3]``, ``flow`` ``[T,S,S,2]``; the two frame branches of
  ``["rgb","flow"]`` share T and S;
- each shard, a tensor per branch: ``spectrogram`` F32 ``[n,1,H,W]``, ``rgb`` U8 ``[n,T,S,S,3]``, ``flow`` U8
  ``[n,T,S,S,2]`` (time order, channels last, 0-255, flow 128 = no motion); ``label`` I64 ``[n]``, ``split`` U8
  ``[n]`` (0 train, 1 test), optional ``__metadata__.clip_ids`` (a JSON array of n strings);
- a split's order is shard order, then row order: the trace's ``indices`` are positions in the training split.

A pack is stored at the model's T and S (the evaluation transform of a stored clip of T frames is all its frames,
no resize), so a config with other sizes is refused rather than resized.
"""

import json
import os

import numpy as np
import torch

from .jsformat import js_json
from .modalities import MODALITY_CHANNELS, MODALITY_KINDS, MODALITY_PAIRS, is_frames, pairs_text
from .safetensors_io import SafetensorsError, decode_numpy, parse_header

PACK_FORMAT = "bmm-lab-pack"
PACK_VERSION = 1
PACK_BRANCHES = MODALITY_KINDS
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
    if tuple(branches) not in MODALITY_PAIRS:
        raise PackError(file, "branches %s are not supported: the lab trains %s" % (js_json(branches), pairs_text()))
    shapes = m.get("shapes")
    if not isinstance(shapes, dict):
        raise PackError(file, "shapes is missing")
    for kind in branches:
        shape = shapes.get(kind)
        if kind == "spectrogram":
            if not _is_int_array(shape, 3) or shape[0] != 1:
                raise PackError(file, "shapes.spectrogram must be [1,H,W], got %s" % _json_or_undefined(shapes, "spectrogram"))
        else:
            channels = MODALITY_CHANNELS[kind]
            if not _is_int_array(shape, 4) or shape[1] != shape[2] or shape[3] != channels:
                raise PackError(file, "shapes.%s must be [T,S,S,%d], got %s" % (kind, channels, _json_or_undefined(shapes, kind)))
    if all(is_frames(k) for k in branches) and shapes[branches[0]][:2] != shapes[branches[1]][:2]:
        # One model T and S (the config's frames, visualSize) serve both frame branches.
        a, b = branches
        raise PackError(file, "shapes.%s %s and shapes.%s %s must share T and S" % (a, js_json(shapes[a]), b, js_json(shapes[b])))
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
    def __init__(self, branches, labels, split, clip_ids):
        self.branches = branches  # per branch, in order: spectrogram float32 [n, 1, H, W] or frames uint8 [n, T, S, S, C]
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
    branches = []
    for kind in manifest["branches"]:
        shape = [n] + [int(d) for d in manifest["shapes"][kind]]
        branches.append(_tensor_of(file, codes, arrays, kind, "F32" if kind == "spectrogram" else "U8", shape))
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
    return _Shard(branches, labels, split, clip_ids)


def evaluation_frame_indices(n, t):
    """Indices of T evenly spaced frames among n: round(linspace(0, n - 1, T)), halves up as Math.round."""
    if t == 1:
        return [(n - 1) // 2]
    return [int(np.floor(j * (n - 1) / (t - 1) + 0.5)) for j in range(t)]


def normalise_frames(frames, kind, dtype=torch.float32):
    """Model input [B, C, T, S, S] from stored frames uint8 [B, T, S, S, C], as ``BatchBuilder.visual`` does.

    RGB: (x - 255 mean) / (255 std) with ImageNet's mean and std; flow: x / 127.5 - 1. Computed in ``dtype``.
    ``frames`` may also be a tensor of pixel values 0-255 (an augmented crop).
    """
    x = frames.to(dtype) if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames)).to(dtype)
    if kind == "rgb":
        mean = torch.tensor([m * 255 for m in IMAGENET_MEAN], dtype=dtype)
        std = torch.tensor([s * 255 for s in IMAGENET_STD], dtype=dtype)
        x = (x - mean) / std
    elif kind == "flow":
        x = x / 127.5 - 1
    else:
        raise ValueError("no frame transform for branch %r" % (kind,))
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

    def subset(self, positions, name=None):
        """The clips at ``positions`` of this split, in that order, as a split of their own (``SubsetClipStore``:
        the trained or the validation clips of a training split)."""
        positions = list(positions)
        self.check_positions(positions)
        return Split(name or self.name, self.pack, [self._rows[p] for p in positions])

    def clip(self, position):
        """The stored clip at a position: (first branch's, second branch's, label), not copied; a spectrogram is
        float32 [1,H,W], frames uint8 [T,S,S,C]."""
        shard, row = self._rows[position]
        return shard.branches[0][row], shard.branches[1][row], int(shard.labels[row])

    def inputs(self, positions, dtype=torch.float32):
        """(first branch's input, second's, labels int64 [B]) for positions of this split (evaluation transforms);
        a spectrogram branch gives [B,1,H,W], a frame branch [B,C,T,S,S]."""
        positions = list(positions)
        self.check_positions(positions)
        clips = [self.clip(p) for p in positions]
        first, second = (branch_inputs(kind, np.stack([c[i] for c in clips]), self.pack.frames, dtype) for i, kind in enumerate(self.pack.branches))
        labels = torch.from_numpy(self.labels[positions])
        return first, second, labels


def branch_inputs(kind, stored, t, dtype=torch.float32):
    """A branch's model input from stored clips (evaluation transforms): a spectrogram float32 [B,1,H,W] as is,
    frames uint8 [B,n,S,S,C] -> T evenly spaced frames normalised as [B,C,T,S,S]."""
    if kind == "spectrogram":
        return torch.from_numpy(np.ascontiguousarray(stored)).to(dtype)
    frame_idx = evaluation_frame_indices(stored.shape[1], t)  # a pack is stored at the model's T: all its frames
    return normalise_frames(stored[:, frame_idx], kind, dtype)


class Pack:
    """A read and checked pack: ``class_names``, ``branches`` (``modalities`` as a tuple), sizes, and the ``train``
    and ``test`` splits.

    ``audio_height`` / ``audio_width`` are the spectrogram's (None without one); ``frames`` and ``visual_size`` the
    frame branches' T and S (shared by both in ``["rgb","flow"]``); ``audio_channels`` / ``visual_channels`` the
    first and second branch's channels.
    """

    def __init__(self, directory, manifest, shards):
        self.directory = directory
        self.manifest = manifest
        self.class_names = list(manifest["class_names"])
        self.branches = list(manifest["branches"])
        self.modalities = tuple(self.branches)
        self.audio_branch, self.visual_branch = self.branches
        self.audio_channels, self.visual_channels = (MODALITY_CHANNELS[k] for k in self.branches)
        shapes = manifest["shapes"]
        self.audio_height = self.audio_width = None
        if "spectrogram" in self.branches:
            _, self.audio_height, self.audio_width = (int(d) for d in shapes["spectrogram"])
        # The second branch is always frames; in ["rgb","flow"] the first shares its T and S.
        self.frames, self.visual_size = int(shapes[self.visual_branch][0]), int(shapes[self.visual_branch][1])
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
        """Raises ValueError when the config's input sizes differ from the pack's (a pack is never resized): a
        spectrogram branch sets audioHeight and audioWidth, the frame branches visualSize and frames."""
        pairs = []
        if self.audio_height is not None:
            pairs += [("audioHeight", self.audio_height, "shapes.spectrogram H"), ("audioWidth", self.audio_width, "shapes.spectrogram W")]
        # Frame branches share T and S (checked on reading): each size is reported once, for the first of them.
        frames_kind = next(k for k in self.branches if is_frames(k))
        pairs += [("visualSize", self.visual_size, "shapes.%s S" % frames_kind), ("frames", self.frames, "shapes.%s T" % frames_kind)]
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
