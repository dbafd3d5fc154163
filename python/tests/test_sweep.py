"""python -m bmm_lab.sweep: a 2-run grid trains each run into its folder, a second sweep skips them, a longer one
resumes them, and a bad GRID.json is refused naming the file."""

import json
import os
import shutil
import tempfile
import unittest

from support import read_jsonl, run_config, run_module, simple_pack

from bmm_lab.sweep import SweepError, read_grid, run_name  # noqa: E402

TIMED = ("samplesPerSec", "seconds")


class Sweep(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        simple_pack(os.path.join(self.tmp, "pack"), n_train=6, n_test=3, seed=8)
        self.base = run_config(batch=3, epochs=1)["config"]

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def grid(self, grid, **base):
        path = os.path.join(self.tmp, "grid.json")
        with open(path, "w") as f:
            json.dump({"format": "bmm-lab-sweep", "version": 1, "data": "pack", "out": "runs", "base": dict(self.base, **base), "grid": grid}, f)
        return path

    def sweep(self, path, *extra):
        code, out, err = run_module("bmm_lab.sweep", [path, "--device", "cpu", "--workers", "0", *extra], env={"OMP_NUM_THREADS": "1"})
        return code, [json.loads(line) for line in out.splitlines()], err

    def test_two_runs_then_skipped_then_resumed_for_more_epochs(self):
        path = self.grid({"method": ["erm", "mm"]})
        code, lines, err = self.sweep(path, "--parallel", "2")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted((r["run"], r["status"], r["epochs"]) for r in lines), [("method=erm", "done", 1), ("method=mm", "done", 1)])
        runs = os.path.join(self.tmp, "runs")
        first = {}
        for method in ("erm", "mm"):
            folder = os.path.join(runs, "method=" + method)
            with open(os.path.join(folder, "config.json")) as f:
                self.assertEqual(json.load(f)["config"]["method"], method)
            metrics = read_jsonl(os.path.join(folder, "metrics.jsonl"))
            self.assertEqual(metrics[-1]["summary"]["config"]["method"], method)
            self.assertTrue(os.path.exists(os.path.join(folder, "model.safetensors")))
            first[method] = metrics
        self.assertEqual([r["run"] for r in read_jsonl(os.path.join(runs, "sweep.jsonl"))], ["method=erm", "method=mm"])  # grid order
        stamp = os.stat(os.path.join(runs, "method=mm", "model.safetensors")).st_mtime_ns
        code, lines, err = self.sweep(path)
        self.assertEqual(code, 0, err)
        self.assertEqual([r["status"] for r in lines], ["skipped", "skipped"])
        self.assertEqual([r["finalTestAcc"] for r in lines], [first[m][-1]["summary"]["finalTestAcc"] for m in ("erm", "mm")])
        self.assertEqual(os.stat(os.path.join(runs, "method=mm", "model.safetensors")).st_mtime_ns, stamp)
        # Two epochs now: both runs continue from their checkpoints; their first epoch is the one already trained.
        longer = self.grid({"method": ["erm", "mm"]}, epochs=2)
        code, out, _ = run_module("bmm_lab.sweep", [longer, "--dry-run", "--device", "cpu"])
        self.assertEqual([json.loads(line)["action"] for line in out.splitlines()], ["resume", "resume"])
        code, lines, err = self.sweep(longer)
        self.assertEqual(code, 0, err)
        self.assertEqual([(r["status"], r["epochs"]) for r in lines], [("done", 2), ("done", 2)])
        for method in ("erm", "mm"):
            metrics = read_jsonl(os.path.join(runs, "method=" + method, "metrics.jsonl"))
            strip = lambda m: {k: v for k, v in m.items() if k not in TIMED}  # noqa: E731
            self.assertEqual(strip(metrics[0]), strip(first[method][0]))
            self.assertEqual(metrics[1]["epoch"], 2)
        # Another setting changed under a complete run: refused, the folder kept.
        other = self.grid({"method": ["erm"]}, epochs=2, lr=0.01)
        code, lines, err = self.sweep(other)
        self.assertEqual((code, lines[0]["status"]), (1, "failed"))
        self.assertIn("is complete with another config", err)

    def test_grid_names_and_refusals(self):
        self.assertEqual(run_name([("bmm.coef", "tanh(beta*r)"), ("seed", 1)]), "bmm.coef=tanh_beta_r_,seed=1")
        self.assertEqual(run_name([]), "base")
        sweep = read_grid(self.grid({"seed": [0, 1], "bmm.beta": [0.5, 2], "stepLr.step": [5]}))
        self.assertEqual([n for n, _ in sweep["runs"]], [
            "seed=0,bmm.beta=0.5,stepLr.step=5", "seed=0,bmm.beta=2,stepLr.step=5", "seed=1,bmm.beta=0.5,stepLr.step=5", "seed=1,bmm.beta=2,stepLr.step=5"])
        config = sweep["runs"][3][1]
        self.assertEqual((config["seed"], config["bmm"]["beta"], config["stepLr"]), (1, 2, {"step": 5, "gamma": 0.1}))
        self.assertEqual(sweep["data"], os.path.join(self.tmp, "pack"))
        path = self.grid({"bmm.bta": [1]})
        with self.assertRaisesRegex(SweepError, r'%s: grid key "bmm.bta" is not a setting' % path):
            read_grid(path)
        path = self.grid({"bmm.beta": [1, -1]})
        with self.assertRaisesRegex(SweepError, r"%s: run bmm.beta=-1: bmm.beta must be a number > 0, got -1" % path):
            read_grid(path)
        path = self.grid({"seed": []})
        with self.assertRaisesRegex(SweepError, r'grid "seed" must be a non-empty list'):
            read_grid(path)
        with open(path, "w") as f:
            json.dump({"format": "bmm-lab-sweep", "version": 2, "data": "pack", "out": "runs"}, f)
        code, _, err = run_module("bmm_lab.sweep", [path, "--device", "cpu"])
        self.assertEqual(code, 2)
        self.assertIn("%s: version 2 is not supported" % path, err)


if __name__ == "__main__":
    unittest.main()
