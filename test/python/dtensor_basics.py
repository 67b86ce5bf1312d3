# Redistributions as collectives, with their gradients: x (replicated, [8, 4]) → Shard(1) (a local
# narrow; backward all-gathers) → Replicate (all-gather; backward takes the own chunk) → Partial
# (declared) → Replicate (all-reduce; backward passes the replicated gradient). On n ranks
# r = n·x and loss = Σ r², so dloss/dr = 2·r = 2·n·x, which comes back to x unchanged: x.grad = 2·n·x.
import os
import torch
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Replicate, Shard, distribute_tensor

n = int(os.environ["WORLD_SIZE"])
mesh = init_device_mesh("cpu", (n,), mesh_dim_names=("tp",))
full = torch.sin(torch.arange(32, dtype=torch.float32) * 0.3).reshape(8, 4)
w = distribute_tensor(full, mesh, [Shard(0)])
print("distributed", tuple(w.shape), tuple(w.to_local().shape), w.placements)
x = full.clone().requires_grad_()
d = DTensor.from_local(x, mesh, [Replicate()])
s = d.redistribute(mesh, [Shard(1)])
g = s.redistribute(mesh, [Replicate()])
p = DTensor.from_local(g.to_local() * 1.0, mesh, [Partial()])
r = p.redistribute(mesh, [Replicate()])
(r.to_local() * r.to_local()).sum().backward()
ratio = (x.grad / x.detach()).tolist()
print("grad/x", f"{ratio[1][1]:.4f}", f"{ratio[5][3]:.4f}")
print("full", tuple(s.full_tensor().shape))
