"""Seed 000 Problems 1–2: the pipeline wrapper that receives at a stage's first layer and sends at
its last, and the stage built from stage_info. Ranks are laid out stage-major: stage s holds
ranks s·tp … s·tp + tp − 1, so the peer of tensor-parallel rank t in the next stage is
(s + 1)·tp + t — the stage number itself is a rank only when tp = 1."""
import torch
import torch.nn as nn


class PipelineParallelTransformerLayer(nn.Module):
    def __init__(self, layer, comm_utils, stage_num, is_first_layer_in_stage, is_last_layer_in_stage, layer_idx,
                 num_stages=1, tp=1, tp_rank=0):
        super().__init__()
        self.layer = layer
        self.comm_utils = comm_utils
        self.stage_num = stage_num
        self.is_first_layer_in_stage = is_first_layer_in_stage
        self.is_last_layer_in_stage = is_last_layer_in_stage
        self.layer_idx = layer_idx
        self.num_stages = num_stages
        self.tp = tp
        self.tp_rank = tp_rank
        self.received = None          # the activation that came in (its gradient goes back)

    def peer(self, stage):
        """The rank of this tensor-parallel position in `stage`."""
        return stage * self.tp + self.tp_rank

    def forward(self, *args, **kwargs):
        hidden_states = args[0]
        if self.is_first_layer_in_stage and self.stage_num > 0:
            hidden_states = self.comm_utils.recv(torch.empty_like(hidden_states), self.peer(self.stage_num - 1))
            hidden_states.requires_grad_()
            self.received = hidden_states
            args = (hidden_states,) + args[1:]
        output = self.layer(*args, **kwargs)
        if self.is_last_layer_in_stage and self.stage_num < self.num_stages - 1:
            self.comm_utils.send(output.detach(), self.peer(self.stage_num + 1))
        return output


def build_stage(model, comm_utils, stage_num, num_stages, tp, tp_rank):
    n = len(model.layers)
    per = n // num_stages
    stage_info = {"layers_start": stage_num * per, "layers_end": (stage_num + 1) * per}
    stage_layers = []
    for i, layer in enumerate(model.layers):
        if not stage_info["layers_start"] <= i < stage_info["layers_end"]:
            continue
        is_first_layer_in_stage = (i == stage_info["layers_start"])
        is_last_layer_in_stage = (i == stage_info["layers_end"] - 1)
        wrapped_layer = PipelineParallelTransformerLayer(
            layer, comm_utils, stage_num, is_first_layer_in_stage, is_last_layer_in_stage, i - stage_info["layers_start"],
            num_stages, tp, tp_rank)
        stage_layers.append(wrapped_layer)
    return nn.Sequential(*stage_layers)


def backward_through_stages(stage, out, loss, comm_utils, stage_num, num_stages, tp, tp_rank):
    """The last stage backpropagates its loss; every other stage receives the gradient of its
    output from the next stage; each stage but the first sends its input's gradient back."""
    if stage_num == num_stages - 1:
        loss.backward()
    else:
        grad = comm_utils.recv(torch.empty_like(out), (stage_num + 1) * tp + tp_rank)
        out.backward(grad)
    first = stage[0]
    if stage_num > 0:
        comm_utils.send(first.received.grad, (stage_num - 1) * tp + tp_rank)
