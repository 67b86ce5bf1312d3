# autodist: --nproc-per-node 2
"""Plain data parallelism as people write it before reaching for DDP: every rank builds the same
model from torch.manual_seed (nn.Linear's default init), takes its own rows of a seeded batch,
and all-reduces each gradient before an SGD step with momentum.

AutoDist's torch draws from torch's own CPU generator, value for value, so this file prints the
same numbers under `autodist simulate ddp_seeded.py --nproc-per-node 2` as under
`torchrun --nproc-per-node 2 ddp_seeded.py` (on the CPU, gloo)."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d, h, classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.Tanh(), nn.Linear(h, classes))

    def forward(self, x):
        return self.net(x)  # [B/dp, classes]


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)                        # the same weights on every rank
    model = MLP(16, 32, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(1234)     # the same batch on every rank ...
    x = torch.randn(64, 16, generator=g)        # [B, 16]
    y = torch.randint(0, 4, (64,), generator=g)  # [B]
    rows = x.shape[0] // world                  # ... of which each rank takes its rows
    xs, ys = x[rank * rows:(rank + 1) * rows], y[rank * rows:(rank + 1) * rows]  # [B/dp, 16], [B/dp]
    for step in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), ys)
        loss.backward()
        for p in model.parameters():            # the data-parallel gradient: the mean over ranks
            dist.all_reduce(p.grad)
            p.grad /= world
        opt.step()
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)
        if rank == 0:
            print(f"step {step} loss {mean_loss.item() / world:.7e}")
    w = model.net[0].weight
    print(f"rank {rank} w[0, :3] " + " ".join(f"{v:.7e}" for v in w[0, :3].tolist()))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
