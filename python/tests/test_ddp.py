"""Two processes (DistributedDataParallel on CPU, gloo) train the same run as one process with the same global batch:
every step's loss, B-MM's m, OGM's coefficients, Greedy's d and windows, the epochs' metrics and the final weights
agree."""

import os
import shutil
import tempfile
import unittest

from support import call_main, clip_arrays, launch_ranks, read_jsonl, write_pack, write_run

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab import train  # noqa: E402
from bmm_lab.checkpoint import load_checkpoint  # noqa: E402
from bmm_lab.safetensors_io import load_file  # noqa: E402


TINY = {"h": 33, "w": 24, "s": 32}


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


class TwoProcessesAsOne(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack = os.path.join(self.tmp, "pack")
        # The tiny preset's sizes (at 16 x 16 and width 1/16 the last BatchNorms see 1 x 1 maps of 3 clips, which
        # amplifies rounding even in float64). 19 training clips in batches of 4: the last batch of 3 is split 2 + 1.
        arrays = clip_arrays(24, seed=7, **TINY)
        arrays["split"] = np.array([0] * 19 + [1] * 5, dtype=np.uint8)
        write_pack(self.pack, [(arrays, None)], **TINY)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def args(self, out, run, *extra):
        return ["--config", run, "--data", self.pack, "--out", os.path.join(self.tmp, out), "--workers", "0", "--device", "cpu",
                "--sync-bn", "--augment", "off", "--trace", os.path.join(self.tmp, out + ".trace.jsonl"), *extra]

    def both(self, *extra, **config):
        """(one process's run, two processes' run): each (trace steps, checkpoint, weights)."""
        run = write_run(os.path.join(self.tmp, "run.json"), batch=4, epochs=2, width=0.125, audioHeight=33, audioWidth=24, visualSize=32, **config)
        code, _, err = call_main(train.main, self.args("one", run, *extra))
        self.assertEqual(code, 0, err)
        ranks = launch_ranks("bmm_lab.train", self.args("two", run, *extra), 2)
        for code, _, err in ranks:
            self.assertEqual(code, 0, err)
        self.assertIn("cpu x 2", ranks[0][2])
        self.assertEqual(ranks[1][1], "")  # only rank 0 prints
        self.assertEqual(len(ranks[0][1].splitlines()), 3)  # two epochs and the summary
        out = []
        for name in ("one", "two"):
            folder = os.path.join(self.tmp, name)
            out.append((read_jsonl(os.path.join(self.tmp, name + ".trace.jsonl")), load_checkpoint(os.path.join(folder, "checkpoint.pt")),
                        load_file(os.path.join(folder, "model.safetensors"))[0]))
        return out

    def compare(self, one, two, tolerance, steps=5):
        (steps1, ck1, w1), (steps2, ck2, w2) = one, two
        self.assertEqual(len(steps1), 2 * steps)
        for a, b in zip(steps1, steps2):
            self.assertEqual((a["epoch"], a["step"], a["indices"], a["perm"], a["lambda"], a["weak"]), (b["epoch"], b["step"], b["indices"], b["perm"], b["lambda"], b["weak"]))
            self.assertLess(rel(a["loss"], b["loss"]), tolerance, (a, b))
            if a["m"] is not None:
                self.assertLess(rel(a["m"], b["m"]), tolerance)
            self.assertEqual(a["coef"] is None, b["coef"] is None)
            if a["coef"] is not None:
                for k in ("audio", "visual"):
                    self.assertLess(rel(a["coef"][k], b["coef"][k]), tolerance)
            self.assertEqual(a.get("greedy") is None, b.get("greedy") is None)
            if a.get("greedy") is not None:
                self.assertEqual(a["greedy"]["hold"], b["greedy"]["hold"])
                self.assertEqual(a["greedy"]["dBDR"] is None, b["greedy"]["dBDR"] is None)
                if a["greedy"]["dBDR"] is not None:
                    self.assertLess(rel(a["greedy"]["dBDR"], b["greedy"]["dBDR"]), tolerance)
            self.assertEqual(a.get("blend") is None, b.get("blend") is None)
            if a.get("blend") is not None:
                for k in ("audio", "visual", "fused"):
                    self.assertLess(rel(a["blend"][k], b["blend"][k]), tolerance, k)
        for m1, m2 in zip(ck1["metrics"], ck2["metrics"]):
            for key in ("loss", "trainAcc", "testAcc", "rho"):
                self.assertLess(rel(m1[key], m2[key]), tolerance, key)
            for head in ("audio", "visual"):
                self.assertEqual(m1[head], m2[head])
            self.assertEqual(m1.get("val"), m2.get("val"))
        return max(rel(m1["loss"], m2["loss"]) for m1, m2 in zip(ck1["metrics"], ck2["metrics"]))

    def test_bmm_feature_level_with_beta_draws_in_float64(self):
        one, two = self.both("--float64", method="bmm", bmm={"warmup": 1, "level": "feature", "sample": "beta"})
        self.assertTrue(any(s["weak"] is not None for s in one[0]))  # epoch 2 mixes, partners across processes
        self.compare(one, two, 1e-9)
        for name, t in one[2].items():
            torch.testing.assert_close(t, two[2][name], rtol=1e-7, atol=1e-8, msg=name)

    def test_ogm_ge_with_batch_means_and_noise_in_float64(self):
        one, two = self.both("--float64", method="ogm-ge", unimodal="mean")
        self.compare(one, two, 1e-9)

    def test_bmm_input_level_with_gathered_inputs_in_float64(self):
        one, two = self.both("--float64", method="bmm", bmm={"warmup": 1})
        self.compare(one, two, 1e-9)

    def test_gblend_probe_and_validation_split_in_float64(self):
        # 19 clips, valSplit 0.2 holds one per class out: 16 trained in batches of 4. The probe's batches are split
        # across the processes like training batches (unimodal mean: before any evaluation pass the batch's own
        # means, summed over the processes).
        one, two = self.both("--float64", method="gblend", valSplit=0.2, unimodal="mean", gblend={"superEpoch": 2})
        self.assertTrue(all(s["blend"] is not None for s in one[0]))
        self.compare(one, two, 1e-9, steps=4)
        self.assertIsNotNone(one[1]["metrics"][0]["val"])

    def test_greedy_windows_in_float64(self):
        # The gradients are all-reduced before the learning speeds are taken and the gates' batch means are the whole
        # batch's, so both runs compute the same d and hold in the same steps (a held fc has no gradient anywhere).
        one, two = self.both("--float64", method="greedy", greedy={"epsilon": 0.01, "window": 2, "start": 1})
        held = [s["greedy"]["hold"] for s in one[0]]
        self.assertEqual(held[:5], [None] * 5)  # epoch 1 is locked
        self.assertTrue(any(h is not None for h in held))
        self.compare(one, two, 1e-9)
        for a, b in zip(one[1]["method_state"]["means"], two[1]["method_state"]["means"]):
            for m in range(2):
                torch.testing.assert_close(a[m], b[m], rtol=1e-9, atol=1e-12)
        for name, t in one[2].items():
            torch.testing.assert_close(t, two[2][name], rtol=1e-7, atol=1e-8, msg=name)

    def test_bmm_input_level_in_float32_within_1e_4(self):
        # In float32 the first steps differ by about 1e-7 (sums in another order), and on these random clips Adam at
        # lr 1e-3 amplifies that to 1e-3 within two epochs (float64 above: 1e-11); at lr 1e-4 it stays near 1e-5.
        one, two = self.both(method="bmm", lr=1e-4, bmm={"warmup": 1})
        worst = self.compare(one, two, 1e-4)
        self.assertLess(worst, 1e-4)

if __name__ == "__main__":
    unittest.main()
