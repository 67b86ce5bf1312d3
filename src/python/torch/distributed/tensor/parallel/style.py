"""torch.distributed.tensor.parallel's styles: how one module is sharded on a 1-D mesh and how
its inputs and outputs are laid out. Each style states its math and collectives:

  ColwiseParallel   Y_i = X W_iᵀ + b_i; W [out, in] split along dim 0 (Shard(0)), b Shard(0).
                    fwd: input → Replicate (all-gather if it arrives Shard(1)); output Shard(-1).
                    bwd: dX is a partial sum → all-reduce (reduce-scatter if it arrived Shard(1)).
  RowwiseParallel   Y = Σ_i X_i W_iᵀ + b; W split along dim 1 (Shard(1)), b Replicate.
                    fwd: the partial Y → all-reduce (Replicate) or reduce-scatter (Shard(1)), then + b.
                    bwd: none for dX (the gradient of a replicated Y is replicated).
  SequenceParallel  a norm / dropout on tokens split along the sequence dim (Shard(1)): weights
                    Replicate, their gradient summed over the axis (all-reduce in backward).
  PrepareModuleInput / PrepareModuleOutput: redistribute the inputs / outputs (one collective
                    per change of placement, see _dtensor.py).
The line where each style was written is kept, so a mistake is reported at its plan entry."""
from .... import _C
from ...._tensor import Tensor
from ...._unsupported import Unsupported
from .._dtensor import DTensor, distribute_tensor, redistribute_local, _placements
from ..placement_types import Shard, Replicate, Partial, Placement


class ParallelStyle:
    def __init__(self):
        self._place = _C.frame_place(3)   # the plan entry's line (file, line)
        self._site = _C.caller_source()   # the same place, as the core's SourceLocation

    def _apply(self, module, mesh, fqn):
        raise NotImplementedError


def _raise_at(exc, place):
    """Raise `exc` with the traceback ending at `place` (file, line): the plan entry's line."""
    file, line = place
    code = compile("\n" * (max(line, 1) - 1) + "raise __autodist_exc", file, "exec")
    exec(code, {"__autodist_exc": exc})


def _as_dtensor(x, mesh, layout):
    if isinstance(x, DTensor):
        return x
    return DTensor.from_local(x, mesh, [layout])


def _to(x, mesh, dst, grad_src=None):
    """DTensor `x` (one mesh axis) → a DTensor laid out as `dst`; the gradient arrives as `grad_src`."""
    src = x.placements[0]
    ndim = x.dim()
    dst = _placements(mesh, [dst], ndim)[0]
    if src == dst and (grad_src is None or grad_src == dst):
        return x
    local = redistribute_local(x.to_local(), mesh, [src], [dst], None if grad_src is None else [grad_src])
    return DTensor(local, mesh, [dst])


def _out(x, use_local):
    return x.to_local() if use_local and isinstance(x, DTensor) else x


def _check_mesh(mesh, what):
    if mesh.ndim != 1:
        raise ValueError(f"{what}: Tensor Parallel takes a 1-D mesh (e.g. mesh['tp']), got a {mesh.ndim}-D one: slice it by its axis name")


def _swap_param(module, name, value):
    module._parameters[name] = value


class ColwiseParallel(ParallelStyle):
    def __init__(self, *, input_layouts=None, output_layouts=None, use_local_output=True):
        super().__init__()
        self.input_layouts = input_layouts or Replicate()
        self.output_layouts = output_layouts or Shard(-1)
        self.desired_input_layouts = Replicate()
        self.use_local_output = use_local_output

    def __repr__(self):
        return f"ColwiseParallel(input_layouts={self.input_layouts!r}, output_layouts={self.output_layouts!r}, use_local_output={self.use_local_output})"

    def _apply(self, module, mesh, fqn):
        from ....nn import Linear, Embedding, Parameter
        _check_mesh(mesh, "ColwiseParallel")
        if isinstance(module, Linear):
            module.weight = Parameter(distribute_tensor(module.weight.detach(), mesh, [Shard(0)]))     # [out/tp, in]
            if module.bias is not None:
                module.bias = Parameter(distribute_tensor(module.bias.detach(), mesh, [Shard(0)]))     # [out/tp]
        elif isinstance(module, Embedding):
            module.weight = Parameter(distribute_tensor(module.weight.detach(), mesh, [Shard(1)]))     # [V, H/tp]
        else:
            _raise_at(NotImplementedError(f"ColwiseParallel on '{fqn}' ({type(module).__name__}): ColwiseParallel currently only support nn.Linear and nn.Embedding!"), self._place)
        embedding = isinstance(module, Embedding)

        def pre(mod, args):
            x = args[0]
            if embedding:
                return (x,) + tuple(args[1:])
            if isinstance(x, DTensor) and x.placements[0] == Replicate() and x.__dict__.get("_grad_partial"):
                return (x,) + tuple(args[1:])   # a PrepareModuleInput made it: its backward sums dX once
            x = _as_dtensor(x, mesh, self.input_layouts)
            # the replicated input meets a sharded weight: its gradient is a partial sum (all-reduce dX)
            x = _to(x, mesh, self.desired_input_layouts, grad_src=Partial())
            return (x,) + tuple(args[1:])

        def post(mod, args, out):
            y = DTensor.from_local(out if not isinstance(out, DTensor) else out.to_local(), mesh, [Shard(-1)])  # [..., out/tp]
            y = _to(y, mesh, self.output_layouts)
            return _out(y, self.use_local_output)
        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)


class RowwiseParallel(ParallelStyle):
    def __init__(self, *, input_layouts=None, output_layouts=None, use_local_output=True):
        super().__init__()
        self._explicit_input = input_layouts is not None
        self.input_layouts = input_layouts or Shard(-1)
        self.output_layouts = output_layouts or Replicate()
        self.use_local_output = use_local_output

    def _apply_embedding(self, module, mesh, fqn):
        _rowwise_embedding(self, module, mesh, fqn)

    def __repr__(self):
        return f"RowwiseParallel(input_layouts={self.input_layouts!r}, output_layouts={self.output_layouts!r}, use_local_output={self.use_local_output})"

    def _apply(self, module, mesh, fqn):
        from ....nn import Linear, Embedding, Parameter
        from ....nn import functional as F
        _check_mesh(mesh, "RowwiseParallel")
        if isinstance(module, Embedding):
            return self._apply_embedding(module, mesh, fqn)
        if not isinstance(module, Linear):
            _raise_at(NotImplementedError(f"RowwiseParallel on '{fqn}' ({type(module).__name__}): RowwiseParallel currently only support nn.Linear and nn.Embedding!"), self._place)
        full_in = module.weight.shape[1]
        module.weight = Parameter(distribute_tensor(module.weight.detach(), mesh, [Shard(1)]))            # [out, in/tp]
        if module.bias is not None:
            module.bias = Parameter(distribute_tensor(module.bias.detach(), mesh, [Replicate()]))         # [out]
        style = self

        def forward(x):
            # x: DTensor Shard(-1) [..., in/tp]
            if not isinstance(x, DTensor):
                if x.shape[-1] == full_in and mesh.size() > 1:
                    _raise_at(ValueError(_rowwise_on_replicated(fqn, style, f"a plain tensor of the full width {full_in}")), style._place)
                x = DTensor.from_local(x, mesh, [style.input_layouts])
            src = x.placements[0]
            if src == Replicate() and not style._explicit_input and mesh.size() > 1:
                _raise_at(ValueError(_rowwise_on_replicated(fqn, style, "a replicated input (Replicate())")), style._place)
            x = _to(x, mesh, Shard(-1))
            y = F.linear(x.to_local(), module.weight.to_local())               # [..., out] partial sum
            before = y.shape
            y = redistribute_local(y, mesh, [Partial()], [style.output_layouts])  # all-reduce or reduce-scatter
            if isinstance(style.output_layouts, Shard):
                d = _placements(mesh, [style.output_layouts], y.dim())[0].dim
                _note_sequence(mesh, d, y.shape[d], before[d])
            if module.bias is not None:
                b = module.bias.to_local()
                if not style.output_layouts == Replicate():
                    b = redistribute_local(b, mesh, [Replicate()], [Replicate()], [Partial()])  # bwd: all-reduce db
                y = y + b
            return _out(DTensor(y, mesh, [_placements(mesh, [style.output_layouts], y.dim())[0]]), style.use_local_output)
        module.__dict__["forward"] = forward


def _rowwise_embedding(style, module, mesh, fqn):
    """out = Σ_i E_i[ids]: the table split along dim 0 (vocab rows [start, start + V/tp) on rank i);
    ids outside a rank's rows look up zeros there; fwd: the partial sums → all-reduce
    (Replicate) or reduce-scatter (Shard(1)); bwd: none for the ids."""
    from ....nn import Parameter
    from ....nn import functional as F
    module.weight = Parameter(distribute_tensor(module.weight.detach(), mesh, [Shard(0)]))   # [V/tp, H]
    rows = module.weight.to_local().shape[0]
    start = mesh.get_local_rank() * rows

    def forward(ids):
        if isinstance(ids, DTensor):
            ids = ids.to_local()
        from .... import tensor, where, zeros_like
        outside = (ids < start) | (ids >= start + rows)                    # [B, S] not on this rank
        local_ids = where(outside, zeros_like(ids), ids - tensor(start))   # [B, S] in [0, V/tp)
        y = F.embedding(local_ids, module.weight.to_local())               # [B, S, H]
        y = y.masked_fill(outside.unsqueeze(-1), 0.0)                      # partial sum over ranks
        before = y.shape
        y = redistribute_local(y, mesh, [Partial()], [style.output_layouts])
        out = _placements(mesh, [style.output_layouts], y.dim())[0]
        if isinstance(out, Shard):
            _note_sequence(mesh, out.dim, y.shape[out.dim], before[out.dim])
        return _out(DTensor(y, mesh, [out]), style.use_local_output)
    module.__dict__["forward"] = forward


def _rowwise_on_replicated(fqn, style, what):
    file, line = style._place
    return (f"RowwiseParallel on '{fqn}' (plan entry at {file}:{line}) gets {what} where it expects Shard(-1), "
            f"the output of a ColwiseParallel layer: its weight is split along its input dim, so every rank would "
            f"compute the full output width (all heads) and all-reduce it. A projection that reads the block's "
            f"replicated input (q/k/v, w1/w3) wants ColwiseParallel(); if a rowwise split is meant, say "
            f"RowwiseParallel(input_layouts=Replicate()).")


class SequenceParallel(ParallelStyle):
    def __init__(self, *, sequence_dim=1, use_local_output=False):
        super().__init__()
        self.sequence_sharding = Shard(sequence_dim)
        self.use_local_output = use_local_output

    def __repr__(self):
        return f"SequenceParallel(sequence_dim={self.sequence_sharding.dim}, use_local_output={self.use_local_output})"

    def _apply(self, module, mesh, fqn):
        from ....nn import Parameter
        _check_mesh(mesh, "SequenceParallel")
        for k, p in list(module._parameters.items()):
            if p is not None:
                module.register_parameter(k, Parameter(distribute_tensor(p.detach(), mesh, [Replicate()])))
        params = [k for k, p in module._parameters.items() if p is not None]
        held = {}
        style = self

        def pre(mod, args):
            x = args[0]
            if isinstance(x, DTensor):
                if x.placements[0] != style.sequence_sharding:
                    x = _to(x, mesh, style.sequence_sharding)
            else:
                _check_sequence_sharded(x, mesh, style, fqn)
                x = DTensor.from_local(x, mesh, [style.sequence_sharding])
                held["@declared"] = True
            # weights see only this rank's tokens: their gradient is summed over the axis
            for k in params:
                p = mod._parameters[k]
                held[k] = p
                _swap_param(mod, k, DTensor(redistribute_local(p.to_local(), mesh, [Replicate()], [Replicate()], [Partial()]), mesh, [Replicate()]))
            return (x,) + tuple(args[1:])

        def post(mod, args, out):
            declared = held.pop("@declared", False)
            for k, p in held.items():
                _swap_param(mod, k, p)
            held.clear()
            y = out.to_local() if isinstance(out, DTensor) else out
            y = DTensor.from_local(y, mesh, [style.sequence_sharding])
            if declared:   # its input was taken as sequence-sharded on this style's word
                y.__dict__["_declared_at"] = style._site
            return _out(y, style.use_local_output)
        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)


def _check_sequence_sharded(x, mesh, style, fqn):
    """A plain tensor claimed sequence-sharded: its sequence length must be the sharded one seen
    on this mesh (when the mesh has seen one), not the full one."""
    seen = mesh.__dict__.get("_seq_lengths")
    d = style.sequence_sharding.dim
    if not seen or d >= x.dim() or mesh.size() == 1:
        return
    local, full = seen.get(d, (None, None))
    n = x.shape[d]
    if full is not None and n == full and n != local:
        file, line = style._place
        _raise_at(ValueError(
            f"SequenceParallel on '{fqn}' (plan entry at {file}:{line}): its input has the full sequence "
            f"(dim {d} is {n}; sequence-sharded pieces on this mesh have {local}), so each rank would treat the whole "
            f"sequence as its shard. Shard the input along dim {d} first: the module before it should output "
            f"Shard({d}) (e.g. RowwiseParallel(output_layouts=Shard({d})) on the block's output projection, or "
            f"PrepareModuleInput(input_layouts=Replicate(), desired_input_layouts=Shard({d})) on the first block)."), style._place)


def _note_sequence(mesh, d, local, full):
    s = mesh.__dict__.setdefault("_seq_lengths", {})
    s[d] = (local, full)


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


class PrepareModuleInput(ParallelStyle):
    def __init__(self, *, input_layouts=None, desired_input_layouts=None, input_kwarg_layouts=None,
                 desired_input_kwarg_layouts=None, use_local_output=False):
        super().__init__()
        self.input_layouts = None if input_layouts is None else _tuple(input_layouts)
        self.desired_input_layouts = None if desired_input_layouts is None else _tuple(desired_input_layouts)
        self.input_kwarg_layouts = input_kwarg_layouts or {}
        self.desired_input_kwarg_layouts = desired_input_kwarg_layouts or {}
        self.use_local_output = use_local_output
        if self.input_layouts is not None and self.desired_input_layouts is not None and len(self.input_layouts) != len(self.desired_input_layouts):
            raise AssertionError("input_layouts and desired_input_layouts should have same length!")

    def _apply(self, module, mesh, fqn):
        _check_mesh(mesh, "PrepareModuleInput")
        style = self

        def prep(x, src, dst):
            if src is None or not isinstance(x, Tensor):
                return x
            if not isinstance(x, DTensor):
                x = DTensor.from_local(x, mesh, [src])
            if dst is not None and x.placements[0] != _placements(mesh, [dst], x.dim())[0]:
                before = x.to_local().shape
                # a module prepared to read a replicated input under TP multiplies it by sharded
                # weights: its gradient comes back as a partial sum (reduce-scatter / all-reduce it
                # once here, as torch's DTensor does, instead of once per projection)
                x = _to(x, mesh, dst, grad_src=Partial() if isinstance(dst, Replicate) else None)
                if isinstance(dst, Replicate):
                    x.__dict__["_grad_partial"] = True
                _record_sequence(mesh, src, dst, before, x.to_local().shape)
            return _out(x, style.use_local_output)

        def pre(mod, args, kwargs):
            if style.input_layouts is None:
                new_args = args
            else:
                if len(args) < len(style.input_layouts):
                    raise ValueError(f"PrepareModuleInput on '{fqn}': module inputs and input_layouts should have same length! ({len(args)} vs {len(style.input_layouts)})")
                new_args = tuple(prep(a, s, d) for a, s, d in zip(args, style.input_layouts, style.desired_input_layouts or style.input_layouts)) + tuple(args[len(style.input_layouts):])
            new_kwargs = dict(kwargs)
            for k, s in style.input_kwarg_layouts.items():
                if k in new_kwargs:
                    new_kwargs[k] = prep(new_kwargs[k], s, style.desired_input_kwarg_layouts.get(k))
            return new_args, new_kwargs
        module.register_forward_pre_hook(pre, with_kwargs=True)


def _record_sequence(mesh, src, dst, before, after):
    if isinstance(src, Shard) and isinstance(dst, Replicate):
        _note_sequence(mesh, src.dim, before[src.dim], after[src.dim])
    elif isinstance(src, Replicate) and isinstance(dst, Shard):
        _note_sequence(mesh, dst.dim, after[dst.dim], before[dst.dim])


class PrepareModuleOutput(ParallelStyle):
    def __init__(self, *, output_layouts, desired_output_layouts, use_local_output=True):
        super().__init__()
        self.output_layouts = _tuple(output_layouts)
        self.desired_output_layouts = _tuple(desired_output_layouts)
        self.use_local_output = use_local_output

    def _apply(self, module, mesh, fqn):
        _check_mesh(mesh, "PrepareModuleOutput")
        style = self

        def one(y, src, dst):
            if src is None or not isinstance(y, Tensor):
                return y
            if not isinstance(y, DTensor):
                y = DTensor.from_local(y, mesh, [src])
            if y.placements[0] != _placements(mesh, [dst], y.dim())[0]:
                before = y.to_local().shape
                y = _to(y, mesh, dst)
                _record_sequence(mesh, src, dst, before, y.to_local().shape)
            return _out(y, style.use_local_output)

        def post(mod, args, out):
            if isinstance(out, tuple):
                return tuple(one(o, s, d) for o, s, d in zip(out, style.output_layouts, style.desired_output_layouts)) + out[len(style.output_layouts):]
            return one(out, style.output_layouts[0], style.desired_output_layouts[0])
        module.register_forward_hook(post)


__all__ = ["ParallelStyle", "ColwiseParallel", "RowwiseParallel", "SequenceParallel", "PrepareModuleInput", "PrepareModuleOutput"]
