"""Runs an exported lab model on given inputs, so the TS test suite can compare the lab with PyTorch.

    /usr/bin/python3 -m bmm_lab.eval_cli --weights W.safetensors --inputs IN.safetensors --out OUT.safetensors

IN holds ``audio``, the first branch's input, and ``visual``, the second's (PyTorch layouts, any float dtype): a
spectrogram branch takes [N, 1, H, W], a frame branch (rgb, flow) [N, C, T, H, W]; the weights' metadata says which
(``modalities``; so a ``["rgb","flow"]`` model takes two 5-D inputs); a method greedy model (metadata ``method``
greedy) has its MMTM blocks, run plainly (nothing held). OUT gets
``logits``, ``logits_audio`` and ``logits_visual`` as F32 [N, classes]; with --features also ``z_a``, ``z_v`` and
``fused``. Options for checking training too:
  --mode train       BatchNorm uses batch statistics (and updates its running averages);
  --state-out PATH   the state dict after the forward pass (running averages, num_batches_tracked);
  --grads-out PATH   with ``labels`` (I64 [N]) or ``targets`` (F32 [N, classes], soft) in IN: the mean
                     cross-entropy of ``logits`` as ``loss`` and the gradient of every parameter, by name.
  --float64          compute in double precision (outputs are still written as F32).
"""

import argparse
import sys

import torch
import torch.nn.functional as F

from .loader import load_model
from .safetensors_io import load_file, save_file


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bmm_lab.eval_cli", description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="model exported by the lab (.safetensors)")
    p.add_argument("--inputs", required=True, help="safetensors with audio (first branch: [N,1,H,W] or [N,C,T,H,W]) and visual [N,C,T,H,W]")
    p.add_argument("--out", required=True, help="where to write logits, logits_audio, logits_visual (F32)")
    p.add_argument("--mode", choices=("eval", "train"), default="eval")
    p.add_argument("--features", action="store_true", help="also write z_a, z_v and fused")
    p.add_argument("--state-out", help="write the state dict after the forward pass here")
    p.add_argument("--grads-out", help="write loss and parameter gradients here (needs labels or targets)")
    p.add_argument("--float64", action="store_true", help="compute in float64")
    args = p.parse_args(argv)

    model, _ = load_model(args.weights)
    inputs, _ = load_file(args.inputs)
    for key in ("audio", "visual"):
        if key not in inputs:
            p.error("%s has no tensor %r (has: %s)" % (args.inputs, key, ", ".join(sorted(inputs)) or "none"))
    dtype = torch.float64 if args.float64 else torch.float32
    model = model.to(dtype)
    model.train(args.mode == "train")
    audio = inputs["audio"].to(dtype)
    visual = inputs["visual"].to(dtype)
    try:
        model.check_input(audio, 0)
        model.check_input(visual, 1)
    except ValueError as e:
        p.error("%s: %s" % (args.inputs, e))

    want_grads = args.grads_out is not None
    with torch.set_grad_enabled(want_grads):
        z_a, z_v, fused = model.features(audio, visual)
        logits, logits_audio, logits_visual = model.heads(z_a, z_v)
        out = {"logits": logits, "logits_audio": logits_audio, "logits_visual": logits_visual}
        if args.features:
            out.update(z_a=z_a, z_v=z_v, fused=fused)
        if want_grads:
            if "labels" in inputs:
                loss = F.cross_entropy(logits, inputs["labels"].long())
            elif "targets" in inputs:
                loss = -(inputs["targets"].to(dtype) * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
            else:
                p.error("--grads-out needs a tensor 'labels' (I64 [N]) or 'targets' (F32 [N, classes]) in --inputs")
            model.zero_grad()
            loss.backward()
            grads = {"loss": loss.detach().reshape(())}
            for name, param in model.named_parameters():
                g = param.grad if param.grad is not None else torch.zeros_like(param)
                grads[name] = g
            save_file({k: v.detach().float() for k, v in grads.items()}, args.grads_out)

    save_file({k: v.detach().float().contiguous() for k, v in out.items()}, args.out)
    if args.state_out:
        state = {k: (v.float() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        save_file(state, args.state_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
