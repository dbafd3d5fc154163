"""Test support: tiny packs written with numpy and safetensors_io, tiny models and run configs."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import numpy as np  # noqa: E402

from bmm_lab.safetensors_io import save_file  # noqa: E402

CLASSES = ["neutral", "happy", "sad"]
H = W = S = 16


CHANNELS = {"spectrogram": 1, "rgb": 3, "flow": 2}


def clip_arrays(n, t=1, visual="rgb", seed=0, h=H, w=W, s=S, first="spectrogram"):
    """Random clips: per branch (``first``, then ``visual``) spectrogram F32 [n,1,H,W] or frames U8 [n,T,S,S,C],
    and labels I64 [n]."""
    rng = np.random.default_rng(seed)
    out = {}
    for kind in (first, visual):
        if kind == "spectrogram":
            out[kind] = rng.standard_normal((n, 1, h, w)).astype(np.float32)
        else:
            out[kind] = rng.integers(0, 256, (n, t, s, s, CHANNELS[kind]), dtype=np.uint8)
    out["label"] = (np.arange(n) % len(CLASSES)).astype(np.int64)
    return out


def write_pack(directory, shards, visual="rgb", t=1, classes=CLASSES, manifest_patch=None, h=H, w=W, s=S, first="spectrogram"):
    """Writes a pack of branches [``first``, ``visual``]: ``shards`` is a list of (tensors dict, metadata dict or
    None); returns the manifest."""
    os.makedirs(directory, exist_ok=True)
    shapes = {kind: [1, h, w] if kind == "spectrogram" else [t, s, s, CHANNELS[kind]] for kind in (first, visual)}
    entries = []
    for i, (tensors, metadata) in enumerate(shards):
        name = "part-%05d.safetensors" % i
        save_file(tensors, os.path.join(directory, name), metadata)
        entries.append({"file": name, "clips": int(len(tensors["split"]))})
    manifest = {
        "format": "bmm-lab-pack",
        "version": 1,
        "class_names": list(classes),
        "branches": [first, visual],
        "shapes": shapes,
        "shards": entries,
    }
    if manifest_patch:
        manifest.update(manifest_patch)
    with open(os.path.join(directory, "pack.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


def simple_pack(directory, n_train=4, n_test=2, visual="rgb", t=1, seed=0, first="spectrogram"):
    """One shard: n_train training clips then n_test test clips; returns the arrays written."""
    arrays = clip_arrays(n_train + n_test, t, visual, seed, first=first)
    arrays["split"] = np.array([0] * n_train + [1] * n_test, dtype=np.uint8)
    write_pack(directory, [(arrays, None)], visual, t, first=first)
    return arrays


def run_config(**config):
    """A run-config document for the tiny test model and pack (16 x 16 inputs, T = 1, width 1/16)."""
    base = {
        "preset": "tiny", "width": 0.0625, "audioHeight": H, "audioWidth": W, "visualSize": S, "frames": 1,
        "batch": 2, "epochs": 2, "augment": False, "lr": 1e-3, "weightDecay": 1e-4,
    }
    base.update(config)
    return {"format": "bmm-lab-run", "version": 1, "config": base}


def write_run(path, **config):
    """Writes ``run_config(**config)`` to ``path``; returns the path."""
    with open(path, "w") as f:
        json.dump(run_config(**config), f)
    return path


def run_module(module, args, env=None, timeout=300):
    """``python -m module args`` in a subprocess with the package importable: (exit code, stdout, stderr)."""
    import subprocess

    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + full_env["PYTHONPATH"] if full_env.get("PYTHONPATH") else "")
    r = subprocess.run([sys.executable, "-m", module, *args], env=full_env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def call_main(main, args):
    """(exit code, stdout, stderr) of an in-process ``main(args)``."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def start_weights(path, doc, classes=CLASSES, visual_channels=3, seed=5, modalities=None):
    """Writes seeded start weights for the model of run-config document ``doc`` (with MMTM blocks for method
    greedy), with the lab's metadata; the branches are ``modalities``, else a spectrogram and the frames of
    ``visual_channels``."""
    import torch

    from bmm_lab.config import read_run_config
    from bmm_lab.export import config_metadata, save_weights
    from bmm_lab.model import AVClassifier, method_has_mmtm

    config = read_run_config(json.dumps(doc), "run.json")
    torch.manual_seed(seed)
    if modalities is None:
        modalities = ("spectrogram", "rgb" if visual_channels == 3 else "flow")
    model = AVClassifier(len(classes), config["fusion"], config["width"], modalities=modalities, mmtm=method_has_mmtm(config["method"]))
    save_weights(model, path, config_metadata(config, classes, modalities))
    return path


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_ranks(module, args, world, timeout=300):
    """``python -m module args`` as ``world`` processes of one process group on this machine, with the variables
    torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, OMP_NUM_THREADS=1); returns
    [(exit code, stdout, stderr)] by rank."""
    import subprocess

    port = str(free_port())
    procs = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(world),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port, OMP_NUM_THREADS="1")
        env["PYTHONPATH"] = PYTHON_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        procs.append(subprocess.Popen([sys.executable, "-m", module, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results


def tiny_batch(fusion="concat"):
    """A width-1/16 model (3 classes, seeded) and a fixed batch of 4: 8 x 8 spectrograms, one 8 x 8 RGB frame."""
    import torch

    from bmm_lab.model import AVClassifier
    from bmm_lab.rules import one_hot

    torch.manual_seed(0)
    model = AVClassifier(3, fusion, 0.0625, 1, 3)
    audio = torch.sin(torch.arange(4 * 8 * 8, dtype=torch.float32)).reshape(4, 1, 8, 8)
    visual = torch.cos(torch.arange(4 * 3 * 8 * 8, dtype=torch.float32)).reshape(4, 3, 1, 8, 8)
    targets = one_hot(torch.tensor([0, 1, 2, 1]), 3)
    return model, audio, visual, targets
