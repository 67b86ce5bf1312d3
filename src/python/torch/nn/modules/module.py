"""nn.Module with torch's registration rules. Each call runs inside a named module scope on the
rank (the trace and ledger name the module), and the verifier's recorder hears its output.

A module's name is its path from the outermost module it was first registered under
("layers.2.attn.q_proj"): moving it into a wrapper later (a pipeline stage) keeps that name, so
a sharded run and its world-size-1 reference name the same module alike."""
from collections import OrderedDict

from ... import _C
from ..._tensor import Tensor
from ..parameter import Parameter


class Module:
    training = True
    _version = 1
    dump_patches = False

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["training"] = True
        d["_ad_parent"] = None
        d["_ad_attr"] = None
        d["_ad_site"] = _C.caller_source()
        return self

    def __init__(self, *args, **kwargs):
        pass

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self.__dict__.pop(name, None)
            self._modules.pop(name, None)
            params[name] = value
            return
        if params is not None and name in params:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' (torch.nn.Parameter or None expected)")
            params[name] = value
            return
        if isinstance(value, Module):
            mods = self.__dict__.get("_modules")
            if mods is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self.__dict__.pop(name, None)
            params.pop(name, None)
            mods[name] = value
            _adopt(self, name, value)
            return
        mods = self.__dict__.get("_modules")
        if mods is not None and name in mods:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (torch.nn.Module or None expected)")
            mods[name] = None
            return
        bufs = self.__dict__.get("_buffers")
        if bufs is not None and name in bufs:
            bufs[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self._parameters[name] = None
        else:
            self.__setattr__(name, param)

    def register_buffer(self, name, tensor, persistent=True):
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers_set.add(name)

    def register_module(self, name, module):
        self.__setattr__(name, module) if module is not None else self._modules.__setitem__(name, None)

    add_module = register_module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate and id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for k, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield mp + ("." if mp else "") + k, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for k, b in m._buffers.items():
                if b is not None:
                    yield mp + ("." if mp else "") + k, b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        if target == "":
            return self
        m = self
        for item in target.split("."):
            if not hasattr(m, item) or not isinstance(getattr(m, item), Module):
                raise AttributeError(f"{type(m).__name__} has no attribute `{item}`")
            m = getattr(m, item)
        return m

    def get_parameter(self, target):
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if name not in m._parameters:
            raise AttributeError(f"{type(m).__name__} has no parameter `{name}`")
        return m._parameters[name]

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        out = OrderedDict() if destination is None else destination
        for name, p in self.named_parameters(prefix=prefix.rstrip(".")):
            out[name] = p if keep_vars else p.detach()
        for mp, m in self.named_modules(prefix=prefix.rstrip(".")):
            for k, b in m._buffers.items():
                if b is not None and k not in m._non_persistent_buffers_set:
                    out[mp + ("." if mp else "") + k] = b
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        own = dict(self.named_parameters())
        bufs = {}
        for mp, m in self.named_modules():
            for k in m._buffers:
                bufs[mp + ("." if mp else "") + k] = (m, k)
        missing = [k for k in list(own) + list(bufs) if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and k not in bufs]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\tMissing key(s) in state_dict: {missing}.\n\tUnexpected key(s) in state_dict: {unexpected}.")
        from ... import no_grad
        for k, v in state_dict.items():
            if k in own:
                p = own[k]
                if tuple(p.shape) != tuple(v.shape):
                    raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\tsize mismatch for {k}: copying a param with shape {tuple(v.shape)} from checkpoint, the shape in current model is {tuple(p.shape)}.")
                mod, _, name = k.rpartition(".")
                owner = self.get_submodule(mod)
                owner._parameters[name] = Parameter(v.detach().to(p.dtype), requires_grad=p.requires_grad)
            elif k in bufs:
                m, name = bufs[k]
                m._buffers[name] = v
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes and hooks
    def train(self, mode=True):
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            p.grad = None

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        h = _Handle(self._forward_hooks)
        self._forward_hooks[h.id] = (hook, with_kwargs)
        return h

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        h = _Handle(self._forward_pre_hooks)
        self._forward_pre_hooks[h.id] = (hook, with_kwargs)
        return h

    def to(self, *args, **kwargs):
        from ..._dtype import dtype as _dtype
        dt = kwargs.get("dtype") or next((a for a in args if isinstance(a, _dtype)), None)
        if dt is not None:
            for m in self.modules():
                for k, p in list(m._parameters.items()):
                    if p is not None and p.dtype.is_floating_point and p.dtype is not dt:
                        m._parameters[k] = Parameter(p.detach().to(dt), requires_grad=p.requires_grad)
        return self

    def cuda(self, device=None):
        return self

    def cpu(self):
        return self

    def float(self):
        from ... import float32
        return self.to(float32)

    def bfloat16(self):
        from ... import bfloat16
        return self.to(bfloat16)

    def half(self):
        from ... import float16
        return self.to(float16)

    def to_empty(self, *, device=None, recurse=True):
        return self

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        main = type(self).__name__ + "(" + self.extra_repr()
        if lines:
            main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        return list(object.__dir__(self)) + list(self._parameters) + list(self._modules) + list(self._buffers)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ------------------------------------------------------------------ the call
    def __call__(self, *args, **kwargs):
        st = _C.state()
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            r = hook(self, args, kwargs) if with_kwargs else hook(self, args)
            if r is not None:
                if with_kwargs:
                    args, kwargs = r
                else:
                    args = r if isinstance(r, tuple) else (r,)
        name = _fqn(self)
        rec = st.captures
        if rec is not None:
            rec.enter(self, name)
        _C.js.enterModule(st.ctx, name, self._ad_site)
        try:
            out = self.forward(*args, **kwargs)
        finally:
            _C.js.exitModule(st.ctx)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            r = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if r is not None:
                out = r
        if rec is not None:
            rec.exit(self, name, args, out)
        return out

    _call_impl = __call__

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, d):
        self.__dict__.update(d)


def _adopt(parent, attr, child):
    """The first module a child is registered under names it (see the module docstring)."""
    d = child.__dict__
    if d["_ad_parent"] is None and child is not parent:
        d["_ad_parent"] = parent
        d["_ad_attr"] = attr


def _fqn(m):
    parts = []
    seen = 0
    while m.__dict__["_ad_parent"] is not None and seen < 64:
        parts.append(m.__dict__["_ad_attr"])
        m = m.__dict__["_ad_parent"]
        seen += 1
    return ".".join(reversed(parts))


class _Handle:
    _next = 0

    def __init__(self, store):
        _Handle._next += 1
        self.id = _Handle._next
        self.store = store

    def remove(self):
        self.store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.remove()


class _IncompatibleKeys(tuple):
    def __new__(cls, missing, unexpected):
        t = tuple.__new__(cls, (missing, unexpected))
        t.missing_keys = missing
        t.unexpected_keys = unexpected
        return t
