"""torch.distributed.pipelining: PipelineStage, the GPipe / 1F1B / interleaved 1F1B schedules
(stage.py, schedules.py), and pipeline(): a model split into stages at split points, by
replaying the submodule calls one run of its forward makes (_split.py; it refuses, naming the
manual PipelineStage, the forwards a replay would get wrong)."""
from enum import Enum

from .stage import PipelineStage
from .schedules import ScheduleGPipe, Schedule1F1B, ScheduleInterleaved1F1B


class SplitPoint(Enum):
    BEGINNING = 1
    END = 2


from ._split import Pipe, pipeline  # noqa: E402  (after SplitPoint: _split imports it)


__all__ = ["PipelineStage", "ScheduleGPipe", "Schedule1F1B", "ScheduleInterleaved1F1B", "SplitPoint", "Pipe", "pipeline"]
