"""torch.optim.lr_scheduler's schedules, step by step, printed for the comparison with real torch."""
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as L


def run(name, make, steps=12):
    opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    s = make(opt)
    lrs = []
    for _ in range(steps):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    print(name + " " + " ".join(f"{v:.10e}" for v in lrs))


run("lambda", lambda o: L.LambdaLR(o, lambda e: min(1.0, (e + 1) / 4)))
run("step", lambda o: L.StepLR(o, step_size=3, gamma=0.5))
run("multistep", lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3))
run("exponential", lambda o: L.ExponentialLR(o, gamma=0.9))
run("cosine", lambda o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.001), steps=17)
run("linear", lambda o: L.LinearLR(o, start_factor=0.25, total_iters=4))
run("constant", lambda o: L.ConstantLR(o, factor=0.5, total_iters=3))
run("multiplicative", lambda o: L.MultiplicativeLR(o, lambda e: 0.95))
