"""Training samples/s of the PyTorch trainer (python -m bmm_lab.train) at the CREMA-D shapes of the paper preset:
spectrogram 1 x 257 x 188, T = 1 frame of 224 x 224 (METHOD.md section 1), width 1, batch 64, concat fusion.

    PYTHONPATH=python /usr/bin/python3 bench/torch_train.py [--steps 2] [--methods erm,bmm] [--device cuda|cpu]
        [--amp bf16] [--workers 2] [--batch 64] [--visual 224] [--frames 1] [--width 1] [--augment on|off]

It writes a synthetic pack of batch x (steps + 1) clips in a temporary folder and times, per method, the trainer's
own training steps (the DataLoader with the paper's augmentation, the method's loss, backward, Adam; the
evaluation passes are left out), the first step being a warm-up; B-MM is timed in a balanced epoch (warmup 0, a
fixed rho) so it mixes. It also times the input pipeline alone (clips/s the workers deliver). Prints a table, then
one JSON object on the last line. The default run (2 timed steps) takes about a minute on two CPU cores.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from bmm_lab.config import read_run_config  # noqa: E402
from bmm_lab.distributed import Processes  # noqa: E402
from bmm_lab.pack import load_pack  # noqa: E402
from bmm_lab.safetensors_io import save_file  # noqa: E402
from bmm_lab.train import Trainer  # noqa: E402

CLASSES = ["NEU", "HAP", "SAD", "FEA", "DIS", "ANG"]


def write_pack(directory, n, h, w, t, s, seed=0):
    """n training clips and one test clip of random spectrograms and frames."""
    rng = np.random.default_rng(seed)
    tensors = {
        "spectrogram": rng.standard_normal((n + 1, 1, h, w), dtype=np.float32),
        "rgb": rng.integers(0, 256, (n + 1, t, s, s, 3), dtype=np.uint8),
        "label": (np.arange(n + 1) % len(CLASSES)).astype(np.int64),
        "split": np.array([0] * n + [1], dtype=np.uint8),
    }
    save_file(tensors, os.path.join(directory, "part-00000.safetensors"))
    manifest = {"format": "bmm-lab-pack", "version": 1, "class_names": CLASSES, "branches": ["spectrogram", "rgb"],
                "shapes": {"spectrogram": [1, h, w], "rgb": [t, s, s, 3]}, "shards": [{"file": "part-00000.safetensors", "clips": n + 1}]}
    with open(os.path.join(directory, "pack.json"), "w") as f:
        json.dump(manifest, f)


def time_method(method, pack, a, device):
    config = read_run_config(json.dumps({"format": "bmm-lab-run", "version": 1, "config": {
        "preset": "paper", "method": method, "width": a.width, "batch": a.batch, "epochs": 1, "audioHeight": a.audio_h,
        "audioWidth": a.audio_w, "visualSize": a.visual, "frames": a.frames, "augment": a.augment == "on",
        "bmm": {"warmup": 0}}}), "bench")
    trainer = Trainer(config, pack, Processes(device=device), workers=a.workers, amp=a.amp)
    if method == "bmm":
        trainer.metrics.append({"rho": 2.0})  # a balanced epoch: rho 2 before it, m = tanh(1) on the visual input
        trainer.rho_history.append(2.0)
    try:
        r = trainer.train_epoch(limit_steps=a.steps + 1, evaluate=False)
    finally:
        trainer.close()
    if method == "bmm":
        assert trainer.plan.weak == "visual" and trainer.plan.m > 0.7
    timed = r["stepSeconds"][1:]
    per_step = sum(timed) / len(timed)
    return {"method": method, "secondsPerStep": per_step, "samplesPerSec": a.batch / per_step, "warmupSeconds": r["stepSeconds"][0], "loss": r["loss"]}


def time_inputs(pack, a):
    """Clips/s of the augmented input pipeline alone (the trainer's DataLoader)."""
    from bmm_lab.data import EpochBatches, PackInputs, make_loader

    keys = [[("train", p, 0, p) for p in range(start, start + a.batch)] for start in range(0, pack.train.size - a.batch + 1, a.batch)]
    loader = make_loader(PackInputs(pack, a.augment == "on", 0), EpochBatches(keys), a.workers)
    t0 = time.perf_counter()
    n = sum(batch[0].shape[0] for batch in loader)
    return n / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=2, help="timed steps per method, after one warm-up step (default 2)")
    p.add_argument("--methods", default="erm", help="comma-separated: erm, mm, bmm, ogm-ge (default erm)")
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--amp", choices=("bf16",))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--visual", type=int, default=224)
    p.add_argument("--frames", type=int, default=1)
    p.add_argument("--audio-h", type=int, default=257)
    p.add_argument("--audio-w", type=int, default=188)
    p.add_argument("--augment", choices=("on", "off"), default="on")
    a = p.parse_args()
    device = torch.device(a.device)
    tmp = tempfile.mkdtemp()
    try:
        write_pack(tmp, a.batch * (a.steps + 1), a.audio_h, a.audio_w, a.frames, a.visual)
        pack = load_pack(tmp)
        inputs_per_sec = time_inputs(pack, a)
        results = [time_method(m.strip(), pack, a, device) for m in a.methods.split(",") if m.strip()]
    finally:
        shutil.rmtree(tmp)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU, %d threads" % torch.get_num_threads()
    print("PyTorch trainer, %s%s: audio 1x%dx%d, %d frame(s) %dx%d, width %g, batch %d, augment %s, %d workers"
          % (name, ", bf16 autocast" if a.amp else "", a.audio_h, a.audio_w, a.frames, a.visual, a.visual, a.width, a.batch, a.augment, a.workers))
    print("%-8s %12s %12s %12s" % ("method", "s/step", "samples/s", "warm-up s"))
    for r in results:
        print("%-8s %12.3f %12.1f %12.2f" % (r["method"], r["secondsPerStep"], r["samplesPerSec"], r["warmupSeconds"]))
    print("input pipeline alone: %.1f clips/s" % inputs_per_sec)
    print(json.dumps({
        "backend": "pytorch-%s" % device.type, "device": name, "amp": a.amp, "threads": torch.get_num_threads(), "workers": a.workers,
        "batch": a.batch, "width": a.width, "audio": [1, a.audio_h, a.audio_w], "visual": [3, a.frames, a.visual, a.visual],
        "augment": a.augment == "on", "steps": a.steps, "inputClipsPerSec": inputs_per_sec, "methods": results,
    }))


if __name__ == "__main__":
    main()
