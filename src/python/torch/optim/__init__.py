"""torch.optim: SGD and Adam/AdamW updating parameters in place (the update ops are simulated:
they cost time and show on the timeline)."""
from .. import no_grad, zeros_like
from .. import _C


class Optimizer:
    def __init__(self, params, defaults):
        ps = list(params)
        if ps and isinstance(ps[0], dict):
            self.param_groups = [dict(defaults, **g) for g in ps]
            for g in self.param_groups:
                g["params"] = list(g["params"])
        else:
            self.param_groups = [dict(defaults, params=ps)]
        self.state = {}
        self.defaults = defaults

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def _update(self, p, new):
        _C.js.assignData(p._t, new._t)

    def state_dict(self):
        return {"state": {}, "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]}

    def load_state_dict(self, sd):
        pass


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, **kw):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @no_grad()
    def step(self, closure=None):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad
                if g["weight_decay"]:
                    d = d + p.detach() * g["weight_decay"]
                if g["momentum"]:
                    buf = self.state.get(id(p))
                    buf = d if buf is None else buf * g["momentum"] + d
                    self.state[id(p)] = buf
                    d = buf
                self._update(p, p.detach() - d * g["lr"])


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, **kw):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @no_grad()
    def step(self, closure=None):
        for g in self.param_groups:
            b1, b2 = g["betas"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                s = self.state.setdefault(id(p), {"step": 0, "m": zeros_like(p.detach()), "v": zeros_like(p.detach())})
                s["step"] += 1
                grad = p.grad
                w = p.detach()
                if g["weight_decay"] and not self.decoupled:
                    grad = grad + w * g["weight_decay"]
                s["m"] = s["m"] * b1 + grad * (1 - b1)
                s["v"] = s["v"] * b2 + grad * grad * (1 - b2)
                mh = s["m"] * (1 / (1 - b1 ** s["step"]))
                vh = s["v"] * (1 / (1 - b2 ** s["step"]))
                if g["weight_decay"] and self.decoupled:
                    w = w * (1 - g["lr"] * g["weight_decay"])
                self._update(p, w - mh / (vh.sqrt() + g["eps"]) * g["lr"])


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, **kw):
        super().__init__(params, lr, betas, eps, weight_decay)


from . import lr_scheduler  # noqa: E402,F401
