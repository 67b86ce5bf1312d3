# autodist: --nproc-per-node 4
"""A MISTAKE to catch (seed 000's Problem 1 answer): the wrapper sends to `stage_num + 1` and receives
from `stage_num - 1`, using the stage number as a rank. With tp = 2, stage 1 is ranks 2–3, so rank 0
sends to rank 1 — its own stage's tensor-parallel peer — and the pipeline never meets.
Real torch: plain torch.distributed (gloo), so it runs under Debian's torch 1.13 too."""
import torch
import torch.distributed as dist

import pipeline
from comm_utils import CommUtils
from model import Transformer, batch
from parallelize import parallelize, split_weights


class StageAsRankLayer(pipeline.PipelineParallelTransformerLayer):
    def forward(self, *args, **kwargs):
        hidden_states = args[0]
        if self.is_first_layer_in_stage and self.stage_num > 0:
            hidden_states = self.comm_utils.recv(torch.empty_like(hidden_states), self.stage_num - 1)
            args = (hidden_states,) + args[1:]
        output = self.layer(*args, **kwargs)
        if self.is_last_layer_in_stage and self.stage_num < self.num_stages - 1:
            self.comm_utils.send(output, self.stage_num + 1)
        return output


pipeline.PipelineParallelTransformerLayer = StageAsRankLayer


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    tp = 2
    pp = world // tp
    stage_num, tp_rank = rank // tp, rank % tp
    groups = [dist.new_group(list(range(s * tp, (s + 1) * tp))) for s in range(pp)]
    model = parallelize(Transformer(), split_weights(Transformer(), tp), tp_rank, CommUtils(groups[stage_num]))
    stage = pipeline.build_stage(model, CommUtils(), stage_num, pp, tp, tp_rank)
    out = stage(batch())
    print("out", tuple(out.shape))


if __name__ == "__main__":
    main()
