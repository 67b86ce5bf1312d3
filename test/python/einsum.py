"""torch.einsum of one and two operands (attention scores and values, a projection with a permuted
output, transpose, full sum, matrix-vector, outer product, an implicit output) and its gradients.
Compared with real torch (test/runner/python/run-python.test.ts AGAINST_TORCH)."""
import torch
torch.manual_seed(1)
q = torch.randn(2, 3, 4, 5, requires_grad=True)
k = torch.randn(2, 3, 6, 5, requires_grad=True)
v = torch.randn(2, 3, 6, 5)
att = torch.einsum("bhqd,bhkd->bhqk", q, k).softmax(-1)
o = torch.einsum("bhqk,bhkd->bhqd", att, v)
w = torch.randn(5, 7)
y = torch.einsum("bhqd,de->bqhe", o, w)
s1 = torch.einsum("ij->ji", w)
s2 = torch.einsum("ij->", w)
s3 = torch.einsum("ij,j->i", w, torch.arange(7.))
s4 = torch.einsum("i,j->ij", torch.arange(3.), torch.arange(4.))
s5 = torch.einsum("bij,bjk", torch.randn(2, 3, 4), torch.randn(2, 4, 2))
s6 = torch.einsum("ij,kj->ik", w, w)
loss = y.pow(2).mean() + s6.sum() * 0
loss.backward()
for name, t in [("y", y), ("s1", s1), ("s2", s2), ("s3", s3), ("s4", s4), ("s5", s5), ("s6", s6), ("gq", q.grad), ("gk", k.grad)]:
    print(name, list(t.shape), " ".join(f"{x:.6e}" for x in t.detach().flatten().tolist()[:6]), f"{t.detach().abs().sum().item():.6e}")
