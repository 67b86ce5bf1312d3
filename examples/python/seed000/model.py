"""A small GPT-style transformer in plain PyTorch (seed 000's model): layers.{i}.self_attn.{q,k,v,o}_proj,
layers.{i}.mlp.{up,down}_proj, pre-norm. Weights come from arithmetic (sin(arange · k)), so real torch
and AutoDist build the same model without reproducing torch's random generator."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN, HEADS, FFN, LAYERS = 32, 4, 64, 4
BATCH, SEQ = 2, 8


def arith(shape, k):
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * k).reshape(shape) * 0.2


class SelfAttention(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(h, h)
        self.k_proj = nn.Linear(h, h)
        self.v_proj = nn.Linear(h, h)
        self.o_proj = nn.Linear(h, h)

    def forward(self, x):                                    # [B, S, H]
        b, s, _ = x.shape
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)   # [B, S, H/tp] when column-parallel
        hd = q.shape[-1] * self.heads // (self.heads * 1)
        nh = q.shape[-1] // (HIDDEN // self.heads)            # heads on this rank
        hd = HIDDEN // self.heads
        q, k, v = (t.view(b, s, nh, hd).transpose(1, 2) for t in (q, k, v))  # [B, nh/tp, S, hd]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)    # [B, nh/tp, S, S]
        causal = torch.ones(s, s).tril() == 0
        scores = scores.masked_fill(causal, float("-inf"))
        ctx = F.softmax(scores, dim=-1) @ v                   # [B, nh/tp, S, hd]
        ctx = ctx.transpose(1, 2).reshape(b, s, nh * hd)      # [B, S, H/tp]
        return self.o_proj(ctx)                               # [B, S, H]


class MLP(nn.Module):
    def __init__(self, h, f):
        super().__init__()
        self.up_proj = nn.Linear(h, f)
        self.down_proj = nn.Linear(f, h)

    def forward(self, x):
        return self.down_proj(F.gelu(self.up_proj(x)))


class Block(nn.Module):
    def __init__(self, h, heads, f):
        super().__init__()
        self.ln1 = nn.LayerNorm(h)
        self.self_attn = SelfAttention(h, heads)
        self.ln2 = nn.LayerNorm(h)
        self.mlp = MLP(h, f)

    def forward(self, x):
        x = x + self.self_attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, h=HIDDEN, heads=HEADS, f=FFN, layers=LAYERS):
        super().__init__()
        self.layers = nn.ModuleList([Block(h, heads, f) for _ in range(layers)])
        with torch.no_grad():
            for i, (name, p) in enumerate(self.named_parameters()):
                p.copy_(arith(list(p.shape), 0.1 + 0.013 * i) + (1.0 if name.endswith("ln1.weight") or name.endswith("ln2.weight") else 0.0))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def batch():
    return arith([BATCH, SEQ, HIDDEN], 0.77)


def report(rank, out, loss=None):
    """What each rank prints (compared with real torch's print by the tests)."""
    if loss is not None:
        print("loss", f"{loss.item():.7e}")
    print("out[0,0,:3]", " ".join(f"{v:.7e}" for v in out[0, 0, :3].tolist()))
