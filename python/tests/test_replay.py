"""The replay entry point on traces written here: it runs, matches a plain PyTorch loop, checks its input."""

import contextlib
import copy
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import CLASSES, PYTHON_DIR, clip_arrays, run_config, simple_pack, write_pack

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bmm_lab.config import read_run_config  # noqa: E402
from bmm_lab.export import config_metadata  # noqa: E402
from bmm_lab.loader import load_model  # noqa: E402
from bmm_lab.model import AVClassifier  # noqa: E402
from bmm_lab.pack import load_pack  # noqa: E402
from bmm_lab.replay import main  # noqa: E402
from bmm_lab.rules import blend_weights, gblend_probe, ogm_coefficients, soft_cross_entropy  # noqa: E402
from bmm_lab.unimodal import Unimodal  # noqa: E402
from bmm_lab.validation import hold_out  # noqa: E402
from bmm_lab.safetensors_io import load_file, save_file  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406]) * 255
STD = np.array([0.229, 0.224, 0.225]) * 255


def step(epoch, step_, indices, **fields):
    r = {"epoch": epoch, "step": step_, "indices": indices, "loss": 1.0, "perm": None, "lambda": None, "m": None, "weak": None, "coef": None, "blend": None}
    r.update(fields)
    return r


class Replay(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack_dir = os.path.join(self.tmp, "pack")
        self.arrays = simple_pack(self.pack_dir, n_train=4, n_test=2)
        torch.manual_seed(0)
        self.start_model = AVClassifier(3, "concat", width=1 / 16)
        self.start = self.path("start.safetensors")
        self.write_weights(self.start_model, self.start, run_config(method="erm"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write_weights(self, model, path, doc):
        config = read_run_config(json.dumps(doc), "run.json")
        save_file(model.state_dict(), path, config_metadata(config, CLASSES, 3))

    def write(self, name, doc=None, trace=None):
        with open(self.path(name), "w") as f:
            if trace is not None:
                f.write("".join(json.dumps(r) + "\n" for r in trace))
            else:
                json.dump(doc, f)
        return self.path(name)

    def run_replay(self, config, trace, weights=None, extra=()):
        """(exit code, stderr, steps) of an in-process replay."""
        args = ["--config", self.write("run.json", config), "--data", self.pack_dir, "--weights", weights or self.start,
                "--trace", self.write("trace.jsonl", trace=trace), "--out", self.path("final.safetensors"),
                "--steps-out", self.path("steps.jsonl"), *extra]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(args)
        steps = []
        if rc == 0:
            with open(self.path("steps.jsonl")) as f:
                steps = [json.loads(line) for line in f]
        return rc, err.getvalue(), steps

    def inputs(self, indices):
        """Model inputs built by hand from the arrays the pack was written from."""
        audio = torch.from_numpy(self.arrays["spectrogram"][indices])
        # In float32, op for op as batches.ts: a batch of two clips amplifies input rounding through BatchNorm.
        rgb = (torch.from_numpy(self.arrays["rgb"][indices]).float() - torch.tensor(MEAN, dtype=torch.float32)) / torch.tensor(STD, dtype=torch.float32)
        visual = rgb.permute(0, 4, 1, 2, 3).contiguous()
        return audio, visual, torch.from_numpy(self.arrays["label"][indices])

    def test_erm_two_steps_match_a_plain_pytorch_loop(self):
        config = self.write("run.json", run_config(method="erm"))
        trace = self.write("trace.jsonl", trace=[step(1, 0, [2, 0]), step(1, 1, [1, 3])])
        out, steps_out = self.path("final.safetensors"), self.path("steps.jsonl")
        subprocess.run(
            [sys.executable, "-m", "bmm_lab.replay", "--config", config, "--data", self.pack_dir, "--weights", self.start,
             "--trace", trace, "--out", out, "--steps-out", steps_out],
            cwd=PYTHON_DIR, check=True, capture_output=True, text=True,
        )
        final, meta = load_model(out)  # strict, and the loader's own dtype and shape checks
        self.assertEqual((meta["method"], meta["width"], meta["audio_shape"], meta["visual_shape"]), ("erm", "0.0625", "[1,16,16]", "[3,1,16,16]"))
        self.assertEqual(json.loads(meta["class_names"]), CLASSES)
        state, _ = load_file(out)
        self.assertEqual(state["audio_net.bn1.num_batches_tracked"].dtype, torch.int64)
        self.assertEqual(int(state["audio_net.bn1.num_batches_tracked"]), 2)

        ref = copy.deepcopy(self.start_model).train()
        opt = torch.optim.Adam(ref.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
        losses = []
        for indices in ([2, 0], [1, 3]):
            audio, visual, labels = self.inputs(indices)
            opt.zero_grad()
            loss = F.cross_entropy(ref(audio, visual)[0], labels)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        # bnStats = precise (the default): after the epoch the running statistics are the plain average over the
        # clean training batches in split order, PyTorch's cumulative average (momentum None, as update_bn).
        norms = [m for m in ref.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        with torch.no_grad():
            for indices in ([0, 1], [2, 3]):
                ref(*self.inputs(indices)[:2])
        for m in norms:
            m.momentum = 0.1
            m.num_batches_tracked.fill_(2)  # as training counted them
        for name, value in ref.state_dict().items():
            torch.testing.assert_close(final.state_dict()[name], value, rtol=1e-4, atol=1e-5, msg=name)
        with open(steps_out) as f:
            steps = [json.loads(line) for line in f]
        self.assertEqual([(s["epoch"], s["step"]) for s in steps], [(1, 0), (1, 1)])
        for s, want in zip(steps, losses):
            self.assertAlmostEqual(s["loss"], want, places=5)
            self.assertEqual(list(s), ["epoch", "step", "loss", "m", "weak", "coef", "blend", "greedy"])
            self.assertIsNone(s["greedy"])
            self.assertIsNone(s["blend"])
            self.assertIsNone(s["m"])

    def test_bmm_uses_the_traces_mixing_and_records_its_own_plan(self):
        config = run_config(method="bmm", bmm={"warmup": 1})
        epoch1 = [step(1, 0, [0, 1]), step(1, 1, [3, 2])]
        rc, err, _ = self.run_replay(config, epoch1)
        self.assertEqual(rc, 0, err)
        after1 = self.path("after1.safetensors")
        os.replace(self.path("final.safetensors"), after1)

        # rho after epoch 1, by hand: eval mode, s_m = sum_i softmax(u_m)[i, y_i].
        model, _ = load_model(after1)
        audio, visual, labels = self.inputs([0, 1, 2, 3])
        with torch.no_grad():
            _, la, lv = model(audio, visual)
        sa = sum(float(F.softmax(la, 1)[i, labels[i]]) for i in range(4))
        sv = sum(float(F.softmax(lv, 1)[i, labels[i]]) for i in range(4))
        rho = sa / sv
        weak = "visual" if rho > 1 else "audio"
        m = math.tanh(max(rho, 1 / rho) - 1)

        # The trace's own (different) choice is what is applied: mix audio with m = 0.3.
        epoch2 = [step(2, 0, [2, 1], perm=[1, 0], m=0.3, weak="audio"), step(2, 1, [0, 3], perm=[1, 0], m=0.3, weak="audio")]
        rc, err, steps = self.run_replay(config, epoch1 + epoch2)
        self.assertEqual(rc, 0, err)
        self.assertEqual([(s["weak"], s["m"]) for s in steps[:2]], [(None, None)] * 2)
        for s in steps[2:]:
            self.assertEqual(s["weak"], weak)
            self.assertAlmostEqual(s["m"], m, places=5)
        model.train()
        audio, visual, labels = self.inputs([2, 1])
        y = F.one_hot(labels, 3).float()
        mixed = 0.7 * audio + 0.3 * audio[[1, 0]]
        with torch.no_grad():
            want = -(F.log_softmax(model(mixed, visual)[0], 1) * (0.7 * y + 0.3 * y[[1, 0]])).sum(1).mean()
        self.assertAlmostEqual(steps[2]["loss"], float(want), places=5)
        load_model(self.path("final.safetensors"))

    def test_ogm_records_its_own_coefficients(self):
        config = run_config(method="ogm-ge", ogm={"mode": "ogm"})
        trace = [step(1, 0, [1, 2], coef={"audio": 1, "visual": 0.5}), step(1, 1, [0, 3], coef={"audio": 1, "visual": 0.5})]
        rc, err, steps = self.run_replay(config, trace)
        self.assertEqual(rc, 0, err)
        ref = copy.deepcopy(self.start_model).train()
        audio, visual, labels = self.inputs([1, 2])
        with torch.no_grad():
            _, la, lv = ref(audio, visual)
        y = F.one_hot(labels, 3).float()
        want = ogm_coefficients(float((F.softmax(la, 1) * y).sum()), float((F.softmax(lv, 1) * y).sum()), 0.8)
        self.assertAlmostEqual(steps[0]["coef"]["audio"], want["audio"], places=5)
        self.assertAlmostEqual(steps[0]["coef"]["visual"], want["visual"], places=5)
        self.assertIsNotNone(steps[1]["coef"])
        load_model(self.path("final.safetensors"))

    def test_mm_in_float64(self):
        trace = [step(1, 0, [3, 0], perm=[1, 0], **{"lambda": 0.4}), step(1, 1, [2, 1], perm=[0, 1], **{"lambda": 0.9})]
        rc, err, steps = self.run_replay(run_config(method="mm"), trace, extra=["--float64"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(steps), 2)
        model, _ = load_model(self.path("final.safetensors"))
        self.assertEqual(model.audio_net.conv1.weight.dtype, torch.float32)

    def test_an_rgb_flow_pack_replays_with_its_own_weights_only(self):
        simple_pack(self.pack_dir, n_train=4, n_test=2, visual="flow", seed=2, first="rgb")
        trace = [step(1, 0, [2, 0]), step(1, 1, [1, 3])]
        rc, err, _ = self.run_replay(run_config(method="erm"), trace)
        self.assertEqual(rc, 2)
        self.assertRegex(err, r'start\.safetensors: metadata modalities is \["spectrogram","rgb"\], but branches in .*pack\.json gives \["rgb","flow"\]')
        config = read_run_config(json.dumps(run_config(method="erm")), "run.json")
        torch.manual_seed(0)
        model = AVClassifier(3, "concat", width=1 / 16, modalities=("rgb", "flow"))
        weights = self.path("rgb-flow.safetensors")
        save_file(model.state_dict(), weights, config_metadata(config, CLASSES, ("rgb", "flow")))
        rc, err, steps = self.run_replay(run_config(method="erm"), trace, weights=weights)
        self.assertEqual(rc, 0, err)
        # The first step's loss by hand: the same start weights on the pack's two 5-D inputs.
        pack = load_pack(self.pack_dir)
        rgb, flow, labels = pack.train.inputs([2, 0])
        self.assertEqual((list(rgb.shape), list(flow.shape)), ([2, 3, 1, 16, 16], [2, 2, 1, 16, 16]))
        with torch.no_grad():
            want = F.cross_entropy(model.train()(rgb, flow)[0], labels)
        self.assertAlmostEqual(steps[0]["loss"], float(want), places=5)
        final, meta = load_model(self.path("final.safetensors"))
        self.assertEqual((final.modalities, meta["modalities"]), (("rgb", "flow"), '["rgb","flow"]'))

    def test_refuses_bad_input_naming_the_file_and_line(self):
        erm = run_config(method="erm")
        cases = [
            (erm, [step(1, 0, [0, 1], perm=[1, 0], **{"lambda": 0.5})], r"trace\.jsonl:1: perm is \[1,0\], but method erm \(.*run\.json\) never records it"),
            (run_config(method="mm"), [step(1, 0, [0, 1])], r"trace\.jsonl:1: perm is null, but method mm .* records it on every step"),
            (run_config(method="bmm"), [step(1, 0, [0, 1], perm=[1, 0], **{"lambda": 0.5})], r"trace\.jsonl:1: perm is \[1,0\], but method bmm"),
            (erm, [step(1, 0, [0, 1]), step(1, 1, [2, 9])], r"trace\.jsonl:2: index 9 is outside the training split of the pack \(positions 0\.\.3\)"),
            (erm, [step(1, 0, [0, 1]), step(1, 2, [2, 3])], r"trace\.jsonl:2: epoch 1 step 2 follows epoch 1 step 0; expected epoch 1 step 1"),
            (erm, [step(1, 0, [0, 1]), step(2, 0, [2, 3])], r"trace\.jsonl:2: epoch 2 starts after 1 steps of epoch 1; a full epoch has 2"),
            (erm, [step(2, 0, [0, 1])], r"trace\.jsonl:1: the trace must start at epoch 1 step 0"),
            (erm, [step(1, 0, [0, 1, 2])], r"trace\.jsonl:1: step 0 has 3 clips; with batch 2"),
            (erm, [step(1, 0, [0, 1]), step(1, 1, [1, 2])], r"trace\.jsonl:2: clip 1 is already in an earlier batch of epoch 1"),
            (run_config(method="ogm-ge"), [step(1, 0, [0, 1])], r"trace\.jsonl:1: coef is null, but method ogm-ge"),
            (run_config(method="erm", fusion="sum"), [step(1, 0, [0, 1])], r'start\.safetensors: metadata fusion is "concat", but fusion in .*run\.json gives "sum"'),
            (run_config(method="erm", frames=2), [step(1, 0, [0, 1])], r"frames 2 in .*run\.json but shapes\.rgb T 1 in .*pack\.json"),
            (run_config(method="erm", augment=True), [step(1, 0, [0, 1])], r"run\.json: augment is true"),
            (run_config(method="erm", batch=8), [step(1, 0, [0, 1])], r"run\.json: batch 8 is larger than the training set \(4 clips\)"),
            (run_config(method="sgd"), [step(1, 0, [0, 1])], r'run\.json: method "sgd" is not known'),
        ]
        for config, trace, pattern in cases:
            rc, err, _ = self.run_replay(config, trace)
            self.assertEqual(rc, 2, pattern)
            self.assertRegex(err, pattern)


class ValidationSplit(unittest.TestCase):
    """valSplit > 0: the trace numbers the whole training split, and every pass runs over the clips left."""

    # 9 training clips (classes 0, 1, 2 in turn) and 2 test clips; valSplit 0.34 holds one clip per class out.
    TRAINED, HELD = [2, 3, 4, 6, 7, 8], [0, 1, 5]

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack_dir = os.path.join(self.tmp, "pack")
        self.arrays = clip_arrays(11, seed=6)
        self.arrays["split"] = np.array([0] * 9 + [1] * 2, dtype=np.uint8)
        write_pack(self.pack_dir, [(self.arrays, None)])
        self.assertEqual(hold_out(self.arrays["label"][:9], 0.34, 0), (self.TRAINED, self.HELD))
        torch.manual_seed(2)
        self.start = os.path.join(self.tmp, "start.safetensors")
        self.model = AVClassifier(3, "concat", width=1 / 16)
        config = read_run_config(json.dumps(run_config(method="erm")), "run.json")
        save_file(self.model.state_dict(), self.start, config_metadata(config, CLASSES, 3))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def replay(self, doc, trace, pack_dir=None, out="final.safetensors", extra=()):
        with open(self.path("run.json"), "w") as f:
            json.dump(doc, f)
        with open(self.path("trace.jsonl"), "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in trace))
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(["--config", self.path("run.json"), "--data", pack_dir or self.pack_dir, "--weights", self.start, "--trace", self.path("trace.jsonl"),
                       "--out", self.path(out), "--steps-out", self.path("steps.jsonl"), *extra])
        steps = []
        if rc == 0:
            with open(self.path("steps.jsonl")) as f:
                steps = [json.loads(line) for line in f]
        return rc, err.getvalue(), steps

    def epoch_trace(self, epochs, **fields):
        """Batches of 2 over the trained clips, in another order each epoch (training-split positions)."""
        out = []
        for e in range(1, epochs + 1):
            order = self.TRAINED[e % 6 :] + self.TRAINED[: e % 6]
            out += [step(e, k, order[2 * k : 2 * k + 2], **fields) for k in range(3)]
        return out

    def test_passes_over_the_training_set_run_over_the_trained_clips(self):
        # The same trace on a pack whose training split is the trained clips alone (in order), without valSplit:
        # the same weights, so the BatchNorm statistics and B-MM's rho came from those clips in that order.
        small = os.path.join(self.tmp, "small")
        keep = self.TRAINED + [9, 10]
        arrays = {k: v[keep] for k, v in self.arrays.items()}
        write_pack(small, [(arrays, None)])
        where = {p: i for i, p in enumerate(self.TRAINED)}
        for method, options in (("erm", {}), ("bmm", {"bmm": {"warmup": 1}})):
            trace = self.epoch_trace(2)
            if method == "bmm":
                for r in trace[3:]:
                    r.update(perm=[1, 0], m=0.3, weak="audio")
            rc, err, steps = self.replay(run_config(method=method, valSplit=0.34, **options), trace, out="split.safetensors")
            self.assertEqual(rc, 0, err)
            remapped = [dict(r, indices=[where[i] for i in r["indices"]]) for r in trace]
            rc, err, small_steps = self.replay(run_config(method=method, **options), remapped, pack_dir=small, out="small.safetensors")
            self.assertEqual(rc, 0, err)
            self.assertEqual(steps, small_steps, method)
            a, _ = load_file(self.path("split.safetensors"))
            b, _ = load_file(self.path("small.safetensors"))
            for name in a:
                self.assertTrue(torch.equal(a[name], b[name]), "%s: %s" % (method, name))

    def test_gblend_steps_use_the_traces_weights_and_record_their_own(self):
        doc = run_config(method="gblend", valSplit=0.34, epochs=3, gblend={"superEpoch": 2})
        given = {"audio": 0.25, "visual": 0.25, "fused": 0.5}
        trace = self.epoch_trace(3, blend=given)
        rc, err, steps = self.replay(doc, trace)
        self.assertEqual(rc, 0, err)
        self.assertIn("blend weights", err)
        self.assertEqual(len(steps), 9)
        # The first step's loss by hand: the start weights, the trace's weights, unimodal zero.
        pack = load_pack(self.pack_dir)
        audio, visual, labels = pack.train.inputs(trace[0]["indices"])
        y = F.one_hot(labels, 3).float()
        model = copy.deepcopy(self.model).train()
        with torch.no_grad():
            z_a, z_v = model.encode(audio, visual)
            fm = model.fusion_module
            want = 0.25 * soft_cross_entropy(fm(z_a, torch.zeros_like(z_v)), y) + 0.25 * soft_cross_entropy(fm(torch.zeros_like(z_a), z_v), y) + 0.5 * soft_cross_entropy(fm(z_a, z_v), y)
        self.assertAlmostEqual(steps[0]["loss"], float(want), places=5)
        # This side's own weights: the probe of the start model before epoch 1 on the trained and the held-out
        # clips, the same on every step until the probe before epoch 3.
        config = read_run_config(json.dumps(doc), "run.json")
        train, val = pack.train.subset(self.TRAINED), pack.train.subset(self.HELD)
        own, measured = gblend_probe(config, copy.deepcopy(self.model), 0, 6, train.inputs, lambda: iter([val.inputs(range(3))]), Unimodal("zero"))
        self.assertEqual(own, blend_weights(measured))
        for s in steps[:6]:
            self.assertEqual(list(s), ["epoch", "step", "loss", "m", "weak", "coef", "blend", "greedy"])
            self.assertIsNone(s["greedy"])
            self.assertEqual(s["blend"], own)
            self.assertIsNone(s["coef"])
        self.assertAlmostEqual(sum(steps[6]["blend"].values()), 1, places=12)
        self.assertNotEqual(steps[6]["blend"], own)
        # micro-batches replay for gblend (no per-batch draw).
        rc, err, _ = self.replay(dict(doc, config=dict(doc["config"], batch=4, microBatch=2)), [
            step(e, k, idx, blend=given) for e in (1, 2, 3) for k, idx in enumerate(([2, 3, 4, 6], [7, 8]))])
        self.assertEqual(rc, 0, err)

    def test_refusals(self):
        gblend = run_config(method="gblend", valSplit=0.34)
        w = {"audio": 0.2, "visual": 0.3, "fused": 0.5}
        cases = [
            (run_config(method="erm", valSplit=0.34), [step(1, 0, [2, 3]), step(1, 1, [0, 4])],
             r"trace\.jsonl:2: index 0 is a validation clip: valSplit 0\.34 \(.*run\.json\) holds it out of the training split with seed 0, so the run never trains on it"),
            (run_config(method="erm", valSplit=0.34), [step(1, 0, [2, 3]), step(1, 1, [4, 6]), step(1, 2, [7, 8]), step(1, 3, [0, 1])],
             r"trace\.jsonl:4: step 3 is beyond the 3 steps of an epoch \(6 training clips in batches of 2; valSplit holds 3 of the split's 9 out for validation\)"),
            (run_config(method="erm", valSplit=0.34), [step(1, 0, [2, 3]), step(2, 0, [4, 6])],
             r"trace\.jsonl:2: epoch 2 starts after 1 steps of epoch 1; a full epoch has 3 \(6 training clips in batches of 2; valSplit holds 3 of the split's 9 out"),
            (gblend, [step(1, 0, [2, 3])], r"trace\.jsonl:1: blend is null, but method gblend \(.*run\.json\) records it on every step"),
            (gblend, [step(1, 0, [2, 3], blend=w, coef={"audio": 1, "visual": 1})], r"trace\.jsonl:1: coef is .*, but method gblend .* never records it"),
            (run_config(method="erm"), [step(1, 0, [2, 3], blend=w)], r'trace\.jsonl:1: blend is \{"audio":0\.2,"visual":0\.3,"fused":0\.5\}, but method erm .* never records it'),
            (run_config(method="bmm"), [step(1, 0, [2, 3], blend=w)], r"trace\.jsonl:1: blend is .*, but method bmm"),
            (gblend, [step(1, 0, [2, 3], blend={"audio": 1, "visual": 0})], r'trace\.jsonl:1: blend must be null or \{audio, visual, fused\} numbers, got \{"audio":1,"visual":0\}'),
            (run_config(method="gblend"), [step(1, 0, [2, 3], blend=w)], r"run\.json: method gblend measures its loss weights on validation clips held out of the training split; set valSplit \(e\.g\. 0\.1\)"),
        ]
        for doc, trace, pattern in cases:
            rc, err, _ = self.replay(doc, trace)
            self.assertEqual(rc, 2, pattern)
            self.assertRegex(err, pattern)

    def test_gblend_refuses_a_split_that_holds_nothing_out(self):
        tiny = os.path.join(self.tmp, "tiny")
        simple_pack(tiny, n_train=3, n_test=2)  # one clip per class: none can be held out
        rc, err, _ = self.replay(run_config(method="gblend", valSplit=0.5), [step(1, 0, [0, 1], blend={"audio": 0.2, "visual": 0.3, "fused": 0.5})], pack_dir=tiny)
        self.assertEqual(rc, 2)
        self.assertRegex(err, r"method gblend: valSplit 0\.5 holds out no clips of .*pack\.json \(3 training clips; a class needs at least 2 to give one\); G-Blending measures its loss weights on held-out clips: raise valSplit or add clips")


if __name__ == "__main__":
    unittest.main()
