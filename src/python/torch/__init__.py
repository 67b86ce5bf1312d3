"""AutoDist's torch: PyTorch's API over AutoDist's simulator (one rank's view per simulated
process). Tensors, creation, math, autograd, nn and torch.distributed with torch's semantics and
layouts; see docs/python.md for what is computed in which precision and what is not supported."""
import builtins as _bi
import math as _math

from . import _C
from ._dtype import (dtype, float32, float, bfloat16, float16, half, int64, long, int32, int, bool,  # noqa: F401
                     float64, double, get_default_dtype, set_default_dtype)
from . import _dtype as _d
from ._tensor import Tensor, Size, device, matmul, cat, _norm_dim, _shape_arg, _is_num  # noqa: F401
from ._unsupported import missing as _missing, Unsupported  # noqa: F401

__version__ = "2.11.0+autodist"
FloatTensor = Tensor
LongTensor = Tensor
BoolTensor = Tensor
strided = "strided"
contiguous_format = "contiguous_format"
preserve_format = "preserve_format"
inf = _math.inf
nan = _math.nan
pi = _math.pi
e = _math.e


def __getattr__(name):
    raise _missing("torch", name)


def _dt(dtype, default=None):
    if dtype is None:
        return default or _d.get_default_dtype()
    if not isinstance(dtype, _d.dtype):
        raise TypeError(f"dtype must be a torch.dtype, not {type(dtype).__name__}")
    return dtype


def _meta_device(device):
    if device is None:
        return None
    d = device if isinstance(device, _tensor_mod.device) else _tensor_mod.device(device)
    return d


def _make(kind, size, dtype, requires_grad, opts=None, device=None):
    shape = _shape_arg(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {shape}")
    t = Tensor(_C.create(kind, shape, dtype.core, opts, requires_grad), _meta_device(device))
    return t


from . import _tensor as _tensor_mod  # noqa: E402


# ------------------------------------------------------------------------- creation
def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _make("zeros", size, _dt(dtype), requires_grad, device=device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _make("ones", size, _dt(dtype), requires_grad, device=device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, memory_format=None):
    return _make("empty", size, _dt(dtype), requires_grad, device=device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        dtype = _d.bool if isinstance(fill_value, _bi.bool) else (_d.int64 if isinstance(fill_value, _bi.int) else _d.get_default_dtype())
    return _make("full", size, dtype, requires_grad, {"value": _bi.float(fill_value)}, device=device)


def _like(x, dtype):
    return x.dtype if dtype is None else dtype


def zeros_like(x, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return zeros(x.shape, dtype=_like(x, dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return ones(x.shape, dtype=_like(x, dtype), requires_grad=requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return empty(x.shape, dtype=_like(x, dtype), requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return full(x.shape, fill_value, dtype=_like(x, dtype), requires_grad=requires_grad)


def _gen(generator, device=None):
    """The handle of the torch.Generator a draw uses: the given one, else the rank's default CPU
    generator (a CUDA device's draws use the rank's CUDA generator, so they leave the CPU stream
    as real torch leaves it). Draws follow torch's CPU generator value for value."""
    if generator is not None:
        return generator._handle()
    st = _C.state()
    d = device if device is not None else (_tensor_mod._default_device[-1] if _tensor_mod._default_device else None)
    if d is not None and _meta_device(d).type == "cuda":
        return st.cuda_generator
    return st.generator


def _draws(device):
    """Meta-device tensors draw nothing (real torch's neither)."""
    d = _meta_device(device)
    return d is None or d.type != "meta"


def _draw(kind, size, dtype, requires_grad, generator, device, **opts):
    if not _draws(device):
        return _make("zeros", size, dtype, requires_grad, device=device)
    return _make(kind, size, dtype, requires_grad, {"gen": _gen(generator, device), **opts}, device=device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _draw("randn", size, _dt(dtype), requires_grad, generator, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _draw("rand", size, _dt(dtype), requires_grad, generator, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    if not isinstance(mean, (_bi.int, _bi.float)) or not isinstance(std, (_bi.int, _bi.float)) or size is None:
        raise Unsupported("torch.normal(mean, std) with tensor arguments", "use torch.randn(size) * std + mean")
    return _draw("randn", size, _dt(dtype), requires_grad, generator, device, mean=float(mean), std=float(std))


def randn_like(x, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return randn(x.shape, dtype=_like(x, dtype), requires_grad=requires_grad, device=device if device is not None else x.device)


def rand_like(x, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return rand(x.shape, dtype=_like(x, dtype), requires_grad=requires_grad, device=device if device is not None else x.device)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    if size is None and isinstance(high, (tuple, list, Size)):
        low, high, size = 0, low, high   # torch.randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional argument: 'size'")
    return _draw("randint", size, _dt(dtype, _d.int64), False, generator, device, low=_bi.int(low), high=_bi.int(high))


def randint_like(x, low, high=None, dtype=None, device=None):
    return randint(low, high, x.shape, dtype=_like(x, dtype), device=device if device is not None else x.device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _draw("randperm", [_bi.int(n)], _dt(dtype, _d.int64), requires_grad, generator, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = _d.int64 if all(isinstance(v, _bi.int) for v in (start, end, step)) else _d.get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    return _make("arange", [_bi.max(0, _math.ceil((end - start) / step))], dtype, requires_grad,
                 {"start": start, "end": end, "step": step}, device=device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if steps == 1:
        return full([1], start, dtype=_dt(dtype))
    step = (end - start) / (steps - 1)
    return arange(steps, dtype=_dt(dtype)) * step + start


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    m = n if m is None else m
    i = arange(n).unsqueeze(1)
    j = arange(m).unsqueeze(0)
    return (i == j).to(_dt(dtype))


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        t = data.detach().clone()
        return t.to(dtype) if dtype is not None else t
    flat = data
    while isinstance(flat, (list, tuple)) and flat:
        flat = flat[0]
    if dtype is None:
        if isinstance(flat, Tensor):
            return stack([tensor(x) for x in data])
        dtype = _d.bool if isinstance(flat, _bi.bool) else (_d.int64 if isinstance(flat, _bi.int) else _d.get_default_dtype())
    vals = _to_lists(data)
    return Tensor(_C.tensor_from(vals, dtype.core, requires_grad), _meta_device(device))


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return tensor(data, dtype=dtype)


def from_numpy(a):
    raise Unsupported("torch.from_numpy", "numpy is not available in the simulator: use torch.tensor(list)")


def _to_lists(v):
    if isinstance(v, (list, tuple)):
        return [_to_lists(x) for x in v]
    if isinstance(v, Tensor):
        return v.tolist()
    return v


def scalar_tensor(v, dtype=None):
    return tensor(v, dtype=dtype)


# ------------------------------------------------------------------------- math (functional forms)
def _t1(op):
    def f(x, *a, **k):
        return getattr(x, op)(*a, **k)
    f.__name__ = op
    return f


for _op in ("exp", "erf", "erfinv", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "sin", "cos", "abs", "relu", "square", "reciprocal",
            "neg", "sum", "mean", "amax", "amin", "argmax", "var", "std", "norm", "flatten", "unflatten", "squeeze",
            "unsqueeze", "permute", "transpose", "t", "narrow", "roll", "topk", "sort", "cumsum", "split", "chunk", "tensor_split", "unbind", "reshape",
            "clone", "detach", "triu", "tril", "masked_fill", "softmax", "log_softmax", "index_select", "gather",
            "clamp", "clip", "numel", "add", "sub", "mul", "div", "pow", "squeeze", "repeat", "swapaxes"):
    globals()[_op] = _t1(_op)
del _op


def max(x, dim=None, keepdim=False):
    return x.max(dim, keepdim)


def min(x, dim=None, keepdim=False):
    return x.min(dim, keepdim)


def maximum(a, b):
    return Tensor(_C.call("maximum", a._t, b._t))


def minimum(a, b):
    return Tensor(_C.call("minimum", a._t, b._t))


def mm(a, b):
    return matmul(a, b)


def bmm(a, b):
    if a.dim() != 3 or b.dim() != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    return matmul(a, b)


def where(condition, input=None, other=None):
    if input is None:
        raise Unsupported("torch.where(condition) with one argument", "its shape depends on the values; use torch.where(cond, x, y)")
    ref = input if isinstance(input, Tensor) else other
    a = input if isinstance(input, Tensor) else _tensor_mod._scalar_like(input, ref)
    b = other if isinstance(other, Tensor) else _tensor_mod._scalar_like(other, ref)
    return Tensor(_C.call("where", condition._t, a._t, b._t))


def stack(tensors, dim=0):
    ts = list(tensors)
    d = _norm_dim(dim, ts[0].dim() + 1)
    return cat([t.unsqueeze(d) for t in ts], d)


concat = cat
concatenate = cat


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _bi.bool(((a - b).abs() <= (b.abs() * rtol + atol)).to(_d.float32).amin().item() > 0.5)


def equal(a, b):
    return tuple(a.shape) == tuple(b.shape) and _bi.bool((a == b).to(_d.float32).amin().item() > 0.5)


def is_tensor(x):
    return isinstance(x, Tensor)


def is_floating_point(x):
    return x.dtype.is_floating_point


def numel(x):
    return x.numel()


def einsum(eq, *operands):
    """torch.einsum of one or two operands, as a sum, a permute and one batched matmul: labels in
    both operands and the output are batch dims, in both but not the output are contracted, in one
    only are kept (or summed first when the output lacks them). "->" optional (the output is then
    the labels seen once, sorted). Not: "..." and a label repeated within one operand (a diagonal)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = eq.replace(" ", "")
    if "..." in eq:
        raise Unsupported("torch.einsum with '...'", "name every dim with a letter (e.g. 'bhqd,bhkd->bhqk')")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation" if len(operands) > len(subs) else "einsum(): fewer operands were provided than specified in the equation")
    if len(operands) > 2:
        raise Unsupported("torch.einsum of more than two operands", "chain two-operand einsums (or matmuls)")
    for sub, t in zip(subs, operands):
        if len(sub) != t.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) does not match the number of dimensions ({t.dim()}) for operand {subs.index(sub)}")
        if len(set(sub)) != len(sub):
            raise Unsupported(f"torch.einsum with a label repeated in one operand ('{sub}': a diagonal)", "take the diagonal first: (x * torch.eye(n)).sum(-1) for a square x")
    if not arrow:
        counts = {}
        for sub in subs:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(set(out)) != len(out) or any(c not in lhs for c in out):
        raise RuntimeError(f"einsum(): invalid output subscripts '{out}'")

    def reduce_to(t, sub, keep):
        # sum out the labels not kept, in one sum
        drop = [i for i, c in enumerate(sub) if c not in keep]
        if drop:
            t = t.sum(dim=drop)
            sub = "".join(c for c in sub if c in keep)
        return t, sub

    if len(operands) == 1:
        t, sub = reduce_to(operands[0], subs[0], out)
        return t.permute(*[sub.index(c) for c in out]) if sub != out else t
    (a, b), (sa, sb) = operands, subs
    size = {}
    for sub, t in ((sa, a), (sb, b)):
        for c, n in zip(sub, t.shape):
            if c in size and size[c] != n and 1 not in (size[c], n):
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original): subscript '{c}' is {size[c]} and {n}")
            size[c] = _bi.max(size.get(c, 1), n)
    a, sa = reduce_to(a, sa, out + sb)
    b, sb = reduce_to(b, sb, out + sa)
    batch = [c for c in out if c in sa and c in sb]
    contract = [c for c in sa if c in sb and c not in out]
    ka = [c for c in sa if c not in batch and c not in contract]
    kb = [c for c in sb if c not in batch and c not in contract]
    n = lambda cs: _math.prod(size[c] for c in cs)  # 1 for none

    def arrange(t, sub, order, shape):
        t = t.permute(*[sub.index(c) for c in order]) if list(sub) != order else t
        t = t.expand(*[size[c] for c in order]) if any(t.shape[i] != size[c] for i, c in enumerate(order)) else t
        return t.reshape(shape)

    ma = arrange(a, sa, batch + ka + contract, [n(batch), n(ka), n(contract)])   # [B, M, K]
    mb = arrange(b, sb, batch + contract + kb, [n(batch), n(contract), n(kb)])   # [B, K, N]
    r = matmul(ma, mb).reshape([size[c] for c in batch + ka + kb])                # [batch, ka, kb]
    got = batch + ka + kb
    return r.permute(*[got.index(c) for c in out]) if got != list(out) else r


def outer(a, b):
    return a.unsqueeze(1) * b.unsqueeze(0)


def polar(*a):
    raise Unsupported("torch.polar", "complex numbers are not simulated: write RoPE with cos/sin tables")


def view_as_complex(*a):
    raise Unsupported("torch.view_as_complex", "complex numbers are not simulated: write RoPE with cos/sin tables (rotate_half)")


# ------------------------------------------------------------------------- seeds and modes
def manual_seed(seed):
    """Seeds the rank's CPU generator and its CUDA ones, as torch.manual_seed does; returns the
    default generator."""
    st = _C.state()
    seed = _bi.int(seed)
    st.initial_seed = seed
    _C.js.genSeed(st.generator, seed & 0xFFFFFFFF)
    _C.js.genSeed(st.cuda_generator, seed & 0xFFFFFFFF)
    return default_generator


def seed():
    """A fresh seed for the default generator (real torch takes it from the OS; here, from the
    rank's current draws, so it differs between calls)."""
    import random as _r
    s = _r.getrandbits(63)
    manual_seed(s)
    return s


def initial_seed():
    return _C.state().initial_seed


class Generator:
    """torch.Generator on the CPU: its draws are torch's, value for value (MT19937 and ATen's
    transformations, src/core/torch-rng.ts)."""

    def __init__(self, device="cpu"):
        self._h = _C.js.genNew()
        self._seed = 67280421310721
        self.device = _tensor_mod.device(device) if not isinstance(device, _tensor_mod.device) else device

    def _handle(self):
        return self._h

    def manual_seed(self, s):
        s = _bi.int(s)
        self._seed = s
        _C.js.genSeed(self._handle(), s & 0xFFFFFFFF)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        import random as _r
        s = _r.getrandbits(63)
        self.manual_seed(s)
        return s

    def get_state(self):
        raise Unsupported("Generator.get_state", "re-seed with manual_seed(s) to repeat a stream of draws")

    def set_state(self, state):
        raise Unsupported("Generator.set_state", "re-seed with manual_seed(s) to repeat a stream of draws")


class _DefaultGenerator(Generator):
    """torch.default_generator: the running rank's default CPU generator."""

    def __init__(self):
        self.device = _tensor_mod.device("cpu")

    def _handle(self):
        return _C.state().generator

    def manual_seed(self, s):
        manual_seed(s)
        return self

    def initial_seed(self):
        return _C.state().initial_seed


default_generator = _DefaultGenerator()


class _GradMode:
    """Sets the rank's grad mode inside a `with` block; as a decorator, around each call."""
    on = True

    def __enter__(self):
        st = _C.state()
        self._prev = st.grad_enabled
        _set_grad(st, self.on)
        return self

    def __exit__(self, *a):
        _set_grad(_C.state(), self._prev)

    def __call__(self, fn):
        import functools
        mode = self

        @functools.wraps(fn)
        def wrapped(*a, **k):
            with set_grad_enabled(mode.on):
                return fn(*a, **k)
        return wrapped


def _set_grad(st, on):
    st.grad_enabled = on
    _C.js.setGradEnabled(st.ctx, on)


class no_grad(_GradMode):
    on = False


class enable_grad(_GradMode):
    on = True


class inference_mode(_GradMode):
    on = False

    def __init__(self, mode=True):
        self.on = not mode


class set_grad_enabled(_GradMode):
    """Sets the mode at once (as a function call) and restores it when used as a `with` block."""

    def __init__(self, mode):
        st = _C.state()
        self.on = _bi.bool(mode)
        self._prev = st.grad_enabled
        _set_grad(st, self.on)

    def __enter__(self):
        return self


def is_grad_enabled():
    return _C.state().grad_enabled


class autocast:
    def __init__(self, device_type="cuda", dtype=None, enabled=True, cache_enabled=None):
        self.dtype = dtype

    def __enter__(self):
        return self

    def __exit__(self, *a):
        pass


def set_printoptions(*a, **k):
    pass


def use_deterministic_algorithms(*a, **k):
    pass


def set_float32_matmul_precision(*a, **k):
    pass


def get_num_threads():
    return 1


def set_num_threads(n):
    pass


from . import nn, autograd, distributed, cuda, backends, optim, utils  # noqa: E402,F401
from .nn import functional as _F  # noqa: E402,F401
