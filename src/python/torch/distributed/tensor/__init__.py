"""torch.distributed.tensor: DTensor, its placements, and the functions that make DTensors
(see _dtensor.py for how redistribution maps to collectives)."""
from .placement_types import Placement, Shard, Replicate, Partial
from ._dtensor import DTensor, distribute_tensor, distribute_module
from ..device_mesh import DeviceMesh, init_device_mesh

__all__ = ["DTensor", "DeviceMesh", "distribute_tensor", "distribute_module", "init_device_mesh",
           "Shard", "Replicate", "Partial", "Placement"]
