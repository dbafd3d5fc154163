"""PyTorch reference for `npm run bench` and bench/gpu-check.sh: seconds per training step of the lab's model (concat
fusion, Adam with L2 weight decay, cross-entropy) on random data at the given shapes. On the CPU (the default): one
warm-up step, then the mean over --steps. On CUDA, in float32 with TF32 off (the lab computes in float32 too): two
warm-up steps (cuDNN picks its algorithms), each step timed with the device synchronised, the median. Run with
Debian's interpreter:
    PYTHONPATH=python /usr/bin/python3 bench/torch_step.py --visual 112 --batch 16 --steps 3
    PYTHONPATH=python python3 bench/torch_step.py --device cuda --visual 224 --batch 64 --steps 5
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
    p.add_argument("--device", default="cpu")
    p.add_argument("--visual", type=int, default=112)
    p.add_argument("--audio-h", type=int, default=257)
    p.add_argument("--audio-w", type=int, default=188)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--classes", type=int, default=6)
    a = p.parse_args()
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            raise SystemExit("torch_step: CUDA is not available to this PyTorch (torch.cuda.is_available() is False)")
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
        if cuda:
            torch.cuda.synchronize(device)

    def step():
        opt.zero_grad()
        logits, _, _ = model(audio, visual)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        opt.step()

    for _ in range(2 if cuda else 1):  # warm-up
        step()
    sync()
    if cuda:
        times = []
        for _ in range(a.steps):
            t0 = time.perf_counter()
            step()
            sync()
            times.append(time.perf_counter() - t0)
        dt = sorted(times)[len(times) // 2]
        out = {"backend": "pytorch-cuda", "device": torch.cuda.get_device_name(device), "dtype": "float32"}
    else:
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        dt = (time.perf_counter() - t0) / a.steps
        out = {"backend": "pytorch-cpu", "device": "cpu", "threads": torch.get_num_threads()}
    print(json.dumps({**out, "secondsPerStep": dt, "samplesPerSec": a.batch / dt}))


if __name__ == "__main__":
    main()
