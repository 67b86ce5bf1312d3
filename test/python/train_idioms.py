"""A small GPT trained the way plain PyTorch files do it: an ignored label written in place
(y[0, 0] = -100), cross-entropy with ignore_index and label_smoothing, gradient accumulation over
two micro-batches, Adam with weight decay, clip_grad_norm_, LayerNorm, GELU, dropout in eval mode,
a causal mask by masked_fill(-inf), a batch per rank by slicing. Compared with real torch
(test/runner/python/run-python.test.ts AGAINST_TORCH)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.distributed as dist


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(0.1))
        self.heads = heads

    def forward(self, x):  # [B, S, d]
        B, S, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q = q.view(B, S, self.heads, d // self.heads).transpose(1, 2)
        k = k.view(B, S, self.heads, d // self.heads).transpose(1, 2)
        v = v.view(B, S, self.heads, d // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        mask = torch.triu(torch.ones(S, S, dtype=torch.bool), diagonal=1)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, S, d)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(42)
    emb = nn.Embedding(50, 16)
    blocks = nn.ModuleList([Block(16, 4) for _ in range(2)])
    head = nn.Linear(16, 50, bias=False)
    params = list(emb.parameters()) + list(blocks.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3, betas=(0.9, 0.95), weight_decay=0.01)
    g = torch.Generator().manual_seed(7)
    data = torch.randint(0, 50, (4, 9), generator=g)
    mine = data[rank::world]
    for blk in blocks:
        blk.eval()  # dropout off
    for step in range(3):
        opt.zero_grad(set_to_none=True)
        for micro in range(2):  # gradient accumulation over 2 micro-batches
            x = mine[micro:micro + 1, :-1]
            y = mine[micro:micro + 1, 1:].clone()
            y[0, 0] = -100  # ignored position
            h = emb(x)
            for blk in blocks:
                h = blk(h)
            logits = head(h)
            loss = F.cross_entropy(logits.view(-1, 50), y.view(-1), ignore_index=-100, label_smoothing=0.1) / 2
            loss.backward()
        for p in params:
            dist.all_reduce(p.grad)
            p.grad.div_(world)
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        print(f"rank {rank} step {step} loss {loss.item() * 2:.6e} norm {norm.item():.6e}")
    with torch.no_grad():
        s = torch.stack([p.float().abs().sum() for p in params]).sum()
    print(f"rank {rank} weights {s.item():.6e} head {head.weight[3, :4].tolist()[0]:.6e}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
