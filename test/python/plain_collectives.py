"""torch.distributed calls a training script makes besides all_reduce, and Megatron's mappings as
autograd.Functions (the reduce writes into its input, as Megatron's does). Printed in exponent
format for the comparison with real torch (test/runner/python); run on 2 processes."""
import torch
import torch.distributed as dist
import torch.nn.functional as F


class Copy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        dist.all_reduce(g)
        return g


class Reduce(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        dist.all_reduce(x)   # in place on the input, returned as is
        return x

    @staticmethod
    def backward(ctx, g):
        return g


def show(name, t):
    print(f"rank {dist.get_rank()} {name} " + " ".join(f"{float(v):.7e}" for v in t.flatten().tolist()))


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(3)
    w = torch.randn(8, 6)                              # [out, in], the same on every rank
    x = torch.randn(4, 6, requires_grad=True)          # [B, in]
    shard = w.chunk(world, dim=1)[rank]                # [out, in/world]: row-parallel
    xs = Copy.apply(x).chunk(world, dim=1)[rank]       # [B, in/world]
    y = Reduce.apply(F.linear(xs, shard))              # [B, out], summed over ranks
    (y * y).sum().backward()
    show("y", y[0])
    show("dx", x.grad[0])
    t = torch.arange(4, dtype=torch.float32) + rank
    dist.broadcast(t, src=world - 1)
    show("broadcast", t)
    got = [torch.zeros(4) for _ in range(world)] if rank == 0 else None
    dist.gather(t * (rank + 1), gather_list=got, dst=0)
    if rank == 0:
        show("gather", torch.stack(got))
    part = torch.zeros(2)
    dist.scatter(part, scatter_list=[torch.full((2,), i + 0.5) for i in range(world)] if rank == 0 else None, src=0)
    show("scatter", part)
    objs = [None] * world
    dist.all_gather_object(objs, {"rank": rank, "loss": 0.25 * (rank + 1)})
    show("objects", torch.tensor([o["loss"] for o in objs]))
    cfg = [{"lr": 3e-4, "steps": 10}] if rank == 0 else [None]
    dist.broadcast_object_list(cfg, src=0)
    show("config", torch.tensor([cfg[0]["lr"], float(cfg[0]["steps"])]))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
