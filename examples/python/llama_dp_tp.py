# autodist: --nproc-per-node 4
"""A torchtitan-style Llama block model on a 2-D mesh (dp × tp = 2 × 2), tensor-parallel with
`parallelize_module` as torchtitan writes its plan: q/k/v and w1/w3 ColwiseParallel, o and w2
RowwiseParallel into sequence shards (Shard(1)), the RMSNorms SequenceParallel; the batch split
over "dp" and the gradients averaged over it. Weights come from arithmetic
(sin(arange · k)), so any implementation computes the same numbers.

Run: `autodist simulate llama_dp_tp.py --nproc-per-node 4` (verified against its own world-size-1
run, where the mesh is 1 × 1). Under real torch it needs torch ≥ 2.4 (torch.distributed.tensor):
`torchrun --nproc-per-node 4 llama_dp_tp.py`; Debian's torch 1.13 has no DTensor, so it does not
run there."""
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Replicate, Shard
from torch.distributed.tensor.parallel import (ColwiseParallel, PrepareModuleInput, RowwiseParallel,
                                               SequenceParallel, parallelize_module)

DIM, N_HEADS, FFN, N_LAYERS = 32, 4, 64, 2
B, S = 4, 8   # batch, sequence


def arith(shape, k):
    """Deterministic values any implementation reproduces: sin(arange · k) / 4."""
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * k).reshape(shape) * 0.25


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.head_dim = dim // n_heads
        self.wq = nn.Linear(dim, dim, bias=False)   # [nh·hd, H]
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)   # [H, nh·hd]

    def forward(self, x):
        bs, seqlen, _ = x.shape
        q = self.wq(x).view(bs, seqlen, -1, self.head_dim).transpose(1, 2)   # [B, nh/tp, S, hd]
        k = self.wk(x).view(bs, seqlen, -1, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(bs, seqlen, -1, self.head_dim).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)          # [B, nh/tp, S, hd]
        return self.wo(o.transpose(1, 2).contiguous().view(bs, seqlen, -1))  # [B, S/tp, H]


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)   # gate [F, H]
        self.w2 = nn.Linear(hidden, dim, bias=False)   # down [H, F]
        self.w3 = nn.Linear(dim, hidden, bias=False)   # up   [F, H]

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.attention = Attention(DIM, N_HEADS)
        self.ffn_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.feed_forward = FeedForward(DIM, FFN)

    def forward(self, x):
        h = x + self.attention(self.attention_norm(x))
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, n_layers=N_LAYERS):
        super().__init__()
        self.layers = nn.ModuleDict({str(i): TransformerBlock() for i in range(n_layers)})
        self.norm = nn.RMSNorm(DIM, eps=1e-5)
        self.output = nn.Linear(DIM, DIM, bias=False)
        with torch.no_grad():
            for i, (name, p) in enumerate(self.named_parameters()):
                if p.dim() == 2:
                    p.copy_(arith(list(p.shape), 0.1 + 0.07 * i) / p.shape[1] ** 0.5 * 2)
                else:
                    p.copy_(1.0 + arith(list(p.shape), 0.3 + 0.05 * i))

    def forward(self, x):
        for layer in self.layers.values():
            x = layer(x)
        x = self.norm(x) if self.norm is not None else x            # None on a pipeline stage but the last
        return self.output(x) if self.output is not None else x


def parallelize(model, tp_mesh):
    """torchtitan's apply_tp, for hidden-state inputs (no embedding): the model's input is split
    along the sequence at the first layer; on a pipeline stage, only the modules it holds."""
    plan = {}
    if "0" in model.layers:
        plan["layers.0"] = PrepareModuleInput(input_layouts=(Replicate(),), desired_input_layouts=(Shard(1),))
    if getattr(model, "output", None) is not None:   # a traced pipeline stage has no attribute for a module it lacks
        plan["norm"] = SequenceParallel()
        plan["output"] = ColwiseParallel(input_layouts=Shard(1), output_layouts=Replicate())
    parallelize_module(model, tp_mesh, plan)
    for block in model.layers.values():
        parallelize_module(block, tp_mesh, {
            "attention_norm": SequenceParallel(),
            "attention": PrepareModuleInput(input_layouts=(Shard(1),), desired_input_layouts=(Replicate(),)),
            "attention.wq": ColwiseParallel(),
            "attention.wk": ColwiseParallel(),
            "attention.wv": ColwiseParallel(),
            "attention.wo": RowwiseParallel(output_layouts=Shard(1)),
            "ffn_norm": SequenceParallel(),
            "feed_forward": PrepareModuleInput(input_layouts=(Shard(1),), desired_input_layouts=(Replicate(),)),
            "feed_forward.w1": ColwiseParallel(),
            "feed_forward.w2": RowwiseParallel(output_layouts=Shard(1)),
            "feed_forward.w3": ColwiseParallel(),
        })


def main():
    dist.init_process_group("nccl")
    world = dist.get_world_size()
    tp = 2 if world % 2 == 0 else 1
    mesh = init_device_mesh("cuda", (world // tp, tp), mesh_dim_names=("dp", "tp"))
    dp_mesh, tp_mesh = mesh["dp"], mesh["tp"]
    model = Transformer()
    parallelize(model, tp_mesh)

    x = arith([B, S, DIM], 0.71)                                  # [B, S, H], the same on every rank
    x = x.chunk(dp_mesh.size(), 0)[dp_mesh.get_local_rank()]      # [B/dp, S, H]: this dp rank's batch
    y = model(x)                                                  # [B/dp, S, H]
    loss = (y * y).mean()
    loss.backward()
    for p in model.parameters():                                  # data parallel: average the gradients
        g = p.grad.to_local() if isinstance(p.grad, DTensor) else p.grad
        dist.all_reduce(g, op=dist.ReduceOp.AVG, group=dp_mesh.get_group())
    if dist.get_rank() == 0:
        print("loss", f"{loss.item():.7e}")
        wq = model.layers["0"].attention.wq.weight
        print("layers.0.attention.wq.weight", tuple(wq.shape), wq.placements, "local", tuple(wq.to_local().shape))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
