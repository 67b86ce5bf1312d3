"""torch.autograd: backward over the core's tape (no tape in Python), grad(), and Function."""
from .. import _C
from .._tensor import Tensor
from .function import Function, FunctionCtx  # noqa: F401


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    ts = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    gs = [grad_tensors] if isinstance(grad_tensors, Tensor) or grad_tensors is None else list(grad_tensors)
    if len(gs) == 1 and len(ts) > 1:
        gs = gs * len(ts)
    for t, g in zip(ts, gs):
        t.backward(g)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, leaving every `.grad` as it was."""
    if create_graph:
        from .._unsupported import Unsupported
        raise Unsupported("torch.autograd.grad(create_graph=True)", "higher-order gradients are not simulated")
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    gos = [grad_outputs] if isinstance(grad_outputs, Tensor) or grad_outputs is None else list(grad_outputs)
    saved = [(x, x._t.grad, bool(x._t.retainGrad)) for x in ins]
    for x in ins:
        _C.js.setGrad(x._t, None)
        if not x.is_leaf:
            _C.js.retainGrad(x._t)
    for o, g in zip(outs, gos * (len(outs) if len(gos) == 1 else 1)):
        o.backward(g)
    res = []
    for x, prev, retained in saved:
        g = x._t.grad
        g = None if _C.nil(g) else g
        if g is None and not allow_unused and not materialize_grads:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
        res.append(Tensor(g) if g is not None else None)
        _C.js.setGrad(x._t, prev)
        x._t.retainGrad = retained
    return tuple(res)


class Variable(Tensor):
    def __new__(cls, data, requires_grad=False):
        return data.requires_grad_(requires_grad) if requires_grad else data


def __getattr__(name):
    from .._unsupported import missing
    raise missing("torch.autograd", name)
