"""torch.autograd.Function, as Megatron's mappings use it: `forward(ctx, *args)` runs with
autograd off, and the core records one gradient node whose backward calls `backward(ctx, dy)` —
which may run collectives (they land in phase "backward")."""
from .. import _C
from .._tensor import Tensor


class FunctionCtx:
    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_diff = set()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tuple(tensors)

    def mark_non_differentiable(self, *tensors):
        self._non_diff.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class _FunctionMeta(type):
    pass


class Function(metaclass=_FunctionMeta):
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        st = _C.state()
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        # the inputs' core tensors as they are now: a forward may write into an input (Megatron's
        # reduce_from_region all-reduces its input in place and returns it), and the graph must
        # link to the tensor that was passed, with its history
        in_cores = [a._t for a in tensor_args]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = st.grad_enabled
        from .. import _set_grad
        _set_grad(st, False)
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            _set_grad(st, prev)
        if not prev or not any(ctx.needs_input_grad):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        if len(tensor_outs) != 1:
            from .._unsupported import Unsupported
            raise Unsupported(f"{cls.__name__}.forward returning {len(tensor_outs)} tensors", "return one tensor from an autograd.Function's forward")
        o = tensor_outs[0]
        if o._t is not None and (any(o._t is c for c in in_cores) or any(o is a for a in tensor_args)):
            # forward returned an input as is (Megatron's copy_to_region): a new node needs a new tensor
            o = Tensor(_C.js.detach(o._t))
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        name = cls.__name__

        def run_backward(dy_core):
            _C.enter(st)
            try:
                grads = cls.backward(ctx, Tensor(dy_core))
            finally:
                pass
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(args):
                raise RuntimeError(f"function {name}Backward returned an incorrect number of gradients (expected {len(args)}, got {len(grads)})")
            core = [g._t if isinstance(g, Tensor) else None for i, g in enumerate(grads) if i in positions]
            return _C.to_js(core, create_pyproxies=False)

        proxy = _C.create_proxy(run_backward)
        core_out = _C.js.customGrad(st.ctx, o._t, _C.to_js(in_cores, create_pyproxies=False), proxy, name)
        res = Tensor(core_out)
        if isinstance(out, tuple):
            return tuple(res if x is tensor_outs[0] else x for x in out)
        return res


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    return fn
