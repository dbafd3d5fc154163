"""python -m bmm_lab.train on tiny packs: each method against the replay (an independent loop over the same rules),
the metrics against a plain recomputation, the outputs read back (config document, lab-format weights, JSON lines),
bfloat16 autocast and a diverging run."""

import json
import math
import os
import shutil
import tempfile
import unittest

from support import CLASSES, call_main, clip_arrays, read_jsonl, run_config, simple_pack, start_weights, write_pack, write_run

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab import replay, train  # noqa: E402
from bmm_lab.config import read_run_config  # noqa: E402
from bmm_lab.loader import load_model  # noqa: E402
from bmm_lab.pack import load_pack  # noqa: E402
from bmm_lab.safetensors_io import load_file  # noqa: E402
from bmm_lab.state_dict_spec import spec  # noqa: E402
from bmm_lab.validation import hold_out  # noqa: E402

EPOCH_KEYS = ["epoch", "loss", "trainAcc", "testAcc", "audio", "visual", "rho", "mix", "samplesPerSec", "seconds"]
SUMMARY_KEYS = ["config", "backend", "dataset", "modalities", "classNames", "epochs", "bestTestAcc", "bestRule", "finalTestAcc", "best", "final", "error"]


class TrainCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack_dir = self.path("pack")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def train(self, doc_config, *extra, out="out"):
        """(exit code, stdout lines, stderr) of an in-process train run with a written run-config document."""
        run = write_run(self.path("run.json"), **doc_config)
        code, stdout, stderr = call_main(train.main, ["--config", run, "--data", self.pack_dir, "--out", self.path(out), "--workers", "0", *extra])
        return code, [json.loads(line) for line in stdout.splitlines()], stderr


class AgainstReplay(TrainCase):
    """The trainer's run, replayed from its own trace by the replay's loop, ends on the same weights, step for step."""

    def check(self, visual="rgb", first="spectrogram", n_train=8, steps=6, **config):
        simple_pack(self.pack_dir, n_train=n_train, n_test=4, visual=visual, seed=3, first=first)
        doc = run_config(batch=4, epochs=3, **config)
        start = start_weights(self.path("start.safetensors"), doc, modalities=(first, visual))
        trace = self.path("trace.jsonl")
        steps_wanted = steps
        code, lines, err = self.train(dict(doc["config"]), "--weights", start, "--trace", trace)
        self.assertEqual(code, 0, err)
        code, _, err = call_main(
            replay.main,
            ["--config", self.path("run.json"), "--data", self.pack_dir, "--weights", start, "--trace", trace,
             "--out", self.path("replayed.safetensors"), "--steps-out", self.path("steps.jsonl")],
        )
        self.assertEqual(code, 0, err)
        trained, _ = load_file(self.path("out", "model.safetensors"))
        replayed, _ = load_file(self.path("replayed.safetensors"))
        self.assertEqual(sorted(trained), sorted(replayed))
        for name in trained:
            self.assertTrue(torch.equal(trained[name], replayed[name]), name)
        steps = read_jsonl(trace)
        own = read_jsonl(self.path("steps.jsonl"))
        self.assertEqual(len(steps), steps_wanted)
        for s, o in zip(steps, own):
            self.assertEqual(s["loss"], o["loss"])
            self.assertEqual((s["m"], s["weak"], s["coef"], s["blend"]), (o["m"], o["weak"], o["coef"], o["blend"]))
        epochs = lines[:-1]
        self.assertEqual([e["epoch"] for e in epochs], [1, 2, 3])
        # The epoch loss is the clip-weighted mean of its steps' losses (session.ts: lossSum += loss * size).
        for e in epochs:
            mine = [s for s in steps if s["epoch"] == e["epoch"]]
            want = sum(s["loss"] * len(s["indices"]) for s in mine) / sum(len(s["indices"]) for s in mine)
            self.assertAlmostEqual(e["loss"], want, delta=1e-5 * abs(want))
        return epochs, steps

    def test_bmm_paper_reading(self):
        epochs, steps = self.check(method="bmm", bmm={"warmup": 1, "beta": 1.5, "maxM": 1})
        self.assertEqual(epochs[0]["mix"], 0)  # warm-up epoch: no mixing, m = 0
        for e in epochs[1:]:
            rho = epochs[e["epoch"] - 2]["rho"]  # the previous epoch's evaluation pass
            m = math.tanh(1.5 * (max(rho, 1 / rho) - 1))
            weak = "visual" if rho > 1 else "audio"
            for s in (s for s in steps if s["epoch"] == e["epoch"]):
                self.assertAlmostEqual(s["m"], m, delta=1e-5)
                self.assertEqual(s["weak"], weak)
                self.assertEqual(sorted(s["perm"]), list(range(len(s["indices"]))))
            self.assertAlmostEqual(e["mix"], m, delta=1e-5)

    def test_bmm_every_option(self):
        options = {"warmup": 1, "beta": 2, "coef": "tanh(beta*r)", "level": "feature", "targets": "original", "sample": "beta", "maxM": 0.5, "rhoSmoothing": 0.5}
        epochs, steps = self.check(method="bmm", unimodal="mean", bmm=options)
        for e in epochs[1:]:
            mine = [s for s in steps if s["epoch"] == e["epoch"]]
            for s in mine:
                # tanh(beta r) > 0.96 here, so maxM bounds the plan; sample = beta scales it by the step's lambda.
                self.assertAlmostEqual(s["m"], 0.5 * s["lambda"], places=12)
            self.assertAlmostEqual(e["mix"], sum(s["m"] for s in mine) / len(mine), delta=1e-5)

    def test_mm_film(self):
        _, steps = self.check(method="mm", fusion="film")
        self.assertTrue(all(0 <= s["lambda"] <= 1 and s["perm"] is not None for s in steps))

    def test_ogm_ge_with_noise_and_step_lr(self):
        epochs, steps = self.check(method="ogm-ge", unimodal="half-bias", stepLr={"step": 1, "gamma": 0.5}, ogm={"start": 1, "end": 1, "mode": "ogm-ge"})
        self.assertEqual([s["coef"] is not None for s in steps], [False, False, True, True, False, False])
        self.assertEqual([epochs[0]["mix"], epochs[2]["mix"]], [1, 1])  # outside the window
        coefs = [s["coef"] for s in steps if s["epoch"] == 2]
        self.assertAlmostEqual(epochs[1]["mix"], sum(min(c.values()) for c in coefs) / 2, delta=1e-5)

    def test_audio_only(self):
        _, steps = self.check(method="audio-only")
        self.assertTrue(all(s["coef"] is None for s in steps))

    def test_visual_only_sum(self):
        self.check(method="visual-only", fusion="sum")

    def test_mmpareto_unimodal_mean(self):
        _, steps = self.check(method="mmpareto", unimodal="mean")
        self.assertTrue(all(0.001 <= s["coef"]["audio"] <= 0.999 for s in steps))

    def test_agm_decision(self):
        _, steps = self.check(method="agm", fusion="decision")
        self.assertTrue(all(s["coef"]["audio"] > 0 and s["coef"]["visual"] > 0 for s in steps))
        self.assertTrue(any(s["coef"]["audio"] != 1 for s in steps))

    def test_pmr(self):
        _, steps = self.check(method="pmr", pmr={"alpha": 1})
        self.assertTrue(any(s["coef"]["audio"] + s["coef"]["visual"] > 0 for s in steps))

    def test_gblend_with_a_validation_split(self):
        # 12 training clips, one per class held out (valSplit 0.34 of 4), 9 trained on in batches of 4: 2 steps.
        epochs, steps = self.check(n_train=12, steps=6, method="gblend", valSplit=0.34, gblend={"superEpoch": 2})
        _, held = hold_out(np.arange(12) % 3, 0.34, 0)
        self.assertEqual(len(held), 3)
        self.assertFalse({i for s in steps for i in s["indices"]} & set(held))
        by_epoch = [[s["blend"] for s in steps if s["epoch"] == e] for e in (1, 2, 3)]
        for w in (by_epoch[0][0], by_epoch[2][0]):
            self.assertAlmostEqual(w["audio"] + w["visual"] + w["fused"], 1, places=12)
            self.assertTrue(all(0 <= x <= 1 for x in w.values()))
        # Measured before epochs 1 and 3 (superEpoch 2), the same on every step in between.
        self.assertEqual(by_epoch[0] + by_epoch[1], [by_epoch[0][0]] * 4)
        self.assertNotEqual(by_epoch[2][0], by_epoch[0][0])
        for e in epochs:
            self.assertEqual(list(e), EPOCH_KEYS + ["val"])
            self.assertTrue(math.isfinite(e["loss"]))
        self.assertEqual(self.read_summary()["bestRule"], "validation")

    def read_summary(self):
        return read_jsonl(self.path("out", "metrics.jsonl"))[-1]["summary"]

    def test_erm_decision_on_flow(self):
        self.check(visual="flow", method="erm", fusion="decision")

    def test_bmm_input_level_on_rgb_and_flow(self):
        # Input-level B-MM mixes the weak branch's 5-D clips, whichever branch that is.
        epochs, steps = self.check(first="rgb", visual="flow", method="bmm", bmm={"warmup": 1, "level": "input"})
        self.assertTrue(all(s["weak"] in ("audio", "visual") for s in steps if s["epoch"] > 1))
        _, meta = load_file(self.path("replayed.safetensors"))
        self.assertEqual((meta["modalities"], meta["audio_shape"], meta["visual_shape"]), ('["rgb","flow"]', "[3,1,16,16]", "[2,1,16,16]"))


class Outputs(TrainCase):
    def test_files_read_back_and_metrics_match_a_plain_evaluation(self):
        simple_pack(self.pack_dir, n_train=8, n_test=6, seed=4)
        code, lines, err = self.train(run_config(method="mm", batch=4, epochs=2, augment=True)["config"], "--augment", "off")
        self.assertEqual(code, 0, err)
        out = self.path("out")
        # stdout and metrics.jsonl hold the same objects, with the keys of bmm-lab train --json.
        self.assertEqual(read_jsonl(os.path.join(out, "metrics.jsonl")), lines)
        self.assertEqual([list(m) for m in lines[:-1]], [EPOCH_KEYS, EPOCH_KEYS])
        summary = lines[-1]["summary"]
        self.assertEqual(list(summary), SUMMARY_KEYS)
        self.assertEqual(
            (summary["backend"], summary["dataset"], summary["modalities"], summary["classNames"], summary["epochs"], summary["error"]),
            ("pytorch-cpu", "pack", ["spectrogram", "rgb"], CLASSES, 2, None),
        )
        self.assertEqual(summary["finalTestAcc"], lines[1]["testAcc"])
        self.assertEqual(summary["bestTestAcc"], max(lines[0]["testAcc"], lines[1]["testAcc"]))
        # config.json: the run-config document of what ran (--augment off overrides the document's augment).
        with open(os.path.join(out, "config.json")) as f:
            ran = read_run_config(f.read(), "config.json")
        self.assertFalse(ran["augment"])
        self.assertEqual(ran, summary["config"])
        # model.safetensors: the lab's names, shapes, dtypes and metadata.
        state, meta = load_file(os.path.join(out, "model.safetensors"))
        want = spec("concat", 3, 0.0625, 1, 3, dtypes=True)
        self.assertEqual(list(state), list(want))
        for name, t in state.items():
            self.assertEqual(list(t.shape), want[name]["shape"], name)
            self.assertEqual(t.dtype, torch.int64 if want[name]["dtype"] == "I64" else torch.float32, name)
        self.assertEqual(
            {k: meta[k] for k in ("format_version", "class_names", "num_classes", "fusion", "method", "preset", "width", "audio_shape", "visual_shape")},
            {"format_version": "1", "class_names": json.dumps(CLASSES, separators=(",", ":")), "num_classes": "3", "fusion": "concat", "method": "mm",
             "preset": "tiny", "width": "0.0625", "audio_shape": "[1,16,16]", "visual_shape": "[3,1,16,16]"},
        )
        # The last epoch's test accuracy and rho, recomputed from the written weights by a plain loop.
        model, _ = load_model(os.path.join(out, "model.safetensors"))
        pack = load_pack(self.pack_dir)
        with torch.no_grad():
            audio, visual, labels = pack.test.inputs(range(pack.test.size))
            acc = float((model(audio, visual)[0].argmax(1) == labels).double().mean())
            audio, visual, labels = pack.train.inputs(range(pack.train.size))
            _, la, lv = model(audio, visual)
            pick = torch.arange(len(labels)), labels
            rho = float(la.double().softmax(1)[pick].sum() / lv.double().softmax(1)[pick].sum())
        self.assertAlmostEqual(lines[1]["testAcc"], acc, places=5)
        self.assertAlmostEqual(lines[1]["rho"], rho, delta=1e-5 * rho)

    def test_a_validation_split_holds_clips_out_and_scores_them_every_epoch(self):
        simple_pack(self.pack_dir, n_train=10, n_test=4, seed=5)
        code, lines, err = self.train(run_config(method="erm", batch=4, epochs=2, valSplit=0.25)["config"], "--trace", self.path("trace.jsonl"))
        self.assertEqual(code, 0, err)
        trained, held = hold_out(np.arange(10) % 3, 0.25, 0)
        self.assertIn("10 train (%d of them held out for validation)" % len(held), err)
        self.assertEqual([list(m) for m in lines[:-1]], [EPOCH_KEYS + ["val"]] * 2)
        summary = lines[-1]["summary"]
        self.assertEqual(list(summary), SUMMARY_KEYS)
        self.assertEqual(summary["bestRule"], "validation")
        # Best per head: the test accuracy at the (earliest) best validation epoch.
        for head in ("fused", "audio", "visual"):
            val = [m["val"][head] for m in lines[:-1]]
            test = [m["testAcc"] if head == "fused" else m[head]["testAcc"] for m in lines[:-1]]
            self.assertEqual(summary["best"][head], test[val.index(max(val))], head)
        # The trace numbers the whole training split and never shows a held-out clip.
        steps = read_jsonl(self.path("trace.jsonl"))
        self.assertEqual([sorted(i for s in steps if s["epoch"] == e for i in s["indices"]) for e in (1, 2)], [trained, trained])
        self.assertTrue(all(s["blend"] is None for s in steps))
        # The last epoch's validation accuracy, train accuracy and rho, recomputed from the written weights.
        model, _ = load_model(self.path("out", "model.safetensors"))
        pack = load_pack(self.pack_dir)
        with torch.no_grad():
            audio, visual, labels = pack.train.inputs(held)
            out = model(audio, visual)
            for head, logits in zip(("fused", "audio", "visual"), out):
                self.assertAlmostEqual(lines[1]["val"][head], float((logits.argmax(1) == labels).double().mean()), places=5)
            audio, visual, labels = pack.train.inputs(trained)
            _, la, lv = model(audio, visual)
            self.assertAlmostEqual(lines[1]["audio"]["trainAcc"], float((la.argmax(1) == labels).double().mean()), places=5)
            pick = torch.arange(len(labels)), labels
            rho = float(la.double().softmax(1)[pick].sum() / lv.double().softmax(1)[pick].sum())
        self.assertAlmostEqual(lines[1]["rho"], rho, delta=1e-5 * rho)

    def test_gblend_with_augmentation_and_unimodal_mean(self):
        simple_pack(self.pack_dir, n_train=12, n_test=3, seed=6)
        config = run_config(method="gblend", batch=4, epochs=2, valSplit=0.25, unimodal="mean", augment=True, gblend={"superEpoch": 2})["config"]
        code, lines, err = self.train(config, "--trace", self.path("trace.jsonl"))
        self.assertEqual(code, 0, err)
        self.assertRegex(err, r"train: epoch 1: G-Blending weights audio [0-9.]+, visual [0-9.]+, fused [0-9.]+ \(probe of 2 epochs per head")
        self.assertTrue(all(math.isfinite(m["loss"]) for m in lines[:-1]))
        for s in read_jsonl(self.path("trace.jsonl")):
            self.assertAlmostEqual(sum(s["blend"].values()), 1, places=12)
        # The checkpoint's metrics carry the unimodal heads' weights as the lab's epochReport does.
        from bmm_lab.checkpoint import load_checkpoint
        metrics = load_checkpoint(self.path("out", "checkpoint.pt"))["metrics"]
        w = read_jsonl(self.path("trace.jsonl"))[0]["blend"]
        self.assertEqual(metrics[0]["coefficients"], {"audio": w["audio"], "visual": w["visual"]})

    def test_rgb_flow_trains_and_exports_weights_the_loader_rebuilds(self):
        simple_pack(self.pack_dir, n_train=6, n_test=3, visual="flow", t=2, seed=8, first="rgb")
        code, lines, err = self.train(run_config(method="erm", fusion="sum", batch=3, epochs=1, frames=2, augment=True)["config"])
        self.assertEqual(code, 0, err)
        self.assertIn("augment on", err)
        self.assertTrue(math.isfinite(lines[0]["loss"]))
        path = self.path("out", "model.safetensors")
        state, meta = load_file(path)
        self.assertEqual((meta["modalities"], meta["audio_shape"], meta["visual_shape"]), ('["rgb","flow"]', "[3,2,16,16]", "[2,2,16,16]"))
        self.assertEqual(list(state["audio_net.conv1.weight"].shape), [4, 3, 7, 7])
        self.assertEqual(list(state["visual_net.conv1.weight"].shape), [4, 2, 7, 7])
        model, _ = load_model(path)
        self.assertEqual(model.modalities, ("rgb", "flow"))
        # The epoch's test accuracy, recomputed from the written weights on the pack's 5-D inputs.
        pack = load_pack(self.pack_dir)
        rgb, flow, labels = pack.test.inputs(range(pack.test.size))
        self.assertEqual((list(rgb.shape), list(flow.shape)), ([3, 3, 2, 16, 16], [3, 2, 2, 16, 16]))
        with torch.no_grad():
            acc = float((model(rgb, flow)[0].argmax(1) == labels).double().mean())
        self.assertAlmostEqual(lines[0]["testAcc"], acc, places=5)
        with open(self.path("out", "config.json")) as f:
            self.assertTrue(json.load(f)["config"]["augment"])

    def test_bf16_autocast_trains_and_changes_the_numbers(self):
        simple_pack(self.pack_dir, n_train=8, n_test=4, seed=4)
        config = run_config(method="erm", batch=4, epochs=1)["config"]
        code, plain, err = self.train(config, out="fp32")
        self.assertEqual(code, 0, err)
        code, amp, err = self.train(config, "--amp", "bf16", out="bf16")
        self.assertEqual(code, 0, err)
        self.assertTrue(math.isfinite(amp[0]["loss"]))
        self.assertNotEqual(plain[0]["loss"], amp[0]["loss"])  # bfloat16 rounding: autocast was on
        self.assertLess(abs(plain[0]["loss"] - amp[0]["loss"]), 0.1 * plain[0]["loss"])

    def test_a_diverging_run_keeps_the_last_completed_epoch(self):
        arrays = clip_arrays(12, seed=2)
        arrays["spectrogram"][3, 0, 0, 0] = np.nan  # one training clip poisons its batch
        arrays["split"] = np.array([0] * 8 + [1] * 4, dtype=np.uint8)
        write_pack(self.pack_dir, [(arrays, None)])
        doc = run_config(method="erm", batch=4, epochs=2)
        start = start_weights(self.path("start.safetensors"), doc)
        code, lines, err = self.train(doc["config"], "--weights", start)
        self.assertEqual(code, 1)
        self.assertRegex(err, r"the loss became NaN at epoch 1, batch [12]; training stopped and the weights of the last completed epoch \(0\) were kept")
        self.assertEqual(lines[-1]["summary"]["epochs"], 0)
        self.assertIn("the loss became NaN", lines[-1]["summary"]["error"])
        kept, _ = load_file(self.path("out", "model.safetensors"))
        begun, _ = load_file(start)
        for name in begun:
            self.assertTrue(torch.equal(kept[name], begun[name]), name)


if __name__ == "__main__":
    unittest.main()
