"""torch.optim as torch steps it: SGD with momentum, dampening, Nesterov, weight decay and maximize;
Adam and AdamW with amsgrad, maximize and weight decay; zero_grad(set_to_none=False) leaving zeros.
Compared with real torch (test/runner/python/run-python.test.ts AGAINST_TORCH)."""
import torch
w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
for nesterov, damp, wd in [(True, 0.0, 0.0), (False, 0.1, 0.01), (True, 0.0, 0.05)]:
    p = torch.nn.Parameter(w.detach().clone())
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=nesterov, dampening=damp, weight_decay=wd)
    for i in range(3):
        opt.zero_grad()
        ((p * torch.tensor([0.5, 1.5, -1.0])) ** 2).sum().backward()
        opt.step()
    print(nesterov, damp, wd, " ".join(f"{v:.6e}" for v in p.tolist()))
for kw in [dict(amsgrad=True), dict(maximize=True), dict(amsgrad=True, weight_decay=0.1)]:
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        p = torch.nn.Parameter(w.detach().clone())
        opt = cls([p], lr=0.1, **kw)
        for i in range(4):
            opt.zero_grad()
            ((p * torch.tensor([0.5, 1.5, -1.0])) ** 2 * (1 if i % 2 else 3)).sum().backward()
            opt.step()
        print(cls.__name__, sorted(kw), " ".join(f"{v:.6e}" for v in p.tolist()))
p = torch.nn.Parameter(w.detach().clone())
opt = torch.optim.SGD([p], lr=0.1, maximize=True)
(p.sum()).backward(); opt.step()
opt.zero_grad(set_to_none=False)
print("max", " ".join(f"{v:.6e}" for v in p.tolist()), p.grad is None, float(p.grad.abs().sum()) if p.grad is not None else -1.0)
