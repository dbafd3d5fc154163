"""G-Blending's rules against hand-computed values, as src/core/methods/gblend.test.ts: the weights from probe losses,
a batch's loss, the probe's generator and loop, and the probe on copies of a tiny model."""

import copy
import math
import unittest

from support import tiny_batch  # (also puts the package on the path)

import torch  # noqa: E402

from bmm_lab.model import AVClassifier  # noqa: E402
from bmm_lab.rules import (  # noqa: E402
    BLEND_HEADS,
    GblendState,
    batch_loss,
    blend_weights,
    gblend_loss,
    gblend_probe,
    method_state,
    one_hot,
    probe_generator,
    probe_losses,
    soft_cross_entropy,
)
from bmm_lab.unimodal import Unimodal  # noqa: E402
from bmm_lab.validation import Rng  # noqa: E402


def losses(tf, vf, tl, vl):
    return {"trainFirst": tf, "valFirst": vf, "trainLast": tl, "valLast": vl}


class Weights(unittest.TestCase):
    def test_abs_g_over_o_squared_normalised(self):
        w = blend_weights({
            "audio": losses(1, 1.2, 0.5, 1),  # G = -0.2, O = 0.5 - 0.2 = 0.3: 0.2 / 0.09
            "visual": losses(1, 1.1, 0.7, 0.9),  # G = -0.2, O = 0.2 - 0.1 = 0.1: 20
            "fused": losses(1, 1.2, 0.4, 1.1),  # G = -0.1, O = 0.7 - 0.2 = 0.5: 0.4
        })
        raw = [0.2 / 0.09, 20, 0.4]
        total = sum(raw)
        for head, r in zip(BLEND_HEADS, raw):
            self.assertAlmostEqual(w[head], r / total, places=10)
        # A validation loss that rose counts by its size too (|G|).
        up = blend_weights({"audio": losses(1, 1, 0.5, 1.5), "visual": losses(1, 1, 1, 0.5), "fused": losses(1, 1, 1, 0.5)})
        self.assertEqual([round(up[h] * 9, 10) for h in BLEND_HEADS], [1, 4, 4])

    def test_one_third_each_when_a_head_did_not_overfit_or_nothing_moved(self):
        flat = losses(1, 1, 1, 1)
        moved = losses(1, 1.2, 0.5, 1)
        third = {"audio": 1 / 3, "visual": 1 / 3, "fused": 1 / 3}
        # visual: G = -0.5, O = 0.5 - 0.5 = 0: an infinite weight.
        self.assertEqual(blend_weights({"audio": moved, "visual": losses(1, 1.5, 0.5, 1), "fused": moved}), third)
        self.assertEqual(blend_weights({"audio": flat, "visual": flat, "fused": flat}), third)  # 0 / 0
        self.assertEqual(blend_weights({"audio": moved, "visual": moved, "fused": losses(1, math.nan, 1, 1)}), third)


class Loss(unittest.TestCase):
    def test_weighted_sum_of_the_three_heads(self):
        model, audio, visual, targets = tiny_batch()
        weights = {"audio": 0.2, "visual": 0.3, "fused": 0.5}
        for mode in ("zero", "mean", "half-bias"):
            unimodal = Unimodal(mode)
            r = gblend_loss(model, audio, visual, targets, weights, unimodal)
            z_a, z_v = model.encode(audio, visual)
            if mode == "zero":
                u_a, u_v = model.fusion_module(z_a, torch.zeros_like(z_v)), model.fusion_module(torch.zeros_like(z_a), z_v)
            else:
                u_a, u_v = unimodal.logits(model, z_a, z_v)
            want = 0.2 * soft_cross_entropy(u_a, targets) + 0.3 * soft_cross_entropy(u_v, targets) + 0.5 * soft_cross_entropy(model.fusion_module(z_a, z_v), targets)
            self.assertAlmostEqual(float(r.loss), float(want), places=6, msg=mode)
            self.assertIsNone(r.coef)

    def test_batch_loss_takes_the_given_weights_or_the_states(self):
        model, audio, visual, targets = tiny_batch()
        config = {"method": "gblend", "gblend": {"superEpoch": 2}}
        state = method_state(config)
        self.assertIsInstance(state, GblendState)
        with self.assertRaisesRegex(ValueError, "gblend: the loss weights were not measured before the epoch"):
            batch_loss(config, model, audio, visual, targets, {}, 0, state=state)
        fused_only = {"audio": 0.0, "visual": 0.0, "fused": 1.0}
        r = batch_loss(config, model, audio, visual, targets, {"blend": fused_only}, 0, state=state)
        self.assertAlmostEqual(float(r.loss), float(soft_cross_entropy(model(audio, visual)[0], targets)), places=6)
        state.weights = {"audio": 1.0, "visual": 0.0, "fused": 0.0}
        r = batch_loss(config, model, audio, visual, targets, {}, 0, state=state)
        z_a = model.encode_audio(audio)
        self.assertAlmostEqual(float(r.loss), float(soft_cross_entropy(model.fusion_module(z_a, torch.zeros_like(z_a)), targets)), places=6)

    def test_the_probe_is_due_before_the_first_epoch_and_every_super_epoch(self):
        state = GblendState(3)
        self.assertEqual([state.due(e) for e in (0, 5)], [True, True])  # no weights yet (a new run, or a checkpoint without them)
        state.weights = {h: 1 / 3 for h in BLEND_HEADS}
        self.assertEqual([e for e in range(10) if state.due(e)], [0, 3, 6, 9])


class ProbeLoop(unittest.TestCase):
    def test_generator_seeded_apart_from_the_run(self):
        # ((seed ^ 0x6b1e4d2f) >>> 0) + epoch, unsigned 32 bits.
        self.assertEqual(probe_generator(5, 3).get_state(), Rng((5 ^ 0x6B1E4D2F) + 3).get_state())
        self.assertEqual(probe_generator(-1, 2).get_state(), Rng(0x94E1B2D0 + 2).get_state())
        self.assertEqual(probe_generator(0x6B1E4D2F ^ 0xFFFFFFFF, 1).get_state(), Rng(0).get_state())  # wraps at 2^32

    def test_orders_batches_and_means(self):
        rng = Rng(11)
        check = Rng(11)
        want_orders = [check.permutation(9) for _ in range(3)]
        seen, vals = [], []
        step_losses = iter(range(1, 100))

        def train_step(indices, start, k):
            seen.append((k, start, list(indices)))
            return float(next(step_losses))

        def val_loss():
            vals.append(len(seen))
            return 10.0 * len(vals)

        out = probe_losses(3, 9, 4, rng, train_step, val_loss)
        # 9 clips in batches of 4: 4, 4 and one clip skipped; each epoch its own permutation, in order.
        self.assertEqual(seen, [(k, s, want_orders[k][s : s + 4]) for k in range(3) for s in (0, 4)])
        self.assertEqual(vals, [2, 6])  # after the first and the last epoch only
        self.assertEqual(out, {"trainFirst": (1 * 4 + 2 * 4) / 8, "valFirst": 10.0, "trainLast": (5 * 4 + 6 * 4) / 8, "valLast": 20.0})
        self.assertEqual(rng.get_state(), check.get_state())


class Probe(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(3)
        self.model = AVClassifier(3, "concat", 0.0625, 1, 3)
        g = torch.Generator().manual_seed(4)
        n = 10
        self.audio = torch.randn(n, 1, 8, 8, generator=g)
        self.visual = torch.randn(n, 3, 1, 8, 8, generator=g)
        self.labels = torch.arange(n) % 3
        self.train_pos = [0, 1, 2, 3, 5, 7, 8]  # trained clips (their indices are 0..6)
        self.val_pos = [4, 6, 9]
        self.config = {"seed": 7, "lr": 1e-3, "stepLr": {"step": 1, "gamma": 0.5}, "weightDecay": 1e-4, "batch": 3, "microBatch": 0, "gblend": {"superEpoch": 2}}

    def train_inputs(self, indices):
        pos = [self.train_pos[i] for i in indices]
        self.asked.append(list(indices))
        return self.audio[pos], self.visual[pos], self.labels[pos]

    def val_batches(self):
        yield self.audio[self.val_pos], self.visual[self.val_pos], self.labels[self.val_pos]

    def test_copies_train_each_head_from_one_generator_and_leave_the_model_alone(self):
        self.asked = []
        before = copy.deepcopy(self.model.state_dict())
        weights, measured = gblend_probe(self.config, self.model, 1, 7, self.train_inputs, self.val_batches, Unimodal("zero"))
        for name, value in self.model.state_dict().items():
            self.assertTrue(torch.equal(value, before[name]), name)
        self.assertTrue(self.model.training)
        self.assertAlmostEqual(sum(weights.values()), 1, places=12)
        self.assertEqual(weights, blend_weights(measured))
        # One generator for the three heads: 2 epochs each, batches 3, 3 (the last clip skipped).
        rng = probe_generator(7, 1)
        orders = [rng.permutation(7) for _ in range(6)]
        self.assertEqual(self.asked, [o[s : s + 3] for o in orders for s in (0, 3)])

        # The audio head by hand: a copy, Adam at StepLR's rate of epoch 1 (1e-3 * 0.5), CE of fusion(z_a, 0).
        ref = copy.deepcopy(self.model).train()
        opt = torch.optim.Adam([p for p in ref.parameters() if p.requires_grad], lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)

        def audio_ce(a, v, y):
            z_a, _ = ref.encode(a, v)
            return soft_cross_entropy(ref.fusion_module(z_a, torch.zeros_like(z_a)), one_hot(y, 3))

        train_means, val_losses = [], []
        for k in range(2):
            total = 0.0
            for s in (0, 3):
                pos = [self.train_pos[i] for i in orders[k][s : s + 3]]
                opt.zero_grad(set_to_none=True)
                loss = audio_ce(self.audio[pos], self.visual[pos], self.labels[pos])
                loss.backward()
                opt.step()
                total += float(loss) * 3
            train_means.append(total / 6)
            ref.eval()
            with torch.no_grad():
                val_losses.append(float(audio_ce(self.audio[self.val_pos], self.visual[self.val_pos], self.labels[self.val_pos]) * 3) / 3)
            ref.train()
        got = measured["audio"]
        self.assertAlmostEqual(got["trainFirst"], train_means[0], places=6)
        self.assertAlmostEqual(got["trainLast"], train_means[1], places=6)
        self.assertAlmostEqual(got["valFirst"], val_losses[0], places=6)
        self.assertAlmostEqual(got["valLast"], val_losses[1], places=6)
        for head in BLEND_HEADS:
            self.assertTrue(all(math.isfinite(v) for v in measured[head].values()), head)

    def test_micro_batches_and_unimodal_mean_share_the_runs_means(self):
        self.asked = []
        config = dict(self.config, microBatch=2, batch=5)
        unimodal = Unimodal("mean")
        unimodal.set_means(torch.zeros(1, self.model.dim), torch.ones(1, self.model.dim))
        means = unimodal.means
        weights, measured = gblend_probe(config, self.model, 0, 7, self.train_inputs, self.val_batches, unimodal)
        self.assertIs(unimodal.means, means)
        self.assertAlmostEqual(sum(weights.values()), 1, places=12)
        # 7 clips in batches of 5: 5 (micro-batches 2 + 3) and 2.
        self.assertEqual([len(a) for a in self.asked], [5, 2] * 6)
        for head in BLEND_HEADS:
            self.assertTrue(all(math.isfinite(v) for v in measured[head].values()), head)


if __name__ == "__main__":
    unittest.main()
