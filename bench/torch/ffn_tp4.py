#!/usr/bin/env python3
"""Seed-003 FFN, tensor-parallel over 4 ranks, on torch.distributed (gloo, CPU) — the peer of
`autodist simulate examples/ffn_tp4.ts` in bench/torch-gloo.ts (issue 5).

    X [8, 128, 1024] → Linear1 [1024, 4096] column-parallel → GeLU (tanh)
      → Linear2 [4096, 1024] row-parallel (all-reduce of the partial outputs) → Z [8, 128, 1024]
    loss = mean((Z − T)²), then backward.

Megatron's f/g: f is the identity forward and an all-reduce of dX backward (in front of the
column-parallel layer), g an all-reduce forward and the identity backward (behind the row-parallel
layer). The 4 ranks are processes started with torch.multiprocessing (spawn), joined over gloo on
127.0.0.1 (MASTER_ADDR=127.0.0.1, a free port, GLOO_SOCKET_IFNAME=lo).

Each process uses 1 intra-op thread, as torchrun does by default (OMP_NUM_THREADS=1) when it
starts more than one process per node; --threads N changes that. Debian's torch is built with
BLAS_INFO=generic: its matmuls go to whichever libblas.so.3 the loader finds (the reference BLAS
of libblas3, or OpenBLAS); the result names the one mapped (`blas`).

Prints one line `RESULT {json}` (seconds): `to_backward_end_s` from this interpreter's start to
the end of backward on the slowest rank; `compute_s` the step alone (from a barrier after set-up
to the end of backward, slowest rank); `import_s` (import torch in the parent), `spawn_s` (until
the last of the 4 processes runs `worker`: each is a new interpreter that imports torch again),
`setup_s` (gloo rendezvous, weights, shards; slowest rank), `joined_s` (until the processes have
exited); the loss, the FLOPs of the step and the BLAS mapped. The caller times the process from
spawn to exit itself.

--check also runs the unsharded model on rank 0 after the timed step and compares the loss, the
output and the gradients with it (not timed; the benchmark does not pass it).

Run with Debian's interpreter: /usr/bin/python3 bench/torch/ffn_tp4.py  (python3-torch 1.13)
"""
import time

T_START = time.time()

import argparse
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

T_IMPORTED = time.time()

B, S, D, P = 8, 128, 1024, 4
H = 4 * D


class CopyToParallel(torch.autograd.Function):
    """Megatron's f: identity forward, all-reduce of the gradient backward."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous()
        dist.all_reduce(g)
        return g


class ReduceFromParallel(torch.autograd.Function):
    """Megatron's g: all-reduce forward, identity backward."""

    @staticmethod
    def forward(ctx, x):
        x = x.contiguous()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


def dense_weights():
    """The same checkpoint and batch on every rank (seeded)."""
    g = torch.Generator().manual_seed(3)
    w1 = torch.randn(D, H, generator=g) * (1.0 / D ** 0.5)
    b1 = torch.randn(H, generator=g) * 0.02
    w2 = torch.randn(H, D, generator=g) * (1.0 / H ** 0.5)
    b2 = torch.randn(D, generator=g) * 0.02
    x = torch.randn(B, S, D, generator=g)
    t = torch.randn(B, S, D, generator=g)
    return w1, b1, w2, b2, x, t


def ffn_tp(x, t, w1s, b1s, w2s, b2):
    xf = CopyToParallel.apply(x)
    h = torch.matmul(xf, w1s) + b1s  # [B, S, 4d/P]   column-parallel
    a = F.gelu(h, approximate="tanh")
    zp = torch.matmul(a, w2s)  # [B, S, d] partial sums   row-parallel
    z = ReduceFromParallel.apply(zp) + b2
    loss = torch.mean((z - t) ** 2)
    return z, loss


def worker(rank, port, threads, check, out_path, t_parent_start, t_parent_imported, t_spawn):
    t_enter = time.time()
    torch.set_num_threads(threads)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=P)
    w1, b1, w2, b2, x, t = dense_weights()
    lo, hi = rank * (H // P), (rank + 1) * (H // P)
    w1s = w1[:, lo:hi].clone().requires_grad_()
    b1s = b1[lo:hi].clone().requires_grad_()
    w2s = w2[lo:hi, :].clone().requires_grad_()
    b2r = b2.clone().requires_grad_()
    xr = x.clone().requires_grad_()
    dist.barrier()
    t0 = time.time()
    z, loss = ffn_tp(xr, t, w1s, b1s, w2s, b2r)
    loss.backward()
    t1 = time.time()
    # the slowest rank sets the figures
    red = torch.tensor([t1 - t0, t1, t0 - t_enter, t_enter], dtype=torch.float64)  # float64: epoch seconds
    dist.all_reduce(red, op=dist.ReduceOp.MAX)
    result = None
    if rank == 0:
        fwd = 2 * (2 * B * S * D * H)  # two matmuls
        result = {
            "torch": torch.__version__,
            "backend": "gloo",
            "world_size": P,
            "threads_per_process": threads,
            "compute_s": red[0].item(),
            "to_backward_end_s": red[1].item() - t_parent_start,
            "import_s": t_parent_imported - t_parent_start,
            "spawn_s": red[3].item() - t_spawn,
            "child_import_s": T_IMPORTED - T_START,
            "setup_s": red[2].item(),
            "loss": loss.item(),
            "flops": 3 * fwd,
            "blas": blas_libraries(),
        }
    if check:
        # the unsharded model on every rank, and the sharded gradients gathered
        w1d, b1d, w2d, b2d = (p.clone().requires_grad_() for p in (w1, b1, w2, b2))
        xd = x.clone().requires_grad_()
        zd = torch.matmul(F.gelu(torch.matmul(xd, w1d) + b1d, approximate="tanh"), w2d) + b2d
        ld = torch.mean((zd - t) ** 2)
        ld.backward()
        g1 = [torch.empty_like(w1s.grad) for _ in range(P)]
        g2 = [torch.empty_like(w2s.grad) for _ in range(P)]
        dist.all_gather(g1, w1s.grad.contiguous())
        dist.all_gather(g2, w2s.grad.contiguous())
        if rank == 0:
            rel = lambda a, b: ((a - b).abs().max() / b.abs().max()).item()
            result["check"] = {
                "loss_ref": ld.item(),
                "out_rel": rel(z.detach(), zd.detach()),
                "dx_rel": rel(xr.grad, xd.grad),
                "dw1_rel": rel(torch.cat(g1, 1), w1d.grad),
                "dw2_rel": rel(torch.cat(g2, 0), w2d.grad),
                "db2_rel": rel(b2r.grad, b2d.grad),
            }
    if rank == 0:
        with open(out_path, "w") as f:
            json.dump(result, f)
    dist.destroy_process_group()


def blas_libraries():
    """The BLAS/LAPACK shared objects this process has mapped (which one torch's generic BLAS uses)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in path or "lapack" in path:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per process (torchrun's default: 1)")
    ap.add_argument("--check", action="store_true", help="compare with the unsharded model after the timed step")
    a = ap.parse_args()
    if not dist.is_available() or not dist.is_gloo_available():
        print("RESULT " + json.dumps({"error": "torch.distributed with gloo is not available"}))
        sys.exit(3)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback only
    port = free_port()
    import tempfile

    fd, out_path = tempfile.mkstemp(prefix="ffn_tp4_", suffix=".json")
    os.close(fd)
    try:
        t_spawn = time.time()
        mp.spawn(worker, args=(port, a.threads, a.check, out_path, T_START, T_IMPORTED, t_spawn), nprocs=P, join=True)
        with open(out_path) as f:
            result = json.load(f)
    finally:
        os.unlink(out_path)
    result["joined_s"] = time.time() - T_START
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
