"""The trainer's JSON lines: JavaScript's toPrecision rounding, the epoch object and the summary's best and final."""

import math
import unittest

import support  # noqa: F401  (puts the package on the path)

from bmm_lab.jsformat import js_precision  # noqa: E402
from bmm_lab.report import epoch_json, json_line, run_results, summary_json  # noqa: E402


def metrics(epoch, test, audio, visual, loss=1.0):
    return {"epoch": epoch, "loss": loss, "trainAcc": 0.5, "testAcc": test, "audio": {"trainAcc": 0.25, "testAcc": audio},
            "visual": {"trainAcc": 0.75, "testAcc": visual}, "rho": 1.23456789, "mix": None, "lr": 1e-3,
            "samplesPerSec": 1234.5678, "seconds": 0.123456}


class Rounding(unittest.TestCase):
    def test_to_precision_as_javascript(self):
        # Values JavaScript prints: halves away from zero on the exact binary value.
        self.assertEqual(js_precision(2.5, 1), 3)  # (2.5).toPrecision(1) === "3" (Python's round gives 2)
        self.assertEqual(js_precision(-2.5, 1), -3)
        self.assertEqual(js_precision(1.005, 3), 1.0)  # 1.005 is 1.00499999999999989... in binary
        self.assertEqual(js_precision(123456.5, 6), 123457)
        self.assertEqual(js_precision(0.000123456789, 4), 0.0001235)
        self.assertEqual(js_precision(0.1 + 0.2, 6), 0.3)
        self.assertTrue(math.isnan(js_precision(math.nan, 6)))


class Lines(unittest.TestCase):
    def test_epoch_line(self):
        line = json_line(epoch_json(dict(metrics(2, 0.5, 0.25, 0.125), loss=math.nan, mix=0.0123456789)))
        self.assertEqual(
            line,
            '{"epoch":2,"loss":null,"trainAcc":0.5,"testAcc":0.5,"audio":{"trainAcc":0.25,"testAcc":0.25},'
            '"visual":{"trainAcc":0.75,"testAcc":0.125},"rho":1.23457,"mix":0.0123457,"samplesPerSec":1235,"seconds":0.1235}',
        )

    def test_best_is_per_head_and_final_is_the_last_epoch(self):
        epochs = [metrics(1, 0.6, 0.2, 0.1), metrics(2, 0.4, 0.3, 0.05), metrics(3, 0.5, 0.1, 0.2)]
        self.assertEqual(run_results(epochs), {"best": {"fused": 0.6, "audio": 0.3, "visual": 0.2}, "final": {"fused": 0.5, "audio": 0.1, "visual": 0.2}, "rule": "test"})
        self.assertIsNone(run_results([]))
        s = summary_json({"method": "erm"}, "pytorch-cpu", "pack", epochs)["summary"]
        self.assertEqual((s["bestTestAcc"], s["finalTestAcc"], s["epochs"], s["error"]), (0.6, 0.5, 3, None))
        self.assertEqual(s["classNames"], [])
        self.assertEqual(summary_json({}, "pytorch-cpu", "pack", epochs, None, ("a", "b"))["summary"]["classNames"], ["a", "b"])
        with_pair = summary_json({}, "pytorch-cpu", "pack", epochs, None, ("a", "b"), ("rgb", "flow"))["summary"]
        self.assertEqual(with_pair["modalities"], ["rgb", "flow"])
        self.assertEqual(list(with_pair)[:4], ["config", "backend", "dataset", "modalities"])
        self.assertEqual(s["bestRule"], "test")
        empty = summary_json({}, "pytorch-cpu", "pack", [], "failed")["summary"]
        self.assertEqual((empty["bestTestAcc"], empty["best"], empty["error"], empty["bestRule"]), (0, {"fused": 0, "audio": 0, "visual": 0}, "failed", None))

    def test_with_a_validation_split_best_is_the_test_accuracy_at_the_best_validation_epoch(self):
        # As results.ts: per head, the earliest epoch of the highest validation accuracy.
        val = [{"fused": 0.5, "audio": 0.2, "visual": 0.4}, {"fused": 0.7, "audio": 0.2, "visual": 0.3}, {"fused": 0.7, "audio": 0.1, "visual": 0.6}]
        epochs = [dict(metrics(i + 1, t, a, v), val=val[i]) for i, (t, a, v) in enumerate([(0.6, 0.2, 0.1), (0.4, 0.3, 0.05), (0.5, 0.1, 0.2)])]
        self.assertEqual(run_results(epochs), {"best": {"fused": 0.4, "audio": 0.2, "visual": 0.2}, "final": {"fused": 0.5, "audio": 0.1, "visual": 0.2}, "rule": "validation"})
        s = summary_json({}, "pytorch-cpu", "pack", epochs)["summary"]
        self.assertEqual((s["bestTestAcc"], s["bestRule"], s["best"]), (0.4, "validation", {"fused": 0.4, "audio": 0.2, "visual": 0.2}))
        # An epoch without validation accuracies: the best test epoch, as the lab.
        self.assertEqual(run_results(epochs[:2] + [metrics(3, 0.5, 0.1, 0.2)])["rule"], "test")
        line = epoch_json(dict(epochs[0], val={"fused": 1 / 3, "audio": 0.25, "visual": 0.5}))
        self.assertEqual(list(line)[-1], "val")
        self.assertEqual(line["val"], {"fused": 0.333333, "audio": 0.25, "visual": 0.5})
        self.assertNotIn("val", epoch_json(metrics(1, 0.5, 0.5, 0.5)))


if __name__ == "__main__":
    unittest.main()
