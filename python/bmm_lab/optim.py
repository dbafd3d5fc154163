"""The lab's optimiser in PyTorch: Adam with L2 weight decay and the StepLR schedule (METHOD.md section 3).

Mirrors ``src/core/optimizer.ts``, which is written to be PyTorch's ``torch.optim.Adam`` with ``weight_decay``
(the decay added to the gradient, not AdamW): g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), betas (0.9, 0.999), eps 1e-8, over trainable parameters.
"""

import math

import torch

BETAS = (0.9, 0.999)
EPS = 1e-8


def make_adam(model, lr, weight_decay):
    """torch.optim.Adam over the model's trainable parameters with the lab's betas, eps and L2 weight decay."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=lr, betas=BETAS, eps=EPS, weight_decay=weight_decay)


def step_lr(base_lr, epoch, schedule):
    """PyTorch StepLR: base_lr * gamma^floor(epoch / step) for the 0-based epoch; ``schedule`` None: constant."""
    if not schedule:
        return base_lr
    return base_lr * math.pow(schedule["gamma"], math.floor(epoch / schedule["step"]))


def set_lr(optimizer, lr):
    """Sets the learning rate of every parameter group (what the lab does at each epoch start)."""
    for group in optimizer.param_groups:
        group["lr"] = lr
