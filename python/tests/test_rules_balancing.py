"""The balancing methods' rules against hand-computed values (MMPareto, AGM) and the unimodal rows, as the TS tests."""

import math
import unittest

from support import tiny_batch  # (also puts the package on the path)

import torch  # noqa: E402

from bmm_lab.model import AVClassifier  # noqa: E402
from bmm_lab.rules import (  # noqa: E402
    AgmState,
    agm_clip,
    agm_coefficients,
    agm_score,
    agm_step,
    batch_loss,
    head_output_weights,
    min_norm_weight,
    mmpareto_step,
    PmrState,
    pareto_combine,
    pmr_coefficients,
    pmr_loss,
    prototype_logits,
    pareto_weight,
    pareto_weight_tensor,
    shapley_responses,
    soft_cross_entropy,
    UmtTeachers,
    umt_loss,
)
from bmm_lab.unimodal import Unimodal  # noqa: E402


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


class MmPareto(unittest.TestCase):
    def test_min_norm_weight(self):
        # g_mm = (1, 0, 0), g_a = (-1, 1, 0): |c g1 + (1 - c) g2|^2 = (2c - 1)^2 + (1 - c)^2 is least at c = 0.6.
        self.assertAlmostEqual(min_norm_weight(1, -1, 2), 0.6, places=12)
        self.assertAlmostEqual(pareto_weight(1, -1, 2), 0.6, places=12)
        self.assertEqual(pareto_weight(1, 1, 2), 0.5)
        self.assertEqual(pareto_weight(0, 0, 4), 0.999)
        self.assertEqual(min_norm_weight(4, 0, 0), 0.001)
        k = pareto_weight_tensor(t(1.0), t(-1.0), t(2.0))
        self.assertAlmostEqual(float(k), 0.6, places=6)
        self.assertEqual(float(pareto_weight_tensor(t(1.0), t(1.0), t(2.0))), 0.5)

    def test_combination_rescaled_to_the_plain_sum(self):
        got = pareto_combine(t([1, 0, 0]), t([-1, 1, 0]), t(0.6), 1.5)
        s = 1.5 / math.sqrt(0.8)
        torch.testing.assert_close(got, t([0.4 * s, 0.8 * s, 0]))
        torch.testing.assert_close(pareto_combine(t([1, 0, 0]), t([1, 1, 0]), t(0.5), 1.5), t([3, 1.5, 0]))
        torch.testing.assert_close(pareto_combine(torch.zeros(2), torch.zeros(2), t(0.5), 1.5), torch.zeros(2))

    def test_step_sets_the_head_to_the_plain_gradient_and_the_encoders_to_the_combination(self):
        model, audio, visual, targets = tiny_batch()
        r = mmpareto_step(model, audio, visual, targets, 1.5, Unimodal("zero"))
        # The reported loss is L_mm + L_a + L_v.
        z_a, z_v = model.encode(audio, visual)
        logits, la, lv = model.heads(z_a, z_v)
        total = soft_cross_entropy(logits, targets) + soft_cross_entropy(la, targets) + soft_cross_entropy(lv, targets)
        self.assertAlmostEqual(float(r.loss), float(total), places=5)
        head = dict(model.named_parameters())["fusion_module.fc_out.weight"]
        want = torch.autograd.grad(total, head)[0]
        torch.testing.assert_close(head.grad, want)
        self.assertTrue(0.001 <= float(r.coef["audio"]) <= 0.999)


class Agm(unittest.TestCase):
    def test_responses_scores_and_coefficients(self):
        a, v = shapley_responses(t([[2, 0]]), t([[1, 1]]), t([[0, 2]]))
        torch.testing.assert_close(a, t([[1.5, -0.5]]))
        torch.testing.assert_close(v, t([[0.5, 0.5]]))
        self.assertAlmostEqual(float(agm_score(t([[0, math.log(3)]]), t([[0, 1]]))), -math.log(0.75), places=6)
        self.assertAlmostEqual(float(agm_score(t([[0, -100]]), t([[0, 1]]))), -math.log(1e-8), places=4)
        k = agm_coefficients({"audio": 1, "visual": 2}, {"audio": 0, "visual": 0}, 0.1)
        self.assertAlmostEqual(k["audio"], math.exp(0.1 * (1 - math.e)), places=12)
        self.assertAlmostEqual(k["visual"], math.exp(0.1 * (1 - math.exp(-1))), places=12)
        self.assertAlmostEqual(agm_coefficients({"audio": 0, "visual": 0}, {"audio": 0, "visual": 20}, 0.1)["audio"], math.e, places=12)

    def test_clip(self):
        self.assertEqual(head_output_weights("sum"), ["fusion_module.fc_x.weight", "fusion_module.fc_y.weight"])
        model, audio, visual, targets = tiny_batch()
        params = dict(model.named_parameters())
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        params["fusion_module.fc_out.weight"].grad[0, 0] = 6
        params["audio_net.conv1.weight"].grad.view(-1)[0] = 8
        agm_clip(model, head_output_weights("concat"))
        self.assertAlmostEqual(float(params["fusion_module.fc_out.weight"].grad[0, 0]), 3, places=5)
        self.assertAlmostEqual(float(params["audio_net.conv1.weight"].grad.view(-1)[0]), 4, places=5)
        params["fusion_module.fc_out.weight"].grad[0, 0] = 4
        params["audio_net.conv1.weight"].grad.view(-1)[0] = 8
        agm_clip(model, head_output_weights("concat"))
        self.assertEqual(float(params["audio_net.conv1.weight"].grad.view(-1)[0]), 8)

    def test_step_scales_the_encoder_kernels_and_keeps_running_means(self):
        model, audio, visual, targets = tiny_batch()
        state = AgmState()
        r = agm_step(model, audio, visual, targets, 0.1, "concat", state)
        self.assertEqual(state.steps, 1)
        k_a, k_v = float(r.coef["audio"]), float(r.coef["visual"])
        # First step: means 0, so k_a k_v = exp(0.1 (2 - r_a - r_v)) with r_a r_v = 1, at most 1.
        self.assertLessEqual(min(k_a, k_v), 1)
        # The running means after one step are the step's scores.
        m_a, m_v = state.means
        self.assertGreater(float(m_a), 0)
        self.assertGreater(float(m_v), 0)


class Pmr(unittest.TestCase):
    def test_distances_and_coefficients(self):
        got = prototype_logits(t([[0, 0], [3, 4]]), t([[0, 0], [0, 4]]))
        torch.testing.assert_close(got, -t([[0, 4], [5, 3]]))
        self.assertEqual(pmr_coefficients(3, 2), {"audio": 0.0, "visual": 0.5})
        self.assertEqual(pmr_coefficients(1, 4), {"audio": 1.0, "visual": 0.0})

    def test_prototypes_with_momentum_and_the_loss(self):
        state = PmrState(0.5)
        state.begin_epoch(0, (t([[1, 1], [0, 0]]), t([[2, 2], [0, 0]])))
        state.begin_epoch(1, (t([[3, 5], [0, 0]]), t([[0, 0], [4, 0]])))
        torch.testing.assert_close(state.prototypes[0], t([[2, 3], [0, 0]]))
        torch.testing.assert_close(state.prototypes[1], t([[1, 1], [2, 0]]))

        class Fake:
            def encode(self, audio, visual):
                return t([[2, 3]]), t([[1, 1]])

            def fusion_module(self, z_a, z_v):
                return t([[0, 0]])

        r = pmr_loss(Fake(), None, None, t([[1, 0]]), 0.1, state.prototypes)
        sigma = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
        lam = sigma(math.sqrt(13)) / sigma(math.sqrt(2)) - 1
        self.assertEqual(float(r.coef["audio"]), 0)
        self.assertAlmostEqual(float(r.coef["visual"]), lam, places=5)
        self.assertAlmostEqual(float(r.loss), math.log(2) + 0.1 * lam * -math.log(sigma(math.sqrt(2))), places=5)


class UnimodalRows(unittest.TestCase):
    def test_audio_only_trains_the_audio_encoder_alone(self):
        model, audio, visual, targets = tiny_batch()
        config = {"method": "audio-only"}
        r = batch_loss(config, model, audio, visual, targets, {}, 0)
        z_a = model.encode_audio(audio)
        want = soft_cross_entropy(model.fusion_module(z_a, torch.zeros_like(z_a)), targets)
        self.assertAlmostEqual(float(r.loss), float(want), places=6)
        r.loss.backward()
        params = dict(model.named_parameters())
        self.assertIsNone(params["visual_net.conv1.weight"].grad)
        self.assertIsNotNone(params["audio_net.conv1.weight"].grad)
        r = batch_loss({"method": "visual-only"}, model, audio, visual, targets, {}, 0)
        z_v = model.encode_visual(visual)
        want = soft_cross_entropy(model.fusion_module(torch.zeros_like(z_v), z_v), targets)
        self.assertAlmostEqual(float(r.loss), float(want), places=6)



class Umt(unittest.TestCase):
    def test_loss_is_ce_plus_alpha_times_both_feature_mses(self):
        model, audio, visual, targets = tiny_batch()
        torch.manual_seed(1)
        teachers = UmtTeachers(AVClassifier(3, "concat", 0.0625, 1, 3), AVClassifier(3, "concat", 0.0625, 1, 3))
        self.assertFalse(teachers.audio.training or teachers.visual.training)
        r = umt_loss(model, audio, visual, targets, 0.5, teachers)
        # By hand: the features, the fused logits, and the mean squared differences over every entry.
        z_a, z_v = model.encode(audio, visual)
        with torch.no_grad():
            t_a, t_v = teachers.audio.encode_audio(audio), teachers.visual.encode_visual(visual)
        ce = soft_cross_entropy(model.fusion_module(z_a, z_v), targets)
        distill = ((z_a - t_a) ** 2).sum() / z_a.numel() + ((z_v - t_v) ** 2).sum() / z_v.numel()
        self.assertGreater(float(distill), 0.01)
        self.assertAlmostEqual(float(r.loss), float(ce + 0.5 * distill), places=5)
        r.loss.backward()
        self.assertTrue(all(p.grad is None for p in teachers.audio.parameters()), "the teachers get no gradient")
        with self.assertRaisesRegex(ValueError, "method umt needs its teachers"):
            batch_loss({"method": "umt", "umt": {"alpha": 1.0}}, model, audio, visual, targets, {}, 0)

    def test_teachers_from_files_are_checked(self):
        import tempfile

        from bmm_lab.export import metadata_strings, save_weights
        from bmm_lab.teachers import TeacherError, load_teacher

        with tempfile.TemporaryDirectory() as d:
            def write(name, method, width=0.0625, modalities=("spectrogram", "rgb")):
                path = "%s/%s" % (d, name)
                m = AVClassifier(3, "concat", width, modalities=modalities)
                save_weights(m, path, metadata_strings(["a", "b", "c"], "concat", method, "tiny", width, [1, 8, 8], [3 if modalities[1] == "rgb" else 2, 1, 8, 8], modalities))
                return path

            ok = write("a.safetensors", "audio-only")
            self.assertFalse(load_teacher(ok, "audio", ("spectrogram", "rgb"), 0.0625).training)
            with self.assertRaisesRegex(TeacherError, "trained with method audio-only; a teacher is a visual-only run"):
                load_teacher(ok, "visual", ("spectrogram", "rgb"), 0.0625)
            with self.assertRaisesRegex(TeacherError, "width 0.0625, the model's is 0.125"):
                load_teacher(ok, "audio", ("spectrogram", "rgb"), 0.125)
            flow = write("f.safetensors", "visual-only", modalities=("spectrogram", "flow"))
            with self.assertRaisesRegex(TeacherError, "its second branch is flow, the model's is rgb"):
                load_teacher(flow, "visual", ("spectrogram", "rgb"), 0.0625)
            with self.assertRaisesRegex(TeacherError, "UMT audio teacher .*missing.safetensors"):
                load_teacher(d + "/missing.safetensors", "audio", ("spectrogram", "rgb"), 0.0625)


if __name__ == "__main__":
    unittest.main()
