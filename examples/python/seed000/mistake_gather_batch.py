# autodist: --nproc-per-node 4
"""A MISTAKE to catch (seed 000's comm_utils): the column-parallel up projection gathers its outputs
along dim 0 (the batch) where the column split cut the last dim: the gathered tensor is
[4B, S, F/4] instead of [B, S, F].
Real torch: plain torch.distributed (gloo), so it runs under Debian's torch 1.13 too."""
import torch
import torch.distributed as dist
import torch.nn as nn

from comm_utils import CommUtils
from model import Transformer, batch
from parallel_layers import ColumnParallelLinear


class BatchGather(CommUtils):
    def all_gather(self, tensor, dim=0):               # MISTAKE: dim 0 is the batch
        parts = [torch.empty_like(tensor) for _ in range(self.world_size)]
        dist.all_gather(parts, tensor, group=self.group)
        return torch.cat(parts, dim=0)


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    comm = BatchGather()
    model = Transformer()
    for layer in model.layers:
        up = layer.mlp.up_proj
        layer.mlp.up_proj = ColumnParallelLinear(up.weight.detach().chunk(world, 0)[rank], up.bias.detach().chunk(world, 0)[rank],
                                                 comm, gather_output=True)
    out = model(batch())
    print("out", tuple(out.shape))


if __name__ == "__main__":
    main()
