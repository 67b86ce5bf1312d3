"""Non-blocking point-to-point and the rooted and subgroup collectives, as a plain torchrun file:
a ring exchange by isend/irecv (every rank posts both before waiting: with blocking calls or an
irecv that blocked, this would deadlock), reduce to one rank, an all-reduce on a subgroup, MAX,
broadcast from the last rank, and a hand-averaged gradient. Compared with real torch
(test/runner/python/run-python.test.ts AGAINST_TORCH)."""
import torch
import torch.distributed as dist
import torch.nn as nn


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3) + rank  # [2, 3]
    if world > 1:
        buf = torch.empty_like(x)
        reqs = [dist.isend(x, (rank + 1) % world), dist.irecv(buf, (rank - 1) % world)]
        y = x * 2  # work between posting and waiting
        for r in reqs:
            r.wait()
        print(f"rank {rank} got {buf.sum().item():.6e} from {(rank - 1) % world}, {y.sum().item():.6e}")
        # the same with batch_isend_irecv, the other way round
        back = torch.empty_like(x)
        ops = [dist.P2POp(dist.irecv, back, (rank + 1) % world), dist.P2POp(dist.isend, x, (rank - 1) % world)]
        for r in dist.batch_isend_irecv(ops):
            r.wait()
        print(f"rank {rank} back {back.sum().item():.6e}")
    r1 = torch.arange(6, dtype=torch.float32).reshape(2, 3) * (rank + 1)
    dist.reduce(r1, dst=world - 1, op=dist.ReduceOp.SUM)
    if rank == world - 1:
        print("reduced " + " ".join(f"{v:.6e}" for v in r1.flatten().tolist()))
    evens = dist.new_group([r for r in range(world) if r % 2 == 0])
    z = torch.full((2,), float(rank) + 0.5)
    if rank % 2 == 0:
        dist.all_reduce(z, group=evens)
    print(f"rank {rank} z {z[0].item():.6e}")
    m = torch.tensor([float(rank * 3 % 4) + 0.25])
    dist.all_reduce(m, op=dist.ReduceOp.MAX)
    b = torch.tensor([float(rank) + 0.75])
    dist.broadcast(b, src=world - 1)
    print(f"rank {rank} max {m.item():.6e} bcast {b.item():.6e}")
    lin = nn.Linear(3, 2)
    out = lin(x).pow(2).mean()
    out.backward()
    for p in lin.parameters():
        dist.all_reduce(p.grad)
        p.grad /= world
    print(f"rank {rank} loss {out.item():.6e} grad {lin.weight.grad.sum().item():.6e}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
