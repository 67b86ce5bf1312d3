# autodist: --nproc-per-node 8
"""The Llama block model of llama_dp_tp.py on a 3-D mesh (pp × dp × tp = 2 × 2 × 2, torchtitan's
axis order): each pipeline stage keeps its half of the layers (torchtitan's manual split), is
tensor-parallel within "tp" with the same plan, takes its share of the batch over "dp", and
runs the 1F1B schedule over 4 micro-batches; stage 1 receives stage 0's sequence-sharded
activations [mb, S/tp, H] and sends their gradients back.

With the argument `traced` the stage comes from `pipeline(model, mb_args, split_spec={"layers.2":
SplitPoint.BEGINNING})` instead (torch.distributed.pipelining's tracer), then gets the same plan:
the same losses and gradients as the manual split.

Run: `autodist simulate llama_3d.py --nproc-per-node 8 [-- traced]` (verified against its own
world-size-1 run, where the mesh is 1 × 1 × 1 and one stage holds every layer). Under real torch it needs
torch ≥ 2.4 (DTensor, torch.distributed.pipelining); Debian's torch 1.13 cannot run it."""
import sys

import torch.distributed as dist
import torch.nn.functional as F
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, SplitPoint, pipeline
from torch.distributed.tensor import DTensor

from llama_dp_tp import DIM, S, Transformer, arith, parallelize

N_LAYERS, B, MICROBATCHES = 4, 8, 4
TRACED = sys.argv[1:] == ["traced"]


def main():
    dist.init_process_group("nccl")
    world = dist.get_world_size()
    pp = 2 if world % 2 == 0 else 1
    tp = 2 if world % (2 * pp) == 0 else 1
    mesh = init_device_mesh("cuda", (pp, world // (pp * tp), tp), mesh_dim_names=("pp", "dp", "tp"))
    pp_mesh, dp_mesh, tp_mesh = mesh["pp"], mesh["dp"], mesh["tp"]

    # this rank's pipeline stage: its layers of the full model (names kept: "layers.2", …)
    model = Transformer(N_LAYERS)
    stage_index, per = pp_mesh.get_local_rank(), N_LAYERS // pp
    if TRACED:   # split by torch.distributed.pipelining's tracer, on one micro-batch's shape
        mb = arith([B // (MICROBATCHES * dp_mesh.size()), S, DIM], 0.71)
        pipe = pipeline(model, mb_args=(mb,), split_spec={f"layers.{k * per}": SplitPoint.BEGINNING for k in range(1, pp)})
        model = pipe.get_stage_module(stage_index)
    else:        # torchtitan's manual split
        for name in list(model.layers.keys()):
            if not stage_index * per <= int(name) < (stage_index + 1) * per:
                del model.layers[name]
        if stage_index != pp - 1:
            model.norm = None
            model.output = None
    parallelize(model, tp_mesh)
    stage = PipelineStage(model, stage_index, pp, "cuda", group=pp_mesh.get_group())
    schedule = Schedule1F1B(stage, n_microbatches=MICROBATCHES, loss_fn=lambda y, t: F.mse_loss(y, t))

    # this dp rank's share of each of the step's micro-batches (the batch seen as [m, dp, B/(m·dp)]),
    # so micro-batch i of the step is the same rows at any dp size
    dp, d = dp_mesh.size(), dp_mesh.get_local_rank()
    x = arith([B, S, DIM], 0.71).view(MICROBATCHES, dp, -1, S, DIM)[:, d].reshape(-1, S, DIM)       # [B/dp, S, H]
    target = arith([B, S, DIM], 0.29).view(MICROBATCHES, dp, -1, S, DIM)[:, d].reshape(-1, S, DIM)  # [B/dp, S, H]
    losses = []
    if stage.is_first:
        schedule.step(x, target=target if stage.is_last else None, losses=losses)
    else:
        schedule.step(target=target, losses=losses)
    for p in model.parameters():                                  # data parallel: average the gradients
        g = p.grad.to_local() if isinstance(p.grad, DTensor) else p.grad
        dist.all_reduce(g, op=dist.ReduceOp.AVG, group=dp_mesh.get_group())
    if stage.is_last and dp_mesh.get_local_rank() == 0 and tp_mesh.get_local_rank() == 0:
        print("loss", f"{sum(l.item() for l in losses) / len(losses):.7e}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
