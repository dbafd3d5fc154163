"""Runs a grid of training runs on one machine: one run per GPU at a time (on CPUs one at a time, or ``--parallel N``).

    python -m bmm_lab.sweep GRID.json [--parallel N] [--device cuda|cpu] [--workers N] [--amp bf16] [--dry-run]

GRID.json:

    {"format": "bmm-lab-sweep", "version": 1,
     "data": "PACK",                                  # the dataset pack every run trains on
     "out": "DIR",                                    # one folder per run: DIR/<run name>/
     "base": {"preset": "paper", "epochs": 60, "augment": true},    # a config, as in a run-config document
     "grid": {"method": ["erm", "bmm"], "seed": [0, 1, 2], "bmm.beta": [0.5, 1]}}

``data`` and ``out`` are relative to GRID.json's folder (or absolute). ``base`` is the ``config`` object of a
run-config document (missing settings take their defaults). ``grid`` maps setting paths (``seed``, ``bmm.beta``,
``stepLr.step``: the names of the settings table) to non-empty lists of values; the runs are every combination, the
last key varying fastest, each named by its values, ``method=erm,seed=0,bmm.beta=0.5`` (characters other than
letters, digits and ``._=,+-`` become ``_``). An empty grid is one run named ``base``. Every run's config is
validated before any run starts; an unknown key or a bad value is refused naming GRID.json and the run.

Each run is ``python -m bmm_lab.train --config DIR/<name>/config.json --data PACK --out DIR/<name>`` (its outputs:
config.json, metrics.jsonl, checkpoint.pt, model.safetensors; its stdout and stderr in ``log.txt``). A run whose
metrics.jsonl ends with a summary without error and whose model.safetensors exists is complete and skipped; one
with a checkpoint continues with ``--resume`` (as does a complete run when the grid now asks for more epochs); so
running a sweep again finishes what was left. A complete run whose config differs otherwise is refused (move its
folder away to rerun it).

On CUDA each run sees one GPU (``CUDA_VISIBLE_DEVICES``) and as many run at a time as there are GPUs; on CPUs
``--parallel`` runs at a time share the cores (``OMP_NUM_THREADS`` = cores / parallel unless set). One JSON line per
run on stdout as it ends, ``{"run", "status": "done"|"skipped"|"failed", "exitCode", "epochs", "bestTestAcc",
"finalTestAcc", "dir"}``, and the same lines in grid order in DIR/sweep.jsonl. Exit status 0 when every run is done
or skipped, 1 when one failed, 2 for a GRID.json refused.
"""

import argparse
import concurrent.futures
import copy
import itertools
import json
import os
import queue
import re
import subprocess
import sys
import threading

from .config import BY_PATH, ConfigError, read_run_config, set_setting, validate_config
from .jsformat import js_string

SWEEP_FORMAT = "bmm-lab-sweep"
SWEEP_VERSION = 1
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SweepError(ValueError):
    """A GRID.json refused; the message names the file and what was expected."""


def run_name(assignment):
    """The folder name of one combination: ``key=value`` pairs joined by commas; ``base`` for none."""
    if not assignment:
        return "base"
    text = ",".join("%s=%s" % (k, js_string(v)) for k, v in assignment)
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)


def read_grid(path):
    """The checked sweep: {"data", "out" (absolute), "runs": [(name, config)]}; raises SweepError naming ``path``."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise SweepError("%s: cannot be read (%s)" % (path, e.strerror or e)) from None
    except ValueError as e:
        raise SweepError("%s: not JSON (%s)" % (path, e)) from None
    if not isinstance(doc, dict) or doc.get("format") != SWEEP_FORMAT:
        raise SweepError('%s: expected {"format": "%s", "version": %d, "data", "out", "base", "grid"}' % (path, SWEEP_FORMAT, SWEEP_VERSION))
    if doc.get("version") != SWEEP_VERSION:
        raise SweepError("%s: version %s is not supported (this sweep reads version %d)" % (path, js_string(doc.get("version", ...)), SWEEP_VERSION))
    unknown = sorted(set(doc) - {"format", "version", "data", "out", "base", "grid"})
    if unknown:
        raise SweepError('%s: unknown key "%s" (expected format, version, data, out, base, grid)' % (path, unknown[0]))
    here = os.path.dirname(os.path.abspath(path))
    for key in ("data", "out"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise SweepError('%s: "%s" must be a folder name' % (path, key))
    base = doc.get("base", {})
    if not isinstance(base, dict):
        raise SweepError('%s: "base" must be a config object' % path)
    grid = doc.get("grid", {})
    if not isinstance(grid, dict):
        raise SweepError('%s: "grid" must map setting paths to lists of values' % path)
    for key, values in grid.items():
        if key not in BY_PATH:
            raise SweepError('%s: grid key "%s" is not a setting (settings are named by path, e.g. "seed", "bmm.beta")' % (path, key))
        if not isinstance(values, list) or not values:
            raise SweepError('%s: grid "%s" must be a non-empty list of values' % (path, key))
    base_config = read_run_config(json.dumps({"format": "bmm-lab-run", "version": 1, "config": base}), "%s (base)" % path)
    runs = []
    names = set()
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        assignment = list(zip(keys, values))
        name = run_name(assignment)
        if name in names:
            raise SweepError("%s: two runs would be named %s; give values that differ in letters or digits" % (path, name))
        names.add(name)
        config = copy.deepcopy(base_config)
        for key, value in assignment:
            set_setting(config, key, value)
        try:
            validate_config(config)
        except ConfigError as e:
            raise SweepError("%s: run %s: %s" % (path, name, e)) from None
        runs.append((name, config))
    return {"data": os.path.join(here, doc["data"]), "out": os.path.join(here, doc["out"]), "runs": runs}


def _summary(run_dir):
    """The summary object of a finished run's metrics.jsonl, or None."""
    try:
        with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
        last = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None
    return last.get("summary") if isinstance(last, dict) else None


def _config_of(run_dir):
    try:
        with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as f:
            return json.load(f).get("config")
    except (OSError, ValueError, AttributeError):
        return None


def _but_epochs(config):
    return {k: v for k, v in config.items() if k != "epochs"} if isinstance(config, dict) else config


def plan_run(run_dir, config):
    """What a run needs: "skip" (complete), "resume" (has a checkpoint; or complete with fewer epochs than the grid
    now asks), "run" (fresh), or "conflict" (complete with another config)."""
    summary = _summary(run_dir)
    has_checkpoint = os.path.exists(os.path.join(run_dir, "checkpoint.pt"))
    if summary is not None and summary.get("error") is None and os.path.exists(os.path.join(run_dir, "model.safetensors")):
        ran = _config_of(run_dir)
        if ran == config:
            return "skip"
        if _but_epochs(ran) == _but_epochs(config) and has_checkpoint:
            return "resume"
        return "conflict"
    return "resume" if has_checkpoint else "run"


def _result(name, run_dir, status, code):
    summary = _summary(run_dir) or {}
    return {
        "run": name,
        "status": status,
        "exitCode": code,
        "epochs": summary.get("epochs"),
        "bestTestAcc": summary.get("bestTestAcc"),
        "finalTestAcc": summary.get("finalTestAcc"),
        "dir": run_dir,
    }


def _train_command(run_dir, data, action, args):
    cmd = [sys.executable, "-m", "bmm_lab.train", "--config", os.path.join(run_dir, "config.json"), "--data", data, "--out", run_dir]
    cmd += ["--workers", str(args.workers)]
    if args.device:
        cmd += ["--device", args.device]
    if args.amp:
        cmd += ["--amp", args.amp]
    if action == "resume":
        cmd.append("--resume")
    return cmd


def _slots(args):
    """The run slots: one per GPU (its index) on CUDA, else ``--parallel`` CPU slots (None)."""
    device = args.device
    if device != "cpu":
        import torch

        gpus = torch.cuda.device_count()
        if gpus > 0:
            return list(range(gpus))
        if device == "cuda":
            raise SweepError("--device cuda: no CUDA device is available here")
    return [None] * max(1, args.parallel)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bmm_lab.sweep", description=__doc__.split("\n\n")[0])
    p.add_argument("grid", help="GRID.json (format bmm-lab-sweep)")
    p.add_argument("--parallel", type=int, default=1, help="CPU runs at a time (default 1; GPUs: one run per GPU)")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when available")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers per run (default 2)")
    p.add_argument("--amp", choices=("bf16",), help="bfloat16 autocast in every run")
    p.add_argument("--dry-run", action="store_true", help="print what each run needs (run, resume, skip) and stop")
    args = p.parse_args(argv)
    try:
        sweep = read_grid(args.grid)
        slots = _slots(args)
    except (SweepError, ConfigError) as e:
        sys.stderr.write("error: %s\n" % e)
        return 2
    plans = [(name, config, os.path.join(sweep["out"], name)) for name, config in sweep["runs"]]
    plans = [(name, config, run_dir, plan_run(run_dir, config)) for name, config, run_dir in plans]
    if args.dry_run:
        for name, _, run_dir, action in plans:
            sys.stdout.write(json.dumps({"run": name, "action": action, "dir": run_dir}) + "\n")
        return 0
    free = queue.Queue()
    for slot in slots:
        free.put(slot)
    lock = threading.Lock()
    threads_per_run = max(1, (os.cpu_count() or 1) // len(slots))

    def emit(result):
        with lock:
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()

    def execute(name, config, run_dir, action):
        if action == "skip":
            result = _result(name, run_dir, "skipped", 0)
            emit(result)
            return result
        if action == "conflict":
            sys.stderr.write("error: %s is complete with another config than %s gives run %s; move it away to rerun it\n" % (run_dir, args.grid, name))
            result = _result(name, run_dir, "failed", None)
            emit(result)
            return result
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"format": "bmm-lab-run", "version": 1, "config": config}, f, indent=2)
            f.write("\n")
        slot = free.get()
        try:
            env = dict(os.environ)
            env["PYTHONPATH"] = PACKAGE_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
            if slot is not None:
                env["CUDA_VISIBLE_DEVICES"] = str(slot)
            else:
                env.setdefault("OMP_NUM_THREADS", str(threads_per_run))
            with open(os.path.join(run_dir, "log.txt"), "a", encoding="utf-8") as log:
                code = subprocess.call(_train_command(run_dir, sweep["data"], action, args), stdout=log, stderr=subprocess.STDOUT, env=env)
        finally:
            free.put(slot)
        result = _result(name, run_dir, "done" if code == 0 else "failed", code)
        emit(result)
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(slots)) as pool:
        results = list(pool.map(lambda plan: execute(*plan), plans))
    os.makedirs(sweep["out"], exist_ok=True)
    with open(os.path.join(sweep["out"], "sweep.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in results)
    return 1 if any(r["status"] == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
