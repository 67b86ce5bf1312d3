# autodist: --nproc-per-node 2
"""Mistake: a plan key that matches no module ("attention.w_q" for "attention.wq"). torch skips
such an entry and leaves the layer unsharded, so the run goes on with a wrong plan; AutoDist
stops at the entry's line, listing the module's children.

Real torch: needs torch ≥ 2.4 (DTensor); Debian's torch 1.13 cannot run it."""
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

from llama_dp_tp import B, DIM, S, Transformer, arith


def main():
    dist.init_process_group("nccl")
    mesh = init_device_mesh("cuda", (dist.get_world_size(),), mesh_dim_names=("tp",))
    model = Transformer()
    for block in model.layers.values():
        parallelize_module(block, mesh, {
            "attention.w_q": ColwiseParallel(),
            "attention.wk": ColwiseParallel(),
            "attention.wv": ColwiseParallel(),
            "attention.wo": RowwiseParallel(),
        })
    y = model(arith([B, S, DIM], 0.71))
    (y * y).mean().backward()


if __name__ == "__main__":
    main()
