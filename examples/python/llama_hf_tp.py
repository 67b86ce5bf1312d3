# autodist: --nproc-per-node 2
"""Hugging Face's LlamaForCausalLM, written in plain torch.nn with HF's module names
(model.embed_tokens, model.layers.N.self_attn.q_proj, …, model.norm, lm_head): the same model as
the TypeScript path's built-in `llama` (src/models/llama.ts): RMSNorm (eps 1e-6), rotary
embeddings (HF's rotate_half, θ = 10000), causal attention, the SwiGLU MLP, an untied LM head,
cross-entropy over every position. Tensor-parallel over all ranks with `parallelize_module`:
q/k/v and gate/up ColwiseParallel, o and down RowwiseParallel, the LM head ColwiseParallel
with its logits gathered (Megatron's layout, no sequence parallelism).

The weights are exact in float32 (k/1024 from integer arithmetic, norm gains 1 + k/1024), so
the TypeScript model loaded with the same values computes the same numbers
(test/runner/python/builtin-llama.test.ts checks the loss, the logits and every gradient to
1e-5). Rank 0 prints the loss and, per tensor, Σx² and Σx·c with c_i = (31·i mod 17) − 8 over
torch's layout (row-major [out, in] for a Linear).

Run: `autodist simulate llama_hf_tp.py --nproc-per-node 2` (verified against its own
world-size-1 run). Under real torch it needs torch ≥ 2.4 (DeviceMesh, DTensor,
torch.distributed.tensor.parallel): `torchrun --nproc-per-node 2 llama_hf_tp.py`; Debian's
torch 1.13 has none of these, so it does not run there."""
import math

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Replicate
from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

VOCAB, HIDDEN, N_HEADS, FFN, N_LAYERS, EPS, THETA = 64, 32, 4, 48, 2, 1e-6, 10000.0
HEAD_DIM = HIDDEN // N_HEADS
B, S = 2, 8


def rope_tables(seq):
    """HF's cos/sin [S, hd]: θ_i = θ^(−2i/hd), each angle p·θ_i repeated over both halves."""
    inv = [1.0 / math.pow(THETA, 2 * i / HEAD_DIM) for i in range(HEAD_DIM // 2)]
    cos = [[math.cos(p * f) for f in inv] * 2 for p in range(seq)]
    sin = [[math.sin(p * f) for f in inv] * 2 for p in range(seq)]
    return torch.tensor(cos), torch.tensor(sin)


def rotate_half(x):
    x1, x2 = x.chunk(2, -1)
    return torch.cat((-x2, x1), -1)


class LlamaAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(HIDDEN, N_HEADS * HEAD_DIM, bias=False)   # [nh·hd, H]
        self.k_proj = nn.Linear(HIDDEN, N_HEADS * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(HIDDEN, N_HEADS * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(N_HEADS * HEAD_DIM, HIDDEN, bias=False)   # [H, nh·hd]

    def forward(self, x, cos, sin):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, -1, HEAD_DIM).transpose(1, 2)        # [B, nh/tp, S, hd]
        k = self.k_proj(x).view(b, s, -1, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(x).view(b, s, -1, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin                                 # cos, sin [S, hd] broadcast
        k = k * cos + rotate_half(k) * sin
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)        # [B, nh/tp, S, hd]
        return self.o_proj(o.transpose(1, 2).reshape(b, s, -1))            # [B, S, H]


class LlamaMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_proj = nn.Linear(HIDDEN, FFN, bias=False)   # [F, H]
        self.up_proj = nn.Linear(HIDDEN, FFN, bias=False)     # [F, H]
        self.down_proj = nn.Linear(FFN, HIDDEN, bias=False)   # [H, F]

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = nn.RMSNorm(HIDDEN, eps=EPS)
        self.self_attn = LlamaAttention()
        self.post_attention_layernorm = nn.RMSNorm(HIDDEN, eps=EPS)
        self.mlp = LlamaMLP()

    def forward(self, x, cos, sin):
        h = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return h + self.mlp(self.post_attention_layernorm(h))


class LlamaModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList([LlamaDecoderLayer() for _ in range(N_LAYERS)])
        self.norm = nn.RMSNorm(HIDDEN, eps=EPS)

    def forward(self, ids):
        cos, sin = rope_tables(ids.shape[1])
        h = self.embed_tokens(ids)                                         # [B, S, H]
        for layer in self.layers:
            h = layer(h, cos, sin)
        return self.norm(h)


class LlamaForCausalLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = LlamaModel()
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)               # [V, H]

    def forward(self, ids):
        return self.lm_head(self.model(ids))                              # [B, S, V]


def exact_values(n, k):
    """n values exact in float32: ((a·i + b) mod 97 − 48) / 1024, a and b from the tensor's index k."""
    a, b = 13 + 2 * k, 5 * k
    return [((a * i + b) % 97 - 48) / 1024 for i in range(n)]


def load_exact_weights(model):
    """Every parameter, in sorted-name order k, from exact_values (norm gains: 1 + those)."""
    with torch.no_grad():
        for k, (name, p) in enumerate(sorted(model.named_parameters())):
            v = torch.tensor(exact_values(p.numel(), k)).reshape(p.shape)
            p.copy_(v + 1.0 if name.endswith("layernorm.weight") or name == "model.norm.weight" else v)


def tokens(offset):
    return torch.tensor([[(7 * i + 3 * j * j + offset) % VOCAB for j in range(S)] for i in range(B)])


def checksums(t):
    """Σx² and Σx·c, c_i = (31·i mod 17) − 8 over the row-major values."""
    v = t.reshape(-1).tolist()
    return sum(x * x for x in v), sum(x * ((31 * i) % 17 - 8) for i, x in enumerate(v))


def main():
    dist.init_process_group("nccl")
    tp_mesh = init_device_mesh("cuda", (dist.get_world_size(),), mesh_dim_names=("tp",))
    model = LlamaForCausalLM()
    load_exact_weights(model)
    for layer in model.model.layers:
        parallelize_module(layer, tp_mesh, {
            "self_attn.q_proj": ColwiseParallel(),
            "self_attn.k_proj": ColwiseParallel(),
            "self_attn.v_proj": ColwiseParallel(),
            "self_attn.o_proj": RowwiseParallel(),
            "mlp.gate_proj": ColwiseParallel(),
            "mlp.up_proj": ColwiseParallel(),
            "mlp.down_proj": RowwiseParallel(),
        })
    parallelize_module(model, tp_mesh, {"lm_head": ColwiseParallel(output_layouts=Replicate())})

    ids, targets = tokens(1), tokens(2)                                   # [B, S] each
    logits = model(ids)                                                   # [B, S, V]
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()
    grads = {n: (p.grad.full_tensor() if isinstance(p.grad, DTensor) else p.grad) for n, p in model.named_parameters()}
    if dist.get_rank() == 0:
        print("loss", repr(loss.item()))
        print("logits", *map(repr, checksums(logits)))
        for n in sorted(grads):
            print("grad", n, *map(repr, checksums(grads[n])))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
