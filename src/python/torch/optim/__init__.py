"""torch.optim: SGD and Adam/AdamW updating parameters in place (the update ops are simulated:
they cost time and show on the timeline)."""
from .. import no_grad, zeros_like, maximum
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
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = zeros_like(p.grad)   # set_to_none=False: zeros, as grad.zero_()

    def _update(self, p, new):
        _C.js.assignData(p._t, new._t)

    def state_dict(self):
        return {"state": {}, "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]}

    def load_state_dict(self, sd):
        pass


class SGD(Optimizer):
    """torch.optim.SGD's update, step for step:
        d = grad (+ weight_decay · p);  maximize: d = −d
        momentum: buf = d on the first step, else momentum · buf + (1 − dampening) · d;
                  d = d + momentum · buf with nesterov, else buf
        p = p − lr · d
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False, **kw):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad if not g["maximize"] else -p.grad
                if g["weight_decay"]:
                    d = d + p.detach() * g["weight_decay"]
                if g["momentum"]:
                    buf = self.state.get(id(p))
                    if buf is None:
                        buf = d.clone()
                    else:
                        buf = buf * g["momentum"] + (d * (1 - g["dampening"]) if g["dampening"] else d)
                    self.state[id(p)] = buf
                    d = d + buf * g["momentum"] if g["nesterov"] else buf
                self._update(p, p.detach() - d * g["lr"])


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False, **kw):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for g in self.param_groups:
            b1, b2 = g["betas"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                s = self.state.setdefault(id(p), {"step": 0, "m": zeros_like(p.detach()), "v": zeros_like(p.detach())})
                s["step"] += 1
                grad = p.grad if not g["maximize"] else -p.grad
                w = p.detach()
                if g["weight_decay"] and not self.decoupled:
                    grad = grad + w * g["weight_decay"]
                s["m"] = s["m"] * b1 + grad * (1 - b1)
                s["v"] = s["v"] * b2 + grad * grad * (1 - b2)
                mh = s["m"] * (1 / (1 - b1 ** s["step"]))
                if g["amsgrad"]:
                    # the largest second moment so far (torch.maximum into max_exp_avg_sq)
                    s["vmax"] = s["v"] if "vmax" not in s else maximum(s["vmax"], s["v"])
                vh = (s["vmax"] if g["amsgrad"] else s["v"]) * (1 / (1 - b2 ** s["step"]))
                if g["weight_decay"] and self.decoupled:
                    w = w * (1 - g["lr"] * g["weight_decay"])
                self._update(p, w - mh / (vh.sqrt() + g["eps"]) * g["lr"])


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False, **kw):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


from . import lr_scheduler  # noqa: E402,F401
