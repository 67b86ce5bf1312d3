# torchtitan's embedding and output plan: the token table RowwiseParallel into sequence shards, the
# output ColwiseParallel gathered back (replicated logits).
import os, torch, torch.nn as nn, torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard
from torch.distributed.tensor.parallel import RowwiseParallel, ColwiseParallel, parallelize_module
n = int(os.environ["WORLD_SIZE"])
mesh = init_device_mesh("cpu", (n,), mesh_dim_names=("tp",))
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(16, 8)
        self.out = nn.Linear(8, 16, bias=False)
        with torch.no_grad():
            self.tok.weight.copy_(torch.sin(torch.arange(128, dtype=torch.float32) * 0.3).reshape(16, 8))
            self.out.weight.copy_(torch.cos(torch.arange(128, dtype=torch.float32) * 0.2).reshape(16, 8))
    def forward(self, ids):
        return self.out(self.tok(ids))
m = M()
parallelize_module(m, mesh, {"tok": RowwiseParallel(input_layouts=Replicate(), output_layouts=Shard(1)),
                             "out": ColwiseParallel(input_layouts=Shard(1), output_layouts=Replicate())})
ids = torch.tensor([[0, 5, 10, 15], [4, 9, 14, 3]])
y = m(ids)
(y * y).mean().backward()
print(y.shape)
