# A 2 × 2 × 2 mesh: each rank prints its groups along each axis and its coordinates.
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh

mesh = init_device_mesh("cuda", (2, 2, 2), mesh_dim_names=("dp", "tp", "pp"))
print("groups", mesh.get_group("dp").ranks, mesh["tp"].get_group().ranks, mesh.get_group(2).ranks,
      mesh["dp", "tp"].get_group("tp").ranks)
print("coords", mesh.get_local_rank("dp"), mesh["tp"].get_local_rank(), mesh.get_local_rank(2), mesh.get_coordinate())
print("sizes", mesh.size(), mesh.size(1), mesh["dp", "pp"].size(), mesh.get_rank() == dist.get_rank())
