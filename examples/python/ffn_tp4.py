# autodist: --nproc-per-node 4
"""Seed 003's FFN (Linear1 [d → 4d] → GeLU → Linear2 [4d → d]) with tensor parallelism:
fc1 column-parallel, fc2 row-parallel, one all-reduce forward (fc2's partial sums) and one
backward (fc1's dX). Run it as `torchrun --nproc-per-node 4 ffn_tp4.py` or
`autodist simulate ffn_tp4.py --nproc-per-node 4`; the weights come from arithmetic, so both
print the same numbers. Real torch: runs under Debian's torch 1.13 (gloo, CPU) and any later torch;
test/runner/python/run-python.test.ts checks both print the same numbers and make the same calls."""
import argparse

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

# d = 64 by default so the real-torch check is quick; seed 003's own sizes: -- --hidden 1024 --batch 8 --seq 128
args = argparse.ArgumentParser()
args.add_argument("--hidden", type=int, default=64)
args.add_argument("--batch", type=int, default=2)
args.add_argument("--seq", type=int, default=8)
opts, _ = args.parse_known_args()
H = opts.hidden          # d
B, S = opts.batch, opts.seq


def arith(shape, k):
    """Deterministic values any implementation reproduces: sin(arange · k)."""
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * k).reshape(shape) * 0.1


class FFN(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.fc1 = nn.Linear(h, 4 * h)   # W1 [4H, H]
        self.fc2 = nn.Linear(4 * h, h)   # W2 [H, 4H]
        with torch.no_grad():
            self.fc1.weight.copy_(arith([4 * h, h], 0.37))
            self.fc1.bias.copy_(arith([4 * h], 0.11))
            self.fc2.weight.copy_(arith([h, 4 * h], 0.23))
            self.fc2.bias.copy_(arith([h], 0.05))

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class CopyToTP(torch.autograd.Function):
    """Megatron's f: identity forward, all-reduce of dX backward."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, dy):
        dist.all_reduce(dy)
        return dy


class ColumnParallelLinear(nn.Module):
    """Y_i = X W_iᵀ + b_i; W split along dim 0 (its out rows, torch's [out, in]); fwd: none; bwd: all-reduce dX."""

    def __init__(self, full: nn.Linear, rank, world):
        super().__init__()
        self.weight = nn.Parameter(full.weight.detach().chunk(world, 0)[rank].clone())  # [4H/tp, H]
        self.bias = nn.Parameter(full.bias.detach().chunk(world, 0)[rank].clone())      # [4H/tp]

    def forward(self, x):
        return F.linear(CopyToTP.apply(x), self.weight, self.bias)  # [B, S, 4H/tp]


class RowParallelLinear(nn.Module):
    """Y = Σ_i X_i W_iᵀ + b; W split along dim 1 (its in columns); fwd: all-reduce; bwd: none."""

    def __init__(self, full: nn.Linear, rank, world):
        super().__init__()
        self.weight = nn.Parameter(full.weight.detach().chunk(world, 1)[rank].clone())  # [H, 4H/tp]
        self.bias = nn.Parameter(full.bias.detach().clone())                            # [H]

    def forward(self, x):
        y = F.linear(x, self.weight)  # [B, S, H] partial sum
        dist.all_reduce(y)
        return y + self.bias          # the bias once, after the sum


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    model = FFN(H)
    model.fc1 = ColumnParallelLinear(model.fc1, rank, world)
    model.fc2 = RowParallelLinear(model.fc2, rank, world)
    x = arith([B, S, H], 0.71).requires_grad_()   # [B, S, H], the same on every rank
    y = model(x)                                    # [B, S, H]
    loss = (y * y).mean()
    loss.backward()
    if rank == 0:
        print("loss", f"{loss.item():.7e}")
        print("y[0,0,:4]", " ".join(f"{v:.7e}" for v in y[0, 0, :4].tolist()))
        print("dx[0,0,:4]", " ".join(f"{v:.7e}" for v in x.grad[0, 0, :4].tolist()))
    print("fc2.weight.grad[0,:2]", " ".join(f"{v:.7e}" for v in model.fc2.weight.grad[0, :2].tolist()))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
