"""torch.Tensor over a core tensor (one rank's). Each method checks its arguments as torch does
and makes one bridge call; in-place methods rebind the core tensor this object holds."""
import builtins
import math

from . import _C
from . import _dtype as _d

_bi_int = builtins.int
_bi_float = builtins.float
_bi_bool = builtins.bool


def _is_num(x):
    return isinstance(x, (_bi_int, _bi_float, _bi_bool)) and not isinstance(x, Tensor)


class Size(tuple):
    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self):
        return "torch.Size([" + ", ".join(str(d) for d in self) + "])"


class device:
    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, _bi_int):
            type, index = "cuda", type
        if isinstance(type, str) and ":" in type:
            type, i = type.split(":", 1)
            index = _bi_int(i)
        self.type = type
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __eq__(self, other):
        o = other if isinstance(other, device) else device(other)
        return self.type == o.type and self.index == o.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        _default_device.append(self)
        return self

    def __exit__(self, *a):
        _default_device.pop()


_default_device = []


def _norm_dim(d, n):
    if d < -n or d >= max(n, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d + n if d < 0 else d


def _shape_arg(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        return [_bi_int(s) for s in args[0]]
    return [_bi_int(s) for s in args]


class Tensor:
    """One rank's tensor. `_t` is the core tensor (a JS object)."""

    __slots__ = ("_t", "_shape", "_dtype", "_device", "__weakref__", "__dict__")

    def __init__(self, core=None, device=None):
        if core is None:
            raise TypeError("torch.Tensor(...) is not supported: use torch.tensor(values) or torch.empty(shape)")
        self._t = core
        self._shape = None
        self._dtype = None
        self._device = device

    # ------------------------------------------------------------------ metadata
    def _set(self, core):
        """Rebind to a new core tensor (in-place ops). A tensor read from `p.grad` writes through
        to the parameter's gradient (dist.all_reduce(p.grad) works in place, as in torch)."""
        self._t = core
        self._shape = None
        self._dtype = None
        owner = self.__dict__.get("_grad_of")
        if owner is not None:
            _C.js.setGrad(owner, core)
        return self

    def _write(self, core):
        """An in-place write: a leaf that requires grad (a parameter, under no_grad) keeps its
        core tensor and takes the new values, so it stays the leaf its gradient lands on; any
        other tensor is rebound to the result (its history continues from there)."""
        t = self._t
        if _C.nil(t.node) and t.requiresGrad:
            _C.js.assignData(t, core)
            return self
        return self._set(core)

    @property
    def shape(self):
        s = self._shape
        if s is None:
            s = self._shape = Size(self._t.shape.to_py())
        return s

    def size(self, dim=None):
        s = self.shape
        return s if dim is None else s[_norm_dim(dim, len(s))]

    def dim(self):
        return len(self.shape)

    ndim = property(dim)

    def numel(self):
        return self.shape.numel()

    nelement = numel

    @property
    def dtype(self):
        d = self._dtype
        if d is None:
            d = self._dtype = _d.from_core(self._t.dtype)
        return d

    @property
    def device(self):
        if self._device is not None:
            return self._device
        return device("meta") if _C.state().meta else device("cpu")

    @property
    def is_meta(self):
        return self.device.type == "meta"

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def element_size(self):
        return self.dtype.itemsize

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_contiguous(self, memory_format=None):
        return True

    def stride(self, dim=None):
        s, acc = [], 1
        for d in reversed(self.shape):
            s.insert(0, acc)
            acc *= d
        return tuple(s) if dim is None else s[_norm_dim(dim, len(s))]

    def data_ptr(self):
        return _bi_int(self._t.id)

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return _bi_bool(self._t.requiresGrad)

    @requires_grad.setter
    def requires_grad(self, v):
        self.requires_grad_(v)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not _C.nil(self._t.node) and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        _C.js.setRequiresGrad(self._t, _bi_bool(requires_grad))
        return self

    @property
    def is_leaf(self):
        return _C.nil(self._t.node)

    @property
    def grad(self):
        g = self._t.grad
        if _C.nil(g):
            return None
        t = Tensor(g)
        t.__dict__["_grad_of"] = self._t
        return t

    @grad.setter
    def grad(self, g):
        _C.js.setGrad(self._t, None if g is None else g._t)

    @property
    def grad_fn(self):
        n = self._t.node
        return None if _C.nil(n) else _GradFn(n.op)

    def retain_grad(self):
        _C.js.retainGrad(self._t)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if create_graph:
            raise _unsupported("Tensor.backward(create_graph=True)", "higher-order gradients are not simulated")
        if gradient is None and self.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        _C.backward(self._t, None if gradient is None else gradient._t)
        if getattr(_C.state(), "ddp_pending", None):
            from .nn.parallel.distributed import _after_backward
            _after_backward()

    def detach(self):
        return Tensor(_C.js.detach(self._t))

    def detach_(self):
        return self._set(_C.js.detach(self._t))

    # ------------------------------------------------------------------ values
    def tolist(self):
        vals = _C.js.values(self._t).to_py()
        conv = _bi_float if self.dtype.is_floating_point else (_bi_bool if self.dtype is _d.bool else _bi_int)
        vals = [conv(v) for v in vals]
        shape = list(self.shape)
        if not shape:
            return vals[0]

        def nest(flat, dims):
            if len(dims) == 1:
                return flat
            if dims[0] == 0:
                return []
            step = len(flat) // dims[0]
            return [nest(flat[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])]
        return nest(vals, shape)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        v = _C.js.values(self._t).to_py()[0]
        if self.dtype.is_floating_point:
            return _bi_float(v)
        return _bi_bool(v) if self.dtype is _d.bool else _bi_int(v)

    def __float__(self):
        return _bi_float(self.item())

    def __int__(self):
        return _bi_int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _bi_int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return _bi_bool(self.item())

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        st = _C.state()
        if st.meta:
            return f"tensor(..., device='meta', size={tuple(self.shape)}" + ("" if self.dtype is _d.float32 else f", dtype={self.dtype}") + ")"
        from ._tensor_str import tensor_str
        suffixes = []
        if self._device is not None and self._device.type == "cuda":
            suffixes.append(f"device='cuda:{self._device.index or 0}'")
        if self.dtype not in (_d.float32, _d.int64, _d.bool):
            suffixes.append(f"dtype={self.dtype}")
        if self.requires_grad:
            suffixes.append("requires_grad=True" if self.is_leaf else f"grad_fn=<{_GradFn(self._t.node.op)._torch_name()}>")
        return tensor_str(self.tolist(), list(self.shape), self.dtype.is_floating_point, suffixes)

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def numpy(self):
        raise _unsupported("Tensor.numpy()", "numpy is not available in the simulator: use .tolist()")

    def cpu(self):
        return self

    def cuda(self, device=None, non_blocking=False):
        return self

    def pin_memory(self):
        return self

    def to(self, *args, **kwargs):
        dt = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _d.dtype):
                dt = a
            elif isinstance(a, Tensor):
                dt = a.dtype
        if dt is None or dt is self.dtype:
            return self
        return Tensor(_C.call("cast", self._t, dt.core))

    def type(self, dtype=None):
        if dtype is None:
            return "torch." + {"float32": "FloatTensor", "int64": "LongTensor", "bool": "BoolTensor"}.get(self.dtype.name, "Tensor")
        return self.to(dtype)

    def float(self):
        return self.to(_d.float32)

    def half(self):
        return self.to(_d.float16)

    def bfloat16(self):
        return self.to(_d.bfloat16)

    def long(self):
        return self.to(_d.int64)

    def int(self):
        return self.to(_d.int32)

    def bool(self):
        return self.to(_d.bool)

    def double(self):
        return self.to(_d.float64)

    # ------------------------------------------------------------------ arithmetic
    def _bin(self, other, op, scalar_op=None, rev=False):
        # torch's type promotion: a float scalar or a true division makes an integer tensor float;
        # two tensors meet at the higher kind (bool < int < float)
        if _is_num(other):
            if not self.dtype.is_floating_point and (isinstance(other, _bi_float) or op == "div"):
                return self.to(_d.get_default_dtype())._bin(other, op, scalar_op, rev)
            if self.dtype is _d.bool and not isinstance(other, _bi_bool):
                return self.to(_d.int64)._bin(other, op, scalar_op, rev)
            if op == "add":
                return Tensor(_C.call("add_scalar", self._t, other if not rev else other))
            if op == "sub":
                return Tensor(_C.call("add_scalar", self._t, -other)) if not rev else Tensor(_C.call("add_scalar", _C.call("neg", self._t), other))
            if op == "mul":
                return Tensor(_C.call("mul_scalar", self._t, other))
            if op == "div" and not rev:
                return Tensor(_C.call("mul_scalar", self._t, 1.0 / other))
            other = _scalar_like(other, self)
        if not isinstance(other, Tensor):
            return NotImplemented
        a, b = (other, self) if rev else (self, other)
        dt = _promote(a.dtype, b.dtype)
        if op == "div" and not dt.is_floating_point:
            dt = _d.get_default_dtype()
        if a.dtype is not dt:
            a = a.to(dt)
        if b.dtype is not dt:
            b = b.to(dt)
        return Tensor(_C.call(op, a._t, b._t))

    def __add__(self, o):
        return self._bin(o, "add")

    def __radd__(self, o):
        return self._bin(o, "add", rev=True)

    def __sub__(self, o):
        return self._bin(o, "sub")

    def __rsub__(self, o):
        return self._bin(o, "sub", rev=True)

    def __mul__(self, o):
        return self._bin(o, "mul")

    def __rmul__(self, o):
        return self._bin(o, "mul", rev=True)

    def __truediv__(self, o):
        return self._bin(o, "div")

    def __rtruediv__(self, o):
        return self._bin(o, "div", rev=True)

    def __neg__(self):
        return Tensor(_C.call("neg", self._t))

    def __pos__(self):
        return self

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(o, self)

    def __pow__(self, e):
        if _is_num(e):
            if e == 2:
                return Tensor(_C.call("square", self._t))
            if e == 1:
                return self
            if e == 0.5:
                return Tensor(_C.call("sqrt", self._t))
            return Tensor(_C.call("pow_scalar", self._t, _bi_float(e)))
        return Tensor(_C.call("pow", self._t, e._t))

    def __rpow__(self, b):
        return Tensor(_C.call("pow", _scalar_like(b, self)._t, self._t))

    def __abs__(self):
        return self.abs()

    def _cmp(self, o, op):
        if _is_num(o):
            o = _scalar_like(o, self)
        if not isinstance(o, Tensor):
            return NotImplemented
        return Tensor(_C.call(op, self._t, o._t))

    def __eq__(self, o):
        return self._cmp(o, "eq")

    def __ne__(self, o):
        return self._cmp(o, "ne")

    def __lt__(self, o):
        return self._cmp(o, "lt")

    def __le__(self, o):
        return self._cmp(o, "le")

    def __gt__(self, o):
        return self._cmp(o, "gt")

    def __ge__(self, o):
        return self._cmp(o, "ge")

    def __invert__(self):
        return Tensor(_C.call("logical_not", self._t))

    def __and__(self, o):
        return Tensor(_C.call("logical_and", self._t, o._t))

    def __or__(self, o):
        return Tensor(_C.call("logical_or", self._t, o._t))

    # in place: the same object holds the result
    def __iadd__(self, o):
        self._check_inplace("add_")
        return self._write((self + o)._t)

    def __isub__(self, o):
        self._check_inplace("sub_")
        return self._write((self - o)._t)

    def __imul__(self, o):
        self._check_inplace("mul_")
        return self._write((self * o)._t)

    def __itruediv__(self, o):
        self._check_inplace("div_")
        return self._write((self / o)._t)

    def _check_inplace(self, name):
        if self.requires_grad and self.is_leaf and _C.state().grad_enabled:
            raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation ({name}).")

    def add_(self, other, alpha=1):
        self._check_inplace("add_")
        return self._write((self + (other * alpha if alpha != 1 else other))._t)

    def sub_(self, other, alpha=1):
        self._check_inplace("sub_")
        return self._write((self - (other * alpha if alpha != 1 else other))._t)

    def mul_(self, other):
        self._check_inplace("mul_")
        return self._write((self * other)._t)

    def div_(self, other):
        self._check_inplace("div_")
        return self._write((self / other)._t)

    def zero_(self):
        self._check_inplace("zero_")
        return self._write(_C.create("zeros", self.shape, self.dtype.core))

    def fill_(self, value):
        self._check_inplace("fill_")
        return self._write(_C.create("full", self.shape, self.dtype.core, {"value": _bi_float(value)}))

    def copy_(self, src, non_blocking=False):
        self._check_inplace("copy_")
        s = src if isinstance(src, Tensor) else _scalar_like(src, self)
        if tuple(s.shape) != tuple(self.shape):
            s = s.expand(self.shape)
        if s.dtype is not self.dtype:
            s = s.to(self.dtype)
        return self._write(_C.call("add_scalar", s._t, 0) if s._t is self._t else s._t)

    def clamp_(self, min=None, max=None):
        return self._write(self.clamp(min, max)._t)

    def masked_fill_(self, mask, value):
        return self._write(self.masked_fill(mask, value)._t)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from . import _draw
        return self._write(_draw("randn", self.shape, self.dtype, False, generator, self._device, mean=float(mean), std=float(std))._t)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from . import _draw
        return self._write(_draw("rand", self.shape, self.dtype, False, generator, self._device, **{"from": float(a), "to": float(b)})._t)

    def random_(self, low=0, high=None, *, generator=None):
        from . import _draw
        if high is None:
            raise _unsupported("Tensor.random_() without a range", "give it one: t.random_(low, high)")
        return self._write(_draw("randint", self.shape, self.dtype, False, generator, self._device, low=int(low), high=int(high))._t)

    def bernoulli_(self, p=0.5, *, generator=None):
        from . import _draw
        if not isinstance(p, (int, float)):
            raise _unsupported("Tensor.bernoulli_(p) with a tensor p", "give p as a number")
        return self._write(_draw("bernoulli", self.shape, self.dtype, False, generator, self._device, p=float(p))._t)

    # ------------------------------------------------------------------ math
    def matmul(self, o):
        return matmul(self, o)

    def mm(self, o):
        return matmul(self, o)

    def bmm(self, o):
        return matmul(self, o)

    def exp(self):
        return Tensor(_C.call("exp", self._t))

    def erf(self):
        return Tensor(_C.call("erf", self._t))

    def erfinv(self):
        return Tensor(_C.call("erfinv", self._t))

    def erfinv_(self):
        return self._write(_C.call("erfinv", self._t))

    def log(self):
        return Tensor(_C.call("log", self._t))

    def sqrt(self):
        return Tensor(_C.call("sqrt", self._t))

    def rsqrt(self):
        return Tensor(_C.call("rsqrt", self._t))

    def tanh(self):
        return Tensor(_C.call("tanh", self._t))

    def sigmoid(self):
        return Tensor(_C.call("sigmoid", self._t))

    def relu(self):
        return Tensor(_C.call("relu", self._t))

    def sin(self):
        return Tensor(_C.call("sin", self._t))

    def cos(self):
        return Tensor(_C.call("cos", self._t))

    def abs(self):
        return Tensor(_C.call("abs", self._t))

    def pow(self, e):
        return self ** e

    def square(self):
        return Tensor(_C.call("square", self._t))

    def reciprocal(self):
        return Tensor(_C.call("reciprocal", self._t))

    def clamp(self, min=None, max=None):
        return Tensor(_C.call("clamp", self._t, min, max))

    clip = clamp

    def add(self, o, alpha=1):
        return self + (o * alpha if alpha != 1 else o)

    def sub(self, o, alpha=1):
        return self - (o * alpha if alpha != 1 else o)

    def mul(self, o):
        return self * o

    def div(self, o):
        return self / o

    def neg(self):
        return -self

    def masked_fill(self, mask, value):
        return Tensor(_C.call("masked_fill", self._t, mask._t, _bi_float(value)))

    def triu(self, diagonal=0):
        return Tensor(_C.call("triu", self._t, diagonal))

    def tril(self, diagonal=0):
        return Tensor(_C.call("tril", self._t, diagonal))

    def softmax(self, dim, dtype=None):
        from .nn import functional as F
        return F.softmax(self, dim)

    def log_softmax(self, dim, dtype=None):
        from .nn import functional as F
        return F.log_softmax(self, dim)

    # ------------------------------------------------------------------ reductions
    def _dims(self, dim):
        if dim is None:
            return None
        ds = [dim] if isinstance(dim, _bi_int) else list(dim)
        return [_norm_dim(d, self.dim()) for d in ds]

    def sum(self, dim=None, keepdim=False, dtype=None):
        return Tensor(_C.call("sum", self._t, self._dims(dim), keepdim))

    def mean(self, dim=None, keepdim=False, dtype=None):
        if not self.dtype.is_floating_point:
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {self.dtype.name.capitalize()}")
        return Tensor(_C.call("mean", self._t, self._dims(dim), keepdim))

    def amax(self, dim=(), keepdim=False):
        return Tensor(_C.call("amax", self._t, self._dims(dim) if dim != () else None, keepdim))

    def amin(self, dim=(), keepdim=False):
        return Tensor(_C.call("amin", self._t, self._dims(dim) if dim != () else None, keepdim))

    def max(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return Tensor(_C.call("maximum", self._t, dim._t))
        if dim is None:
            return Tensor(_C.call("amax", self._t, None, False))
        v, i = _C.call("max_dim", self._t, _norm_dim(dim, self.dim()), keepdim)
        return _ValuesIndices("max", Tensor(v), Tensor(i))

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return Tensor(_C.call("minimum", self._t, dim._t))
        if dim is None:
            return Tensor(_C.call("amin", self._t, None, False))
        v, i = _C.call("min_dim", self._t, _norm_dim(dim, self.dim()), keepdim)
        return _ValuesIndices("min", Tensor(v), Tensor(i))

    def argmax(self, dim=None, keepdim=False):
        return Tensor(_C.call("argmax", self._t, None if dim is None else _norm_dim(dim, self.dim()), keepdim))

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        c = (1 if unbiased else 0) if correction is None else correction
        return Tensor(_C.call("var", self._t, self._dims(dim), c, keepdim))

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def norm(self, p=2, dim=None, keepdim=False):
        if p != 2:
            raise _unsupported(f"Tensor.norm(p={p})", "use (x.abs() ** p).sum() ** (1 / p)")
        return (self * self).sum(dim, keepdim).sqrt()

    # ------------------------------------------------------------------ shapes
    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], _d.dtype):
            raise _unsupported("Tensor.view(dtype)", "use .to(dtype)")
        return Tensor(_C.call("reshape", self._t, _shape_arg(shape)))

    def reshape(self, *shape):
        return Tensor(_C.call("reshape", self._t, _shape_arg(shape)))

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        n = self.dim()
        if n == 0:
            return self.reshape(1)
        s, e = _norm_dim(start_dim, n), _norm_dim(end_dim, n)
        shp = list(self.shape)
        mid = 1
        for d in shp[s:e + 1]:
            mid *= d
        return self.reshape(shp[:s] + [mid] + shp[e + 1:])

    def unflatten(self, dim, sizes):
        d = _norm_dim(dim, self.dim())
        shp = list(self.shape)
        return self.reshape(shp[:d] + list(sizes) + shp[d + 1:])

    def permute(self, *dims):
        ds = _shape_arg(dims)
        if len(ds) != self.dim():
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {self.dim()} is not equal to len(dims) = {len(ds)}")
        return Tensor(_C.call("permute", self._t, [_norm_dim(d, self.dim()) for d in ds]))

    def transpose(self, d0, d1):
        n = self.dim()
        p = list(range(n))
        a, b = _norm_dim(d0, n), _norm_dim(d1, n)
        p[a], p[b] = p[b], p[a]
        return Tensor(_C.call("permute", self._t, p))

    swapaxes = transpose

    def t(self):
        if self.dim() > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
        return self if self.dim() < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return self.permute(*reversed(range(self.dim())))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def contiguous(self, memory_format=None):
        return self

    def split(self, split_size, dim=0):
        d = _norm_dim(dim, self.dim())
        n = self.shape[d]
        if isinstance(split_size, _bi_int):
            if split_size <= 0:
                raise RuntimeError("split_size must be positive")
            sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes}")
        return tuple(Tensor(t) for t in _C.call("split_sizes", self._t, d, sizes))

    def chunk(self, chunks, dim=0):
        d = _norm_dim(dim, self.dim())
        n = self.shape[d]
        size = -(-n // chunks)
        return self.split(size, d)

    def tensor_split(self, sections, dim=0):
        d = _norm_dim(dim, self.dim())
        n = self.shape[d]
        q, r = divmod(n, sections)
        return self.split([q + 1] * r + [q] * (sections - r), d)

    def unbind(self, dim=0):
        d = _norm_dim(dim, self.dim())
        return tuple(p.squeeze(d) for p in self.split(1, d))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        r = _C.call("topk", self._t, _bi_int(k), _bi_int(dim), bool(largest))
        return _ValuesIndices("topk", Tensor(r[0]), Tensor(r[1]))

    def sort(self, dim=-1, descending=False, stable=False):
        r = _C.call("sort", self._t, _bi_int(dim), bool(descending))
        return _ValuesIndices("sort", Tensor(r[0]), Tensor(r[1]))

    def cumsum(self, dim, dtype=None):
        out = Tensor(_C.call("cumsum", self._t, _bi_int(dim)))
        return out.to(dtype) if dtype is not None else out

    def roll(self, shifts, dims=None):
        """torch.roll: elements shifted along each dim, wrapping around (two narrows and a cat per dim)."""
        if dims is None:
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        shifts = list(shifts) if isinstance(shifts, (tuple, list)) else [shifts]
        dims = list(dims) if isinstance(dims, (tuple, list)) else [dims]
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
        out = self
        for sh, d in zip(shifts, dims):
            d = _norm_dim(d, out.dim())
            n = out.shape[d]
            k = _bi_int(sh) % n if n else 0
            if k:
                out = cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
        return out

    def narrow(self, dim, start, length):
        d = _norm_dim(dim, self.dim())
        start = _bi_int(start)
        if start < 0:
            start += self.shape[d]
        if start < 0 or start + length > self.shape[d]:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({self.shape[d]}).")
        return Tensor(_C.call("narrow", self._t, d, start, _bi_int(length)))

    def unsqueeze(self, dim):
        return Tensor(_C.call("unsqueeze", self._t, _norm_dim(dim, self.dim() + 1)))

    def squeeze(self, dim=None):
        shp = list(self.shape)
        if dim is None:
            new = [s for s in shp if s != 1]
        else:
            ds = [dim] if isinstance(dim, _bi_int) else list(dim)
            ds = [_norm_dim(x, len(shp)) for x in ds]
            new = [s for i, s in enumerate(shp) if not (i in ds and s == 1)]
        return self if new == shp else self.reshape(new)

    def expand(self, *sizes):
        s = _shape_arg(sizes)
        shp = list(self.shape)
        if len(s) < len(shp):
            raise RuntimeError(f"expand(torch.FloatTensor{{[{', '.join(map(str, shp))}]}}, size=[{', '.join(map(str, s))}]): the number of sizes provided ({len(s)}) must be greater or equal to the number of dimensions in the tensor ({len(shp)})")
        pad = [1] * (len(s) - len(shp)) + shp
        target = [p if x == -1 else x for x, p in zip(s, pad)]
        for x, p in zip(target, pad):
            if p != 1 and p != x:
                raise RuntimeError(f"The expanded size of the tensor ({x}) must match the existing size ({p}) at non-singleton dimension. Target sizes: {s}.  Tensor sizes: {shp}")
        if target == shp:
            return self
        return Tensor(_C.call("broadcast_to", self._t, target))

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        s = _shape_arg(sizes)
        out = self
        if len(s) > out.dim():
            out = out.reshape([1] * (len(s) - out.dim()) + list(out.shape))
        for d, r in enumerate(s):
            if r != 1:
                out = cat([out] * r, d)
        return out

    def index_select(self, dim, index):
        return Tensor(_C.call("index_select", self._t, _norm_dim(dim, self.dim()), index._t))

    def gather(self, dim, index):
        return Tensor(_C.call("gather", self._t, _norm_dim(dim, self.dim()), index._t))

    def clone(self, memory_format=None):
        return Tensor(_C.call("add_scalar", self._t, 0)) if self.dtype.is_floating_point else Tensor(_C.call("cast", self._t, self.dtype.core))

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        if not isinstance(idx, tuple):
            idx = (idx,)
        if any(isinstance(i, Tensor) for i in idx):
            if len(idx) == 1 and idx[0].dtype is _d.bool:
                raise _unsupported("boolean mask indexing x[mask]", "use torch.where(mask, x, other) or x.masked_fill(~mask, 0): the result's shape would depend on the values")
            if len(idx) == 1 and idx[0].dim() == 1:
                return self.index_select(0, idx[0])
            raise _unsupported("advanced indexing with tensors", "use index_select(dim, index) or gather(dim, index)")
        n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
        if n_real > self.dim():
            raise IndexError(f"too many indices for tensor of dimension {self.dim()}")
        if Ellipsis in idx:
            k = idx.index(Ellipsis)
            idx = idx[:k] + (slice(None),) * (self.dim() - n_real) + idx[k + 1:]
        out = self
        d = 0          # dim of `out` the next index applies to
        drop = []
        for i in idx:
            if i is None:
                out = out.unsqueeze(d)
                d += 1
            elif isinstance(i, slice):
                size = out.shape[d]
                start, stop, step = i.indices(size)
                if step != 1:
                    if step < 0:
                        raise ValueError("step must be greater than zero")
                    out = Tensor(_C.call("slice_step", out._t, d, start, stop, step))
                elif start != 0 or stop != size:
                    out = out.narrow(d, start, max(0, stop - start))
                d += 1
            elif isinstance(i, (_bi_int,)) or hasattr(i, "__index__"):
                i = i.__index__()
                size = out.shape[d]
                if i < -size or i >= size:
                    raise IndexError(f"index {i} is out of bounds for dimension {d} with size {size}")
                out = out.narrow(d, i % size, 1)
                drop.append(d)
                d += 1
            else:
                raise TypeError(f"invalid index type {type(i).__name__}")
        if drop:
            shp = [s for k, s in enumerate(out.shape) if k not in drop]
            out = out.reshape(shp)
        return out

    def __setitem__(self, idx, value):
        """x[idx] = v, written in place as torch writes it: basic indexing (ints, slices, `...`)
        with a number or a tensor that broadcasts to the indexed region, or a boolean mask (of x's
        shape, or of its leading dims) with a number. Computed as torch.where(region, v, x) over the
        whole tensor, so the gradient reaches x outside the region and v inside it (torch's
        CopySlices)."""
        from . import where as _where, tensor as _tensor
        self._check_inplace("copy_")
        if not isinstance(idx, tuple):
            idx = (idx,)
        scalar = not isinstance(value, Tensor) or (value.dim() == 0)
        if any(isinstance(i, Tensor) for i in idx):
            if len(idx) == 1 and idx[0].dtype is _d.bool:
                mask = idx[0]
                if tuple(mask.shape) != tuple(self.shape[:mask.dim()]):
                    raise IndexError(f"The shape of the mask {list(mask.shape)} does not match the shape of the indexed tensor {list(self.shape)}")
                if not scalar and value.numel() != 1:
                    raise _unsupported("x[mask] = tensor (one value per True element)", "assign a number, or x = torch.where(mask, values, x) with values shaped like x")
                while mask.dim() < self.dim():
                    mask = mask.unsqueeze(-1)
                v = value if scalar else value.reshape([])
                self._write(_where(mask, v if isinstance(v, Tensor) else _scalar_like(v, self), self)._t)
                return
            raise _unsupported("assignment through tensor indices x[index] = v", "write through a boolean mask instead: x[mask] = number, or x = torch.where(mask, values, x)")
        if any(i is None for i in idx):
            raise _unsupported("x[..., None, ...] = v (None in an assignment)", "index without None: the region is the same")
        n_real = sum(1 for i in idx if i is not Ellipsis)
        if n_real > self.dim():
            raise IndexError(f"too many indices for tensor of dimension {self.dim()}")
        if Ellipsis in idx:
            k = idx.index(Ellipsis)
            idx = idx[:k] + (slice(None),) * (self.dim() - n_real) + idx[k + 1:]
        idx = idx + (slice(None),) * (self.dim() - len(idx))
        sel = []            # per dim: (start, stop, step) of the region
        region = []         # the region's shape as x[idx] returns it (ints dropped)
        for d, i in enumerate(idx):
            size = self.shape[d]
            if isinstance(i, slice):
                start, stop, step = i.indices(size)
                if step <= 0:
                    raise ValueError("step must be greater than zero")
                n = len(range(start, stop, step))
                sel.append((start, start + (n - 1) * step + 1 if n else start, step, n))
                region.append(n)
            elif isinstance(i, _bi_int) or hasattr(i, "__index__"):
                j = i.__index__()
                if j < -size or j >= size:
                    raise IndexError(f"index {j} is out of bounds for dimension {d} with size {size}")
                sel.append((j % size, j % size + 1, 1, 1))
            else:
                raise TypeError(f"invalid index type {type(i).__name__}")
        if any(n == 0 for *_, n in sel):
            return
        # the region as a mask: one boolean vector per dim, broadcast together
        mask = None
        for d, (start, stop, step, n) in enumerate(sel):
            size = self.shape[d]
            if start == 0 and n == size:
                continue
            picked = set(range(start, stop, step))
            shape = [1] * self.dim()
            shape[d] = size
            m = _tensor([k in picked for k in range(size)], dtype=_d.bool).reshape(shape)
            mask = m if mask is None else (mask & m)
        if scalar:
            v = value if isinstance(value, Tensor) else _scalar_like(value, self)
            if v.dtype != self.dtype:
                v = v.to(self.dtype)
            out = v.expand(list(self.shape)).clone() if mask is None else _where(mask, v, self)
            self._write(out._t)
            return
        v = value.to(self.dtype) if value.dtype != self.dtype else value
        try:
            v = v.expand(region)
        except RuntimeError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to indexing result of shape {region}") from None
        v = v.reshape([n for *_, n in sel])
        # spread the region's values over x's shape: along each indexed dim, position p takes the
        # region's k-th slice where p is its k-th index (elsewhere any slice: the mask hides it, and
        # where() sends those positions no gradient)
        for d, (start, stop, step, n) in enumerate(sel):
            size = self.shape[d]
            if n == size:
                continue
            at = [0] * size
            for k, p in enumerate(range(start, stop, step)):
                at[p] = k
            v = v.index_select(d, _tensor(at, dtype=_d.int64))
        self._write((v.clone() if mask is None else _where(mask, v, self))._t)


# torch's names for the backward nodes of the core's ops (a custom autograd.Function's is its
# class name + "Backward", as torch names it)
_BACKWARD_NAMES = {
    "add": "AddBackward0", "add_scalar": "AddBackward0", "sub": "SubBackward0", "mul": "MulBackward0",
    "scale": "MulBackward0", "div": "DivBackward0", "matmul": "MmBackward0", "sum": "SumBackward0",
    "mean": "MeanBackward0", "pow": "PowBackward0", "exp": "ExpBackward0", "log": "LogBackward0",
    "tanh": "TanhBackward0", "sigmoid": "SigmoidBackward0", "relu": "ReluBackward0", "gelu_erf": "GeluBackward0",
    "gelu": "GeluBackward0", "silu": "SiluBackward0", "softmax": "SoftmaxBackward0", "log_softmax": "LogSoftmaxBackward0",
    "reshape": "ViewBackward0", "transpose": "TransposeBackward0", "permute": "PermuteBackward0",
    "cross_entropy": "NllLossBackward0", "neg": "NegBackward0", "sqrt": "SqrtBackward0", "rsqrt": "RsqrtBackward0",
    "layer_norm": "NativeLayerNormBackward0", "embedding": "EmbeddingBackward0", "cat": "CatBackward0",
}


class _ValuesIndices(tuple):
    """torch.return_types.topk / sort: a (values, indices) pair with those names."""

    def __new__(cls, name, values, indices):
        t = super().__new__(cls, (values, indices))
        t._name = name
        return t

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class _GradFn:
    def __init__(self, op):
        self._op = op

    def name(self):
        return self._torch_name()

    def _torch_name(self):
        op = self._op
        if op in _BACKWARD_NAMES:
            return _BACKWARD_NAMES[op]
        if op[:1].isupper():
            return op + "Backward"      # an autograd.Function: its class name
        return "".join(w.capitalize() for w in op.split("_")) + "Backward0"

    def __repr__(self):
        return f"<{self._torch_name()} object>"


def _promote(a, b):
    """torch.promote_types for the dtypes simulated."""
    if a is b:
        return a
    if a.is_floating_point and b.is_floating_point:
        return _d.float32
    if a.is_floating_point:
        return a
    if b.is_floating_point:
        return b
    if a is _d.bool:
        return b
    if b is _d.bool:
        return a
    return _d.int64 if _d.int64 in (a, b) else _d.int32


def _scalar_like(v, like):
    dt = like.dtype if like.dtype.is_floating_point or isinstance(v, _bi_int) else _d.float32
    return Tensor(_C.tensor_from(_bi_float(v) if dt.is_floating_point else _bi_int(v), dt.core))


def matmul(a, b):
    if a.dim() == 1 and b.dim() == 1:
        return (a * b).sum()
    sq_a = a.dim() == 1
    sq_b = b.dim() == 1
    if sq_a:
        a = a.unsqueeze(0)
    if sq_b:
        b = b.unsqueeze(1)
    out = Tensor(_C.call("matmul", a._t, b._t))
    if sq_a:
        out = out.squeeze(-2)
    if sq_b:
        out = out.squeeze(-1)
    return out


def cat(tensors, dim=0):
    ts = list(tensors)
    if not ts:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    d = _norm_dim(dim, ts[0].dim())
    return Tensor(_C.call("cat", [t._t for t in ts], d))


def _unsupported(what, instead):
    from ._unsupported import Unsupported
    return Unsupported(what, instead)
