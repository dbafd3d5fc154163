"""The training rules against hand-computed values: losses, MM and B-MM mixing, balance_plan, OGM, Adam, rho."""

import copy
import math
import shutil
import tempfile
import unittest

from support import simple_pack

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from bmm_lab.imbalance import evaluate_split, imbalance_ratio, probability_of_label  # noqa: E402
from bmm_lab.model import AVClassifier  # noqa: E402
from bmm_lab.optim import make_adam, set_lr, step_lr  # noqa: E402
from bmm_lab.pack import load_pack  # noqa: E402
from bmm_lab.rules import (  # noqa: E402
    balance_plan,
    bmm_loss,
    epoch_rho,
    is_encoder_conv_kernel,
    mix_features,
    mix_weak_inputs,
    modulate_gradients,
    ogm_active,
    ogm_coefficient_tensors,
    ogm_coefficients,
    ogm_loss,
    planned_rho,
    soft_cross_entropy,
)
from bmm_lab.unimodal import Unimodal  # noqa: E402

BMM = {"beta": 1, "warmup": 5, "coef": "tanh(beta*(r-1))", "level": "input", "targets": "weak", "sample": "fixed", "maxM": 1, "rhoSmoothing": 0}


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


class Losses(unittest.TestCase):
    def test_soft_cross_entropy(self):
        # softmax([0, ln 3]) = (1/4, 3/4).
        logits = t([[0.0, math.log(3)], [0.0, math.log(3)]])
        got = soft_cross_entropy(logits, t([[0.5, 0.5], [0.0, 1.0]]))
        want = (-(0.5 * math.log(0.25) + 0.5 * math.log(0.75)) - math.log(0.75)) / 2
        self.assertAlmostEqual(float(got), want, places=6)
        x = torch.randn(4, 3)
        y = torch.tensor([0, 2, 1, 2])
        torch.testing.assert_close(soft_cross_entropy(x, F.one_hot(y, 3).float()), F.cross_entropy(x, y))


class Mixing(unittest.TestCase):
    def test_mm_mixes_both_features_and_the_targets_with_lambda(self):
        z_a = t([[1, 2], [3, 4], [5, 6]])
        z_v = t([[10, 0], [20, 0], [30, 0]])
        y = t([[1, 0], [0, 1], [1, 0]])
        a, v, targets = mix_features(z_a, z_v, y, 0.25, [2, 0, 1])
        # 0.25 x + 0.75 x[p], p = (2, 0, 1)
        torch.testing.assert_close(a, t([[4, 5], [1.5, 2.5], [3.5, 4.5]]))
        torch.testing.assert_close(v, t([[25, 0], [12.5, 0], [22.5, 0]]))
        torch.testing.assert_close(targets, t([[1, 0], [0.75, 0.25], [0.25, 0.75]]))

    def test_bmm_mixes_only_the_weak_input(self):
        audio = t([[1.0], [3.0]]).reshape(2, 1, 1, 1)
        visual = t([[2.0], [6.0]]).reshape(2, 1, 1, 1, 1)
        y = t([[1, 0], [0, 1]])
        a, v, targets = mix_weak_inputs(audio, visual, y, "audio", 0.25, [1, 0], "weak")
        # (1 - m) x + m x[p] with m = 0.25
        torch.testing.assert_close(a.flatten(), t([1.5, 2.5]))
        self.assertIs(v, visual)  # the strong input is untouched, bit for bit
        torch.testing.assert_close(targets, t([[0.75, 0.25], [0.25, 0.75]]))
        a, v, targets = mix_weak_inputs(audio, visual, y, "visual", 0.5, [1, 0], "original")
        self.assertIs(a, audio)
        torch.testing.assert_close(v.flatten(), t([4.0, 4.0]))
        self.assertIs(targets, y)
        with self.assertRaises(ValueError):
            mix_weak_inputs(audio, visual, y, None, 0.5, [1, 0])

    def test_bmm_feature_level_mixes_the_weak_feature(self):
        torch.manual_seed(0)
        model = AVClassifier(2, "concat", width=1 / 16).eval()
        audio, visual = torch.randn(3, 1, 16, 16), torch.randn(3, 3, 1, 16, 16)
        y = t([[1, 0], [0, 1], [1, 0]])
        perm, m = [1, 2, 0], 0.3
        got = bmm_loss(model, audio, visual, y, "visual", m, perm, dict(BMM, level="feature"))
        with torch.no_grad():
            z_a, z_v = model.encode(audio, visual)
            z_v = 0.7 * z_v + 0.3 * z_v[perm]
            want = -(F.log_softmax(model.fusion_module(z_a, z_v), 1) * (0.7 * y + 0.3 * y[perm])).sum(1).mean()
        self.assertAlmostEqual(float(got.loss), float(want), places=5)
        plain = bmm_loss(model, audio, visual, y, None, None, None, BMM)
        with torch.no_grad():
            self.assertAlmostEqual(float(plain.loss), float(soft_cross_entropy(model(audio, visual)[0], y)), places=6)


class BalancePlan(unittest.TestCase):
    def test_weak_modality_and_m(self):
        self.assertEqual(balance_plan(2.0, 5, BMM), ("visual", math.tanh(1)))  # r = 2: tanh(1 * (2 - 1))
        self.assertEqual(balance_plan(0.5, 5, BMM), ("audio", math.tanh(1)))  # r = 1/0.5 = 2
        self.assertEqual(balance_plan(1.0, 5, BMM), ("audio", 0.0))  # balanced: m = 0
        self.assertEqual(balance_plan(4.0, 6, dict(BMM, beta=0.5)), ("visual", math.tanh(1.5)))
        self.assertEqual(balance_plan(2.0, 5, dict(BMM, beta=0.5, coef="tanh(beta*r)")), ("visual", math.tanh(1)))
        self.assertEqual(balance_plan(3.0, 5, dict(BMM, maxM=0.5)), ("visual", 0.5))
        self.assertAlmostEqual(balance_plan(1.2, 5, dict(BMM, maxM=0.5)).m, math.tanh(0.2), places=12)

    def test_no_balancing_in_warm_up_or_for_degenerate_rho(self):
        for rho, epoch in ((2.0, 4), (None, 9), (math.inf, 9), (0.0, 9), (-1.0, 9), (math.nan, 9)):
            self.assertEqual(balance_plan(rho, epoch, BMM), (None, 0.0), (rho, epoch))
        self.assertEqual(balance_plan(2.0, 0, dict(BMM, warmup=0)).weak, "visual")

    def test_smoothed_rho(self):
        self.assertEqual(planned_rho([2, 0.5], 0), 0.5)
        self.assertAlmostEqual(planned_rho([2, 0.5], 0.5), 1.0, places=12)  # exp(0.5 ln 2 + 0.5 ln 0.5)
        self.assertAlmostEqual(planned_rho([4, 2, 1], 0.75), 4 ** 0.5625 * 2 ** 0.1875, places=12)
        self.assertEqual(planned_rho([math.inf, 0, 2], 0.5), 2)
        self.assertIsNone(planned_rho([], 0.5))
        self.assertEqual(epoch_rho(0.8, [2, 2, 0.8], BMM), 0.8)
        self.assertGreater(epoch_rho(0.8, [2, 2, 0.8], dict(BMM, rhoSmoothing=0.8)), 1)


class Ogm(unittest.TestCase):
    def test_coefficients(self):
        # s_a = 3, s_v = 1: ratio_a = 3 > 1, so audio is strong: k_a = 1 - tanh(0.8 * 3).
        self.assertEqual(ogm_coefficients(3, 1, 0.8), {"audio": 1 - math.tanh(2.4), "visual": 1.0})
        self.assertEqual(ogm_coefficients(1, 4, 0.5), {"audio": 1.0, "visual": 1 - math.tanh(2.0)})
        self.assertEqual(ogm_coefficients(2, 2, 0.8), {"audio": 1.0, "visual": 1.0})
        self.assertEqual(ogm_coefficients(0, 0, 0.8), {"audio": 1.0, "visual": 1.0})
        self.assertEqual(ogm_coefficients(0, 2, 0.8), {"audio": 1.0, "visual": 0.0})
        self.assertEqual(ogm_coefficients(2, 0, 0.8), {"audio": 0.0, "visual": 1.0})
        for sa, sv in ((3.0, 1.0), (1.0, 4.0), (2.0, 2.0)):
            k_a, k_v = ogm_coefficient_tensors(torch.tensor(sa), torch.tensor(sv), 0.8)
            want = ogm_coefficients(sa, sv, 0.8)
            self.assertAlmostEqual(float(k_a), want["audio"], places=6)
            self.assertAlmostEqual(float(k_v), want["visual"], places=6)

    def test_window_includes_both_ends(self):
        o = {"start": 1, "end": 3}
        self.assertEqual([ogm_active(e, o) for e in range(5)], [False, True, True, True, False])

    def test_batch_coefficients_from_the_unimodal_scores(self):
        torch.manual_seed(1)
        model = AVClassifier(3, "concat", width=1 / 16).train()
        audio, visual = torch.randn(4, 1, 16, 16), torch.randn(4, 3, 1, 16, 16)
        y = F.one_hot(torch.tensor([0, 1, 2, 0]), 3).float()
        ref = copy.deepcopy(model)
        got = ogm_loss(model, audio, visual, y, 0.8, True)
        with torch.no_grad():
            _, la, lv = ref(audio, visual)
            sa = float((F.softmax(la, 1) * y).sum())
            sv = float((F.softmax(lv, 1) * y).sum())
        want = ogm_coefficients(sa, sv, 0.8)
        self.assertAlmostEqual(float(got.coef["audio"]), want["audio"], places=5)
        self.assertAlmostEqual(float(got.coef["visual"]), want["visual"], places=5)
        self.assertIsNone(ogm_loss(model, audio, visual, y, 0.8, False).coef)

    def grads(self, model):
        for p in model.parameters():
            p.grad = torch.full_like(p, 2.0)
            p.grad.view(-1)[0] = -1.0

    def test_modulation_scales_the_strong_encoders_conv_kernels(self):
        model = AVClassifier(2, "sum", width=1 / 16)
        self.grads(model)
        before = {n: p.grad.clone() for n, p in model.named_parameters()}
        modulate_gradients(model, {"audio": torch.tensor(0.25), "visual": torch.tensor(1.0)}, "ogm")
        for name, p in model.named_parameters():
            scale = 0.25 if is_encoder_conv_kernel(name, p.shape, "audio_net") else 1.0
            torch.testing.assert_close(p.grad, before[name] * scale, msg=name)
        self.assertTrue(is_encoder_conv_kernel("audio_net.layer2.0.downsample.0.weight", (8, 4, 1, 1), "audio_net"))
        self.assertFalse(is_encoder_conv_kernel("audio_net.bn1.weight", (4,), "audio_net"))

    def test_ogm_ge_adds_noise_with_the_gradients_std_to_the_strong_encoder_only(self):
        model = AVClassifier(2, "sum", width=1 / 16)
        self.grads(model)
        before = {n: p.grad.clone() for n, p in model.named_parameters()}
        modulate_gradients(model, {"audio": torch.tensor(1.0), "visual": torch.tensor(0.5)}, "ogm-ge", torch.Generator().manual_seed(7))
        replay = torch.Generator().manual_seed(7)
        for name, p in model.named_parameters():
            g = before[name]
            if is_encoder_conv_kernel(name, p.shape, "visual_net"):
                std = float(np.std(g.numpy(), ddof=1))
                noise = torch.randn(g.shape, generator=replay) * (std + 1e-8)
                torch.testing.assert_close(p.grad, g * 0.5 + noise, msg=name)
            else:
                torch.testing.assert_close(p.grad, g, msg=name)


class Adam(unittest.TestCase):
    def test_two_steps_against_the_closed_form(self):
        lr, wd, b1, b2, eps = 0.01, 0.1, 0.9, 0.999, 1e-8
        model = torch.nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        opt = make_adam(model, lr, wd)
        p = np.array([1.0, -2.0])
        m = np.zeros(2)
        v = np.zeros(2)
        for step, grad in enumerate(([0.5, 0.25], [-1.0, 0.5]), start=1):
            model.weight.grad = torch.tensor([grad])
            opt.step()
            g = np.array(grad) + wd * p  # L2 weight decay added to the gradient
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            p = p - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
            if step == 1:
                # m^ = g, v^ = g^2: the first step moves each weight by lr against the sign of its gradient.
                np.testing.assert_allclose(p, np.array([1.0, -2.0]) - lr * np.sign(np.array(grad) + wd * np.array([1.0, -2.0])), rtol=1e-6)
            np.testing.assert_allclose(model.weight.detach().numpy()[0], p, rtol=1e-6)

    def test_step_lr(self):
        schedule = {"step": 2, "gamma": 0.1}
        self.assertEqual([step_lr(1e-3, e, schedule) for e in range(5)], [1e-3, 1e-3, 1e-3 * 0.1, 1e-3 * 0.1, 1e-3 * 0.1**2])
        self.assertEqual(step_lr(1e-3, 7, None), 1e-3)
        opt = make_adam(torch.nn.Linear(1, 1), 1.0, 0.0)
        set_lr(opt, 0.5)
        self.assertEqual(opt.param_groups[0]["lr"], 0.5)


class Imbalance(unittest.TestCase):
    def test_scores_and_ratio(self):
        p = probability_of_label(np.array([[0.0, math.log(3)], [1000.0, 1000.0]]), [1, 0])
        np.testing.assert_allclose(p, [0.75, 0.5])
        self.assertEqual(imbalance_ratio(3.0, 1.5), 2.0)
        self.assertEqual(imbalance_ratio(0.0, 0.0), 1.0)
        self.assertEqual(imbalance_ratio(1.0, 0.0), math.inf)

    def test_evaluation_pass_gives_rho_and_accuracy_per_head(self):
        tmp = tempfile.mkdtemp()
        try:
            simple_pack(tmp, n_train=5, n_test=2)
            pack = load_pack(tmp)
            torch.manual_seed(3)
            model = AVClassifier(3, "concat", width=1 / 16).train()
            ev = evaluate_split(model, pack.train, 2)
            self.assertTrue(model.training)
            model.eval()
            with torch.no_grad():
                audio, visual, labels = pack.train.inputs(range(5))
                logits, la, lv = model(audio, visual)
            sa = sum(float(F.softmax(la, 1)[i, labels[i]]) for i in range(5))
            sv = sum(float(F.softmax(lv, 1)[i, labels[i]]) for i in range(5))
            self.assertAlmostEqual(ev.rho(), sa / sv, places=5)
            self.assertEqual(ev.count, 5)
            self.assertAlmostEqual(ev.accuracy("fused"), float((logits.argmax(1) == labels).float().mean()), places=6)
            self.assertAlmostEqual(ev.accuracy("audio"), float((la.argmax(1) == labels).float().mean()), places=6)
            # unimodal = mean: the training-set feature means are measured in the same pass and kept.
            uni = Unimodal("mean")
            ev = evaluate_split(model, pack.train, 2, unimodal=uni, measure_means=True)
            with torch.no_grad():
                z_a, z_v = model.encode(audio, visual)
                torch.testing.assert_close(uni.means[0], z_a.mean(0, keepdim=True))
                ua = model.fusion_module(z_a, z_v.mean(0, keepdim=True).expand(5, -1))
                uv = model.fusion_module(z_a.mean(0, keepdim=True).expand(5, -1), z_v)
            sa = sum(float(F.softmax(ua, 1)[i, labels[i]]) for i in range(5))
            sv = sum(float(F.softmax(uv, 1)[i, labels[i]]) for i in range(5))
            self.assertAlmostEqual(ev.rho(), sa / sv, places=5)
        finally:
            shutil.rmtree(tmp)


class UnimodalScores(unittest.TestCase):
    """The TS fusion test's hand values (d = 2, C = 2), with PyTorch's [out, in] weights."""

    def model(self, fusion, weights):
        model = AVClassifier(2, fusion, width=1 / 256)  # d = round(512 / 256) = 2
        with torch.no_grad():
            for name, value in weights.items():
                getattr(model.fusion_module, name.split(".")[0]).__getattr__(name.split(".")[1]).copy_(torch.tensor(value))
        return model

    def logits(self, model, mode, means=False):
        uni = Unimodal(mode)
        if means:
            uni.set_means(t([[10, 20]]), t([[30, 40]]))
        with torch.no_grad():
            a, v = uni.logits(model, t([[1, 2]]), t([[3, 4]]))
        return a[0].tolist(), v[0].tolist()

    def test_zero_mean_and_half_bias(self):
        concat = self.model("concat", {"fc_out.weight": [[1.0, 0, 1, 2], [0, 1, 1, 0]], "fc_out.bias": [10.0, 20]})
        self.assertEqual(self.logits(concat, "zero"), ([11, 22], [21, 23]))
        self.assertEqual(self.logits(concat, "mean", True), ([1 + 110 + 10, 2 + 30 + 20], [10 + 11 + 10, 20 + 3 + 20]))
        self.assertEqual(self.logits(concat, "half-bias"), ([6, 12], [16, 13]))
        s = self.model("sum", {"fc_x.weight": [[1.0, 0], [0, 1]], "fc_x.bias": [1.0, 1], "fc_y.weight": [[1.0, 1], [1, 1]], "fc_y.bias": [100.0, 100]})
        self.assertEqual(self.logits(s, "half-bias"), ([2, 3], [107, 107]))
        self.assertEqual(self.logits(s, "zero"), ([102, 103], [108, 108]))
        d = self.model("decision", {"head_a.weight": [[1.0, 0], [0, 1]], "head_a.bias": [0.0, 0], "head_v.weight": [[1.0, 0], [0, 1]], "head_v.bias": [2.0, 2]})
        self.assertEqual(self.logits(d, "half-bias"), ([1, 2], [5, 6]))
        with self.assertRaisesRegex(ValueError, "unimodal = half-bias is defined for concat, sum, decision fusion, not film"):
            self.logits(AVClassifier(2, "film", width=1 / 256), "half-bias")

    def test_mean_before_any_pass_uses_the_batch_means(self):
        concat = self.model("concat", {"fc_out.weight": [[1.0, 0, 1, 2], [0, 1, 1, 0]], "fc_out.bias": [0.0, 0]})
        with torch.no_grad():
            a, _ = Unimodal("mean").logits(concat, t([[1, 2], [3, 4]]), t([[0, 0], [2, 2]]))
        # E[z_v] over the batch = (1, 1): W_v (1, 1) = (3, 1); W_a z_a = (1, 2) and (3, 4).
        self.assertEqual(a.tolist(), [[4, 3], [6, 5]])


class Ramp(unittest.TestCase):
    def test_ramp_factor_rises_step_by_step_over_ramp_epochs_after_the_warmup(self):
        from bmm_lab.rules import ramp_factor

        options = {"warmup": 2, "ramp": 1.5}
        # 4 steps per epoch: the ramp spans 1.5 * 4 = 6 balanced steps; t = (epoch - 2) * 4 + step + 1.
        self.assertEqual([ramp_factor(2, s, 4, options) for s in range(4)], [1 / 6, 2 / 6, 3 / 6, 4 / 6])
        self.assertEqual([ramp_factor(3, s, 4, options) for s in range(4)], [5 / 6, 1.0, 1.0, 1.0])
        self.assertEqual(ramp_factor(1, 3, 4, options), 0.0)  # still warming up
        self.assertEqual(ramp_factor(2, 0, 4, {"warmup": 2}), 1.0)  # no ramp setting: m at once
        self.assertEqual(ramp_factor(2, 0, 4, {"warmup": 2, "ramp": 0}), 1.0)




class MicroBatches(unittest.TestCase):
    def test_ranges_as_the_lab_splits_a_batch(self):
        from bmm_lab.rules import micro_batch_ranges

        self.assertEqual(micro_batch_ranges(8, 3), [(0, 3), (3, 6), (6, 8)])
        self.assertEqual(micro_batch_ranges(7, 3), [(0, 3), (3, 7)])
        self.assertEqual(micro_batch_ranges(8, 0), [(0, 8)])
        self.assertEqual(micro_batch_ranges(8, 8), [(0, 8)])


if __name__ == "__main__":
    unittest.main()
