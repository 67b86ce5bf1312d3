"""A torchrun for Debian's torch 1.13 (its own torchrun fails on Python 3.11): starts N processes
over torch.multiprocessing, each running the file as __main__ with torchrun's environment, and
records every torch.distributed collective call (op, element count) in order to a JSON file.
Files that ask for nccl and a "cuda" device mesh run on gloo and a "cpu" mesh where there are
fewer GPUs than processes.
Usage: /usr/bin/python3 torchrun.py N calls.json script.py [args...]"""
import json
import os
import runpy
import sys

import torch.distributed as dist
import torch.multiprocessing as mp

OPS = ["all_reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor", "broadcast", "reduce",
       "all_to_all_single", "send", "recv", "isend", "irecv", "barrier"]


def worker(rank, n, port, calls_file, script, args):
    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(n), "LOCAL_WORLD_SIZE": str(n),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    calls = []
    for name in OPS:
        real = getattr(dist, name, None)
        if real is None:
            continue

        def wrap(real=real, name=name):
            def f(*a, **k):
                t = next((x for x in a if hasattr(x, "numel")), None)
                if isinstance(a[0], list) if a else False:
                    t = a[1]
                calls.append([name, int(t.numel()) if t is not None else 0])
                return real(*a, **k)
            return f
        w = wrap()
        setattr(dist, name, w)
        # P2POp checks its op against distributed_c10d's own isend / irecv: wrap them there too
        if getattr(dist.distributed_c10d, name, None) is real:
            setattr(dist.distributed_c10d, name, w)
    _cpu_if_short_of_gpus(n)
    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` does
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        with open(f"{calls_file}.{rank}", "w") as fh:
            json.dump(calls, fh)


def _cpu_if_short_of_gpus(n):
    """torchtitan-style files ask for nccl and a "cuda" device mesh (one GPU per process); on a
    machine with fewer GPUs than processes they run on gloo and a "cpu" mesh instead (torch ≥ 2.4;
    Debian's 1.13 has no device mesh, and its files ask for gloo already)."""
    import torch
    if torch.cuda.is_available() and torch.cuda.device_count() >= n:
        return
    real_init = dist.init_process_group

    def init_process_group(backend=None, *a, **k):
        return real_init("gloo", *a, **k)
    dist.init_process_group = init_process_group
    try:
        from torch.distributed import device_mesh
    except ImportError:
        return
    real_mesh = device_mesh.init_device_mesh

    def init_device_mesh(device_type, *a, **k):
        return real_mesh("cpu", *a, **k)
    device_mesh.init_device_mesh = init_device_mesh


if __name__ == "__main__":
    n, calls_file, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    port = 29500 + (os.getpid() % 2000)
    mp.spawn(worker, args=(n, port, calls_file, script, sys.argv[4:]), nprocs=n, join=True)
