"""Tests of the PyTorch model, its safetensors I/O and the loader. Run from the repository root:

    /usr/bin/python3 -m unittest discover -s python/tests
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bmm_lab import AVClassifier, load_model, parse_metadata, scaled_width  # noqa: E402
from bmm_lab.safetensors_io import SafetensorsError, decode_numpy, encode, load_file, save_file  # noqa: E402
from bmm_lab.state_dict_spec import spec  # noqa: E402


def randomise_bn(model, seed=0):
    """Non-trivial running statistics and affine parameters, so loading them matters."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=g) * 0.1)
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
    return model


def lab_metadata(fusion, classes, width, audio_shape=(1, 257, 188), visual_shape=(3, 1, 112, 112)):
    return {
        "format_version": "1",
        "class_names": json.dumps(["c%d" % i for i in range(classes)]),
        "num_classes": str(classes),
        "fusion": fusion,
        "method": "bmm",
        "preset": "test",
        "width": str(width),
        "audio_shape": json.dumps(list(audio_shape), separators=(",", ":")),
        "visual_shape": json.dumps(list(visual_shape), separators=(",", ":")),
    }


class StateDictNames(unittest.TestCase):
    def test_concat_width1_names_and_shapes(self):
        sd = AVClassifier(6, "concat").state_dict()
        self.assertEqual(len(sd), 242)  # 120 per encoder + fc_out weight and bias
        expect = {
            "audio_net.conv1.weight": [64, 1, 7, 7],
            "visual_net.conv1.weight": [64, 3, 7, 7],
            "audio_net.bn1.weight": [64],
            "audio_net.bn1.running_var": [64],
            "audio_net.bn1.num_batches_tracked": [],
            "audio_net.layer1.0.conv1.weight": [64, 64, 3, 3],
            "audio_net.layer1.1.bn2.running_mean": [64],
            "audio_net.layer2.0.conv1.weight": [128, 64, 3, 3],
            "audio_net.layer2.0.downsample.0.weight": [128, 64, 1, 1],
            "audio_net.layer2.0.downsample.1.num_batches_tracked": [],
            "visual_net.layer3.0.downsample.1.running_var": [256],
            "visual_net.layer4.1.conv2.weight": [512, 512, 3, 3],
            "fusion_module.fc_out.weight": [6, 1024],
            "fusion_module.fc_out.bias": [6],
        }
        for name, shape in expect.items():
            self.assertEqual(list(sd[name].shape), shape, name)
        self.assertEqual(sd["audio_net.bn1.num_batches_tracked"].dtype, torch.int64)
        self.assertFalse(any(k.startswith("audio_net.layer1.0.downsample") for k in sd))
        self.assertFalse(any(k.startswith("audio_net.layer2.1.downsample") for k in sd))
        self.assertEqual(sum(k.endswith("num_batches_tracked") for k in sd), 2 * 20)

    def test_fusion_module_names(self):
        c, d = 5, 512
        want = {
            "concat": {"fc_out.weight": [c, 2 * d], "fc_out.bias": [c]},
            "sum": {"fc_x.weight": [c, d], "fc_x.bias": [c], "fc_y.weight": [c, d], "fc_y.bias": [c]},
            "film": {"fc.weight": [2 * d, d], "fc.bias": [2 * d], "fc_out.weight": [c, d], "fc_out.bias": [c]},
            "gated": {
                "fc_x.weight": [d, d], "fc_x.bias": [d], "fc_y.weight": [d, d], "fc_y.bias": [d],
                "fc_out.weight": [c, d], "fc_out.bias": [c],
            },
            "decision": {"head_a.weight": [c, d], "head_a.bias": [c], "head_v.weight": [c, d], "head_v.bias": [c]},
        }
        for fusion, names in want.items():
            sd = AVClassifier(c, fusion).state_dict()
            got = {k[len("fusion_module."):]: list(v.shape) for k, v in sd.items() if k.startswith("fusion_module.")}
            self.assertEqual(got, names, fusion)

    def test_width_rule_matches_js_math_round(self):
        self.assertEqual([scaled_width(b, 0.25) for b in (64, 128, 256, 512)], [16, 32, 64, 128])
        self.assertEqual([scaled_width(b, 0.1) for b in (64, 128, 256, 512)], [6, 13, 26, 51])
        self.assertEqual(scaled_width(5, 0.5), 3)  # 2.5 rounds up, as Math.round (Python's round gives 2)
        self.assertEqual(scaled_width(64, 0.001), 1)
        sd = AVClassifier(3, "film", width=0.1, audio_channels=1, visual_channels=2).state_dict()
        self.assertEqual(list(sd["visual_net.conv1.weight"].shape), [6, 2, 7, 7])
        self.assertEqual(list(sd["audio_net.layer2.0.downsample.0.weight"].shape), [13, 6, 1, 1])
        self.assertEqual(list(sd["fusion_module.fc.weight"].shape), [102, 51])
        self.assertFalse(any(".layer1.0.downsample" in k for k in sd))

    def test_spec_script_matches_the_model(self):
        out = subprocess.run(
            [sys.executable, "-m", "bmm_lab.state_dict_spec", "--fusion", "gated", "--classes", "4",
             "--width", "0.25", "--audio-channels", "1", "--visual-channels", "2"],
            cwd=PYTHON_DIR, check=True, capture_output=True, text=True,
        ).stdout
        got = json.loads(out)
        sd = AVClassifier(4, "gated", 0.25, 1, 2).state_dict()
        self.assertEqual(list(got), list(sd))
        self.assertEqual(got, {k: list(v.shape) for k, v in sd.items()})
        typed = spec("concat", 2, dtypes=True)
        self.assertEqual(typed["audio_net.bn1.num_batches_tracked"], {"dtype": "I64", "shape": []})
        self.assertEqual(typed["fusion_module.fc_out.weight"], {"dtype": "F32", "shape": [2, 1024]})


class Forward(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)

    def test_feature_map_and_output_shapes(self):
        model = AVClassifier(6, "concat").eval()
        audio = torch.randn(2, 1, 257, 188)
        with torch.no_grad():
            self.assertEqual(list(model.audio_net(audio).shape), [2, 512, 9, 6])
            self.assertEqual(list(model.visual_net(torch.randn(2, 3, 224, 224)).shape), [2, 512, 7, 7])
            self.assertEqual(list(model.visual_net(torch.randn(2, 3, 112, 112)).shape), [2, 512, 4, 4])
            for size, t in ((224, 1), (112, 3)):
                outs = model(audio, torch.randn(2, 3, t, size, size))
                self.assertEqual([list(o.shape) for o in outs], [[2, 6]] * 3)
                z_a, z_v, fused = model.features(audio, torch.randn(2, 3, t, size, size))
                self.assertEqual([list(z_a.shape), list(z_v.shape), list(fused.shape)], [[2, 512], [2, 512], [2, 1024]])

    def test_visual_feature_is_mean_over_frames(self):
        model = randomise_bn(AVClassifier(3, "sum", width=0.25)).eval()
        audio = torch.randn(2, 1, 64, 48)
        visual = torch.randn(2, 3, 3, 32, 32)
        with torch.no_grad():
            _, z_v = model.encode(audio, visual)
            per_frame = [model.encode(audio, visual[:, :, i : i + 1])[1] for i in range(3)]
        torch.testing.assert_close(z_v, sum(per_frame) / 3, rtol=1e-5, atol=1e-6)

    def test_unimodal_logits_zero_the_other_feature(self):
        model = AVClassifier(4, "concat", width=0.25).eval()
        with torch.no_grad():
            model.fusion_module.fc_out.bias.normal_()
            z_a, z_v, _ = model.features(torch.randn(3, 1, 64, 48), torch.randn(3, 3, 1, 32, 32))
            logits, la, lv = model.heads(z_a, z_v)
            w, b = model.fusion_module.fc_out.weight, model.fusion_module.fc_out.bias
            d = model.dim
            torch.testing.assert_close(la, z_a @ w[:, :d].T + b)
            torch.testing.assert_close(lv, z_v @ w[:, d:].T + b)
            torch.testing.assert_close(logits, z_a @ w[:, :d].T + z_v @ w[:, d:].T + b)

    def test_decision_fusion_is_the_mean_of_the_heads(self):
        model = AVClassifier(5, "decision", width=0.25).eval()
        with torch.no_grad():
            z_a, z_v, _ = model.features(torch.randn(2, 1, 64, 48), torch.randn(2, 3, 1, 32, 32))
            logits, _, _ = model.heads(z_a, z_v)
            fm = model.fusion_module
            torch.testing.assert_close(logits, (fm.head_a(z_a) + fm.head_v(z_v)) / 2)

    def test_film_gamma_is_first_half_and_conditions_visual(self):
        model = AVClassifier(3, "film", width=0.125).eval()
        fm = model.fusion_module
        d = model.dim
        z_a, z_v = torch.randn(2, d), torch.randn(2, d)
        with torch.no_grad():
            h = z_a @ fm.fc.weight.T + fm.fc.bias
            gamma, beta = h[:, :d], h[:, d:]
            torch.testing.assert_close(fm(z_a, z_v), fm.fc_out(gamma * z_v + beta))

    def test_gated_fusion(self):
        model = AVClassifier(3, "gated", width=0.125).eval()
        fm = model.fusion_module
        z_a, z_v = torch.randn(2, model.dim), torch.randn(2, model.dim)
        with torch.no_grad():
            torch.testing.assert_close(fm(z_a, z_v), fm.fc_out(torch.sigmoid(fm.fc_x(z_a)) * fm.fc_y(z_v)))


PAIRS = (("spectrogram", "rgb"), ("spectrogram", "flow"), ("rgb", "flow"))
CHANNELS = {"spectrogram": 1, "rgb": 3, "flow": 2}


def branch_input(kind, n=2, t=2, size=32, h=64, w=48):
    """A random input of a branch kind: a spectrogram [N, 1, H, W], frames [N, C, T, S, S]."""
    if kind == "spectrogram":
        return torch.randn(n, 1, h, w)
    return torch.randn(n, CHANNELS[kind], t, size, size)


class BranchKinds(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)

    def test_every_pair_builds_and_encodes(self):
        for pair in PAIRS:
            model = AVClassifier(3, "concat", width=1 / 16, modalities=pair).eval()
            self.assertEqual(model.modalities, pair)
            sd = model.state_dict()
            self.assertEqual(list(sd["audio_net.conv1.weight"].shape), [4, CHANNELS[pair[0]], 7, 7], pair)
            self.assertEqual(list(sd["visual_net.conv1.weight"].shape), [4, CHANNELS[pair[1]], 7, 7], pair)
            self.assertEqual(len(sd), 242)
            with torch.no_grad():
                z_a, z_v = model.encode(branch_input(pair[0], n=3), branch_input(pair[1], n=3))
                logits = model(branch_input(pair[0], n=3), branch_input(pair[1], n=3))
            self.assertEqual([list(z_a.shape), list(z_v.shape)], [[3, 32], [3, 32]])
            self.assertEqual([list(o.shape) for o in logits], [[3, 3]] * 3)

    def test_a_frame_first_branch_averages_over_frames(self):
        model = randomise_bn(AVClassifier(3, "sum", width=0.25, modalities=("rgb", "flow"))).eval()
        rgb, flow = torch.randn(2, 3, 3, 32, 32), torch.randn(2, 2, 3, 32, 32)
        with torch.no_grad():
            z_a, z_v = model.encode(rgb, flow)
            per_frame = [model.encode(rgb[:, :, i : i + 1], flow[:, :, i : i + 1]) for i in range(3)]
            # By hand: each frame through audio_net alone, the [N, d, h, w] maps averaged over frames, h and w.
            maps = torch.stack([model.audio_net(rgb[:, :, i]) for i in range(3)], 1)
        torch.testing.assert_close(z_a, sum(z[0] for z in per_frame) / 3, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(z_v, sum(z[1] for z in per_frame) / 3, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(z_a, maps.mean(dim=(1, 3, 4)), rtol=1e-5, atol=1e-6)

    def test_inputs_of_the_wrong_rank_or_channels_are_refused(self):
        model = AVClassifier(3, "concat", width=1 / 16, modalities=("rgb", "flow"))
        rgb, flow = branch_input("rgb"), branch_input("flow")
        with self.assertRaisesRegex(ValueError, r"audio \(the first branch, rgb\) must be \[N, 3, T, H, W\], got shape \[2, 1, 64, 48\]"):
            model.encode(branch_input("spectrogram"), flow)
        with self.assertRaisesRegex(ValueError, r"visual \(the second branch, flow\) must be \[N, 2, T, H, W\], got shape \[2, 3, 2, 32, 32\]"):
            model.encode(rgb, rgb)
        old = AVClassifier(3, "concat", width=1 / 16)
        with self.assertRaisesRegex(ValueError, r"audio \(the first branch, spectrogram\) must be \[N, 1, H, W\], got shape \[2, 3, 2, 32, 32\]"):
            old.encode(rgb, rgb)

    def test_unsupported_pairs_are_refused_naming_the_supported_ones(self):
        supported = r'the lab trains \["spectrogram","rgb"\], \["spectrogram","flow"\], \["rgb","flow"\]'
        for pair in (("rgb", "spectrogram"), ("flow", "rgb"), ("spectrogram", "spectrogram"), ("rgb", "rgb"), ("spectrogram", "depth")):
            with self.assertRaisesRegex(ValueError, r"modalities \[%s\] are not supported: %s" % (",".join('"%s"' % k for k in pair), supported)):
                AVClassifier(3, modalities=pair)

    def test_the_channel_keywords_still_name_the_pair(self):
        self.assertEqual(AVClassifier(3, "concat", 1 / 16, 1, 2).modalities, ("spectrogram", "flow"))
        self.assertEqual(AVClassifier(3, "concat", 1 / 16, 3, 2).modalities, ("rgb", "flow"))
        self.assertEqual(AVClassifier(3, "concat", 1 / 16, visual_channels=3).modalities, ("spectrogram", "rgb"))
        self.assertEqual(AVClassifier(3).modalities, ("spectrogram", "rgb"))
        with self.assertRaisesRegex(ValueError, r"visual_channels 3 disagrees with modalities \['spectrogram', 'flow'\] \(flow has 2\)"):
            AVClassifier(3, visual_channels=3, modalities=("spectrogram", "flow"))
        with self.assertRaisesRegex(ValueError, r"audio_channels 4 is no branch kind's channel count"):
            AVClassifier(3, audio_channels=4)

    def test_spec_script_takes_modalities(self):
        out = subprocess.run(
            [sys.executable, "-m", "bmm_lab.state_dict_spec", "--fusion", "sum", "--classes", "3", "--width", "0.0625", "--modalities", "rgb,flow"],
            cwd=PYTHON_DIR, check=True, capture_output=True, text=True,
        ).stdout
        got = json.loads(out)
        self.assertEqual(got["audio_net.conv1.weight"], [4, 3, 7, 7])
        self.assertEqual(got["visual_net.conv1.weight"], [4, 2, 7, 7])
        self.assertEqual(got, spec("sum", 3, 0.0625, modalities=("rgb", "flow")))

    def test_loader_rebuilds_every_pair_from_its_metadata(self):
        shapes = {"spectrogram": [1, 64, 48], "rgb": [3, 2, 32, 32], "flow": [2, 2, 32, 32]}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.safetensors")
            for pair in PAIRS:
                model = randomise_bn(AVClassifier(3, "gated", width=1 / 16, modalities=pair)).eval()
                meta = dict(lab_metadata("gated", 3, 0.0625, shapes[pair[0]], shapes[pair[1]]), modalities=json.dumps(list(pair), separators=(",", ":")))
                save_file(model.state_dict(), path, meta)
                loaded, _ = load_model(path)
                self.assertEqual(loaded.modalities, pair)
                a, v = branch_input(pair[0]), branch_input(pair[1])
                with torch.no_grad():
                    for x, y in zip(model(a, v), loaded(a, v)):
                        self.assertTrue(torch.equal(x, y), pair)
        # Metadata written before modalities: a spectrogram, then flow for 2 channels, else rgb.
        self.assertEqual(parse_metadata(lab_metadata("sum", 2, 1, visual_shape=(2, 1, 16, 16)))["modalities"], ("spectrogram", "flow"))
        self.assertEqual(parse_metadata(lab_metadata("sum", 2, 1))["modalities"], ("spectrogram", "rgb"))
        no_shapes = {k: v for k, v in lab_metadata("sum", 2, 1).items() if not k.endswith("_shape")}
        self.assertEqual(parse_metadata(no_shapes)["modalities"], ("spectrogram", "rgb"))

    def test_loader_refuses_metadata_whose_shapes_disagree_with_the_modalities(self):
        rgb_flow = '["rgb","flow"]'
        cases = [
            (dict(lab_metadata("sum", 2, 1), modalities=rgb_flow), r"metadata audio_shape must be a JSON array of 4 integers \[C, T, H, W\] for a rgb branch"),
            (dict(lab_metadata("sum", 2, 1, (3, 1, 16, 16), (3, 1, 16, 16)), modalities=rgb_flow), r"metadata visual_shape \[3,1,16,16\] has 3 channels, but a flow branch"),
            (dict(lab_metadata("sum", 2, 1), modalities='["flow","rgb"]'), r'metadata modalities \["flow","rgb"\] are not supported'),
            (dict(lab_metadata("sum", 2, 1), modalities="rgb"), r"metadata 'modalities' must be a JSON array of two branch kinds"),
        ]
        for meta, pattern in cases:
            with self.assertRaisesRegex(ValueError, pattern):
                parse_metadata(meta)

    def test_eval_cli_runs_an_rgb_flow_model(self):
        model = randomise_bn(AVClassifier(3, "concat", width=1 / 16, modalities=("rgb", "flow"))).eval()
        rgb, flow = branch_input("rgb", n=3), branch_input("flow", n=3)
        with tempfile.TemporaryDirectory() as tmp:
            w, i, o = (os.path.join(tmp, n) for n in ("w.safetensors", "in.safetensors", "out.safetensors"))
            meta = dict(lab_metadata("concat", 3, 0.0625, (3, 2, 32, 32), (2, 2, 32, 32)), modalities='["rgb","flow"]')
            save_file(model.state_dict(), w, meta)
            save_file({"audio": rgb, "visual": flow}, i)
            subprocess.run([sys.executable, "-m", "bmm_lab.eval_cli", "--weights", w, "--inputs", i, "--out", o], cwd=PYTHON_DIR, check=True)
            out, _ = load_file(o)
            with torch.no_grad():
                want = model(rgb, flow)
            for name, t in zip(("logits", "logits_audio", "logits_visual"), want):
                torch.testing.assert_close(out[name], t, rtol=1e-5, atol=1e-6)
            save_file({"audio": rgb[:, :, 0], "visual": flow}, i)
            r = subprocess.run([sys.executable, "-m", "bmm_lab.eval_cli", "--weights", w, "--inputs", i, "--out", o], cwd=PYTHON_DIR, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)
            self.assertIn("audio (the first branch, rgb) must be [N, 3, T, H, W], got shape [3, 3, 32, 32]", r.stderr)


class SaveLoad(unittest.TestCase):
    def test_round_trip_gives_identical_logits(self):
        torch.manual_seed(1)
        with tempfile.TemporaryDirectory() as tmp:
            for fusion in ("concat", "sum", "film", "gated", "decision"):
                model = randomise_bn(AVClassifier(6, fusion, width=0.25, visual_channels=2)).eval()
                path = os.path.join(tmp, fusion + ".safetensors")
                meta = lab_metadata(fusion, 6, 0.25, visual_shape=(2, 3, 64, 64))
                save_file(model.state_dict(), path, meta)
                loaded, got_meta = load_model(path)
                self.assertEqual(got_meta, meta)
                self.assertFalse(loaded.training)
                audio, visual = torch.randn(2, 1, 257, 188), torch.randn(2, 2, 3, 64, 64)
                with torch.no_grad():
                    for a, b in zip(model(audio, visual), loaded(audio, visual)):
                        self.assertTrue(torch.equal(a, b), fusion)
                state, _ = load_file(path)
                self.assertEqual(state["audio_net.bn1.num_batches_tracked"].dtype, torch.int64)
                self.assertEqual(list(state["audio_net.bn1.num_batches_tracked"].shape), [])

    def test_loader_rejects_bad_metadata_and_mismatched_weights(self):
        model = AVClassifier(2, "sum", width=0.125)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.safetensors")
            bad = dict(lab_metadata("sum", 2, 0.125), format_version="2")
            save_file(model.state_dict(), path, bad)
            with self.assertRaisesRegex(ValueError, "format_version"):
                load_model(path)
            save_file(model.state_dict(), path, dict(lab_metadata("sum", 2, 0.125), num_classes="3"))
            with self.assertRaisesRegex(ValueError, "num_classes 3 != len"):
                load_model(path)
            save_file(model.state_dict(), path, lab_metadata("concat", 2, 0.125))
            with self.assertRaisesRegex(ValueError, r"missing fusion_module.fc_out.weight \[2, 128\]"):
                load_model(path)
            # load_state_dict alone would accept a [1]-shaped or float num_batches_tracked; the loader does not.
            state = model.state_dict()
            state["audio_net.bn1.num_batches_tracked"] = state["audio_net.bn1.num_batches_tracked"].reshape(1)
            state["visual_net.bn1.num_batches_tracked"] = state["visual_net.bn1.num_batches_tracked"].float()
            save_file(state, path, lab_metadata("sum", 2, 0.125))
            with self.assertRaisesRegex(ValueError, r"audio_net.bn1.num_batches_tracked has shape \[1\], expected \[\]"):
                load_model(path)
            with self.assertRaisesRegex(ValueError, "visual_net.bn1.num_batches_tracked has dtype torch.float32"):
                load_model(path)

    def test_eval_cli(self):
        torch.manual_seed(2)
        model = randomise_bn(AVClassifier(4, "film", width=0.25)).eval()
        audio, visual = torch.randn(3, 1, 257, 188), torch.randn(3, 3, 1, 112, 112)
        with tempfile.TemporaryDirectory() as tmp:
            w, i, o = (os.path.join(tmp, n) for n in ("w.safetensors", "in.safetensors", "out.safetensors"))
            save_file(model.state_dict(), w, lab_metadata("film", 4, 0.25))
            save_file({"audio": audio, "visual": visual, "labels": torch.tensor([0, 3, 1])}, i)
            g, s = os.path.join(tmp, "g.safetensors"), os.path.join(tmp, "s.safetensors")
            subprocess.run(
                [sys.executable, "-m", "bmm_lab.eval_cli", "--weights", w, "--inputs", i, "--out", o, "--features"],
                cwd=PYTHON_DIR, check=True,
            )
            out, _ = load_file(o)
            with torch.no_grad():
                want = model(audio, visual)
                z_a, z_v, fused = model.features(audio, visual)
            for name, t in zip(("logits", "logits_audio", "logits_visual"), want):
                self.assertEqual(out[name].dtype, torch.float32)
                torch.testing.assert_close(out[name], t, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(out["fused"], fused, rtol=1e-5, atol=1e-6)
            # Training mode: batch statistics, running averages updated with momentum 0.1, and gradients.
            subprocess.run(
                [sys.executable, "-m", "bmm_lab.eval_cli", "--weights", w, "--inputs", i, "--out", o,
                 "--mode", "train", "--state-out", s, "--grads-out", g],
                cwd=PYTHON_DIR, check=True,
            )
            state, _ = load_file(s)
            grads, _ = load_file(g)
            before = model.state_dict()["audio_net.bn1.num_batches_tracked"]
            self.assertEqual(int(state["audio_net.bn1.num_batches_tracked"]), int(before) + 1)
            self.assertEqual(list(grads["loss"].shape), [])
            self.assertEqual(list(grads["fusion_module.fc.weight"].shape), [2 * model.dim, model.dim])
            self.assertGreater(float(grads["audio_net.conv1.weight"].abs().sum()), 0)


class SafetensorsIO(unittest.TestCase):
    def test_layout_and_round_trip(self):
        tensors = {
            "b": np.array([1.0, -2.0], dtype=np.float32),
            "a": np.array(7, dtype=np.int64),
            "h": torch.tensor([1.0, -0.5], dtype=torch.bfloat16),
        }
        raw = encode(tensors, {"format_version": "1"})
        header = (
            b'{"__metadata__":{"format_version":"1"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
            b'"a":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"h":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}'
        )
        pad = -len(header) % 8
        self.assertEqual(raw[:8], (len(header) + pad).to_bytes(8, "little"))
        self.assertEqual(raw[8 : 8 + len(header) + pad], header + b" " * pad)
        self.assertEqual(raw[8 + len(header) + pad :][:8], bytes([0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]))
        arrays, meta = decode_numpy(raw)
        self.assertEqual(meta, {"format_version": "1"})
        self.assertEqual(arrays["h"].tolist(), [1.0, -0.5])
        self.assertEqual(arrays["a"].shape, ())

    def _file(self, header, data_len, n=None):
        h = header.encode()
        return (len(h) if n is None else n).to_bytes(8, "little") + h + bytes(data_len)

    def test_rejects_hostile_headers(self):
        f32 = '"dtype":"F32","shape":[2]'
        cases = [
            (self._file("{}", 0, n=1000), "larger than the file"),
            (self._file("{}", 0, n=200_000_000), "exceeds the limit"),
            (self._file("{", 0), "not valid JSON"),
            (self._file("[1]", 0), "must be a JSON object"),
            (self._file('{"w":{"shape":[2],"data_offsets":[0,8]}}', 8), "missing 'dtype'"),
            (self._file('{"w":{"dtype":"X","shape":[2],"data_offsets":[0,8]}}', 8), "unknown dtype"),
            (self._file('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', 8), "non-negative integers"),
            (self._file('{"w":{%s,"data_offsets":[0,8]}}' % f32, 4), "outside the data buffer"),
            (self._file('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8), "needs 12 bytes"),
            (self._file('{"a":{%s,"data_offsets":[0,8]},"b":{%s,"data_offsets":[4,12]}}' % (f32, f32), 12), "overlaps"),
            (self._file('{"a":{%s,"data_offsets":[0,8]}}' % f32, 10), "belong to no tensor"),
            (self._file('{"__metadata__":{"k":1}}', 0), "object of strings"),
            (self._file('{"w":{%s,"data_offsets":[0,8]},"w":{%s,"data_offsets":[8,16]}}' % (f32, f32), 16), "duplicate"),
        ]
        for raw, message in cases:
            with self.assertRaisesRegex(SafetensorsError, message):
                decode_numpy(raw)
        with self.assertRaisesRegex(SafetensorsError, "must be strings"):
            encode({}, {"num_classes": 6})


if __name__ == "__main__":
    unittest.main()
