"""Greedy (MMTM blocks, conditional learning speeds, re-balancing windows) against hand-computed values, as
src/core/methods/greedy.test.ts; its model's state dict; the trainer, the replay and a resumed run."""

import json
import math
import os
import shutil
import tempfile
import unittest

from support import CLASSES, call_main, read_jsonl, run_config, simple_pack, start_weights, write_run

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab import replay, train  # noqa: E402
from bmm_lab.checkpoint import load_checkpoint  # noqa: E402
from bmm_lab.config import ConfigError, make_config, read_run_config, validate_config  # noqa: E402
from bmm_lab.export import config_metadata, save_weights  # noqa: E402
from bmm_lab.loader import load_model  # noqa: E402
from bmm_lab.model import MMTM, AVClassifier, scaled_width  # noqa: E402
from bmm_lab.rules import (  # noqa: E402
    SPEED_GROUPS,
    GreedyState,
    batch_loss,
    d_bdr,
    initial_schedule,
    learning_speeds,
    method_state,
    one_hot,
    schedule_after_step,
    soft_cross_entropy,
)
from bmm_lab.safetensors_io import load_file  # noqa: E402
from bmm_lab.state_dict_spec import spec  # noqa: E402

MICRO_MESSAGE = "method greedy does not support micro-batches (its MMTM running means and learning speeds are per step): unset microBatch"
OPTIONS = {"epsilon": 0.1, "window": 2, "start": 1}


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def greedy_batch(seed=0, modalities=("spectrogram", "rgb")):
    """A width-1/16 greedy model (3 classes, seeded) and a fixed batch of 4 (8 x 8 inputs, one frame)."""
    torch.manual_seed(seed)
    model = AVClassifier(3, "concat", 0.0625, modalities=modalities, mmtm=True)
    audio = torch.sin(torch.arange(4 * 8 * 8, dtype=torch.float32)).reshape(4, 1, 8, 8)
    visual = torch.cos(torch.arange(4 * 3 * 8 * 8, dtype=torch.float32)).reshape(4, 3, 1, 8, 8)
    return model, audio, visual, one_hot(torch.tensor([0, 1, 2, 1]), 3)


class MmtmBlock(unittest.TestCase):
    """One block on fixed maps: a spectrogram branch of 2 channels and a frame branch of 3 channels, 2 frames a clip."""

    def setUp(self):
        b = MMTM(2, 3)  # squeeze units int(2 * 5 / 4) = 2
        self.w = {
            "s": np.array([[0.5, -1, 0.25, 2, -0.5], [1, 0.5, -2, 0.25, 1]]), "bs": np.array([0.1, -0.2]),
            "a": np.array([[1, -1], [0.5, 2]]), "ba": np.array([0, 0.3]),
            "v": np.array([[-1, 0.5], [2, 1], [0.25, -0.75]]), "bv": np.array([0.2, 0, -0.1]),
        }
        with torch.no_grad():
            for fc, w, bias in ((b.fc_squeeze, "s", "bs"), (b.fc_audio, "a", "ba"), (b.fc_visual, "v", "bv")):
                fc.weight.copy_(torch.from_numpy(self.w[w]))
                fc.bias.copy_(torch.from_numpy(self.w[bias]))
        self.block = b
        self.A = np.sin(np.arange(2 * 2 * 2 * 3)).reshape(2, 2, 2, 3)  # 2 clips [N, C, h, w]
        self.V = np.cos(np.arange(4 * 3 * 2 * 2) * 0.7).reshape(4, 3, 2, 2)  # 2 clips x 2 frames [N*T, C, h, w]
        # By hand: per clip the mean over h, w (and the clip's 2 frames), e, the gates.
        s_a = np.array([[self.A[n, c].mean() for c in range(2)] for n in range(2)])
        s_v = np.array([[np.mean([self.V[2 * n + f, c] for f in range(2)]) for c in range(3)] for n in range(2)])
        e = np.maximum(0, np.concatenate([s_a, s_v], 1) @ self.w["s"].T + self.w["bs"])
        self.g_a = sigmoid(e @ self.w["a"].T + self.w["ba"])
        self.g_v = sigmoid(e @ self.w["v"].T + self.w["bv"])

    def run_block(self, hold=None, mean=None):
        a, v, gbar = self.block(torch.from_numpy(self.A).float(), torch.from_numpy(self.V).float(), 1, 2, hold, mean)
        return a.detach().numpy(), v.detach().numpy(), [g.numpy() for g in gbar]

    def gated_by_hand(self, g_a, g_v):
        a = np.array([[self.A[n, c] * g_a[n][c] for c in range(2)] for n in range(2)])
        v = np.array([[self.V[i, c] * g_v[i // 2][c] for c in range(3)] for i in range(4)])  # image i: clip i // 2
        return a, v

    def test_squeeze_excite_and_gate(self):
        a, v, (gbar_a, gbar_v) = self.run_block()
        want_a, want_v = self.gated_by_hand(self.g_a, self.g_v)
        np.testing.assert_allclose(a, want_a, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, want_v, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gbar_a, self.g_a.mean(0), rtol=1e-5)
        np.testing.assert_allclose(gbar_v, self.g_v.mean(0), rtol=1e-5)

    def test_hold_uses_the_given_mean_and_still_records_the_batch_gates(self):
        mean_a, mean_v = t([0.25, 0.75]), t([0.3, 0.6, 0.9])
        a, v, (gbar_a, gbar_v) = self.run_block("visual", (mean_a, mean_v))
        want_a, want_v = self.gated_by_hand(self.g_a, [[0.3, 0.6, 0.9]] * 2)
        np.testing.assert_allclose(a, want_a, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, want_v, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gbar_v, self.g_v.mean(0), rtol=1e-5)  # the record is the computed gates'
        a, v, (gbar_a, _) = self.run_block("audio", (mean_a, mean_v))
        want_a, want_v = self.gated_by_hand([[0.25, 0.75]] * 2, self.g_v)
        np.testing.assert_allclose(a, want_a, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, want_v, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gbar_a, self.g_a.mean(0), rtol=1e-5)
        with self.assertRaisesRegex(ValueError, "holding the audio gates needs their running means"):
            self.run_block("audio", None)

    def test_blocks_sit_after_layers_2_3_4_of_both_encoders(self):
        # Composed by hand from the encoders' layers and the blocks' linear layers (evaluation mode, audio held at
        # given means; rgb frames, 2 per clip): the model's features must be this composition.
        model = AVClassifier(3, "concat", 0.0625, modalities=("spectrogram", "rgb"), mmtm=True).eval()
        audio = torch.sin(torch.arange(2 * 16 * 16, dtype=torch.float32)).reshape(2, 1, 16, 16)
        visual = torch.cos(torch.arange(2 * 3 * 2 * 16 * 16, dtype=torch.float32) * 0.3).reshape(2, 3, 2, 16, 16)
        g = torch.Generator().manual_seed(3)
        means = [(torch.rand(c, generator=g), torch.rand(c, generator=g)) for c in (8, 16, 32)]
        with torch.no_grad():
            z_a, z_v = model.encode(audio, visual, mmtm_hold="audio", mmtm_means=means)
            an, vn = model.audio_net, model.visual_net
            a = an.maxpool(an.relu(an.bn1(an.conv1(audio))))
            frames = visual.permute(0, 2, 1, 3, 4).reshape(4, 3, 16, 16)
            v = vn.maxpool(vn.relu(vn.bn1(vn.conv1(frames))))
            for k, layers in enumerate(zip((an.layer1, an.layer2, an.layer3, an.layer4), (vn.layer1, vn.layer2, vn.layer3, vn.layer4)), start=1):
                a, v = layers[0](a), layers[1](v)
                if k == 1:
                    continue
                block = getattr(model, "mmtm%d" % k)
                s = torch.cat([a.mean(dim=(2, 3)), torch.stack([v[0:2].mean(dim=(0, 2, 3)), v[2:4].mean(dim=(0, 2, 3))])], 1)
                g_v = torch.sigmoid(block.fc_visual(torch.relu(block.fc_squeeze(s))))
                a = a * means[k - 2][0].reshape(1, -1, 1, 1)
                v = v * torch.cat([g_v[0:1], g_v[0:1], g_v[1:2], g_v[1:2]]).reshape(4, -1, 1, 1)
            want_a = a.mean(dim=(2, 3))
            want_v = torch.stack([v[0:2].mean(dim=(0, 2, 3)), v[2:4].mean(dim=(0, 2, 3))])
        torch.testing.assert_close(z_a, want_a, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(z_v, want_v, rtol=1e-5, atol=1e-6)

    def test_encoders_cannot_run_alone(self):
        model = AVClassifier(3, "concat", 0.0625, mmtm=True)
        audio, visual = torch.zeros(2, 1, 16, 16), torch.zeros(2, 3, 1, 16, 16)
        for run in (lambda: model.encode_audio(audio), lambda: model.encode_visual(visual)):
            with self.assertRaisesRegex(ValueError, "^the MMTM blocks couple the two encoders: encode both branches together$"):
                run()
        self.assertEqual(AVClassifier(3, "concat", 0.0625).encode_audio(audio).shape, (2, 32))


class LearningSpeeds(unittest.TestCase):
    def setUp(self):
        self.model, _, _, _ = greedy_batch()
        g = torch.Generator().manual_seed(1)
        for name, p in self.model.named_parameters():
            p.grad = torch.randn(p.shape, generator=g) * (100.0 if name.startswith("fusion_module.") else 0.01)
        self.model.mmtm3.fc_visual.weight.grad = None  # no gradient: adds 0, its weight still counts

    def by_hand(self):
        """The four ratios in float64 from the names (encoders: every parameter; bypass: fc_m and fc_squeeze)."""
        members = {
            "mainAudio": lambda n: n.startswith("audio_net."),
            "mainVisual": lambda n: n.startswith("visual_net."),
            "bypassAudio": lambda n: n.startswith("mmtm") and (".fc_audio." in n or ".fc_squeeze." in n),
            "bypassVisual": lambda n: n.startswith("mmtm") and (".fc_visual." in n or ".fc_squeeze." in n),
        }
        out = {}
        for k, member in members.items():
            g = w = 0.0
            for n, p in self.model.named_parameters():
                if member(n):
                    w += float((p.detach().double() ** 2).sum())
                    g += 0.0 if p.grad is None else float((p.grad.double() ** 2).sum())
            out[k] = g / w
        return out

    def test_ratios_and_d(self):
        got = learning_speeds(self.model)
        want = self.by_hand()
        self.assertEqual(list(got), list(SPEED_GROUPS))
        for k in SPEED_GROUPS:
            self.assertAlmostEqual(got[k], want[k], delta=1e-5 * want[k], msg=k)
        # BatchNorm weights count for their encoder (running statistics are buffers, not parameters).
        bn = self.model.audio_net.bn1
        bn.weight.grad = bn.weight.grad + 5
        self.assertGreater(learning_speeds(self.model)["mainAudio"], got["mainAudio"] * 1.5)
        bn.weight.grad = bn.weight.grad - 5
        _, d = schedule_after_step(initial_schedule(), 0, got, OPTIONS)
        want_d = math.log10(want["bypassAudio"] / want["mainAudio"]) - math.log10(want["bypassVisual"] / want["mainVisual"])
        self.assertAlmostEqual(d, want_d, delta=1e-5)

    def test_zero_norms_do_not_crash(self):
        for p in self.model.parameters():
            p.grad = None
        self.assertEqual(learning_speeds(self.model), {k: 0.0 for k in SPEED_GROUPS})
        self.assertEqual(d_bdr({k: 0.0 for k in SPEED_GROUPS}), 0.0)
        self.assertEqual(d_bdr({"mainAudio": 1.0, "mainVisual": 2.0, "bypassAudio": 3.0, "bypassVisual": 0.0}), 0.0)
        # Overflowed gradients (an infinite sum, a ratio that underflows): no logarithm of 0, d is 0.
        self.assertEqual(d_bdr({"mainAudio": math.inf, "mainVisual": 2.0, "bypassAudio": 3.0, "bypassVisual": 1.0}), 0.0)
        self.assertEqual(d_bdr({"mainAudio": 1e300, "mainVisual": 2.0, "bypassAudio": 1e-300, "bypassVisual": 1.0}), 0.0)
        self.assertAlmostEqual(d_bdr({"mainAudio": 4.0, "mainVisual": 2.0, "bypassAudio": 0.4, "bypassVisual": 2.0}), -1.0, places=12)
        # A group whose weights are all zero has speed 0.
        for name, p in self.model.named_parameters():
            p.grad = torch.ones_like(p)
            if ".fc_visual." in name or ".fc_squeeze." in name:
                p.data.zero_()
        speeds = learning_speeds(self.model)
        self.assertEqual(speeds["bypassVisual"], 0.0)
        self.assertGreater(speeds["bypassAudio"], 0.0)
        # All sums 0: d is 0, and not even epsilon 0 starts a window.
        s, d = schedule_after_step(initial_schedule(), 3, {k: 0.0 for k in SPEED_GROUPS}, {"epsilon": 0, "window": 2, "start": 0})
        self.assertEqual((d, s.curation, s.hold), (0.0, False, None))


class Schedule(unittest.TestCase):
    """A scripted sequence of d values (speeds chosen so the running sums give them) drives the windows."""

    def speeds_for(self, schedule, d):
        # main and bypassVisual add 1 each step; bypassAudio is set so that its sum is n 10^d: d = log10(BA / n).
        n = schedule.sums["mainAudio"] + 1
        return {"mainAudio": 1.0, "mainVisual": 1.0, "bypassVisual": 1.0, "bypassAudio": n * 10**d - schedule.sums["bypassAudio"]}

    def run_script(self, script, options):
        s = initial_schedule()
        out = []
        for epoch, d in script:
            before = dict(s.sums)
            speeds = self.speeds_for(s, d) if d is not None else {k: 1e6 for k in SPEED_GROUPS}
            s, got = schedule_after_step(s, epoch, speeds, options)
            if got is None:
                self.assertEqual(s.sums, before)  # within a window the speeds are not summed
            else:
                self.assertAlmostEqual(got, d, places=9)
            out.append((s.curation, s.count, s.hold, got is None))
        return out

    def test_windows_and_locked_epochs(self):
        script = [(0, 0.5), (0, -0.5), (1, 0.05), (1, -0.3), (1, None), (1, None), (1, 0.2), (2, None), (2, None), (2, -0.01), (2, 0.15)]
        self.assertEqual(
            self.run_script(script, OPTIONS),
            [
                (False, 0, None, False), (False, 0, None, False),  # epoch 0 < start: summed, never held
                (False, 0, None, False),  # |d| 0.05 <= epsilon 0.1
                (True, 0, "visual", False),  # d < 0: the visual gates are held for the next 2 steps
                (True, 1, "visual", True), (False, 2, None, True),  # the window's 2 steps; d not computed
                (True, 0, "audio", False),  # d > 0: audio held, across the epoch boundary
                (True, 1, "audio", True), (False, 2, None, True),
                (False, 0, None, False),
                (True, 0, "audio", False),
            ],
        )

    def test_a_window_of_one_step(self):
        options = {"epsilon": 0.0, "window": 1, "start": 0}
        self.assertEqual(
            self.run_script([(0, 0.3), (0, None), (0, 0.2), (0, None)], options),
            [(True, 0, "audio", False), (False, 1, None, True), (True, 0, "audio", False), (False, 1, None, True)],
        )

    def test_the_state_holds_what_its_schedule_says_and_reports_it(self):
        model, audio, visual, targets = greedy_batch()
        config = {"method": "greedy", "greedy": {"epsilon": 0.0, "window": 1, "start": 0}}
        state = method_state(config)
        self.assertIsInstance(state, GreedyState)
        reports = []
        for _ in range(3):
            model.zero_grad(set_to_none=True)
            batch_loss(config, model, audio, visual, targets, {}, 0, state=state).loss.backward()
            self.assertEqual(model.mmtm2.fc_audio.weight.grad is None, state.forward_hold == "audio")
            reports.append(state.end_step(model, 0, config["greedy"]))
        # Real speeds: d is not 0, so with epsilon 0 the first step starts a window of one held step; the third
        # computes d again and starts the next window.
        self.assertNotEqual(reports[0]["dBDR"], 0.0)
        self.assertEqual([r["hold"] for r in reports], [None, "audio" if reports[0]["dBDR"] > 0 else "visual", None])
        self.assertEqual([r["dBDR"] is None for r in reports], [False, True, False])
        self.assertEqual(state.schedule.hold, "audio" if reports[2]["dBDR"] > 0 else "visual")
        self.assertEqual(state.held, {"audio": int(reports[1]["hold"] == "audio"), "visual": int(reports[1]["hold"] == "visual")})


class RunningMeans(unittest.TestCase):
    def test_three_steps_give_the_plain_mean_of_their_gate_means(self):
        model, audio, visual, targets = greedy_batch()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        state = GreedyState()
        records = []
        for i in range(3):
            optimizer.zero_grad(set_to_none=True)
            hold = "audio" if i == 2 else None
            if hold:
                # The held gates are the means before this step's update.
                with torch.no_grad():
                    before = [(a.clone(), v.clone()) for a, v in state.means]
                    want = soft_cross_entropy(model.fusion_module(*model.encode(audio, visual, mmtm_hold="audio", mmtm_means=before)), targets)
            loss = state.loss(model, audio, visual, targets, hold).loss
            if hold:
                self.assertAlmostEqual(float(loss), float(want), places=5)
            loss.backward()
            records.append([(a.clone(), v.clone()) for a, v in state.record])
            state.end_step(model, 0, OPTIONS)
            optimizer.step()
        self.assertEqual(state.steps, 3)
        for b in range(3):
            for m in range(2):
                plain = (records[0][b][m] + records[1][b][m] + records[2][b][m]) / 3
                torch.testing.assert_close(state.means[b][m], plain, rtol=1e-6, atol=1e-7)
        # Each modality's mean is of its own gates (the authors' second mean took the first modality's).
        self.assertFalse(torch.allclose(state.means[0][0], state.means[0][1]))
        self.assertFalse(torch.equal(records[0][0][0], records[1][0][0]))  # the steps' gates differ


class HeldGradients(unittest.TestCase):
    def test_a_held_modalitys_fc_gets_no_gradient(self):
        model, audio, visual, targets = greedy_batch()
        state = GreedyState()
        model.zero_grad(set_to_none=True)
        plain = state.loss(model, audio, visual, targets).loss
        plain.backward()
        state.end_step(model, 0, OPTIONS)
        for hold, other in (("audio", "visual"), ("visual", "audio")):
            model.zero_grad(set_to_none=True)
            loss = state.loss(model, audio, visual, targets, hold).loss
            loss.backward()
            state.end_step(model, 0, OPTIONS)
            self.assertNotAlmostEqual(float(loss), float(plain), places=4)
            for k in (2, 3, 4):
                block = getattr(model, "mmtm%d" % k)
                for p in getattr(block, "fc_" + hold).parameters():
                    self.assertIsNone(p.grad, (hold, k))
                for p in list(getattr(block, "fc_" + other).parameters()) + list(block.fc_squeeze.parameters()):
                    self.assertIsNotNone(p.grad, (hold, k))
                    self.assertGreater(float(p.grad.abs().sum()), 0)


class StateDict(unittest.TestCase):
    def test_keys_shapes_and_strict_loading(self):
        plain = spec("concat", 3, 0.0625, 1, 3)
        got = spec("concat", 3, 0.0625, 1, 3, mmtm=True)
        blocks = []
        for k, c in ((2, scaled_width(128, 0.0625)), (3, scaled_width(256, 0.0625)), (4, scaled_width(512, 0.0625))):
            blocks += [("mmtm%d.fc_squeeze.weight" % k, [c, 2 * c]), ("mmtm%d.fc_squeeze.bias" % k, [c]),
                       ("mmtm%d.fc_audio.weight" % k, [c, c]), ("mmtm%d.fc_audio.bias" % k, [c]),
                       ("mmtm%d.fc_visual.weight" % k, [c, c]), ("mmtm%d.fc_visual.bias" % k, [c])]
        self.assertEqual((scaled_width(128, 0.0625), scaled_width(512, 0.0625)), (8, 32))
        self.assertEqual(list(got.items()), list(plain.items()) + blocks)  # after every fusion_module tensor
        self.assertEqual(list(plain)[-1], "fusion_module.fc_out.bias")
        self.assertEqual(len(spec("gated", 6, 1.0, mmtm=True)), 246 + 18)

    def test_an_exported_greedy_model_loads_strictly(self):
        tmp = tempfile.mkdtemp()
        try:
            torch.manual_seed(2)
            model = AVClassifier(3, "sum", 0.0625, modalities=("rgb", "flow"), mmtm=True)
            config = read_run_config(json.dumps(run_config(method="greedy", fusion="sum")), "run.json")
            path = os.path.join(tmp, "model.safetensors")
            save_weights(model, path, config_metadata(config, CLASSES, ("rgb", "flow")))
            state, meta = load_file(path)
            self.assertEqual(meta["method"], "greedy")
            self.assertEqual(list(state)[-18:], [n for n in model.state_dict() if n.startswith("mmtm")])
            loaded, _ = load_model(path)  # builds the MMTM blocks from the metadata's method
            self.assertTrue(loaded.mmtm)
            for name, value in model.state_dict().items():
                self.assertTrue(torch.equal(loaded.state_dict()[name], value), name)
            AVClassifier(3, "sum", 0.0625, modalities=("rgb", "flow"), mmtm=True).load_state_dict(state, strict=True)
            with self.assertRaisesRegex(RuntimeError, "Unexpected key.*mmtm2.fc_squeeze.weight"):
                AVClassifier(3, "sum", 0.0625, modalities=("rgb", "flow")).load_state_dict(state, strict=True)
            # The same file described as another method's model: its MMTM tensors are refused by name.
            erm = config_metadata(dict(config, method="erm"), CLASSES, ("rgb", "flow"))
            from bmm_lab.safetensors_io import save_file

            save_file(state, path, erm)
            with self.assertRaisesRegex(ValueError, "unexpected mmtm2.fc_squeeze.weight"):
                load_model(path)
        finally:
            shutil.rmtree(tmp)

    def test_eval_cli_runs_an_exported_greedy_model_with_its_blocks(self):
        from bmm_lab import eval_cli
        from bmm_lab.safetensors_io import save_file

        tmp = tempfile.mkdtemp()
        try:
            torch.manual_seed(4)
            model = AVClassifier(3, "concat", 0.0625, mmtm=True).eval()
            config = read_run_config(json.dumps(run_config(method="greedy")), "run.json")
            save_weights(model, os.path.join(tmp, "w.safetensors"), config_metadata(config, CLASSES, ("spectrogram", "rgb")))
            audio = torch.sin(torch.arange(2 * 16 * 16, dtype=torch.float32)).reshape(2, 1, 16, 16)
            visual = torch.cos(torch.arange(2 * 3 * 16 * 16, dtype=torch.float32)).reshape(2, 3, 1, 16, 16)
            save_file({"audio": audio, "visual": visual}, os.path.join(tmp, "in.safetensors"))
            code, _, err = call_main(eval_cli.main, ["--weights", os.path.join(tmp, "w.safetensors"), "--inputs", os.path.join(tmp, "in.safetensors"), "--out", os.path.join(tmp, "out.safetensors")])
            self.assertEqual(code, 0, err)
            out, _ = load_file(os.path.join(tmp, "out.safetensors"))
            with torch.no_grad():
                want = model(audio, visual)[0]
                with_gates_off = AVClassifier(3, "concat", 0.0625)
                with_gates_off.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("mmtm")})
                plain = with_gates_off.eval()(audio, visual)[0]
            torch.testing.assert_close(out["logits"], want, rtol=1e-5, atol=1e-6)
            self.assertGreater(float((out["logits"] - plain).abs().max()), 1e-3)  # the blocks gated the maps
        finally:
            shutil.rmtree(tmp)


class Config(unittest.TestCase):
    def test_settings_and_the_micro_batch_refusal(self):
        config = make_config({"method": "greedy"})
        self.assertEqual(config["greedy"], {"epsilon": 0.01, "window": 5, "start": 1})
        self.assertIs(validate_config(config), config)
        for micro, batch in ((8, 16), (1, 16)):
            with self.assertRaises(ConfigError) as e:
                validate_config(make_config({"method": "greedy", "microBatch": micro, "batch": batch}))
            self.assertEqual((e.exception.field, str(e.exception)), ("microBatch", MICRO_MESSAGE))
        validate_config(make_config({"method": "greedy", "microBatch": 16, "batch": 16}))  # does not split a batch
        validate_config(make_config({"method": "erm", "microBatch": 8, "batch": 16}))
        with self.assertRaisesRegex(ConfigError, "greedy.window must be an integer >= 1, got 0"):
            validate_config(make_config({"method": "greedy", "greedy": {"window": 0}}))


class Training(unittest.TestCase):
    """python -m bmm_lab.train with method greedy on the trainer tests' tiny pack, against the replay of its trace."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack = self.path("pack")
        simple_pack(self.pack, n_train=8, n_test=4, seed=3)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def train(self, out, *extra, **config):
        doc = run_config(method="greedy", batch=4, **config)
        run = write_run(self.path(out + ".json"), **doc["config"])
        code, stdout, err = call_main(train.main, ["--config", run, "--data", self.pack, "--out", self.path(out), "--workers", "0", "--trace", self.path(out + ".jsonl"), *extra])
        return code, stdout, err, run

    def test_two_epochs_match_the_replay_of_their_trace(self):
        doc = run_config(method="greedy", batch=4)
        start = start_weights(self.path("start.safetensors"), doc)
        code, stdout, err, run = self.train("out", "--weights", start, epochs=2, greedy={"epsilon": 0.01, "window": 1, "start": 1})
        self.assertEqual(code, 0, err)
        steps = read_jsonl(self.path("out.jsonl"))
        self.assertEqual(len(steps), 4)
        self.assertTrue(all(s["blend"] is None and s["coef"] is None and s["perm"] is None for s in steps))
        self.assertEqual([s["greedy"]["hold"] for s in steps[:2]], [None, None])  # epoch 1 is locked (start 1)
        self.assertTrue(all(s["greedy"]["dBDR"] is not None for s in steps[:3]))
        held = [s["greedy"]["hold"] for s in steps]
        self.assertIsNotNone(held[3])  # this run's d exceeds 0.01 at once: epoch 2 holds after its first step
        self.assertEqual(held[3], "audio" if steps[2]["greedy"]["dBDR"] > 0 else "visual")
        self.assertIsNone(steps[3]["greedy"]["dBDR"])
        self.assertRegex(err, r"train: epoch 1: Greedy held the audio gates in 0 steps, the visual gates in 0 \(last d_BDR -?[0-9.e-]+\)")
        metrics = load_checkpoint(self.path("out", "checkpoint.pt"))["metrics"]
        self.assertEqual(metrics[1]["greedy"], {"heldAudio": int(held[3] == "audio"), "heldVisual": int(held[3] == "visual"), "dBDR": steps[2]["greedy"]["dBDR"]})
        self.assertEqual([json.loads(line)["epoch"] for line in stdout.splitlines()[:-1]], [1, 2])
        # The replay, from the same start weights and the trace, ends on the same weights with the same d.
        code, _, err = call_main(replay.main, ["--config", run, "--data", self.pack, "--weights", start, "--trace", self.path("out.jsonl"),
                                               "--out", self.path("replayed.safetensors"), "--steps-out", self.path("steps.jsonl")])
        self.assertEqual(code, 0, err)
        trained, _ = load_file(self.path("out", "model.safetensors"))
        replayed, _ = load_file(self.path("replayed.safetensors"))
        self.assertEqual(list(trained), list(replayed))
        self.assertEqual(sum(n.startswith("mmtm") for n in trained), 18)
        for name in trained:
            self.assertTrue(torch.equal(trained[name], replayed[name]), name)
        own = read_jsonl(self.path("steps.jsonl"))
        self.assertEqual([o["greedy"] for o in own], [s["greedy"] for s in steps])
        self.assertEqual([o["loss"] for o in own], [s["loss"] for s in steps])
        model, _ = load_model(self.path("out", "model.safetensors"))
        self.assertTrue(model.mmtm)

    def test_micro_batches_are_refused(self):
        code, stdout, err, run = self.train("out", epochs=1, microBatch=2)
        self.assertEqual((code, stdout), (2, ""))
        self.assertEqual(err, "error: %s: %s\n" % (run, MICRO_MESSAGE))

    def test_a_resumed_run_keeps_the_gate_means_and_the_schedule(self):
        options = {"epsilon": 0.01, "window": 1, "start": 0}
        code, _, err, _ = self.train("straight", epochs=2, greedy=options)
        self.assertEqual(code, 0, err)
        code, _, err, _ = self.train("resumed", epochs=1, greedy=options)
        self.assertEqual(code, 0, err)
        left = load_checkpoint(self.path("resumed", "checkpoint.pt"))["method_state"]
        self.assertEqual(left["steps"], 2)
        self.assertEqual([tuple(m.shape) for pair in left["means"] for m in pair], [(8,), (8,), (16,), (16,), (32,), (32,)])
        code, _, err, _ = self.train("resumed", "--resume", epochs=2, greedy=options)
        self.assertEqual(code, 0, err)
        straight = read_jsonl(self.path("straight.jsonl"))
        self.assertEqual(read_jsonl(self.path("resumed.jsonl")), straight)
        self.assertTrue(any(s["greedy"]["hold"] is not None for s in straight if s["epoch"] == 2))
        a, _ = load_file(self.path("straight", "model.safetensors"))
        b, _ = load_file(self.path("resumed", "model.safetensors"))
        for name in a:
            self.assertTrue(torch.equal(a[name], b[name]), name)
        # Without the kept state (an older checkpoint) the sums start again: epoch 2's d differ.
        shutil.rmtree(self.path("resumed"))
        os.remove(self.path("resumed.jsonl"))
        self.train("resumed", epochs=1, greedy=options)
        ck = load_checkpoint(self.path("resumed", "checkpoint.pt"))
        del ck["method_state"]
        torch.save(ck, self.path("resumed", "checkpoint.pt"))
        code, _, err, _ = self.train("resumed", "--resume", epochs=2, greedy=options)
        self.assertEqual(code, 0, err)
        again = [s["greedy"]["dBDR"] for s in read_jsonl(self.path("resumed.jsonl")) if s["epoch"] == 2]
        self.assertNotEqual(again, [s["greedy"]["dBDR"] for s in straight if s["epoch"] == 2])


class ReplayTrace(unittest.TestCase):
    """The replay's checks of the trace's ``greedy`` field, and its own d and hold beside the trace's hold."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.pack = os.path.join(self.tmp, "pack")
        simple_pack(self.pack, n_train=4, n_test=2)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def run_replay(self, trace, **config):
        doc = run_config(**config)
        run = write_run(self.path("run.json"), **doc["config"])
        start = start_weights(self.path("start.safetensors"), doc)
        with open(self.path("trace.jsonl"), "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in trace))
        code, _, err = call_main(replay.main, ["--config", run, "--data", self.pack, "--weights", start, "--trace", self.path("trace.jsonl"),
                                               "--out", self.path("final.safetensors"), "--steps-out", self.path("steps.jsonl")])
        return code, err, read_jsonl(self.path("steps.jsonl")) if code == 0 else None

    @staticmethod
    def step(epoch, step, indices, greedy):
        return {"epoch": epoch, "step": step, "indices": indices, "loss": 1.0, "perm": None, "lambda": None, "m": None,
                "weak": None, "coef": None, "blend": None, "greedy": greedy}

    def test_refusals(self):
        plain = {"hold": None, "dBDR": 0.1}
        for method in ("erm", "ogm-ge"):
            code, err, _ = self.run_replay([self.step(1, 0, [0, 1], plain)], method=method)
            self.assertEqual(code, 2)
            self.assertIn('trace.jsonl:1: greedy is {"hold":null,"dBDR":0.1}, but method %s (%s) never records it' % (method, self.path("run.json")), err)
        code, err, _ = self.run_replay([self.step(1, 0, [0, 1], None)], method="greedy")
        self.assertIn("trace.jsonl:1: greedy is null, but method greedy (%s) records it on every step" % self.path("run.json"), err)
        for bad in ({"hold": "both", "dBDR": 0.1}, {"hold": None, "dBDR": "x"}, {"hold": None}, [None, 0.1]):
            code, err, _ = self.run_replay([self.step(1, 0, [0, 1], bad)], method="greedy")
            self.assertEqual(code, 2)
            self.assertIn('trace.jsonl:1: greedy must be null or {hold: "audio", "visual" or null, dBDR: a number or null}', err)
        code, err, _ = self.run_replay([self.step(1, 0, [0, 1], {"hold": "audio", "dBDR": None})], method="greedy")
        self.assertIn('trace.jsonl:1: greedy.hold is "audio" in epoch 1 (0-based 0), before greedy.start 1', err)
        code, err, _ = self.run_replay([self.step(1, 0, [0, 1], {"hold": "audio", "dBDR": None})], method="greedy", greedy={"start": 0})
        self.assertIn('greedy.hold is "audio" on the run\'s first step, before any running mean of the gates', err)
        # Absent in an older trace: read as null.
        old = self.step(1, 0, [0, 1], None)
        del old["greedy"]
        code, err, steps = self.run_replay([old, dict(old, step=1, indices=[2, 3])], method="erm", epochs=1)
        self.assertEqual(code, 0, err)
        self.assertEqual([s["greedy"] for s in steps], [None, None])

    def test_the_forward_follows_the_trace_and_the_report_is_its_own(self):
        # epsilon 0, window 1, start 0: this side's schedule holds one modality in step 1 (step 0's d is not 0). The
        # trace holds the other one there; the replay's forward follows the trace (the fc it held kept step 0's
        # weights: no gradient, so Adam skipped it) and its report is its own hold and d.
        options = {"epsilon": 0, "window": 1, "start": 0}
        first = self.step(1, 0, [0, 1], {"hold": None, "dBDR": 0.0})
        code, err, own = self.run_replay([first], method="greedy", greedy=options)
        self.assertEqual(code, 0, err)
        after0, _ = load_file(self.path("final.safetensors"))
        mine = "audio" if own[0]["greedy"]["dBDR"] > 0 else "visual"
        other = "visual" if mine == "audio" else "audio"
        trace = [first, self.step(1, 1, [2, 3], {"hold": other, "dBDR": None})]
        code, err, own = self.run_replay(trace, method="greedy", greedy=options)
        self.assertEqual(code, 0, err)
        self.assertEqual(own[1]["greedy"], {"hold": mine, "dBDR": None})  # its own schedule's, not the trace's
        final, _ = load_file(self.path("final.safetensors"))
        for k in (2, 3, 4):
            for part in ("weight", "bias"):
                held, free = "mmtm%d.fc_%s.%s" % (k, other, part), "mmtm%d.fc_%s.%s" % (k, mine, part)
                self.assertTrue(torch.equal(final[held], after0[held]), held)
                self.assertFalse(torch.equal(final[free], after0[free]), free)

if __name__ == "__main__":
    unittest.main()
