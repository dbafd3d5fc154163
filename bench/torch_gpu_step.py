"""PyTorch reference for bench/gpu-check.sh: seconds per training step of the lab's model (concat fusion, Adam with
L2 weight decay, cross-entropy) on random data, on a CUDA device in float32 (TF32 off: the lab computes in float32
too) or, for a dry run, on the CPU. Same model and step as bench/torch_step.py, timed with the device synchronised.

    PYTHONPATH=python python3 bench/torch_gpu_step.py --device cuda --visual 224 --batch 64 --steps 5

Prints one JSON object.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from bmm_lab import AVClassifier


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda")
    p.add_argument("--visual", type=int, default=112)
    p.add_argument("--audio-h", type=int, default=257)
    p.add_argument("--audio-w", type=int, default=188)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--classes", type=int, default=6)
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("torch_gpu_step: CUDA is not available to this PyTorch (torch.cuda.is_available() is False)")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = AVClassifier(a.classes, "concat", a.width).to(device)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    audio = torch.randn(a.batch, 1, a.audio_h, a.audio_w, device=device)
    visual = torch.randn(a.batch, 3, 1, a.visual, a.visual, device=device)
    labels = torch.randint(0, a.classes, (a.batch,), device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def step():
        opt.zero_grad()
        logits, _, _ = model(audio, visual)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        opt.step()

    for _ in range(2):  # warm-up (cuDNN picks its algorithms)
        step()
    sync()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    times.sort()
    dt = times[len(times) // 2]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(json.dumps({"backend": f"pytorch-{device.type}", "device": name, "dtype": "float32", "secondsPerStep": dt, "samplesPerSec": a.batch / dt}))


if __name__ == "__main__":
    main()
