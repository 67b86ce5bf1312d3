"""torch.distributed.pipelining: manual PipelineStage and the GPipe / 1F1B / interleaved 1F1B
schedules (stage.py, schedules.py). `pipeline()` (tracing a model into stages at split points)
is not simulated: build each rank's stage from the model by hand, as torchtitan's manual split
does."""
from enum import Enum

from ..._unsupported import Unsupported
from .stage import PipelineStage
from .schedules import ScheduleGPipe, Schedule1F1B, ScheduleInterleaved1F1B


class SplitPoint(Enum):
    BEGINNING = 1
    END = 2


def pipeline(module, mb_args, mb_kwargs=None, split_spec=None, split_policy=None):
    raise Unsupported("torch.distributed.pipelining.pipeline() (tracing the model into stages)",
                      "build the stage by hand: keep this rank's layers (del model.layers[k] for the others; "
                      "set the first/last-only modules to None), then PipelineStage(model, stage_index, num_stages, device, group=pp_group)")


__all__ = ["PipelineStage", "ScheduleGPipe", "Schedule1F1B", "ScheduleInterleaved1F1B", "SplitPoint", "pipeline"]
