"""Run configs from settings.json: defaults, presets, merging, and the TS validation messages, word for word."""

import json
import math
import unittest

import support  # noqa: F401  (puts python/ on sys.path)

from bmm_lab.config import (  # noqa: E402
    DEFAULT_CONFIG,
    SETTINGS,
    ConfigError,
    describe_range,
    make_config,
    read_run_config,
    setting_applies,
    validate_config,
)
from bmm_lab.jsformat import js_json, js_number, js_string  # noqa: E402


def bad(config):
    try:
        validate_config(config)
    except ConfigError as e:
        return [e.field, str(e)]
    return None


def with_(key, value, base=None):
    c = json.loads(json.dumps(base or DEFAULT_CONFIG))
    if "." in key:
        group, sub = key.split(".")
        c[group][sub] = value
    elif value is ...:
        del c[key]
    else:
        c[key] = value
    return c


class Defaults(unittest.TestCase):
    def test_defaults_of_method_md_and_the_fast_preset(self):
        expect = {
            "method": "bmm", "fusion": "concat", "preset": "fast", "epochs": 10, "batch": 32, "lr": 1e-3,
            "weightDecay": 1e-4, "stepLr": None, "seed": 0, "mm": {"alpha": 0.5},
            "ogm": {"alpha": 0.8, "mode": "ogm-ge", "start": 0, "end": 50},
            "width": 0.25, "audioHeight": 129, "audioWidth": 94, "visualSize": 112, "frames": 1, "augment": True,
            "backend": "auto", "featuresEvery": 1, "featuresMax": 2000,
        }
        for key, value in expect.items():
            self.assertEqual(DEFAULT_CONFIG[key], value, key)
        bmm = {"beta": 1, "warmup": 5, "coef": "tanh(beta*(r-1))", "level": "input", "targets": "weak", "sample": "fixed"}
        for key, value in bmm.items():
            self.assertEqual(DEFAULT_CONFIG["bmm"][key], value, key)
        # Every setting of the table, and nothing else, has its place in the defaults.
        self.assertEqual(set(DEFAULT_CONFIG), {s["path"].split(".")[0] for s in SETTINGS})
        self.assertIs(validate_config(DEFAULT_CONFIG), DEFAULT_CONFIG)

    def test_preset_sizes_apply_before_the_given_values(self):
        c = make_config({"preset": "tiny"})
        self.assertEqual([c[k] for k in ("width", "audioHeight", "audioWidth", "visualSize", "batch", "epochs")], [0.125, 33, 24, 32, 16, 2])
        c = make_config({"preset": "paper", "batch": 8})
        self.assertEqual((c["batch"], c["epochs"], c["visualSize"]), (8, 60, 224))

    def test_groups_merge_key_by_key_and_step_lr_is_null_or_an_object(self):
        c = make_config({"bmm": {"beta": 2}, "ogm": {"mode": "ogm"}})
        self.assertEqual((c["bmm"]["beta"], c["bmm"]["warmup"], c["bmm"]["coef"]), (2, 5, "tanh(beta*(r-1))"))
        self.assertEqual((c["ogm"]["mode"], c["ogm"]["alpha"]), ("ogm", 0.8))
        self.assertEqual(make_config({"stepLr": {"step": 3, "gamma": 0.5}})["stepLr"], {"step": 3, "gamma": 0.5})
        self.assertIsNone(make_config()["stepLr"])
        self.assertEqual(bad(make_config({"stepLr": {"step": 3}})), ["stepLr.gamma", "stepLr.gamma is missing; expected a number > 0"])
        self.assertIsNot(make_config()["bmm"], DEFAULT_CONFIG["bmm"])

    def test_which_settings_apply(self):
        self.assertTrue(setting_applies(make_config({"method": "bmm"}), "bmm.beta"))
        self.assertFalse(setting_applies(make_config({"method": "bmm"}), "ogm.alpha"))
        self.assertFalse(setting_applies(make_config({"method": "bmm"}), "mm.alpha"))
        self.assertTrue(setting_applies(make_config({"method": "bmm", "bmm": {"sample": "beta"}}), "mm.alpha"))
        self.assertTrue(setting_applies(make_config({"method": "mm"}), "mm.alpha"))
        self.assertTrue(setting_applies(make_config({"stepLr": {"step": 3, "gamma": 0.5}}), "stepLr.step"))
        self.assertFalse(setting_applies(make_config(), "stepLr.step"))


class Validation(unittest.TestCase):
    def test_names_the_first_bad_setting_as_the_lab_does(self):
        cases = [
            (with_("method", "sgd"), ["method", 'method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge, audio-only, visual-only, mmpareto, agm, pmr, umt, gblend, greedy']),
            (with_("epochs", 0), ["epochs", "epochs must be an integer >= 1, got 0"]),
            (with_("lr", 0), ["lr", "lr must be a number > 0, got 0"]),
            (with_("width", 5), ["width", "width must be a number > 0 and <= 4, got 5"]),
            (with_("batch", 2.5), ["batch", "batch must be an integer >= 2, got 2.5"]),
            (with_("lr", math.nan), ["lr", "lr is missing; expected a number > 0"]),
            (with_("lr", "0.1"), ["lr", 'lr must be a number > 0, got "0.1"']),
            (with_("lr", True), ["lr", "lr must be a number > 0, got true"]),
            (with_("bmm.beta", -1), ["bmm.beta", "bmm.beta must be a number > 0, got -1"]),
            (with_("bmm.level", "x"), ["bmm.level", 'bmm.level "x" is not known; allowed values: input, feature']),
            (with_("bmm.level", ""), ["bmm.level", "bmm.level is missing; allowed values: input, feature"]),
            (with_("ogm", None), ["ogm", "ogm is missing; expected { alpha, mode, start, end }"]),
            (with_("stepLr", 3), ["stepLr", "stepLr must be null or { step, gamma }"]),
            (with_("stepLr", ...), ["stepLr", "stepLr must be null or { step, gamma }"]),
            (with_("stepLr", {"step": 0, "gamma": 0.1}), ["stepLr.step", "stepLr.step must be an integer >= 1, got 0"]),
            (with_("augment", "yes"), ["augment", "augment must be true or false"]),
            (with_("frames", 17), ["frames", "frames must be an integer >= 1 and <= 16, got 17"]),
            (with_("method", 3), ["method", 'method "3" is not known; allowed values: erm, mm, bmm, ogm-ge, audio-only, visual-only, mmpareto, agm, pmr, umt, gblend, greedy']),
            (with_("epochs", ...), ["epochs", "epochs is missing; expected an integer >= 1"]),
            (with_("lr", 1e-7 - 2e-7), ["lr", "lr must be a number > 0, got -1e-7"]),
            (None, ["config", "config must be an object"]),
        ]
        for config, want in cases:
            self.assertEqual(bad(config), want)

    def test_batch_is_bounded_by_the_training_set_when_known(self):
        with self.assertRaisesRegex(ConfigError, r"^batch 64 is larger than the training set \(40 clips\); use at most 40$"):
            validate_config(make_config({"batch": 64}), 40)
        self.assertEqual(validate_config(make_config({"batch": 40}), 40)["batch"], 40)

    def test_half_bias_needs_a_head_that_splits_by_modality(self):
        if not any(s["path"] == "unimodal" for s in SETTINGS):
            self.skipTest("the settings table has no unimodal setting")
        self.assertIsNone(bad(make_config({"unimodal": "half-bias", "fusion": "sum"})))
        self.assertEqual(
            bad(make_config({"unimodal": "half-bias", "fusion": "film"})),
            ["unimodal", "unimodal half-bias is defined for concat, sum, decision fusion, not film; use zero or mean"],
        )

    def test_the_unimodal_rows_score_their_head_with_zero(self):
        self.assertIsNone(bad(make_config({"method": "audio-only", "unimodal": "zero"})))
        self.assertEqual(
            bad(make_config({"method": "visual-only", "unimodal": "mean"})),
            ["unimodal", "method visual-only trains the head with the other feature at zero, so its accuracy is the unimodal score with unimodal zero, not mean; use --unimodal zero"],
        )

    def test_gblend_needs_a_validation_split(self):
        message = "method gblend measures its loss weights on validation clips held out of the training split; set valSplit (e.g. 0.1)"
        self.assertEqual(bad(make_config({"method": "gblend"})), ["valSplit", message])
        self.assertEqual(bad(make_config({"method": "gblend", "valSplit": 0})), ["valSplit", message])
        self.assertIsNone(bad(make_config({"method": "gblend", "valSplit": 0.1})))
        self.assertEqual(make_config({"method": "gblend", "valSplit": 0.1})["gblend"], {"superEpoch": 10})
        self.assertEqual(bad(make_config({"method": "gblend", "valSplit": 0.1, "gblend": {"superEpoch": 1}})), ["gblend.superEpoch", "gblend.superEpoch must be an integer >= 2, got 1"])
        # The per-setting checks come first: a bad valSplit is named as such.
        self.assertEqual(bad(make_config({"method": "gblend", "valSplit": 0.9})), ["valSplit", "valSplit must be a number >= 0 and <= 0.5, got 0.9"])
        # The cross-setting checks in config.ts's order: half bias before the validation split.
        self.assertEqual(bad(make_config({"method": "gblend", "unimodal": "half-bias", "fusion": "film"}))[0], "unimodal")
        with self.assertRaisesRegex(ConfigError, r"^run\.json: method gblend measures its loss weights"):
            read_run_config(json.dumps({"method": "gblend"}), "run.json")

    def test_describe_range(self):
        by = {s["path"]: s for s in SETTINGS}
        self.assertEqual(describe_range(by["width"]), "a number > 0 and <= 4")
        self.assertEqual(describe_range(by["epochs"]), "an integer >= 1")
        self.assertEqual(describe_range(by["seed"]), "an integer")
        self.assertEqual(describe_range(by["fusion"]), "one of concat, sum, film, gated, decision")


class RunConfigDocuments(unittest.TestCase):
    def read(self, doc):
        return read_run_config(doc if isinstance(doc, str) else json.dumps(doc), "run.json")

    def test_document_and_bare_config_fill_defaults(self):
        c = self.read({"format": "bmm-lab-run", "version": 1, "config": {"method": "mm", "preset": "tiny", "mm": {"alpha": 0.2}}})
        self.assertEqual((c["method"], c["batch"], c["width"], c["mm"]["alpha"], c["bmm"]["beta"]), ("mm", 16, 0.125, 0.2, 1))
        self.assertEqual(self.read({"epochs": 3})["epochs"], 3)
        c = self.read('{"epochs": 3.0, "batch": 4}')
        self.assertIsInstance(c["epochs"], int)
        self.assertEqual(c["epochs"], 3)

    def test_refusals_name_the_file(self):
        cases = [
            ("{", r"^run\.json: not JSON \("),
            ('{"lr": NaN}', r"^run\.json: not JSON \("),
            ("[1]", r"^run\.json: expected a JSON object$"),
            ({"format": "other", "config": {}}, r'^run\.json: format "other" is not "bmm-lab-run"$'),
            ({"format": "bmm-lab-run", "version": 2, "config": {}}, r"^run\.json: version 2 is not supported \(this lab reads version 1\)$"),
            ({"format": "bmm-lab-run", "config": {}}, r"^run\.json: version undefined is not supported"),
            ({"format": "bmm-lab-run", "version": True, "config": {}}, r"^run\.json: version true is not supported"),
            ({"format": "bmm-lab-run", "version": 1, "config": 3}, r'^run\.json: "config" must be an object$'),
            ({"format": "bmm-lab-run", "version": 1}, r'^run\.json: "config" must be an object$'),
            ({"epochs": 3, "optimizer": "sgd"}, r'^run\.json: unknown setting "optimizer"$'),
            ({"bmm": {"bta": 2}}, r'^run\.json: unknown setting "bmm\.bta"$'),
            ({"bmm": {"beta": -1}}, r"^run\.json: bmm\.beta must be a number > 0, got -1$"),
            ({"method": "sgd"}, r'^run\.json: method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge, audio-only, visual-only, mmpareto, agm, pmr, umt, gblend, greedy$'),
        ]
        for doc, pattern in cases:
            with self.assertRaisesRegex(ConfigError, pattern):
                self.read(doc)
        try:
            self.read({"bmm": {"beta": -1}})
        except ConfigError as e:
            self.assertEqual(e.field, "bmm.beta")


class JavaScriptText(unittest.TestCase):
    def test_numbers_as_string_of_a_number(self):
        cases = [(1.0, "1"), (0.25, "0.25"), (-1, "-1"), (1e-7, "1e-7"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
                 (0.000001, "0.000001"), (1.5e-7, "1.5e-7"), (0.1 + 0.2, "0.30000000000000004"), (-0.0, "0"), (123.456, "123.456")]
        for x, want in cases:
            self.assertEqual(js_number(x), want, repr(x))

    def test_json_and_string(self):
        self.assertEqual(js_json({"a": [1.0, "x", None, True]}), '{"a":[1,"x",null,true]}')
        self.assertEqual(js_json([1, 16, 16]), "[1,16,16]")
        self.assertEqual(js_string([1, None, "a"]), "1,,a")
        self.assertEqual(js_string({}), "[object Object]")
        self.assertEqual(js_string(None), "null")


if __name__ == "__main__":
    unittest.main()
