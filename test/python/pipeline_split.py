# pipeline() traces a model into stages at split points: not simulated; the error names the manual split.
import torch.distributed as dist
import torch.nn as nn
from torch.distributed.pipelining import SplitPoint, pipeline

dist.init_process_group()
model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
pipe = pipeline(model, mb_args=(), split_spec={"1": SplitPoint.BEGINNING})
