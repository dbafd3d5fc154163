"""Several processes training one run (DistributedDataParallel): the process group, sums over processes, the rows
of a batch gathered from every process, and BatchNorm over the whole batch.

A process learns its place from the variables ``torchrun`` sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT); without them it is the only one and every helper here is the identity. NCCL on GPUs, gloo on CPUs.
PyTorch's SyncBatchNorm only runs on CUDA, so on CPUs ``SyncBatchNorm2d`` computes the batch's mean and variance
from sums over processes (two all-reduces per layer, differentiable), which equals one process's BatchNorm on the
whole batch up to float rounding.
"""

import datetime
import os

import torch
import torch.distributed as dist
import torch.nn as nn


class Processes:
    """This process's rank among ``world`` processes, its device, and the collectives the trainer needs."""

    def __init__(self, rank=0, world=1, local_rank=0, device=None, group=None):
        self.rank = rank
        self.world = world
        self.local_rank = local_rank
        self.device = device if device is not None else torch.device("cpu")
        self.group = group  # for the trainer's own collectives, apart from DDP's

    @property
    def distributed(self):
        return self.world > 1

    @property
    def main(self):
        """Whether this process writes files and prints (rank 0)."""
        return self.rank == 0

    def sum(self, tensor):
        """The sum of ``tensor`` over processes (a new tensor on the same device, half floats summed as float32);
        the tensor itself in one process."""
        if not self.distributed:
            return tensor
        here = tensor.device
        t = widened(tensor.detach()).to(self.device, copy=True).contiguous()
        dist.all_reduce(t, group=self.group)
        return t.to(here)

    def sum_differentiable(self, tensor):
        """``sum`` with a gradient (the incoming gradients summed over processes, as every process uses the sum):
        the batch's own feature means of unimodal = mean inside a loss (G-Blending's heads)."""
        if not self.distributed:
            return tensor
        return _SumOverProcesses.apply(tensor, self)

    def gather_rows(self, x, sizes):
        """The whole batch [sum(sizes), ...] from every process's rows (``sizes[r]`` rows on rank r), differentiable:
        the gradient of the whole batch, summed over processes, flows back to each process's rows."""
        if not self.distributed:
            return x
        return _GatherRows.apply(x, list(sizes), self)

    def broadcast(self, value):
        """Rank 0's picklable ``value`` on every process."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self):
        if self.distributed:
            dist.barrier()

    def close(self):
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


class _GatherRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, sizes, procs):
        ctx.sizes, ctx.procs = sizes, procs
        longest = max(sizes)
        dtype = x.dtype
        # Padded to equal sizes (all_gather needs them); half floats as float32 (gloo has no bfloat16).
        local = widened(x.detach())
        if local.shape[0] < longest:
            local = torch.cat([local, local.new_zeros((longest - local.shape[0],) + tuple(local.shape[1:]))])
        local = local.to(procs.device).contiguous()
        parts = [torch.empty_like(local) for _ in sizes]
        dist.all_gather(parts, local, group=procs.group)
        whole = torch.cat([p[:n] for p, n in zip(parts, sizes)])
        return whole.to(x.device, dtype)

    @staticmethod
    def backward(ctx, grad):
        procs, sizes = ctx.procs, ctx.sizes
        total = procs.sum(widened(grad).contiguous())
        start = sum(sizes[: procs.rank])
        return total[start : start + sizes[procs.rank]].to(grad.dtype), None, None


class _SumOverProcesses(torch.autograd.Function):
    """A tensor's sum over processes; its gradient is the incoming gradients' sum (every process uses the sum)."""

    @staticmethod
    def forward(ctx, x, procs):
        ctx.procs = procs
        return procs.sum(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.procs.sum(grad.contiguous()), None


class SyncBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the whole batch over processes (CPU, gloo).

    Normalises with the biased variance and updates the running variance with the unbiased one, momentum 0.1, as
    ``F.batch_norm``; inference mode is plain BatchNorm2d. The state dict is BatchNorm2d's.
    """

    procs = None

    def forward(self, x):
        procs = self.procs
        if not self.training or procs is None or not procs.distributed:
            return super().forward(x)
        c = x.shape[1]
        xf = widened(x)
        count = procs.sum(torch.tensor([float(x.numel() // c)], device=x.device))
        mean = _SumOverProcesses.apply(xf.sum(dim=(0, 2, 3)), procs) / count
        centred = xf - mean.view(1, c, 1, 1)
        var = _SumOverProcesses.apply((centred * centred).sum(dim=(0, 2, 3)), procs) / count
        out = centred * torch.rsqrt(var + self.eps).view(1, c, 1, 1)
        if self.affine:
            out = out * self.weight.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)
        if self.track_running_stats:
            with torch.no_grad():
                n = float(count.item())
                self.num_batches_tracked.add_(1)
                self.running_mean.mul_(1 - self.momentum).add_(mean.detach(), alpha=self.momentum)
                self.running_var.mul_(1 - self.momentum).add_(var.detach() * (n / max(1.0, n - 1)), alpha=self.momentum)
        return out.to(x.dtype)


def widened(x):
    """float32 for half-precision tensors (autocast), others as they are."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def convert_sync_batchnorm(module, procs):
    """Replaces every BatchNorm2d of ``module`` by one over the whole batch: PyTorch's SyncBatchNorm on CUDA,
    ``SyncBatchNorm2d`` on CPU. Parameters and buffers are kept (the same tensors)."""
    if procs.device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module, procs.group)
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, SyncBatchNorm2d):
        out = SyncBatchNorm2d(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
        out.weight, out.bias = module.weight, module.bias
        out.running_mean, out.running_var, out.num_batches_tracked = module.running_mean, module.running_var, module.num_batches_tracked
        out.procs = procs
        return out
    for name, child in module.named_children():
        setattr(module, name, convert_sync_batchnorm(child, procs))
    return module


def environment():
    """(rank, world size, local rank) from torchrun's variables; (0, 1, 0) without them."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    return rank, world, local_rank


def start(device_kind, timeout_s=1800):
    """Joins the process group torchrun describes (NCCL for cuda, gloo for cpu); a one-process Processes without it.

    On CUDA each process takes the GPU of its local rank.
    """
    rank, world, local_rank = environment()
    if device_kind == "cuda":
        device = torch.device("cuda", local_rank if world > 1 else torch.cuda.current_device())
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world <= 1:
        return Processes(0, 1, 0, device)
    backend = "nccl" if device_kind == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    # The trainer's own collectives (SyncBatchNorm on CPU, gathered rows, sums) get their own group, apart from DDP's
    # gradient buckets.
    group = dist.new_group(list(range(world)), backend=backend)
    return Processes(dist.get_rank(), dist.get_world_size(), local_rank, device, group)

