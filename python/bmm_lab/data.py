"""Training and evaluation inputs from a pack as a torch Dataset, for a DataLoader with workers (METHOD.md section 1).

Mirrors ``src/core/batches.ts`` and ``frameIndices.ts``:
- evaluation (and training with ``augment`` off): T evenly spaced frames, no resize (a pack is stored at the
  model's sizes), exactly ``Split.inputs``;
- training with ``augment`` on, for every frame branch (rgb, flow): T frames at random in time order, one
  RandomResizedCrop box (scale 0.08-1, ratio 3/4-4/3, torchvision's sampling as ``randomResizedCropBox``) and one
  horizontal flip per clip, shared by its T frames; the crop is resized bilinearly at the sample points of TF.js
  ``cropAndResize`` (corners aligned); a flipped flow clip also has its u (horizontal motion) negated
  (``flip_frames``). A spectrogram branch is not augmented. In ``["rgb","flow"]`` each branch draws its own frames,
  box and flip, the first branch's draws before the second's;
- RGB normalised with ImageNet's mean and std, flow mapped to [-1, 1] (``pack.normalise_frames``).

A clip's random choices come from a generator seeded by (run seed, epoch, slot), the slot being the clip's place in
the epoch's order: they do not depend on the number of workers or processes, so a resumed or distributed run draws
the same crops. Items are keys ``(split, position, epoch, slot)``; ``EpochBatches`` is the batch sampler that yields
them.
"""

import math

import numpy as np
import torch

from .modalities import is_frames
from .pack import evaluation_frame_indices, normalise_frames

AUGMENT_STREAM = 1  # seed-sequence tag of the augmentation draws (the trainer's own draws use 0)


def clip_rng(seed, epoch, slot):
    """The generator of one clip's augmentation in one epoch; ``epoch`` may be a tuple of integers (G-Blending's
    probe epochs: (epoch, 1 + head, probe epoch)), which seeds a stream apart from every training epoch's."""
    tag = [int(x) for x in epoch] if isinstance(epoch, (tuple, list)) else [int(epoch)]
    return np.random.default_rng([int(seed) % 2**32, AUGMENT_STREAM, *tag, int(slot)])


def random_resized_crop_box(h, w, rng, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's RandomResizedCrop.get_params as the lab writes it: [top, left, height, width] in pixels."""
    area = h * w
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * (scale[0] + rng.random() * (scale[1] - scale[0]))
        aspect = math.exp(log_ratio[0] + rng.random() * (log_ratio[1] - log_ratio[0]))
        cw = math.floor(math.sqrt(target * aspect) + 0.5)  # Math.round
        ch = math.floor(math.sqrt(target / aspect) + 0.5)
        if 0 < cw <= w and 0 < ch <= h:
            top = math.floor(rng.random() * (h - ch + 1))
            left = math.floor(rng.random() * (w - cw + 1))
            return [top, left, ch, cw]
    # Fallback: central crop clamped to the ratio range.
    in_ratio = w / h
    cw, ch = w, h
    if in_ratio < ratio[0]:
        ch = math.floor(w / ratio[0] + 0.5)
    elif in_ratio > ratio[1]:
        cw = math.floor(h * ratio[1] + 0.5)
    return [(h - ch) // 2, (w - cw) // 2, ch, cw]


def training_frame_indices(n, t, rng):
    """T of n frames for training: sorted random draws, without repetition when n >= T (``trainingFrameIndices``)."""
    if n >= t:
        return sorted(rng.permutation(n)[:t].tolist())
    return sorted(math.floor(rng.random() * n) for _ in range(t))


def _sample_points(start, length, size):
    """Source coordinates of ``size`` output pixels over [start, start + length - 1], corners aligned."""
    if size == 1:
        return np.array([start + (length - 1) / 2])
    return start + np.arange(size) * ((length - 1) / (size - 1))


def crop_resize(images_nchw, box, size):
    """Bilinear resize of the crop ``box`` [top, left, height, width] of float images [N, C, H, W] to size x size."""
    top, left, ch, cw = box
    h, w = images_nchw.shape[2], images_nchw.shape[3]
    ys = _sample_points(top, ch, size)
    xs = _sample_points(left, cw, size)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    wy = torch.tensor(ys - y0, dtype=images_nchw.dtype).view(1, 1, size, 1)
    wx = torch.tensor(xs - x0, dtype=images_nchw.dtype).view(1, 1, 1, size)
    rows_top = images_nchw[:, :, torch.from_numpy(y0)]
    rows_bottom = images_nchw[:, :, torch.from_numpy(y1)]
    top_left, top_right = rows_top[..., torch.from_numpy(x0)], rows_top[..., torch.from_numpy(x1)]
    bottom_left, bottom_right = rows_bottom[..., torch.from_numpy(x0)], rows_bottom[..., torch.from_numpy(x1)]
    upper = top_left + (top_right - top_left) * wx
    lower = bottom_left + (bottom_right - bottom_left) * wx
    return upper + (lower - upper) * wy


def flip_frames(pixels_tssc, kind):
    """A horizontal flip of pixel values [T, S, S, C] (0-255) of a branch of this kind.

    Mirroring a flow image reverses horizontal motion, so for flow the u channel (the first) also becomes 255 - u:
    after the mapping x / 127.5 - 1 that is exactly -u, and v (the second channel) is only mirrored.
    """
    out = pixels_tssc.flip(2)
    if kind == "flow":
        out = torch.cat([255 - out[..., :1], out[..., 1:]], dim=-1)
    return out


def augment_frames(frames_tssc, t, size, rng, kind="rgb"):
    """Training frames: float32 pixel values [T, S, S, C] (0-255) from stored frames uint8 [n, S0, S0, C] of a
    branch of this kind (rgb or flow; ``flip_frames``). Draws, in order: the frames, the box, the flip."""
    chosen = training_frame_indices(frames_tssc.shape[0], t, rng)
    s0 = frames_tssc.shape[1]
    box = random_resized_crop_box(s0, s0, rng)
    flip = rng.random() < 0.5
    images = torch.from_numpy(np.ascontiguousarray(frames_tssc[chosen])).permute(0, 3, 1, 2).to(torch.float32)
    out = crop_resize(images, box, size).permute(0, 2, 3, 1)
    return flip_frames(out, kind) if flip else out


class PackInputs(torch.utils.data.Dataset):
    """Model inputs of a pack's clips: item ``(split, position, epoch, slot)`` -> (first branch's input, second's,
    label), a spectrogram [1,H,W], frames [C,T,S,S].

    ``split`` is "train" or "test". With ``augment`` on, a training item with an ``epoch`` gets the training
    transforms (random frames, crop, flip) on each frame branch, drawn from ``clip_rng(seed, epoch, slot)``, first
    branch first; every other item (``epoch`` None: an evaluation pass) the evaluation transforms, the same values
    as ``split.inputs``.
    """

    def __init__(self, pack, augment=False, seed=0):
        self.pack = pack
        self.augment = bool(augment)
        self.seed = seed

    def __len__(self):
        return self.pack.train.size + self.pack.test.size

    def __getitem__(self, key):
        split, position, epoch, slot = key
        *stored, label = (self.pack.train if split == "train" else self.pack.test).clip(position)
        t = self.pack.frames
        rng = clip_rng(self.seed, epoch, slot) if self.augment and split == "train" and epoch is not None else None
        inputs = []
        for kind, x in zip(self.pack.branches, stored):
            if not is_frames(kind):
                inputs.append(torch.from_numpy(np.array(x, dtype=np.float32)))
                continue
            if rng is not None:
                pixels = augment_frames(x, t, self.pack.visual_size, rng, kind)
            else:
                pixels = x[evaluation_frame_indices(x.shape[0], t)]
            inputs.append(normalise_frames(pixels[None], kind)[0])
        return inputs[0], inputs[1], torch.tensor(label, dtype=torch.int64)


def epoch_batches(order, batch):
    """The epoch's global batches as lists of (slot, position): batches of ``batch`` in ``order``, as the session
    makes them (a final batch of one clip is skipped: it has no batch statistics)."""
    out = []
    n = len(order)
    for start in range(0, n, batch):
        size = min(batch, n - start)
        if size < 2:
            break
        out.append([(slot, int(order[slot])) for slot in range(start, start + size)])
    return out


def rank_rows(size, rank, world):
    """(start, stop) of one process's rows in a batch of ``size`` split across ``world`` processes, as evenly as
    possible (the first ``size % world`` processes get one row more), in batch order."""
    base, extra = divmod(size, world)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class EpochBatches(torch.utils.data.Sampler):
    """Batch sampler over ``PackInputs`` keys; ``set`` replaces the batches (an epoch's, an evaluation pass's)
    between iterations, so one DataLoader with persistent workers serves the whole run."""

    def __init__(self, batches=()):
        self.batches = list(batches)

    def set(self, batches):
        self.batches = list(batches)

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def make_loader(dataset, sampler, workers, pin_memory=False):
    """A DataLoader of ``dataset`` over the batches of ``sampler`` with ``workers`` worker processes."""
    return torch.utils.data.DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=pin_memory,
    )
