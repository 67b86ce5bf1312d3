# autodist: --nproc-per-node 4
"""Mistake: RowwiseParallel on the q projection. wq reads the block's replicated input, so a
rowwise split would cut that input and give every rank all heads while k and v hold 1/tp of
them. AutoDist stops at the plan entry's line (torch would run on and fail later at q @ kᵀ, or
all-reduce a full-width q every step). Fix: "attention.wq": ColwiseParallel().

Real torch: needs torch ≥ 2.4 (DTensor); Debian's torch 1.13 cannot run it."""
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard
from torch.distributed.tensor.parallel import (ColwiseParallel, PrepareModuleInput, RowwiseParallel,
                                               SequenceParallel, parallelize_module)

from llama_dp_tp import B, DIM, S, Transformer, arith


def main():
    dist.init_process_group("nccl")
    world = dist.get_world_size()
    mesh = init_device_mesh("cuda", (world,), mesh_dim_names=("tp",))
    model = Transformer()
    for block in model.layers.values():
        parallelize_module(block, mesh, {
            "attention": PrepareModuleInput(input_layouts=(Replicate(),), desired_input_layouts=(Replicate(),)),
            "attention.wq": RowwiseParallel(),
            "attention.wk": ColwiseParallel(),
            "attention.wv": ColwiseParallel(),
            "attention.wo": RowwiseParallel(),
            "feed_forward.w1": ColwiseParallel(),
            "feed_forward.w2": RowwiseParallel(),
            "feed_forward.w3": ColwiseParallel(),
        })
    y = model(arith([B, S, DIM], 0.71))
    (y * y).mean().backward()


if __name__ == "__main__":
    main()
