# autodist: --nproc-per-node 4
"""Seed 000 Problems 3–4 finished: every linear of attention and MLP tensor-parallel over all ranks.
torchrun --nproc-per-node 4 train_tp.py   |   autodist simulate train_tp.py --nproc-per-node 4
Real torch: runs under Debian's torch 1.13 (gloo, CPU) and later (checked by test/runner/python/run-python.test.ts)."""
import torch.distributed as dist

from comm_utils import CommUtils
from model import Transformer, batch, report
from parallelize import parallelize, split_weights


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    comm = CommUtils()
    model = Transformer()
    model = parallelize(model, split_weights(model, world), rank, comm)
    x = batch().requires_grad_()                   # [B, S, H], the same on every rank
    out = model(x)                                 # [B, S, H]
    loss = (out * out).mean()
    loss.backward()
    if rank == 0:
        report(rank, out, loss)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
