"""Prints the state-dict names and shapes of the lab's model, for checking the TS exporter against PyTorch.

    /usr/bin/python3 -m bmm_lab.state_dict_spec --fusion concat --classes 6 --width 1 \
        [--modalities rgb,flow | --audio-channels 1 --visual-channels 3] [--mmtm] [--dtypes]

``--modalities`` names the two branch kinds (spectrogram, rgb, flow; default spectrogram,rgb); the older
``--audio-channels`` / ``--visual-channels`` (1 spectrogram, 3 rgb, 2 flow) still work without it. ``--mmtm`` adds
the MMTM blocks of method greedy (``mmtm2``..``mmtm4``, after the fusion module's tensors).
Output: one JSON object {name: shape} in state-dict order (with --dtypes: {name: {"dtype", "shape"}}, dtype as a
safetensors code: F32 for weights and running statistics, I64 for num_batches_tracked, whose shape is []).
"""

import argparse
import json
import sys

import torch

from .model import FUSIONS, AVClassifier

_CODES = {torch.float32: "F32", torch.int64: "I64"}


def spec(fusion, classes, width=1.0, audio_channels=None, visual_channels=None, dtypes=False, modalities=None, mmtm=False):
    """{name: shape} (or {name: {"dtype", "shape"}}) of AVClassifier's state dict, in order (``mmtm``: with the
    MMTM blocks of method greedy)."""
    model = AVClassifier(classes, fusion, width, audio_channels, visual_channels, modalities=modalities, mmtm=mmtm)
    out = {}
    for name, t in model.state_dict().items():
        shape = list(t.shape)
        out[name] = {"dtype": _CODES[t.dtype], "shape": shape} if dtypes else shape
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bmm_lab.state_dict_spec", description=__doc__.split("\n\n")[0])
    p.add_argument("--fusion", choices=FUSIONS, default="concat")
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--modalities", help="the two branch kinds, comma-separated (e.g. rgb,flow)")
    p.add_argument("--audio-channels", type=int)
    p.add_argument("--visual-channels", type=int)
    p.add_argument("--mmtm", action="store_true", help="with the MMTM blocks of method greedy (mmtm2..mmtm4)")
    p.add_argument("--dtypes", action="store_true", help="print {name: {dtype, shape}} instead of {name: shape}")
    a = p.parse_args(argv)
    modalities = a.modalities.split(",") if a.modalities else None
    try:
        out = spec(a.fusion, a.classes, a.width, a.audio_channels, a.visual_channels, a.dtypes, modalities, a.mmtm)
    except ValueError as e:
        p.error(str(e))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
