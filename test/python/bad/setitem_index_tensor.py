import torch
import torch.distributed as dist
dist.init_process_group("gloo")
x = torch.zeros(5)
x[torch.tensor([0, 3])] = 1.0
