import torch
import torch.distributed as dist
t = torch.ones(4)
dist.all_reduce(t)
