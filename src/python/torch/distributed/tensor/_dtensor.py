"""DTensor over AutoDist's torch: a rank's local tensor plus its mesh and placements.

A DTensor *is* its local tensor to the core (`_t` is the local core tensor), so every op on it
runs on the local piece and gradients flow through the local piece; what DTensor adds is the
layout (`placements`, the global `shape`) and `redistribute`, where every change of placement
is one torch.distributed collective on the mesh axis's group (the ledger records it at the
person's line):

    Shard(d)  → Replicate   all_gather along d        bwd: the grad's own chunk (or reduce_scatter if Partial)
    Partial   → Replicate   all_reduce                bwd: none (the grad stays replicated)
    Partial   → Shard(d)    reduce_scatter along d    bwd: all_gather along d
    Replicate → Shard(d)    narrow (local chunk)      bwd: all_gather along d

Backward converts the gradient back to the source placement (Partial sources take a replicated
gradient), as torch's Redistribute does. Where a module makes the gradient Partial (a replicated
input multiplied by a sharded weight), the parallel styles say so (`grad_placements`), which is
where torch's DTensor learns it from sharding propagation.

What differs from torch: an op on a DTensor (x + y, x.view(...)) returns a plain local Tensor,
not a DTensor — there is no sharding propagation. The parallel styles convert at module
boundaries (use_local_output), as torchtitan's plans do; call `to_local()` / `DTensor.from_local`
to cross explicitly."""
from ... import _C
from ..._tensor import Tensor, Size
from ...autograd.function import Function
from ..._unsupported import Unsupported
from .placement_types import Placement, Shard, Replicate, Partial


def _placements(mesh, placements, ndim):
    if placements is None:
        placements = [Replicate()] * mesh.ndim
    elif isinstance(placements, Placement):
        placements = [placements]
    placements = list(placements)
    if len(placements) != mesh.ndim:
        raise ValueError(f"`placements` must have the same length as `device_mesh.ndim`! Found placements length: {len(placements)}, and device_mesh.ndim: {mesh.ndim}.")
    out = []
    for p in placements:
        if not isinstance(p, Placement):
            raise TypeError(f"placements must be Shard(dim), Replicate() or Partial(), got {p!r}")
        if isinstance(p, Shard) and p.dim < 0:
            p = Shard(p.dim + ndim)
        if isinstance(p, Shard) and not 0 <= p.dim < max(ndim, 1):
            raise IndexError(f"Shard({p.dim}) on a {ndim}-d tensor: the dim is out of range")
        out.append(p)
    return tuple(out)


def _wait_tensor(p):
    return Tensor(_C.wait(p))


def _collective(kind, t, ranks, src, **opts):
    """One collective on `ranks`, recorded at `src` (the person's line that caused it: for a
    backward collective, the line of the forward call)."""
    st = _C.state()
    g = _C.js.group(st.ctx, _C.to_js(list(ranks)))
    if src is None:
        src = _C.caller_source()
    return Tensor(_C.wait(_C.js.collective(st.ctx, src, kind, t._t, g, _C.to_js(opts, dict_converter=_C._object_from_entries))))


def _axis_convert(t, src, dst, mesh, i, at=None):
    """One mesh axis: the local tensor `t` laid out as `src` → as `dst` (one collective or none)."""
    if src == dst:
        return t
    ranks = mesh._group_ranks([i])
    n = len(ranks)
    k = mesh._coord[i]
    if isinstance(dst, Replicate):
        if isinstance(src, Shard):
            return t if n == 1 else _collective("all_gather", t, ranks, at, dim=src.dim)
        if isinstance(src, Partial):
            return t if n == 1 else _collective("all_reduce", t, ranks, at, op=src.reduce_op)
    if isinstance(dst, Shard):
        d = dst.dim
        if isinstance(src, Replicate):
            size = t.shape[d]
            if size % n:
                raise Unsupported(f"Shard({d}) of a dim of size {size} over {n} ranks (uneven shards)", f"make dim {d} divisible by the mesh axis size {n}")
            return t if n == 1 else t.narrow(d, k * (size // n), size // n)
        if isinstance(src, Partial):
            if t.shape[d] % n:
                raise Unsupported(f"reduce_scatter of a dim of size {t.shape[d]} over {n} ranks (uneven shards)", f"make dim {d} divisible by {n}")
            return t if n == 1 else _collective("reduce_scatter", t, ranks, at, dim=d, op=src.reduce_op)
        if isinstance(src, Shard):
            raise Unsupported(f"redistribute Shard({src.dim}) → Shard({d})", "go through Replicate(): .redistribute(mesh, [Replicate()]) then [Shard(d)]")
    raise Unsupported(f"redistribute {src!r} → {dst!r}", "Partial is made by computation (a sharded contraction), not by redistribute")


def _convert(t, src, dst, mesh, at=None):
    for i in range(mesh.ndim):
        t = _axis_convert(t, src[i], dst[i], mesh, i, at)
    return t


class _Redistribute(Function):
    """Forward: src → dst on the local tensor; backward: the gradient (laid out as `grad_src`)
    back to `src` (a Partial source takes a replicated gradient)."""

    @staticmethod
    def forward(ctx, x, mesh, src, dst, grad_src):
        ctx.spec = (mesh, src, grad_src, _C.caller_source())
        return _convert(x, src, dst, mesh)

    @staticmethod
    def backward(ctx, dy):
        mesh, src, grad_src, at = ctx.spec
        back = tuple(Replicate() if isinstance(p, Partial) else p for p in src)
        return _convert(dy, grad_src, back, mesh, at), None, None, None, None


def _global_shape(local_shape, mesh, placements):
    s = list(local_shape)
    for i, p in enumerate(placements):
        if isinstance(p, Shard):
            s[p.dim] *= mesh.size(i)
    return Size(s)


def redistribute_local(x, mesh, src, dst, grad_src=None):
    """The local tensor `x` laid out as `src` → laid out as `dst`, with the gradient's layout
    `grad_src` (default `dst`) for backward. Returns a plain local Tensor."""
    ndim = x.dim()
    src = _placements(mesh, src, ndim)
    dst = _placements(mesh, dst, ndim)
    grad_src = dst if grad_src is None else _placements(mesh, grad_src, ndim)
    if src == dst and grad_src == dst:
        return x
    return _Redistribute.apply(_plain(x), mesh, src, dst, grad_src)


def _plain(x):
    return Tensor(x._t) if type(x) is not Tensor else x


class DTensor(Tensor):
    """A rank's local tensor with its mesh and placements; `shape` is the global shape."""

    _is_dtensor = True

    def __init__(self, local, mesh, placements, shape=None):
        Tensor.__init__(self, local._t)
        self.__dict__["_spec"] = (mesh, tuple(placements), Size(shape) if shape is not None else None)

    # ------------------------------------------------------------------ layout
    @property
    def device_mesh(self):
        return self._spec[0]

    @property
    def placements(self):
        return self._spec[1]

    @property
    def shape(self):
        g = self._spec[2]
        if g is None:
            g = _global_shape(Size(self._t.shape.to_py()), self._spec[0], self._spec[1])
            self.__dict__["_spec"] = (self._spec[0], self._spec[1], g)
        return g

    def size(self, dim=None):
        s = self.shape
        return s if dim is None else s[dim]

    def numel(self):
        return self.shape.numel()

    @property
    def _local_tensor(self):
        return self.to_local()

    @staticmethod
    def from_local(local_tensor, device_mesh=None, placements=None, *, run_check=False, shape=None, stride=None):
        """Wrap this rank's piece (no communication; gradients flow to `local_tensor`)."""
        if device_mesh is None:
            raise ValueError("DTensor.from_local: give the device_mesh (AutoDist has no default mesh)")
        pl = _placements(device_mesh, placements, local_tensor.dim())
        return DTensor(local_tensor, device_mesh, pl, shape)

    def to_local(self, *, grad_placements=None):
        out = Tensor(self._t)
        owner = self.__dict__.get("_grad_of")
        if owner is not None:
            out.__dict__["_grad_of"] = owner
        return out

    def redistribute(self, device_mesh=None, placements=None, *, async_op=False, forward_dtype=None, backward_dtype=None):
        """A new DTensor laid out as `placements`: one collective per mesh axis that changes."""
        mesh = device_mesh or self.device_mesh
        if mesh != self.device_mesh:
            raise Unsupported("redistribute to another mesh", "redistribute on the DTensor's own mesh")
        dst = _placements(mesh, placements, self.dim())
        out = redistribute_local(self.to_local(), mesh, self.placements, dst)
        return DTensor(out, mesh, dst, self.shape)

    def full_tensor(self, *, grad_placements=None):
        """The whole tensor on every rank (all-gathers / all-reduces)."""
        return self.redistribute(self.device_mesh, [Replicate()] * self.device_mesh.ndim).to_local()

    # ------------------------------------------------------------------ autograd
    @property
    def grad(self):
        g = self._t.grad
        if g is None:
            return None
        out = DTensor(Tensor(g), self.device_mesh, self.placements, self.shape)
        out.__dict__["_grad_of"] = self._t
        return out

    @grad.setter
    def grad(self, g):
        _C.js.setGrad(self._t, None if g is None else g._t)

    def detach(self):
        return DTensor(Tensor(_C.js.detach(self._t)), self.device_mesh, self.placements, self.shape)

    # ------------------------------------------------------------------ shape-reading ops run on the local piece
    def __getitem__(self, idx):
        return self.to_local()[idx]

    def flatten(self, start_dim=0, end_dim=-1):
        return self.to_local().flatten(start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return self.to_local().unflatten(dim, sizes)

    def split(self, split_size, dim=0):
        return self.to_local().split(split_size, dim)

    def chunk(self, chunks, dim=0):
        return self.to_local().chunk(chunks, dim)

    def narrow(self, dim, start, length):
        return self.to_local().narrow(dim, start, length)

    def expand(self, *sizes):
        return self.to_local().expand(*sizes)

    def squeeze(self, dim=None):
        return self.to_local().squeeze(dim)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"DTensor(local_tensor={Tensor(self._t)!r}, device_mesh={self.device_mesh!r}, placements={self.placements!r})"

    __str__ = __repr__

    def _as_parameter(self, requires_grad=True):
        return _DTensorParameter(self, requires_grad)


from ...nn.parameter import Parameter  # noqa: E402


class _DTensorParameter(DTensor, Parameter):
    """nn.Parameter(dtensor): a parameter of the rank holding the local piece (its placement
    — the index ranges it was cut from — stays on the core tensor for the report)."""

    def __init__(self, data=None, requires_grad=True):
        if self.__dict__.get("_built"):
            return
        core = _C.js.param(_C.state().ctx, data._t, None)
        if not requires_grad:
            _C.js.setRequiresGrad(core, False)
        Tensor.__init__(self, core)
        self.__dict__["_spec"] = data._spec
        self.__dict__["_built"] = True

    def __repr__(self):
        return "Parameter containing:\n" + DTensor.__repr__(self)


def distribute_tensor(tensor, device_mesh=None, placements=None, *, src_data_rank=0):
    """This rank's piece of `tensor` laid out as `placements` (Shard: the rank's contiguous
    chunk, cut with narrow so it keeps its index range; Replicate: the whole). Every simulated
    rank holds the same full tensor (the script builds it alike), so no data moves here; torch
    scatters from `src_data_rank`."""
    if device_mesh is None:
        raise ValueError("distribute_tensor: give the device_mesh (AutoDist has no default mesh)")
    if isinstance(tensor, DTensor):
        raise ValueError("distribute_tensor: the input is already a DTensor; use .redistribute(...)")
    pl = _placements(device_mesh, placements, tensor.dim())
    if any(isinstance(p, Partial) for p in pl):
        raise ValueError("distribute_tensor with Partial placements is not supported (a Partial tensor is made by computation)")
    rg = tensor.requires_grad
    local = tensor.detach()
    for i, p in enumerate(pl):
        if isinstance(p, Shard):
            n = device_mesh.size(i)
            size = local.shape[p.dim]
            if size % n:
                raise Unsupported(f"Shard({p.dim}) of a dim of size {size} over {n} ranks (uneven shards)", f"make dim {p.dim} divisible by the mesh axis size {n}")
            k = device_mesh.get_local_rank(i)
            local = local.narrow(p.dim, k * (size // n), size // n)
    if rg:
        local.requires_grad_(True)
    return DTensor(local, device_mesh, pl, tensor.shape)


def distribute_module(module, device_mesh=None, partition_fn=None, input_fn=None, output_fn=None):
    """torch's distribute_module: partition_fn(name, module, mesh) per submodule, then input/output hooks."""
    if partition_fn is not None:
        for name, sub in list(module.named_modules()):
            partition_fn(name, sub, device_mesh)
    else:
        for sub in module.modules():
            for k, p in list(sub._parameters.items()):
                if p is not None and not isinstance(p, DTensor):
                    sub.register_parameter(k, Parameter(distribute_tensor(p.detach(), device_mesh, [Replicate()] * device_mesh.ndim)))
    if input_fn is not None:
        module.register_forward_pre_hook(lambda mod, args: input_fn(mod, args, device_mesh))
    if output_fn is not None:
        module.register_forward_hook(lambda mod, args, out: output_fn(mod, out, device_mesh))
    return module
