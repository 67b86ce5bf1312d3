"""What training files do around the model: torch.cuda.set_device, get_backend, a buffer,
activation checkpointing, autocast (disabled), state_dict / load_state_dict, topk / sort / cumsum.
Compared with real torch (test/runner/python)."""
import os
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)
        self.register_buffer("scale", torch.tensor(0.5))

    def forward(self, x):
        h = checkpoint(lambda t: F.silu(self.a(t)), x, use_reentrant=False)
        return self.b(h) * self.scale


def main():
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="gloo")
    print("backend", dist.get_backend(), "world", dist.get_world_size(), "rank", dist.get_rank())
    torch.manual_seed(0)
    m = M()
    m.train()
    x = torch.randn(4, 8)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False):
        y = m(x)
    y.sum().backward()
    gs = [p.grad.norm().item() for p in m.parameters()]
    print("grads", " ".join(f"{g:.6e}" for g in gs))
    state = m.state_dict()
    print("keys", sorted(state.keys()))
    m2 = M()
    m2.load_state_dict(state)
    print("same", torch.equal(m2.a.weight, m.a.weight), torch.allclose(m2(x), m(x)))
    print("numel", sum(p.numel() for p in m.parameters() if p.requires_grad))
    x2 = x.to(torch.device("cpu"), non_blocking=True).float()
    print("argmax", x2.argmax(dim=-1).tolist(), "topk " + " ".join(f"{v:.7e}" for v in torch.topk(x2[0], 2).values.tolist()))
    s = torch.sort(x2[1], descending=True)
    print("sort " + " ".join(f"{v:.7e}" for v in s.values.tolist()), s.indices.tolist(), "cumsum " + " ".join(f"{v:.7e}" for v in x2[2].cumsum(0).tolist()))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
