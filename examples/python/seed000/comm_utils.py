"""Seed 000's comm_utils, over torch.distributed (in place, as torch's collectives are)."""
import torch
import torch.distributed as dist


class CommUtils:
    def __init__(self, group=None):
        self.group = group
        self.world_size = dist.get_world_size(group)

    def all_reduce(self, tensor):
        dist.all_reduce(tensor, group=self.group)
        return tensor

    def all_gather(self, tensor, dim=-1):
        """Each rank's piece, concatenated along `dim` (the dim the column split cut)."""
        parts = [torch.empty_like(tensor) for _ in range(self.world_size)]
        dist.all_gather(parts, tensor, group=self.group)
        return torch.cat(parts, dim=dim)

    def send(self, tensor, dst):
        dist.send(tensor, dst)

    def recv(self, tensor, src):
        dist.recv(tensor, src)
        return tensor
