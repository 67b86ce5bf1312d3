# autodist: --nproc-per-node 4
"""Seed 000 Problems 1–4 together: 2 pipeline stages × 2 tensor-parallel ranks (4 processes).
The full model is built on every rank from the same arithmetic weights, parallelized by module name
(Problem 4), then cut into stages (Problem 2) whose edge layers send and receive (Problem 1).
torchrun --nproc-per-node 4 train_pp_tp.py   |   autodist simulate train_pp_tp.py --nproc-per-node 4
Real torch: runs under Debian's torch 1.13 (gloo, CPU) and later (checked by test/runner/python/run-python.test.ts)."""
import torch.distributed as dist

from comm_utils import CommUtils
from model import Transformer, batch, report
from parallelize import parallelize, split_weights
from pipeline import backward_through_stages, build_stage

TP = 2


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    tp = min(TP, world)
    pp = world // tp
    stage_num, tp_rank = rank // tp, rank % tp
    # every rank creates every group, as torch.distributed requires; each keeps its own
    groups = [dist.new_group(list(range(s * tp, (s + 1) * tp))) for s in range(pp)]
    tp_comm = CommUtils(groups[stage_num])
    p2p = CommUtils()
    model = Transformer()
    model = parallelize(model, split_weights(model, tp), tp_rank, tp_comm)
    stage = build_stage(model, p2p, stage_num, pp, tp, tp_rank)
    x = batch()                                   # [B, S, H]: stage 0's input
    out = stage(x)                                # [B, S, H]
    loss = (out * out).mean() if stage_num == pp - 1 else None
    backward_through_stages(stage, out, loss, p2p, stage_num, pp, tp, tp_rank)
    if stage_num == pp - 1 and tp_rank == 0:
        report(rank, out, loss)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
