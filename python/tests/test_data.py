"""The trainer's inputs (data.py): crop boxes and bilinear crops against hand-computed and loop-computed values,
augmentation shared by a clip's frames, evaluation transforms equal to the pack's, draws independent of workers, and
the epoch's batches and their split across processes."""

import math
import shutil
import tempfile
import unittest

from support import simple_pack

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab.data import (  # noqa: E402
    EpochBatches,
    PackInputs,
    augment_frames,
    clip_rng,
    crop_resize,
    epoch_batches,
    flip_frames,
    make_loader,
    random_resized_crop_box,
    rank_rows,
    training_frame_indices,
)
from bmm_lab.pack import load_pack, normalise_frames  # noqa: E402


class Fixed:
    """A generator whose random() returns the given values in turn."""

    def __init__(self, values):
        self.values = list(values)

    def random(self):
        return self.values.pop(0)


def crop_and_resize_reference(image_hw, top, left, ch, cw, size):
    """TF.js cropAndResize (bilinear) of one channel, pixel by pixel, with the lab's normalised box."""
    h, w = image_hw.shape
    y1, x1, y2, x2 = top / (h - 1), left / (w - 1), (top + ch - 1) / (h - 1), (left + cw - 1) / (w - 1)
    out = np.zeros((size, size))
    for i in range(size):
        in_y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (size - 1)
        ty, by = math.floor(in_y), math.ceil(in_y)
        yl = in_y - ty
        for j in range(size):
            in_x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (size - 1)
            lx, rx = math.floor(in_x), math.ceil(in_x)
            xl = in_x - lx
            top_v = image_hw[ty, lx] + (image_hw[ty, rx] - image_hw[ty, lx]) * xl
            bottom_v = image_hw[by, lx] + (image_hw[by, rx] - image_hw[by, lx]) * xl
            out[i, j] = top_v + (bottom_v - top_v) * yl
    return out


class Crops(unittest.TestCase):
    def test_crop_box_by_hand(self):
        # target = 10000 (0.08 + 0.5 * 0.92) = 5400, aspect exp(0) = 1: a 73 x 73 box (round(73.48)); top
        # floor(0.25 * 28) = 7, left floor(0.75 * 28) = 21.
        self.assertEqual(random_resized_crop_box(100, 100, Fixed([0.5, 0.5, 0.25, 0.75])), [7, 21, 73, 73])
        # A box wider than the image ten times over: the central crop of the whole (square) image.
        self.assertEqual(random_resized_crop_box(100, 100, Fixed([0.9999] * 20)), [0, 0, 100, 100])

    def test_crop_boxes_stay_inside_with_the_paper_ranges(self):
        rng = np.random.default_rng(0)
        for _ in range(500):
            top, left, ch, cw = random_resized_crop_box(40, 40, rng)
            self.assertTrue(0 <= top and top + ch <= 40 and 0 <= left and left + cw <= 40)
            if (ch, cw) != (40, 40):
                self.assertGreaterEqual(ch * cw, 0.08 * 1600 * 0.8)  # rounding of the sides
                self.assertTrue(3 / 4 * 0.85 <= cw / ch <= 4 / 3 / 0.85)

    def test_bilinear_crop_matches_a_pixel_loop(self):
        rng = np.random.default_rng(1)
        image = rng.uniform(0, 255, (2, 3, 20, 20))
        for box, size in (([3, 5, 11, 7], 8), ([0, 0, 20, 20], 13), ([10, 2, 9, 17], 6)):
            got = crop_resize(torch.tensor(image), box, size).numpy()
            for n in range(2):
                for c in range(3):
                    np.testing.assert_allclose(got[n, c], crop_and_resize_reference(image[n, c], *box, size), rtol=0, atol=1e-9)

    def test_a_clip_s_frames_share_one_box_and_one_flip(self):
        rng = np.random.default_rng(2)
        frames = rng.integers(0, 200, (3, 24, 24, 3)).astype(np.uint8)
        frames[1] = frames[0] + 30
        frames[2] = frames[0] + 50
        flips = set()
        for slot in range(20):
            out = augment_frames(frames, 3, 10, clip_rng(0, 1, slot)).numpy()  # [T, S, S, C]
            self.assertEqual(out.shape, (3, 10, 10, 3))
            np.testing.assert_allclose(out[1] - out[0], 30, atol=1e-4)
            np.testing.assert_allclose(out[2] - out[0], 50, atol=1e-4)
            box = random_resized_crop_box(24, 24, _after_frames(clip_rng(0, 1, slot), 3, 3))
            plain = crop_resize(torch.from_numpy(frames[:1]).permute(0, 3, 1, 2).double(), box, 10).permute(0, 2, 3, 1).numpy()[0]
            if np.allclose(out[0], plain, atol=1e-3):
                flips.add(False)
            else:
                np.testing.assert_allclose(out[0], plain[:, ::-1], atol=1e-3)
                flips.add(True)
        self.assertEqual(flips, {False, True})

    def test_a_flipped_flow_frame_negates_u_and_mirrors(self):
        # One frame, 2 x 3 pixels, channels (u, v); 128 is no motion, u > 128 motion to the right.
        u = np.array([[200, 128, 10], [0, 255, 128]], dtype=np.float32)
        v = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)
        frame = torch.from_numpy(np.stack([u, v], axis=-1)[None])  # [T=1, 2, 3, C=2]
        out = flip_frames(frame, "flow").numpy()[0]
        np.testing.assert_array_equal(out[..., 0], [[255 - 10, 255 - 128, 255 - 200], [255 - 128, 255 - 255, 255 - 0]])
        np.testing.assert_array_equal(out[..., 1], [[3, 2, 1], [6, 5, 4]])
        # After the mapping to [-1, 1]: u is the negative of the mirrored u, v the mirrored v.
        mapped = normalise_frames(flip_frames(frame, "flow")[None], "flow")[0].numpy()  # [C, T, H, W]
        np.testing.assert_allclose(mapped[0, 0], -(u[:, ::-1] / 127.5 - 1), atol=1e-6)
        np.testing.assert_allclose(mapped[1, 0], v[:, ::-1] / 127.5 - 1, atol=1e-6)
        # RGB is only mirrored.
        rgb = torch.arange(18, dtype=torch.float32).reshape(1, 2, 3, 3)
        self.assertTrue(torch.equal(flip_frames(rgb, "rgb"), rgb.flip(2)))

    def test_an_augmented_flow_clip_flips_u_with_the_image(self):
        rng = np.random.default_rng(4)
        frames = rng.integers(0, 256, (2, 20, 20, 2)).astype(np.uint8)
        flips = set()
        for slot in range(20):
            out = augment_frames(frames, 2, 8, clip_rng(3, 1, slot), "flow").numpy()
            box = random_resized_crop_box(20, 20, _after_frames(clip_rng(3, 1, slot), 2, 2))
            plain = crop_resize(torch.from_numpy(frames).permute(0, 3, 1, 2).double(), box, 8).permute(0, 2, 3, 1).numpy()
            if np.allclose(out, plain, atol=1e-3):
                flips.add(False)
            else:
                np.testing.assert_allclose(out[..., 0], 255 - plain[:, :, ::-1, 0], atol=1e-3)
                np.testing.assert_allclose(out[..., 1], plain[:, :, ::-1, 1], atol=1e-3)
                flips.add(True)
        self.assertEqual(flips, {False, True})

    def test_training_frames_are_sorted_draws(self):
        rng = np.random.default_rng(3)
        for _ in range(50):
            got = training_frame_indices(10, 4, rng)
            self.assertEqual(got, sorted(set(got)))
            self.assertTrue(all(0 <= i < 10 for i in got))
        self.assertEqual(training_frame_indices(3, 3, rng), [0, 1, 2])
        self.assertEqual(len(training_frame_indices(2, 5, rng)), 5)  # fewer stored than T: repeats


def _after_frames(rng, n, t):
    training_frame_indices(n, t, rng)
    return rng


class Inputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        simple_pack(self.tmp, n_train=6, n_test=3, t=2, seed=5)
        self.pack = load_pack(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_evaluation_transforms_are_the_pack_s_inputs(self):
        for augment in (False, True):
            inputs = PackInputs(self.pack, augment, seed=0)
            for split, epoch in (("test", None), ("train", None)):
                want_a, want_v, want_y = getattr(self.pack, split).inputs([1])
                a, v, y = inputs[(split, 1, epoch, 0)]
                self.assertTrue(torch.equal(a, want_a[0]) and torch.equal(v, want_v[0]) and int(y) == int(want_y[0]))
        # augment off: training items too
        a, v, _ = PackInputs(self.pack, False)[("train", 2, 3, 7)]
        self.assertTrue(torch.equal(v, self.pack.train.inputs([2])[1][0]))

    def test_training_items_are_augmented_by_seed_epoch_and_slot(self):
        inputs = PackInputs(self.pack, True, seed=4)
        _, v, _ = inputs[("train", 2, 1, 5)]
        self.assertFalse(torch.equal(v, self.pack.train.inputs([2])[1][0]))
        self.assertTrue(torch.equal(v, inputs[("train", 2, 1, 5)][1]))
        self.assertFalse(torch.equal(v, inputs[("train", 2, 2, 5)][1]))
        self.assertFalse(torch.equal(v, inputs[("train", 2, 1, 6)][1]))
        self.assertFalse(torch.equal(v, PackInputs(self.pack, True, seed=5)[("train", 2, 1, 5)][1]))

    def test_workers_do_not_change_the_batches(self):
        keys = [[("train", p, 0, s) for s, p in enumerate(batch)] for batch in ([3, 0, 5], [1, 4])]
        got = []
        for workers in (0, 2):
            sampler = EpochBatches(keys)
            loader = make_loader(PackInputs(self.pack, True, seed=1), sampler, workers)
            got.append([tuple(t.clone() for t in b) for b in loader])
            sampler.set(keys[:1])
            self.assertEqual(len(list(loader)), 1)  # a new epoch's batches through the same (persistent) workers
        for (a0, v0, y0), (a1, v1, y1) in zip(*got):
            self.assertTrue(torch.equal(a0, a1) and torch.equal(v0, v1) and torch.equal(y0, y1))
        self.assertEqual(got[0][0][1].shape, (3, 3, 2, 16, 16))  # [B, C, T, S, S]


class RgbFlowInputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        simple_pack(self.tmp, n_train=5, n_test=2, visual="flow", t=2, seed=7, first="rgb")
        self.pack = load_pack(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_evaluation_items_are_the_pack_s_inputs(self):
        inputs = PackInputs(self.pack, True, seed=0)
        for split in ("train", "test"):
            want_a, want_v, want_y = getattr(self.pack, split).inputs([1])
            a, v, y = inputs[(split, 1, None, 0)]
            self.assertEqual((list(a.shape), list(v.shape)), ([3, 2, 16, 16], [2, 2, 16, 16]))
            self.assertTrue(torch.equal(a, want_a[0]) and torch.equal(v, want_v[0]) and int(y) == int(want_y[0]))

    def test_both_frame_branches_are_augmented_first_branch_first(self):
        inputs = PackInputs(self.pack, True, seed=2)
        for slot in range(4):
            a, v, _ = inputs[("train", 3, 1, slot)]
            rgb, flow, _ = self.pack.train.clip(3)
            rng = clip_rng(2, 1, slot)
            want_a = normalise_frames(augment_frames(rgb, 2, 16, rng, "rgb")[None], "rgb")[0]
            want_v = normalise_frames(augment_frames(flow, 2, 16, rng, "flow")[None], "flow")[0]
            self.assertTrue(torch.equal(a, want_a) and torch.equal(v, want_v), slot)
        self.assertFalse(torch.equal(v, self.pack.train.inputs([3])[1][0]))

    def test_a_spectrogram_branch_is_not_augmented(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        simple_pack(d, n_train=4, n_test=2, visual="flow", seed=1)
        pack = load_pack(d)
        a, v, _ = PackInputs(pack, True, seed=2)[("train", 1, 1, 0)]
        self.assertTrue(torch.equal(a, pack.train.inputs([1])[0][0]))
        frames = pack.train.clip(1)[1]
        want = normalise_frames(augment_frames(frames, 1, 16, clip_rng(2, 1, 0), "flow")[None], "flow")[0]
        self.assertTrue(torch.equal(v, want))  # the spectrogram draws nothing: the flow's draws come first


class Batches(unittest.TestCase):
    def test_epoch_batches_skip_a_last_batch_of_one_clip(self):
        order = np.array([4, 0, 3, 1, 2])
        self.assertEqual(epoch_batches(order, 2), [[(0, 4), (1, 0)], [(2, 3), (3, 1)]])
        self.assertEqual(epoch_batches(order, 3), [[(0, 4), (1, 0), (2, 3)], [(3, 1), (4, 2)]])

    def test_rank_rows_split_a_batch_evenly_in_order(self):
        self.assertEqual([rank_rows(7, r, 3) for r in range(3)], [(0, 3), (3, 5), (5, 7)])
        self.assertEqual([rank_rows(4, r, 2) for r in range(2)], [(0, 2), (2, 4)])
        self.assertEqual(rank_rows(5, 0, 1), (0, 5))


if __name__ == "__main__":
    unittest.main()
