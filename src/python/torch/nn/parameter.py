from .. import _C
from .._tensor import Tensor


class Parameter(Tensor):
    """A trainable leaf: the core makes it a parameter of the rank (requires grad, lives for the
    run); a shard cut from a full tensor keeps the index range it came from (for re-assembly)."""

    def __new__(cls, data=None, requires_grad=True):
        if cls is Parameter and getattr(data, "_is_dtensor", False):
            return data._as_parameter(requires_grad)   # nn.Parameter(dtensor): a DTensor parameter
        return object.__new__(cls)

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from .. import empty
            data = empty(0)
        core = _C.js.param(_C.state().ctx, data._t, None)
        if not requires_grad:
            _C.js.setRequiresGrad(core, False)
        super().__init__(core)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    def __new__(cls, data=None, persistent=True):
        return object.__new__(cls)

    def __init__(self, data=None, persistent=True):
        super().__init__(data._t)
        self.persistent = persistent
