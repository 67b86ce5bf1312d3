# autodist: --nproc-per-node 4
"""A MISTAKE to catch (seed 000's Problem 3 answer): the column-parallel layer has no Megatron f, so
the gradient of its input is one rank's partial sum: the layers before it get wrong gradients.
Real torch: plain torch.distributed (gloo), so it runs under Debian's torch 1.13 too."""
import torch.distributed as dist
import torch.nn.functional as F

import parallel_layers
from comm_utils import CommUtils
from model import Transformer, batch, report
from parallelize import parallelize, split_weights


def forward_without_f(self, input):
    output = F.linear(input, self.weight)          # MISTAKE: no f before the split weights
    if self.bias is not None:
        output += self.bias
    return output


parallel_layers.ColumnParallelLinear.forward = forward_without_f


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model = Transformer()
    model = parallelize(model, split_weights(model, world), rank, CommUtils())
    x = batch().requires_grad_()
    out = model(x)
    loss = (out * out).mean()
    loss.backward()
    if rank == 0:
        report(rank, out, loss)


if __name__ == "__main__":
    main()
