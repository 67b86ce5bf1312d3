"""torch's random draws as a plain file makes them: seeded default generator, a Generator of its
own, nn.Linear / nn.Embedding init, nn.init, Tensor.normal_/uniform_, dropout. Printed one value
per line, in exponent format, for the comparison with real torch (test/runner/python)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def show(name, t):
    for v in t.flatten().tolist():
        print(f"{name} {float(v):.8e}")


torch.manual_seed(0)
show("rand", torch.rand(5))
torch.manual_seed(0)
show("randn", torch.randn(2, 3))
show("randn40", torch.randn(40))
show("randn5", torch.randn(5))
show("randn3", torch.randn(3))                 # the kept second value of the last pair
show("randint", torch.randint(0, 10, (12,)))
show("randint_high", torch.randint(5, (3, 4)))
show("randperm", torch.randperm(10))
torch.manual_seed(0)
lin = nn.Linear(16, 8)                         # kaiming_uniform_(a=√5), then the bias
show("linear.w", lin.weight[:2])
show("linear.b", lin.bias)
show("emb", nn.Embedding(10, 4).weight)       # normal_(0, 1)
g = torch.Generator().manual_seed(1234)
show("gen.randn", torch.randn(4, generator=g))
show("gen.rand", torch.rand(3, generator=g))
torch.manual_seed(5)
t = torch.empty(20)
t.normal_(2.0, 0.5)
show("normal_", t)
u = torch.empty(3)
u.uniform_(-1, 1)
show("uniform_", u)
show("dropout", F.dropout(torch.ones(20), 0.5))
w = torch.empty(6, 5)
nn.init.xavier_uniform_(w)
show("xavier", w)
nn.init.kaiming_normal_(w)
show("kaiming", w)
torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
show("mlp", mlp(torch.randn(3, 4)))
