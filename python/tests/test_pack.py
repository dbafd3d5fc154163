"""Packs written here with numpy + safetensors_io: split order, model inputs, and every malformed case refused."""

import json
import os
import shutil
import tempfile
import unittest

from support import CLASSES, clip_arrays, write_pack

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab.pack import PackError, evaluation_frame_indices, load_pack  # noqa: E402


class ReadPack(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def two_shards(self, visual="rgb", t=2):
        a = clip_arrays(3, t, visual, seed=1)
        a["split"] = np.array([1, 0, 0], dtype=np.uint8)
        b = clip_arrays(3, t, visual, seed=2)
        b["split"] = np.array([0, 1, 0], dtype=np.uint8)
        ids_a = json.dumps(["a0", "a1", "a2"])
        ids_b = json.dumps(["b0", "b1", "b2"])
        write_pack(self.tmp, [(a, {"clip_ids": ids_a}), (b, {"clip_ids": ids_b})], visual, t)
        return a, b

    def test_splits_in_shard_then_row_order(self):
        a, b = self.two_shards()
        pack = load_pack(self.tmp)
        self.assertEqual(pack.class_names, CLASSES)
        self.assertEqual((pack.train.size, pack.test.size), (4, 2))
        self.assertEqual(pack.train.clip_ids, ["a1", "a2", "b0", "b2"])
        self.assertEqual(pack.test.clip_ids, ["a0", "b1"])
        self.assertEqual(pack.train.labels.tolist(), [a["label"][1], a["label"][2], b["label"][0], b["label"][2]])
        audio, visual, labels = pack.train.inputs([2, 0])
        self.assertEqual(list(audio.shape), [2, 1, 16, 16])
        self.assertEqual(list(visual.shape), [2, 3, 2, 16, 16])  # [B, C, T, S, S]
        self.assertEqual(audio.dtype, torch.float32)
        self.assertTrue(np.array_equal(audio[0].numpy(), b["spectrogram"][0]))
        self.assertTrue(np.array_equal(audio[1].numpy(), a["spectrogram"][1]))
        self.assertEqual(labels.tolist(), [b["label"][0], a["label"][1]])
        # ImageNet normalisation of 0-255 values, pixel (y=3, x=5) of frame 1, channel c.
        for c, (mean, std) in enumerate(zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))):
            x = float(b["rgb"][0, 1, 3, 5, c])
            self.assertAlmostEqual(float(visual[0, c, 1, 3, 5]), (x - 255 * mean) / (255 * std), places=5)
        with self.assertRaisesRegex(IndexError, r"position 4 is outside the train split \(0\.\.3\)"):
            pack.train.inputs([4])

    def test_flow_maps_128_to_about_zero(self):
        a = clip_arrays(2, 1, "flow")
        a["flow"][:] = 128
        a["flow"][0, 0, 0, 0, 1] = 0
        a["flow"][0, 0, 0, 1, 0] = 255
        a["split"] = np.array([0, 1], dtype=np.uint8)
        write_pack(self.tmp, [(a, None)], "flow", 1)
        pack = load_pack(self.tmp)
        self.assertEqual(pack.visual_channels, 2)
        _, visual, _ = pack.train.inputs([0])
        self.assertEqual(list(visual.shape), [1, 2, 1, 16, 16])
        self.assertAlmostEqual(float(visual[0, 0, 0, 5, 5]), 128 / 127.5 - 1, places=6)
        self.assertEqual(float(visual[0, 1, 0, 0, 0]), -1.0)
        self.assertEqual(float(visual[0, 0, 0, 0, 1]), 1.0)
        self.assertIsNone(pack.train.clip_ids)

    def test_rgb_flow_pack_reads_back_two_frame_branches(self):
        a = clip_arrays(4, 2, "flow", seed=3, first="rgb")
        a["flow"][0, 1, 3, 5] = [0, 255]
        a["split"] = np.array([0, 1, 0, 1], dtype=np.uint8)
        write_pack(self.tmp, [(a, {"clip_ids": json.dumps(["c0", "c1", "c2", "c3"])})], "flow", 2, first="rgb")
        pack = load_pack(self.tmp)
        self.assertEqual((pack.branches, pack.modalities), (["rgb", "flow"], ("rgb", "flow")))
        self.assertEqual((pack.audio_channels, pack.visual_channels, pack.frames, pack.visual_size), (3, 2, 2, 16))
        self.assertIsNone(pack.audio_height)
        self.assertEqual((pack.train.clip_ids, pack.test.clip_ids), (["c0", "c2"], ["c1", "c3"]))
        rgb, flow, labels = pack.train.inputs([1, 0])
        self.assertEqual(list(rgb.shape), [2, 3, 2, 16, 16])  # [B, C, T, S, S]
        self.assertEqual(list(flow.shape), [2, 2, 2, 16, 16])
        self.assertEqual(labels.tolist(), [a["label"][2], a["label"][0]])
        for c, (mean, std) in enumerate(zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))):
            x = float(a["rgb"][2, 1, 3, 5, c])
            self.assertAlmostEqual(float(rgb[0, c, 1, 3, 5]), (x - 255 * mean) / (255 * std), places=5)
        self.assertEqual((float(flow[1, 0, 1, 3, 5]), float(flow[1, 1, 1, 3, 5])), (-1.0, 1.0))
        u, v = (float(x) for x in a["flow"][2, 0, 7, 9])
        self.assertAlmostEqual(float(flow[0, 0, 0, 7, 9]), u / 127.5 - 1, places=6)
        self.assertAlmostEqual(float(flow[0, 1, 0, 7, 9]), v / 127.5 - 1, places=6)
        # The model's sizes: visualSize and frames from the frame branches; there is no spectrogram to check.
        ok = {"audioHeight": 257, "audioWidth": 188, "visualSize": 16, "frames": 2}
        pack.check_config(ok, "run.json")
        with self.assertRaisesRegex(ValueError, r"frames 1 in run\.json but shapes\.rgb T 2 in .*pack\.json$"):
            pack.check_config(dict(ok, frames=1), "run.json")

    def test_float64_inputs(self):
        self.two_shards()
        audio, visual, _ = load_pack(self.tmp).test.inputs([0, 1], torch.float64)
        self.assertEqual((audio.dtype, visual.dtype), (torch.float64, torch.float64))

    def test_config_sizes_must_equal_the_pack(self):
        self.two_shards(t=2)
        pack = load_pack(self.tmp)
        ok = {"audioHeight": 16, "audioWidth": 16, "visualSize": 16, "frames": 2}
        pack.check_config(ok, "run.json")
        with self.assertRaisesRegex(ValueError, r"frames 1 in run\.json but shapes\.rgb T 2 in .*pack\.json"):
            pack.check_config(dict(ok, frames=1), "run.json")
        with self.assertRaisesRegex(ValueError, r"visualSize 32 in run\.json but shapes\.rgb S 16"):
            pack.check_config(dict(ok, visualSize=32), "run.json")

    def test_evaluation_frames_are_evenly_spaced(self):
        self.assertEqual(evaluation_frame_indices(10, 3), [0, 5, 9])  # 4.5 rounds up, as Math.round
        self.assertEqual(evaluation_frame_indices(10, 1), [4])
        self.assertEqual(evaluation_frame_indices(4, 4), [0, 1, 2, 3])
        self.assertEqual(evaluation_frame_indices(1, 1), [0])


class MalformedPacks(unittest.TestCase):
    """Each broken pack is refused with a message that names the file and the field."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def arrays(self, n=3, split=(0, 0, 1)):
        a = clip_arrays(n)
        a["split"] = np.array(split, dtype=np.uint8)
        return a

    def refused(self, pattern, shards=None, manifest_patch=None, **kw):
        d = tempfile.mkdtemp(dir=self.tmp)
        write_pack(d, shards if shards is not None else [(self.arrays(), None)], manifest_patch=manifest_patch, **kw)
        with self.assertRaisesRegex(PackError, pattern):
            load_pack(d)
        return d

    def test_manifest(self):
        m = "pack\\.json: "
        self.refused(m + 'format is "other", expected "bmm-lab-pack"', manifest_patch={"format": "other"})
        self.refused(m + r"version 2 is not supported \(this lab reads version 1\)", manifest_patch={"version": 2})
        self.refused(m + "class_names must be an array of at least 2 distinct strings", manifest_patch={"class_names": ["a", "a", "b"]})
        self.refused(m + r'branches must be two of spectrogram, rgb, flow, got \["spectrogram","depth"\]', manifest_patch={"branches": ["spectrogram", "depth"]})
        pairs = r'the lab trains \["spectrogram","rgb"\], \["spectrogram","flow"\], \["rgb","flow"\]$'
        self.refused(m + r'branches \["rgb","spectrogram"\] are not supported: ' + pairs, manifest_patch={"branches": ["rgb", "spectrogram"]})
        self.refused(m + r'branches \["spectrogram","spectrogram"\] are not supported', manifest_patch={"branches": ["spectrogram", "spectrogram"]})
        self.refused(m + r'branches \["flow","rgb"\] are not supported: ' + pairs, manifest_patch={"branches": ["flow", "rgb"]})
        self.refused(m + r'branches \["rgb","rgb"\] are not supported', manifest_patch={"branches": ["rgb", "rgb"]})
        self.refused(m + r"shapes\.spectrogram must be \[1,H,W\], got \[2,16,16\]", manifest_patch={"shapes": {"spectrogram": [2, 16, 16], "rgb": [1, 16, 16, 3]}})
        self.refused(m + r"shapes\.rgb must be \[T,S,S,3\], got \[1,16,16,2\]", manifest_patch={"shapes": {"spectrogram": [1, 16, 16], "rgb": [1, 16, 16, 2]}})
        self.refused(m + "shards must list at least one shard", manifest_patch={"shards": []})
        self.refused(m + r"shards\[0\]\.file must be a file name in the pack folder", manifest_patch={"shards": [{"file": "../x", "clips": 3}]})
        self.refused(m + r"shards\[0\]\.clips must be a positive integer", manifest_patch={"shards": [{"file": "part-00000.safetensors", "clips": 0}]})

    def test_rgb_flow_frames_must_share_t_and_s(self):
        m = "pack\\.json: "
        flow = dict(first="rgb", visual="flow")

        def arrays(t_rgb, s_rgb, t_flow, s_flow):
            rng = np.random.default_rng(0)
            return {"rgb": rng.integers(0, 256, (3, t_rgb, s_rgb, s_rgb, 3), dtype=np.uint8),
                    "flow": rng.integers(0, 256, (3, t_flow, s_flow, s_flow, 2), dtype=np.uint8),
                    "label": np.array([0, 1, 2], dtype=np.int64), "split": np.array([0, 0, 1], dtype=np.uint8)}

        self.refused(m + r"shapes\.rgb \[3,32,32,3\] and shapes\.flow \[2,32,32,2\] must share T and S$", [(arrays(3, 32, 2, 32), None)],
                     manifest_patch={"shapes": {"rgb": [3, 32, 32, 3], "flow": [2, 32, 32, 2]}}, **flow)
        self.refused(m + r"shapes\.rgb \[1,16,16,3\] and shapes\.flow \[1,8,8,2\] must share T and S", [(arrays(1, 16, 1, 8), None)],
                     manifest_patch={"shapes": {"rgb": [1, 16, 16, 3], "flow": [1, 8, 8, 2]}}, **flow)
        self.refused(m + r"shapes\.flow must be \[T,S,S,2\], got \[1,16,16,3\]", [(arrays(1, 16, 1, 16), None)],
                     manifest_patch={"shapes": {"rgb": [1, 16, 16, 3], "flow": [1, 16, 16, 3]}}, **flow)
        self.refused(m + r"shapes\.rgb must be \[T,S,S,3\], got undefined", [(arrays(1, 16, 1, 16), None)],
                     manifest_patch={"shapes": {"flow": [1, 16, 16, 2]}}, **flow)
        a = arrays(1, 16, 1, 16)
        del a["flow"]
        self.refused(r'part-00000\.safetensors: tensor "flow" is missing', [(a, None)], **flow)
        a = arrays(1, 16, 1, 16)
        a["rgb"] = a["rgb"].astype(np.float32)
        self.refused(r'part-00000\.safetensors: tensor "rgb" is F32, expected U8', [(a, None)], **flow)

    def test_missing_files(self):
        with self.assertRaisesRegex(PackError, r"pack\.json: cannot be read .*a pack folder holds pack\.json and its shards"):
            load_pack(self.tmp)
        d = tempfile.mkdtemp(dir=self.tmp)
        write_pack(d, [(self.arrays(), None)])
        os.remove(os.path.join(d, "part-00000.safetensors"))
        with self.assertRaisesRegex(PackError, r"part-00000\.safetensors: listed in pack\.json shards\[0\] but cannot be read"):
            load_pack(d)
        with open(os.path.join(d, "part-00000.safetensors"), "wb") as f:
            f.write(b"\x01")
        with self.assertRaisesRegex(PackError, r"part-00000\.safetensors: file too short"):
            load_pack(d)

    def test_shard_tensors(self):
        f = r"part-00000\.safetensors: "
        a = self.arrays()
        del a["label"]
        self.refused(f + 'tensor "label" is missing', [(a, None)])
        a = self.arrays()
        a["spectrogram"] = a["spectrogram"].astype(np.float64)
        self.refused(f + 'tensor "spectrogram" is F64, expected F32', [(a, None)])
        a = self.arrays()
        a["rgb"] = a["rgb"].astype(np.float32)
        self.refused(f + 'tensor "rgb" is F32, expected U8', [(a, None)])
        a = self.arrays()
        a["label"] = a["label"].astype(np.int32)
        self.refused(f + 'tensor "label" is I32, expected I64', [(a, None)])
        a = self.arrays()
        a["split"] = a["split"].astype(bool)
        self.refused(f + 'tensor "split" is BOOL, expected U8', [(a, None)])
        a = self.arrays()
        a["spectrogram"] = a["spectrogram"][:, :, :8]
        self.refused(f + r'tensor "spectrogram" has shape \[3,1,8,16\], expected \[3,1,16,16\] \(from pack\.json\)', [(a, None)])
        a = self.arrays()
        a["rgb"] = a["rgb"][:2]  # disagrees with the other tensors and with clips
        self.refused(f + r'tensor "rgb" has shape \[2,1,16,16,3\], expected \[3,1,16,16,3\]', [(a, None)])
        self.refused(f + r'tensor "spectrogram" has shape \[3,1,16,16\], expected \[4,1,16,16\]', manifest_patch={"shards": [{"file": "part-00000.safetensors", "clips": 4}]})
        a = self.arrays()
        a["label"][1] = 3
        self.refused(f + r"label\[1\] is 3, outside the 3 classes of class_names", [(a, None)])
        a = self.arrays()
        a["label"][2] = -1
        self.refused(f + r"label\[2\] is -1, outside the 3 classes", [(a, None)])
        a = self.arrays()
        a["split"][0] = 2
        self.refused(f + r"split\[0\] is 2; expected 0 \(train\) or 1 \(test\)", [(a, None)])
        self.refused(f + r"__metadata__\.clip_ids must be a JSON array of 3 strings", [(self.arrays(), {"clip_ids": '["a","b"]'})])
        self.refused(f + r"__metadata__\.clip_ids must be a JSON array of 3 strings", [(self.arrays(), {"clip_ids": "nope"})])

    def test_splits_must_not_be_empty(self):
        self.refused(r"pack\.json: the pack has no test clips \(split 1\)", [(self.arrays(split=(0, 0, 0)), None)])
        self.refused(r"pack\.json: the pack has no training clips \(split 0\)", [(self.arrays(split=(1, 1, 1)), None)])


if __name__ == "__main__":
    unittest.main()
