# autodist: --nproc-per-node 2
"""Mistake: SequenceParallel on the norms, but the first block's input is never split along the
sequence (the plan lacks torchtitan's first-layer input sharding). Each rank takes the whole
sequence for its shard: attention then runs over the sequence twice. The run completes;
verification stops at layers.0.attention_norm, whose DTensor output claims a sequence twice the
real one. Fix: add "layers.0": PrepareModuleInput(input_layouts=(Replicate(),),
desired_input_layouts=(Shard(1),)) to the model's plan (see llama_dp_tp.py).

Real torch: needs torch ≥ 2.4 (DTensor); Debian's torch 1.13 cannot run it."""
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard
from torch.distributed.tensor.parallel import (ColwiseParallel, PrepareModuleInput, RowwiseParallel,
                                               SequenceParallel, parallelize_module)

from llama_dp_tp import B, DIM, S, Transformer, arith


def main():
    dist.init_process_group("nccl")
    mesh = init_device_mesh("cuda", (dist.get_world_size(),), mesh_dim_names=("tp",))
    model = Transformer()
    parallelize_module(model, mesh, {
        "norm": SequenceParallel(),
        "output": ColwiseParallel(input_layouts=Shard(1), output_layouts=Replicate()),
    })
    parallelize_module(model, mesh, {
        "layers.*.attention_norm": SequenceParallel(),
        "layers.*.attention": PrepareModuleInput(input_layouts=(Shard(1),), desired_input_layouts=(Replicate(),)),
        "layers.*.attention.w[qkv]": ColwiseParallel(),
        "layers.*.attention.wo": RowwiseParallel(output_layouts=Shard(1)),
        "layers.*.ffn_norm": SequenceParallel(),
        "layers.*.feed_forward": PrepareModuleInput(input_layouts=(Shard(1),), desired_input_layouts=(Replicate(),)),
        "layers.*.feed_forward.w[13]": ColwiseParallel(),
        "layers.*.feed_forward.w2": RowwiseParallel(output_layouts=Shard(1)),
    })
    y = model(arith([B, S, DIM], 0.71))
    (y * y).mean().backward()


if __name__ == "__main__":
    main()
