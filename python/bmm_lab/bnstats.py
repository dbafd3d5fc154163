"""Precise BatchNorm statistics, as ``src/core/preciseBn.ts`` (the config's ``bnStats = precise``).

Before an epoch's evaluation passes, every BatchNorm layer's running mean and variance become the average of its
batch statistics (mean, unbiased variance) over the clean training set: training clips in split order, batches of
the training batch size, evaluation transforms, no mixing, a forward pass in training mode without gradients.
Each batch weighs the same; a last batch of one clip is skipped (it has no variance). This is the rule of
``torch.optim.swa_utils.update_bn`` (a cumulative average), done here by setting each layer's momentum to 1/k for
the k-th batch, so it works for BatchNorm2d, SyncBatchNorm and ``distributed.SyncBatchNorm2d`` alike (under DDP with
``--sync-bn`` each batch's statistics are the whole global batch's). ``num_batches_tracked`` and the momenta are
restored afterwards, and the model's training mode too.
"""

import torch
from torch import nn


def training_batches(split, batch_size, dtype=torch.float32):
    """The clean training batches of the pass: (first branch's input, second's, labels) in split order; a last batch
    of one skipped."""
    for start in range(0, split.size, batch_size):
        end = min(start + batch_size, split.size)
        if end - start < 2:
            break
        yield split.inputs(range(start, end), dtype)


def recompute_bn_stats(model, batches, dtype=torch.float32):
    """Replaces the running statistics of every BatchNorm of ``model`` by their average over ``batches``."""
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    saved = [(m.momentum, m.num_batches_tracked.clone()) for m in layers]
    was_training = model.training
    device = next(model.parameters()).device
    model.train()
    k = 0
    try:
        with torch.no_grad():
            for audio, visual, _labels in batches:
                k += 1
                for m in layers:
                    m.momentum = 1.0 / k
                model.encode(audio.to(device, dtype), visual.to(device, dtype))
    finally:
        for m, (momentum, tracked) in zip(layers, saved):
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)
        model.train(was_training)
    return k
