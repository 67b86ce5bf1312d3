# Equal pipeline stages (two residual tanh-Linear layers each) under a schedule named by argv[1]
# (gpipe, 1f1b, interleaved), m = 8 micro-batches; a barrier marks the step's start on the timeline.
import sys
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleGPipe, ScheduleInterleaved1F1B

H, L, M = 1024, 8, 8
SCHEDULE = sys.argv[1] if len(sys.argv) > 1 else "1f1b"


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(H, H)

    def forward(self, x):
        return x + torch.tanh(self.fc(x))


class Net(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleDict(layers)

    def forward(self, x):
        for layer in self.layers.values():
            x = layer(x)
        return x


dist.init_process_group()
rank, p = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
full = Net({str(i): Layer() for i in range(L)})
v = 2 if SCHEDULE == "interleaved" else 1
n_stages, per = p * v, L // (p * v)
stages = [PipelineStage(Net({str(i): full.layers[str(i)] for i in range(s * per, (s + 1) * per)}), s, n_stages, "cpu")
          for s in (rank + k * p for k in range(v))]
x = torch.sin(torch.arange(64 * H, dtype=torch.float32) * 0.37).reshape(64, H)
y = torch.cos(torch.arange(64 * H, dtype=torch.float32) * 0.11).reshape(64, H)
if SCHEDULE == "interleaved":
    schedule = ScheduleInterleaved1F1B(stages, M, loss_fn=F.mse_loss)
else:
    schedule = (Schedule1F1B if SCHEDULE == "1f1b" else ScheduleGPipe)(stages[0], M, loss_fn=F.mse_loss)
first, last = any(s.is_first for s in stages), any(s.is_last for s in stages)
losses = []
dist.barrier()
schedule.step(*((x,) if first else ()), target=y if last else None, losses=losses)
if last:
    print("loss", f"{sum(l.item() for l in losses) / len(losses):.6e}")
