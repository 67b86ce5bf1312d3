# autodist: --nproc-per-node 2
"""Data parallelism with torch's DistributedDataParallel, as a plain PyTorch file writes it: each
rank builds the model from its own seed (DDP broadcasts rank 0's weights when it wraps it), takes
its rows of the batch, and steps AdamW; DDP averages the gradients in buckets during the backward.

The same numbers under `autodist simulate ddp_module.py` and `torchrun --nproc-per-node 2
ddp_module.py` (CPU, gloo). The ledger: one broadcast of every parameter at `DDP(model)`, then per
step one all-reduce per gradient bucket (here one: the model is under 1 MiB) at `loss.backward()`."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)                                  # different weights per rank ...
    model = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 3))
    ddp = DDP(model)                                         # ... until DDP broadcasts rank 0's
    opt = torch.optim.AdamW(ddp.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(7)
    x = torch.randn(16, 8, generator=g)                      # [B, 8]
    y = torch.randint(0, 3, (16,), generator=g)              # [B]
    rows = x.shape[0] // world
    xs, ys = x[rank * rows:(rank + 1) * rows], y[rank * rows:(rank + 1) * rows]  # [B/dp, 8], [B/dp]
    for step in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(ddp(xs), ys)
        loss.backward()                                      # DDP: the gradients averaged over ranks
        opt.step()
        if rank == 0:
            print(f"step {step} loss {loss.item():.7e}")
    print(f"rank {rank} w[0, :4] " + " ".join(f"{v:.7e}" for v in ddp.module[0].weight[0, :4].tolist()))
    print(f"rank {rank} grad " + " ".join(f"{v:.7e}" for v in ddp.module[2].bias.grad.tolist()))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
