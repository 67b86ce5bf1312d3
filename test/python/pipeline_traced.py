# A torchtitan-style Llama (tok_embeddings, layers ModuleDict, norm, output; a freqs buffer sliced to
# the sequence and handed to every layer) on a pipeline of pp = world stages under 1F1B, built by
#   argv[1] == "traced":  pipeline(model, (x_mb,), split_spec={"layers.k": BEGINNING, ...}).build_stage(...)
#   argv[1] == "manual":  torchtitan's manual split (del model.layers[k], first/last-only modules None)
#   argv[1] == "interleaved": pipeline() into 2·pp stages (one layer each but the edges), two per rank
#                         (stages r and r + pp) under ScheduleInterleaved1F1B
# Each rank prints the mean loss (last stage) and Σ g² of every gradient it holds, so the two runs
# can be compared line by line. Refused: argv[1] == "scaled" (the embedding's output scaled between
# split regions), "padmask" (a mask computed from the tokens' values, handed to every layer),
# "hooked" (a forward hook on the model itself, which no stage would run).
import sys
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.distributed.pipelining import PipelineStage, Schedule1F1B, ScheduleInterleaved1F1B, SplitPoint, pipeline

MODE = sys.argv[1] if len(sys.argv) > 1 else "traced"
V, DIM, HD, L, B, S, M = 64, 16, 8, 4, 8, 6, 4


def arith(shape, k):
    n = 1
    for s in shape:
        n *= s
    return torch.sin(torch.arange(n, dtype=torch.float32) * k).reshape(shape) * 0.25


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.wq = nn.Linear(DIM, DIM, bias=False)
        self.wk = nn.Linear(DIM, DIM, bias=False)
        self.wv = nn.Linear(DIM, DIM, bias=False)
        self.wo = nn.Linear(DIM, DIM, bias=False)
        self.ffn_norm = nn.RMSNorm(DIM, eps=1e-5)
        self.w1 = nn.Linear(DIM, 2 * DIM, bias=False)
        self.w2 = nn.Linear(2 * DIM, DIM, bias=False)

    def forward(self, x, freqs, mask=None):
        b, s, _ = x.shape
        h = self.attention_norm(x)
        q = (self.wq(h).view(b, s, -1, HD) * freqs.view(1, s, 1, HD)).transpose(1, 2)   # [B, nh, S, hd]
        k = self.wk(h).view(b, s, -1, HD).transpose(1, 2)
        v = self.wv(h).view(b, s, -1, HD).transpose(1, 2)
        if mask is not None:
            v = v * mask.view(b, 1, s, 1)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, s, DIM)
        x = x + self.wo(o)
        return x + self.w2(F.silu(self.w1(self.ffn_norm(x))))


class Llama(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_embeddings = nn.Embedding(V, DIM)
        self.layers = nn.ModuleDict({str(i): Block() for i in range(L)})
        self.norm = nn.RMSNorm(DIM, eps=1e-5)
        self.output = nn.Linear(DIM, V, bias=False)
        self.register_buffer("freqs", 1.0 + arith([32, HD], 0.9), persistent=False)
        with torch.no_grad():
            for i, (_, p) in enumerate(self.named_parameters()):
                p.copy_(arith(list(p.shape), 0.1 + 0.07 * i) * (2.0 if p.dim() == 2 else 0.5) + (0.0 if p.dim() == 2 else 1.0))

    def forward(self, tokens):
        h = self.tok_embeddings(tokens) if self.tok_embeddings is not None else tokens
        if MODE == "scaled":
            h = h * 2.0
        mask = (tokens > 20).float() if MODE == "padmask" else None   # [B, S]: from the tokens' values
        freqs = self.freqs[0:h.shape[1]]
        for layer in self.layers.values():
            h = layer(h, freqs) if mask is None else layer(h, freqs, mask)
        h = self.norm(h) if self.norm is not None else h
        return self.output(h) if self.output is not None else h


dist.init_process_group()
rank, pp = dist.get_rank(), dist.get_world_size()
tokens = torch.tensor([[(7 * i + 3 * j * j + 1) % V for j in range(S)] for i in range(B)])     # [B, S]
target = torch.tensor([[(5 * i + 11 * j + 2) % V for j in range(S)] for i in range(B)])        # [B, S]
model = Llama()
if MODE == "hooked":
    model.register_forward_hook(lambda m, args, out: out * 0.5)
per = L // pp
if MODE == "manual":
    for name in list(model.layers.keys()):
        if not rank * per <= int(name) < (rank + 1) * per:
            del model.layers[name]
    if rank != 0:
        model.tok_embeddings = None
    if rank != pp - 1:
        model.norm = None
        model.output = None
    stage = PipelineStage(model, rank, pp, "cpu")
    held = model
elif MODE == "interleaved":
    per = L // (2 * pp)
    pipe = pipeline(model, mb_args=(tokens[: B // M],), split_spec={f"layers.{k * per}": SplitPoint.BEGINNING for k in range(1, 2 * pp)})
    assert pipe.num_stages == 2 * pp, pipe
    stages = [pipe.build_stage(s, "cpu") for s in (rank, rank + pp)]
    if rank == 0:
        print(pipe)
else:
    pipe = pipeline(model, mb_args=(tokens[: B // M],), split_spec={f"layers.{k * per}": SplitPoint.BEGINNING for k in range(1, pp)})
    assert pipe.num_stages == pp and pipe.split_gm.submod_0 is pipe.get_stage_module(0), pipe
    stage = pipe.build_stage(rank, "cpu")
    held = pipe.get_stage_module(rank)
    if rank == 0:
        print(pipe)


def loss_fn(logits, t):
    return F.cross_entropy(logits.reshape(-1, V), t.reshape(-1))


if MODE == "interleaved":
    schedule = ScheduleInterleaved1F1B(stages, n_microbatches=M, loss_fn=loss_fn)
    first, last = any(s.is_first for s in stages), any(s.is_last for s in stages)
    held = [(n, p) for s in stages for n, p in s.submod.named_parameters()]
else:
    schedule = Schedule1F1B(stage, n_microbatches=M, loss_fn=loss_fn)
    first, last = stage.is_first, stage.is_last
    held = list(held.named_parameters())
losses = []
schedule.step(*((tokens,) if first else ()), target=target if last else None, losses=losses)
if last:
    print("loss", f"{sum(l.item() for l in losses) / len(losses):.7e}")
for name, p in sorted(held):
    print("grad", name, f"{(p.grad * p.grad).sum().item():.7e}")
