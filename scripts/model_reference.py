"""Writes the reference data of src/core/model.test.ts: a small AVClassifier built in PyTorch with fixed weights
(seeded, with non-trivial BatchNorm running statistics), fixed inputs, and its eval-mode outputs.

Run with Debian's interpreter (PyTorch 1.13):  PYTHONPATH=python /usr/bin/python3 scripts/model_reference.py
Outputs: src/core/testdata/model_reference.weights.safetensors, src/core/testdata/model_reference.io.safetensors
"""
import json
import os

import torch

from bmm_lab import AVClassifier, save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "core", "testdata")


def main():
    torch.manual_seed(1234)
    model = AVClassifier(num_classes=5, fusion="film", width=0.0625, audio_channels=1, visual_channels=3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 4:
                continue  # keep the kaiming-normal init, so activations neither vanish nor saturate
            if ".bn" in name or "downsample.1" in name:
                p.copy_((1 + 0.2 * torch.randn_like(p)) if name.endswith("weight") else 0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * 0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)
    model.eval()
    audio = torch.randn(2, 1, 40, 30)
    visual = torch.randn(2, 3, 2, 36, 36)
    with torch.no_grad():
        logits, logits_a, logits_v = model(audio, visual)
        z_a, z_v, fused = model.features(audio, visual)
    meta = {
        "format_version": "1",
        "class_names": json.dumps(["a", "b", "c", "d", "e"]),
        "num_classes": "5",
        "fusion": "film",
        "method": "erm",
        "preset": "reference",
        "width": "0.0625",
        "audio_shape": json.dumps([1, 40, 30]),
        "visual_shape": json.dumps([3, 2, 36, 36]),
    }
    save_file({k: v for k, v in model.state_dict().items()}, os.path.join(OUT, "model_reference.weights.safetensors"), meta)
    save_file(
        {"audio": audio, "visual": visual, "logits": logits, "logits_audio": logits_a, "logits_visual": logits_v, "z_a": z_a, "z_v": z_v, "fused": fused},
        os.path.join(OUT, "model_reference.io.safetensors"),
        {"note": "eval-mode outputs of model_reference.weights.safetensors computed with PyTorch"},
    )
    print("logits", logits.tolist())


if __name__ == "__main__":
    main()
