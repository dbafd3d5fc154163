"""PyTorch reference for `npm run bench`: samples/s of one training step of the same model (concat fusion, Adam with
L2 weight decay, cross-entropy) at the given shapes. Run with Debian's interpreter:
    PYTHONPATH=python /usr/bin/python3 bench/torch_step.py --visual 112 --batch 16 --steps 3
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
    p.add_argument("--visual", type=int, default=112)
    p.add_argument("--audio-h", type=int, default=257)
    p.add_argument("--audio-w", type=int, default=188)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--classes", type=int, default=6)
    a = p.parse_args()
    torch.manual_seed(0)
    model = AVClassifier(a.classes, "concat", a.width)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    audio = torch.randn(a.batch, 1, a.audio_h, a.audio_w)
    visual = torch.randn(a.batch, 3, 1, a.visual, a.visual)
    labels = torch.randint(0, a.classes, (a.batch,))

    def step():
        opt.zero_grad()
        logits, _, _ = model(audio, visual)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        opt.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    print(json.dumps({"backend": "pytorch-cpu", "threads": torch.get_num_threads(), "secondsPerStep": dt, "samplesPerSec": a.batch / dt}))


if __name__ == "__main__":
    main()
