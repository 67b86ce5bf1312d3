"""torch.utils.data as a DDP file uses it: a TensorDataset split by random_split (the default
generator), a DistributedSampler with set_epoch dealing each rank its share, DataLoaders with
batch_size, drop_last, shuffle with and without a generator — the batches, and every draw after
them, as torch makes them. Compared with real torch (test/runner/python/run-python.test.ts)."""
import torch
import torch.nn as nn
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset, random_split


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    X = torch.randn(37, 4)
    Y = (X.sum(1) > 0).long()
    ds = TensorDataset(X, Y)
    train, val = random_split(ds, [30, 7])
    sampler = DistributedSampler(train, shuffle=True, seed=3)
    loader = DataLoader(train, batch_size=4, sampler=sampler, drop_last=False)
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for i, (xb, yb) in enumerate(loader):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            for p in model.parameters():
                dist.all_reduce(p.grad)
                p.grad /= world
            opt.step()
            print(f"rank {rank} epoch {epoch} batch {i} n {len(yb)} x {xb.sum().item():.6e} loss {loss.item():.6e}")
    g = torch.Generator().manual_seed(1)
    vl = DataLoader(val, batch_size=3, shuffle=True, generator=g)
    tl = DataLoader(train, batch_size=8, shuffle=True)
    for xb, yb in tl:
        print(f"rank {rank} tl {xb.sum().item():.6e} {yb.sum().item()} {torch.randn(1).item():.6e}")
    for xb, yb in vl:
        print(f"rank {rank} val {xb.sum().item():.6e} {yb.sum().item()}")
    print(f"rank {rank} len {len(loader)} {len(sampler)} w {model.weight.sum().item():.6e}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
