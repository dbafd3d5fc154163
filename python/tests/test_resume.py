"""--resume: a run killed in the middle of an epoch, resumed, gives the epochs of a run never interrupted."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from support import PYTHON_DIR, read_jsonl, run_module, simple_pack, write_run

import torch  # noqa: E402

from bmm_lab.checkpoint import load_checkpoint  # noqa: E402
from bmm_lab.safetensors_io import load_file  # noqa: E402

TIMED = ("samplesPerSec", "seconds")


def untimed(lines):
    """The epoch lines without their timings, and the summary without anything that depends on them."""
    return [{k: v for k, v in line.items() if k not in TIMED} for line in lines]


class KilledAndResumed(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack = os.path.join(self.tmp, "pack")
        simple_pack(self.pack, n_train=40, n_test=4, seed=6)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def args(self, out, run):
        return ["--config", run, "--data", self.pack, "--out", os.path.join(self.tmp, out), "--workers", "1", "--device", "cpu",
                "--trace", os.path.join(self.tmp, out + ".trace.jsonl")]

    def kill_in_epoch_2(self, args):
        """Starts a run and SIGKILLs it once its trace shows a step of epoch 2; returns the checkpoint it left."""
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR, OMP_NUM_THREADS="1")
        proc = subprocess.Popen([sys.executable, "-m", "bmm_lab.train", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        trace = args[args.index("--trace") + 1]
        deadline = time.time() + 120
        try:
            while time.time() < deadline and proc.poll() is None:
                if os.path.exists(trace):
                    with open(trace) as f:
                        if '"epoch":2,"step":1,' in f.read():
                            break
                time.sleep(0.002)
            if proc.poll() is not None:
                self.fail("the run ended before it could be killed: %s" % proc.stderr.read().decode())
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
            proc.stderr.close()
        return load_checkpoint(os.path.join(args[args.index("--out") + 1], "checkpoint.pt"))

    def check(self, **config):
        run = write_run(os.path.join(self.tmp, "run.json"), batch=2, epochs=3, **config)
        code, _, err = run_module("bmm_lab.train", self.args("straight", run), env={"OMP_NUM_THREADS": "1"})
        self.assertEqual(code, 0, err)
        left = self.kill_in_epoch_2(self.args("killed", run))
        self.assertEqual(left["epoch"], 1)  # killed in epoch 2: the checkpoint is epoch 1's
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "killed", "model.safetensors")))
        code, _, err = run_module("bmm_lab.train", self.args("killed", run) + ["--resume"], env={"OMP_NUM_THREADS": "1"})
        self.assertEqual(code, 0, err)
        self.assertIn("resumed after epoch 1", err)
        straight = read_jsonl(os.path.join(self.tmp, "straight", "metrics.jsonl"))
        resumed = read_jsonl(os.path.join(self.tmp, "killed", "metrics.jsonl"))
        self.assertEqual(len(resumed), 4)
        self.assertEqual(untimed(resumed[:-1]), untimed(straight[:-1]))
        self.assertEqual(resumed[-1]["summary"], straight[-1]["summary"])
        # Every step again, with the same draws and losses, and the same final weights.
        self.assertEqual(read_jsonl(os.path.join(self.tmp, "killed.trace.jsonl")), read_jsonl(os.path.join(self.tmp, "straight.trace.jsonl")))
        a, _ = load_file(os.path.join(self.tmp, "straight", "model.safetensors"))
        b, _ = load_file(os.path.join(self.tmp, "killed", "model.safetensors"))
        for name in a:
            self.assertTrue(torch.equal(a[name], b[name]), name)
        return left

    def test_bmm_with_smoothed_rho_and_augmentation_off(self):
        left = self.check(method="bmm", augment=False, bmm={"warmup": 1, "rhoSmoothing": 0.5, "sample": "beta"})
        self.assertEqual(len(left["rho_history"]), 1)

    def test_ogm_ge_with_training_set_means_and_augmentation_on(self):
        # OGM's scores in epoch 2 use the feature means of epoch 1's pass: they must come back from the checkpoint.
        left = self.check(method="ogm-ge", unimodal="mean", augment=True)
        self.assertIsNotNone(left["unimodal_means"])

    # The methods' own state across epochs comes back from the checkpoint (as in the lab's checkpoints).
    def test_agm_running_means(self):
        left = self.check(method="agm", augment=False)
        self.assertEqual(left["method_state"]["steps"], 20)  # 40 clips in batches of 2, one epoch

    def test_pmr_prototypes(self):
        left = self.check(method="pmr", augment=False, pmr={"alpha": 1, "momentum": 0.5})
        self.assertEqual([tuple(p.shape) for p in left["method_state"]["prototypes"]], [(3, 512 // 16)] * 2)

    def test_gblend_weights_are_not_measured_again_on_resuming(self):
        # superEpoch 2: an uninterrupted run probes before epochs 1 and 3; resumed after epoch 1 it must not probe.
        left = self.check(method="gblend", augment=False, valSplit=0.25, gblend={"superEpoch": 2})
        self.assertAlmostEqual(sum(left["method_state"]["weights"].values()), 1, places=12)

    def test_a_checkpoint_without_the_method_state_starts_it_again(self):
        run = write_run(os.path.join(self.tmp, "run.json"), batch=2, epochs=2, method="agm", augment=False)
        code, _, err = run_module("bmm_lab.train", self.args("straight", run), env={"OMP_NUM_THREADS": "1"})
        self.assertEqual(code, 0, err)
        left = self.kill_in_epoch_2(self.args("killed", run))
        del left["method_state"]  # as a checkpoint of an earlier version
        torch.save(left, os.path.join(self.tmp, "killed", "checkpoint.pt"))
        code, _, err = run_module("bmm_lab.train", self.args("killed", run) + ["--resume"], env={"OMP_NUM_THREADS": "1"})
        self.assertEqual(code, 0, err)
        straight = [s for s in read_jsonl(os.path.join(self.tmp, "straight.trace.jsonl")) if s["epoch"] == 2]
        resumed = [s for s in read_jsonl(os.path.join(self.tmp, "killed.trace.jsonl")) if s["epoch"] == 2]
        self.assertEqual([s["indices"] for s in resumed], [s["indices"] for s in straight])
        self.assertNotEqual([s["coef"] for s in resumed], [s["coef"] for s in straight])


if __name__ == "__main__":
    unittest.main()
