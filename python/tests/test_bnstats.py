"""Precise BatchNorm statistics (bnstats.py) against statistics computed directly from the layers' inputs."""

import os
import tempfile
import unittest

import support  # noqa: F401  (puts python/ on the path)
import torch

from bmm_lab.bnstats import recompute_bn_stats, training_batches
from bmm_lab.model import AVClassifier
from bmm_lab.pack import load_pack


class PreciseBnTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = os.path.join(self.tmp.name, "pack")
        # 7 training clips in batches of 3: batches of 3 and 3; the last batch of one clip is skipped.
        support.simple_pack(d, n_train=7, n_test=2)
        self.pack = load_pack(d)
        torch.manual_seed(0)
        self.model = AVClassifier(len(self.pack.class_names), "concat", 0.0625, 1, 3)

    def tearDown(self):
        self.tmp.cleanup()

    def test_first_layer_statistics_are_the_average_of_the_batch_statistics(self):
        net = self.model.audio_net
        net.bn1.num_batches_tracked.fill_(17)
        net.bn1.running_mean.fill_(5.0)
        batches = list(training_batches(self.pack.train, 3))
        self.assertEqual([len(b[2]) for b in batches], [3, 3])
        means, variances = [], []
        with torch.no_grad():
            for audio, _visual, _labels in batches:
                x = net.conv1(audio)
                means.append(x.mean(dim=(0, 2, 3)))
                variances.append(x.var(dim=(0, 2, 3), unbiased=True))
        self.model.eval()
        used = recompute_bn_stats(self.model, iter(batches))
        self.assertEqual(used, 2)
        torch.testing.assert_close(net.bn1.running_mean, torch.stack(means).mean(0), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(net.bn1.running_var, torch.stack(variances).mean(0), rtol=1e-5, atol=1e-6)
        self.assertEqual(int(net.bn1.num_batches_tracked), 17)
        self.assertEqual(net.bn1.momentum, 0.1)
        self.assertFalse(self.model.training)

    def test_no_batches_leaves_the_statistics(self):
        before = self.model.visual_net.bn1.running_var.clone()
        self.assertEqual(recompute_bn_stats(self.model, iter([])), 0)
        torch.testing.assert_close(self.model.visual_net.bn1.running_var, before)


if __name__ == "__main__":
    unittest.main()
