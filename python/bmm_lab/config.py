"""Run configs from the lab's settings table: defaults, presets, validation and run-config documents.

Mirrors ``src/core/config.ts`` (``makeConfig``, ``validateConfig``, ``checkSetting``, ``describeRange``,
``settingApplies``) and ``readRunConfig`` in ``src/core/settingsDocument.ts``. No setting is declared here: the table
is ``settings.json`` beside this file, written from TypeScript by ``npm run settings:export``. Messages use the TS
wording (``bmm.beta must be a number > 0, got -1``) so both sides refuse a config with the same words.
"""

import copy
import json
import math
import os

from .jsformat import js_json, js_number, js_string
from .unimodal import HALF_BIAS_FUSIONS

SETTINGS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.json")
RUN_CONFIG_FORMAT = "bmm-lab-run"
RUN_CONFIG_VERSION = 1
_MISSING = ...  # JavaScript's undefined, for messages
GREEDY_MICRO_BATCH = "method greedy does not support micro-batches (its MMTM running means and learning speeds are per step): unset microBatch"


class ConfigError(ValueError):
    """An invalid config; ``field`` is the setting's path (or ``config``, ``format``, ``version``)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _load_table(path=SETTINGS_PATH):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "bmm-lab-settings" or doc.get("version") != 1:
        raise ValueError("%s: not a bmm-lab-settings version 1 table" % path)
    return doc["settings"], doc["presets"]


SETTINGS, PRESETS = _load_table()
BY_PATH = {s["path"]: s for s in SETTINGS}


def _group_of(setting):
    """The optional group a setting belongs to (``stepLr`` for ``stepLr.step``), or None."""
    path = setting["path"]
    if "." not in path:
        return None
    parent = BY_PATH.get(path.rsplit(".", 1)[0])
    return parent if parent and parent["kind"] == "bool" and parent.get("optionalGroup") else None


def _children_of(group):
    prefix = group["path"] + "."
    return [s for s in SETTINGS if s["path"].startswith(prefix)]


def _is_object(value):
    return isinstance(value, dict)


def _lookup(config, path):
    """The value at a dotted path, or _MISSING (JavaScript's ``a?.b?.c``)."""
    node = config
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def get_setting(config, path):
    """A setting's value in ``config``; a child of a group that is off reads as its default (``getSetting``)."""
    setting = BY_PATH.get(path)
    if setting is None:
        raise ConfigError(path, 'unknown setting "%s"' % path)
    if setting["kind"] == "bool" and setting.get("optionalGroup"):
        return config.get(path) is not None
    value = _lookup(config, path)
    return setting["default"] if value is _MISSING or value is None else value


def set_setting(config, path, value):
    """Sets a setting by path in place (``setSetting``): nested paths, an optional group (switched on with its
    defaults when one of its settings is set), and a preset's sizes. Not validated; ConfigError for an unknown path."""
    if path not in BY_PATH:
        raise ConfigError(path, 'unknown setting "%s"' % path)
    _set_setting(config, path, value)
    return config


def _set_setting(config, path, value):
    """``setSetting`` for what defaults need: nested paths, an optional group, and a preset's sizes."""
    setting = BY_PATH[path]
    if setting["kind"] == "bool" and setting.get("optionalGroup"):
        if not value:
            config[path] = None
        elif config.get(path) is None:
            config[path] = {c["path"][len(path) + 1 :]: c["default"] for c in _children_of(setting)}
        return
    group = _group_of(setting)
    if group and config.get(group["path"]) is None:
        _set_setting(config, group["path"], True)
    keys = path.split(".")
    node = config
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value
    if path == "preset":
        config.update(PRESETS[value])


def _default_config():
    config = {}
    for s in SETTINGS:
        if _group_of(s):
            continue
        if s["kind"] == "bool" and s.get("optionalGroup"):
            config[s["path"]] = {} if s["default"] else None
        else:
            _set_setting(config, s["path"], s["default"])
    return config


DEFAULT_CONFIG = _default_config()


def default_config():
    """A fresh copy of the default config (the fast preset)."""
    return copy.deepcopy(DEFAULT_CONFIG)


def make_config(overrides=None):
    """The defaults, then the preset's sizes, then ``overrides`` (nested groups merged key by key): ``makeConfig``."""
    overrides = overrides or {}
    preset = overrides.get("preset")
    if preset is None:
        preset = DEFAULT_CONFIG["preset"]
    config = default_config()
    sizes = PRESETS.get(preset) if isinstance(preset, str) else None
    config.update(sizes if sizes is not None else PRESETS["fast"])
    for key, value in overrides.items():
        base = DEFAULT_CONFIG.get(key)
        if _is_object(value) and _is_object(base):
            config[key] = {**copy.deepcopy(base), **value}
        else:
            config[key] = copy.deepcopy(value)
    config["preset"] = preset
    return config


def describe_range(setting):
    """What a setting accepts, in words: "an integer >= 1", "a number > 0 and <= 4" (``describeRange``)."""
    if setting["kind"] == "enum":
        return "one of " + ", ".join(setting["values"])
    if setting["kind"] == "bool":
        return "true or false"
    text = "an integer" if setting.get("integer") else "a number"
    if "minExclusive" in setting:
        text += " > " + js_number(setting["minExclusive"])
    elif "min" in setting:
        text += " >= " + js_number(setting["min"])
    if "max" in setting:
        text += " and <= " + js_number(setting["max"])
    return text


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_setting(setting, value):
    """Why ``value`` is not allowed for ``setting``, as a ConfigError; None when it is (``checkSetting``).

    ``value`` is ``...`` (Ellipsis) for a missing value, JavaScript's undefined.
    """
    field = setting["path"]
    kind = setting["kind"]
    if kind == "enum":
        allowed = ", ".join(setting["values"])
        if value is _MISSING or value is None or value == "":
            return ConfigError(field, "%s is missing; allowed values: %s" % (field, allowed))
        if not isinstance(value, str) or value not in setting["values"]:
            return ConfigError(field, '%s "%s" is not known; allowed values: %s' % (field, js_string(value), allowed))
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else ConfigError(field, "%s must be true or false" % field)
    expected = describe_range(setting)
    if value is _MISSING or value is None or (_is_number(value) and math.isnan(value)):
        return ConfigError(field, "%s is missing; expected %s" % (field, expected))
    if not _is_number(value) or not math.isfinite(value):
        return ConfigError(field, "%s must be %s, got %s" % (field, expected, js_json(value)))
    if (
        (setting.get("integer") and not float(value).is_integer())
        or ("min" in setting and value < setting["min"])
        or ("minExclusive" in setting and value <= setting["minExclusive"])
        or ("max" in setting and value > setting["max"])
    ):
        return ConfigError(field, "%s must be %s, got %s" % (field, expected, js_number(value)))
    return None


def validate_config(config, train_size=None):
    """Checks every setting in table order; raises a ConfigError naming the first bad one (``validateConfig``).

    ``train_size``, when given, also bounds the batch size. Returns ``config``.
    """
    if not isinstance(config, dict):
        raise ConfigError("config", "config must be an object")
    for s in SETTINGS:
        path = s["path"]
        group = _group_of(s)
        if group and config.get(group["path"]) is None:
            continue
        top = path.split(".")[0]
        if "." in path and not group and not _is_object(config.get(top)):
            children = [c["path"][len(top) + 1 :] for c in SETTINGS if c["path"].startswith(top + ".")]
            raise ConfigError(top, "%s is missing; expected { %s }" % (top, ", ".join(children)))
        if s["kind"] == "bool" and s.get("optionalGroup"):
            if path not in config or (config[path] is not None and not _is_object(config[path])):
                names = [c["path"][len(path) + 1 :] for c in _children_of(s)]
                raise ConfigError(path, "%s must be null or { %s }" % (path, ", ".join(names)))
            continue
        value = _lookup(config, path)
        error = check_setting(s, value)
        if error:
            raise error
        if path == "batch" and train_size is not None and value > train_size:
            raise ConfigError(
                "batch",
                "batch %s is larger than the training set (%d clips); use at most %d" % (js_number(value), train_size, train_size),
            )
    # The rules across settings, in config.ts's order: the unimodal rows' head, OGM-GE code's half bias (a head that
    # splits by modality), Greedy without micro-batches (a microBatch below batch splits the batch), G-Blending's
    # validation clips.
    method = config.get("method")
    if method in ("audio-only", "visual-only") and config.get("unimodal") != "zero":
        raise ConfigError(
            "unimodal",
            "method %s trains the head with the other feature at zero, so its accuracy is the unimodal score with unimodal zero, not %s; use --unimodal zero"
            % (method, js_string(config.get("unimodal"))),
        )
    if config.get("unimodal") == "half-bias" and config.get("fusion") not in HALF_BIAS_FUSIONS:
        raise ConfigError(
            "unimodal",
            "unimodal half-bias is defined for %s fusion, not %s; use zero or mean" % (", ".join(HALF_BIAS_FUSIONS), config.get("fusion")),
        )
    micro = config.get("microBatch")
    if method == "greedy" and _is_number(micro) and 0 < micro < config.get("batch"):
        raise ConfigError("microBatch", GREEDY_MICRO_BATCH)
    val_split = config.get("valSplit")
    if method == "gblend" and not (_is_number(val_split) and val_split > 0):
        raise ConfigError("valSplit", "method gblend measures its loss weights on validation clips held out of the training split; set valSplit (e.g. 0.1)")
    return config


def setting_applies(config, path):
    """Whether a setting matters for this config: its method applies and its ``when`` conditions hold."""
    setting = BY_PATH.get(path)
    if setting is None:
        return False
    if "methods" in setting and config.get("method") not in setting["methods"]:
        return False
    for other, allowed in setting.get("when", {}).items():
        if other != path and setting_applies(config, other) and get_setting(config, other) not in allowed:
            return False
    return True


def _integers_as_int(config):
    """Integer settings as Python ints (JSON may spell 10 as 10.0), after validation."""
    out = copy.deepcopy(config)
    for s in SETTINGS:
        if s["kind"] != "number" or not s.get("integer"):
            continue
        keys = s["path"].split(".")
        node = out
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and _is_number(node.get(keys[-1])):
            node[keys[-1]] = int(node[keys[-1]])
    return out


def _reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def read_run_config(text, source):
    """A validated config from a run-config document or a bare config object; ``source`` names the file.

    As ``readRunConfig``: missing settings take their defaults (after the preset's sizes); unknown top-level keys,
    other formats and other versions are refused; every message starts with ``source``.
    """
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise ConfigError("config", "%s: not JSON (%s)" % (source, e)) from None
    if not isinstance(doc, dict):
        raise ConfigError("config", "%s: expected a JSON object" % source)
    raw = doc
    if "format" in doc:
        if doc["format"] != RUN_CONFIG_FORMAT:
            raise ConfigError("format", '%s: format "%s" is not "%s"' % (source, js_string(doc["format"]), RUN_CONFIG_FORMAT))
        version = doc.get("version", _MISSING)
        if not (_is_number(version) and version == RUN_CONFIG_VERSION):
            raise ConfigError(
                "version",
                "%s: version %s is not supported (this lab reads version %d)" % (source, js_string(version), RUN_CONFIG_VERSION),
            )
        raw = doc.get("config")
    if not isinstance(raw, dict):
        raise ConfigError("config", '%s: "config" must be an object' % source)
    known = {s["path"].split(".")[0] for s in SETTINGS}
    paths = {s["path"] for s in SETTINGS}
    for key in raw:
        if key not in known:
            raise ConfigError(key, '%s: unknown setting "%s"' % (source, key))
        if isinstance(raw[key], dict):
            for sub in raw[key]:
                if "%s.%s" % (key, sub) not in paths:
                    raise ConfigError("%s.%s" % (key, sub), '%s: unknown setting "%s.%s"' % (source, key, sub))
    try:
        return _integers_as_int(validate_config(make_config(raw)))
    except ConfigError as e:
        raise ConfigError(e.field, "%s: %s" % (source, e)) from None


def load_run_config(path):
    """``read_run_config`` of a file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError("config", "%s: cannot be read (%s)" % (path, e.strerror or e)) from None
    return read_run_config(text, path)
