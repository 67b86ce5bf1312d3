"""torch.distributed.pipelining.pipeline(): a model cut into stages at split points.

Real torch traces the model with torch.export and cuts the graph. AutoDist's torch cannot
export, so it runs the model's forward once on `mb_args` (one micro-batch) — untimed, off the
trace and out of the verifier's hearing — with hooks on every submodule, and keeps the sequence
of outermost submodule calls the forward makes (for torchtitan's Llama: tok_embeddings,
layers.0 … layers.{L−1}, norm, output). A split point "layers.4" (BEGINNING) cuts that sequence
before the first call of layers.4 (END: after its last call); stage i is a module that replays
its range of calls, each on the previous call's output.

What a replay keeps and what it cannot:
  - the data path must be a chain: the first call takes the model's input, each next call the
    previous call's output, and the model returns the last call's output. Tensor work between
    two calls on that path (h = emb(x) * scale; return out.float()) would be lost: refused.
  - a call's other arguments are captured as constants (torchtitan's freqs_cis, a causal mask
    made from shapes) when they depend on neither the input nor a parameter: one that requires
    grad, is the input or a call's output, or changes when the input's values change (checked by
    a second run with the input's last dim rotated; numeric mode) is refused.
Everything refused names the manual PipelineStage, which runs any forward."""
from ... import _C
from ..._tensor import Tensor
from ..._unsupported import Unsupported

_MANUAL = ("build each stage by hand: keep the stage's layers (del model.layers[k] for the others; set the first/last-only "
           "modules to None and skip them in forward), then PipelineStage(model, stage_index, num_stages, device, group=pp_group)")


class _Call:
    __slots__ = ("module", "name", "args", "kwargs", "out", "site")

    def __init__(self, module, name, args, kwargs, site):
        self.module, self.name, self.args, self.kwargs, self.out, self.site = module, name, args, kwargs, None, site


def _trace(root, args, names):
    """Run root(*args) once; the outermost submodule calls in order, and the root's output."""
    calls, depth = [], [0]
    handles = []

    def pre(m, a, kw):
        if depth[0] == 0:
            calls.append(_Call(m, names.get(id(m), "?"), a, dict(kw), _C.caller_source()))   # the forward's line
        depth[0] += 1

    def post(m, a, kw, out):
        depth[0] -= 1
        if depth[0] == 0:
            calls[-1].out = out

    for _, m in root.named_modules():
        if m is root:
            continue
        h = m.register_forward_pre_hook(pre, with_kwargs=True)
        m._forward_pre_hooks.move_to_end(h.id, last=False)   # before the person's hooks: the call as written
        handles.append(h)
        handles.append(m.register_forward_hook(post, with_kwargs=True))
    try:
        with _Unseen():
            out = root(*args)
    finally:
        for h in handles:
            h.remove()
    return calls, out


class _Unseen:
    """Ops that are no step of the person's program: the verifier hears nothing, the timeline shows
    nothing, and the random draws they make (a dropout) are given back, as torch's tracing on fake
    tensors draws nothing."""

    def __enter__(self):
        st = _C.state()
        self._rec, st.captures = st.captures, None
        self._untimed = _C.js.setUntimed(st.ctx, True)
        self._gens = [(h, _C.js.genGetState(h)) for h in (st.generator, st.cuda_generator)]
        return self

    def __exit__(self, *exc):
        st = _C.state()
        st.captures = self._rec
        for h, g in self._gens:
            _C.js.genSetState(h, g)
        _C.js.setUntimed(st.ctx, self._untimed)
        return False


def _tensors(v):
    if isinstance(v, Tensor):
        yield v
    elif isinstance(v, (tuple, list)):
        for x in v:
            yield from _tensors(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _tensors(x)


def _rotated(x):
    """x with its last dim rotated by one (values move, shape and dtype stay); None if nothing would move."""
    from ... import cat
    for d in range(x.dim() - 1, -1, -1):
        if x.shape[d] > 1:
            return cat([x.narrow(d, 1, x.shape[d] - 1), x.narrow(d, 0, 1)], d)
    return None


def _differ(a, b):
    from ... import float32
    if tuple(a.shape) != tuple(b.shape):
        return True
    return bool((a.to(float32) - b.to(float32)).abs().max().item() > 0) if a.numel() else False


def _refuse(what):
    raise Unsupported(f"pipeline() on {what}", _MANUAL)


def _stage_module_class():
    from ...nn import Module, ModuleDict

    class PipeStageModule(Module):
        """One stage of a split model: its range of the traced submodule calls, replayed in order
        on the stage's input (the other arguments are the constants captured by the trace). The
        submodules keep their names ("layers.4"), so a stage's parameters are named as the model's."""

        def __init__(self, calls):
            super().__init__()
            self._replay = [(c.module, tuple(c.args[1:]), dict(c.kwargs), c.site) for c in calls]
            self._call_names = [c.name for c in calls]
            holders = set()   # ids of the ModuleDicts made here to hold a path ("layers" of "layers.4")
            for c in calls:
                parts = c.name.split(".")
                holder = self
                for p in parts[:-1]:
                    if p not in holder._modules or holder._modules[p] is None:
                        d = ModuleDict()
                        holders.add(id(d))
                        holder.add_module(p, d)
                    holder = holder._modules[p]
                prev = holder._modules.get(parts[-1])
                if prev is None or (id(prev) in holders and prev is not c.module):
                    holder._modules[parts[-1]] = c.module   # (a holder made for a child gives way to the module itself)

        def forward(self, x):
            st = _C.state()
            prev = st.replay_site
            try:
                for m, rest, kw, site in self._replay:
                    st.replay_site = site   # what the call does is placed at the forward's line that made it
                    x = m(x, *rest, **kw)
                    st = _C.state()         # (a collective inside may have let other ranks run)
            finally:
                st.replay_site = prev
            return x

        def extra_repr(self):
            return "replays: " + ", ".join(_short(self._call_names))

    _C.replay_code = PipeStageModule.forward.__code__
    return PipeStageModule


class _SplitModule:
    """pipe.split_gm: the stage modules as `submod_0`, `submod_1`, …; calling it runs them in turn."""

    def __init__(self, stages):
        self._stages = stages
        for i, s in enumerate(stages):
            setattr(self, f"submod_{i}", s)

    def named_children(self):
        for i, s in enumerate(self._stages):
            yield f"submod_{i}", s

    def children(self):
        return iter(self._stages)

    def __call__(self, x):
        for s in self._stages:
            x = s(x)
        return x

    forward = __call__


class Pipe:
    """What pipeline() returns: `num_stages`, `split_gm`, `get_stage_module(i)`, `build_stage(i, device, group)`."""

    def __init__(self, stages, names):
        self._stages = stages
        self.num_stages = len(stages)
        self.split_gm = _SplitModule(stages)
        self.stage_calls = names    # [[call name, …] per stage]: what each stage replays

    def get_stage_module(self, stage_idx):
        if not 0 <= stage_idx < self.num_stages:
            raise ValueError(f"Pipe: stage {stage_idx} does not exist (the model was split into {self.num_stages} stages)")
        return self._stages[stage_idx]

    def build_stage(self, stage_index, device=None, group=None):
        from .stage import PipelineStage
        return PipelineStage(self.get_stage_module(stage_index), stage_index, self.num_stages, device, group=group)

    def __repr__(self):
        return f"Pipe({self.num_stages} stages: " + " | ".join(", ".join(n) for n in self.stage_calls) + ")"


def pipeline(module, mb_args, mb_kwargs=None, split_spec=None, split_policy=None):
    from . import SplitPoint
    if split_policy is not None:
        raise Unsupported("pipeline(split_policy=...)", "give split_spec={'layers.4': SplitPoint.BEGINNING, ...}")
    if mb_kwargs:
        raise Unsupported("pipeline(mb_kwargs=...)", "pass the model's input positionally in mb_args (a stage hands one tensor to the next)")
    args = tuple(mb_args) if isinstance(mb_args, (tuple, list)) else (mb_args,)
    if len(args) != 1 or not isinstance(args[0], Tensor):
        _refuse(f"mb_args holding {len(args)} value(s) (a split model takes one input tensor, one micro-batch, which each stage hands to the next)")
    x = args[0]
    spec = dict(split_spec or {})
    names = {id(m): n for n, m in module.named_modules() if n}
    for name, point in spec.items():
        if point not in (SplitPoint.BEGINNING, SplitPoint.END):
            raise ValueError(f"pipeline(): split_spec['{name}'] must be SplitPoint.BEGINNING or SplitPoint.END, got {point!r}")
        try:
            module.get_submodule(name)
        except AttributeError:
            kids = ", ".join(n for n, _ in module.named_children())
            raise ValueError(f"pipeline(): the split point '{name}' names no submodule of {type(module).__name__} (its children: {kids})") from None

    if module._forward_pre_hooks or module._forward_hooks:
        _refuse(f"a model with forward hooks of its own ({type(module).__name__}'s would not run: the stages replay its submodules' calls, "
                "not its forward; call pipeline() before parallelize_module and hook the stage modules, as torchtitan does)")
    calls, out = _trace(module, args, names)
    model = type(module).__name__
    if not calls:
        _refuse(f"a forward that calls no submodule ({model}'s: there is nothing to split)")
    # the data path: input → call 0 → call 1 → … → the model's output
    produced = {id(x): "the model's input"}
    for i, c in enumerate(calls):
        src = x if i == 0 else calls[i - 1].out
        first = c.args[0] if c.args else None
        if first is not src:
            where = "the model's input" if i == 0 else f"the output of '{calls[i - 1].name}'"
            what = "is not a tensor argument" if first is None else ("is a different tensor" if isinstance(first, Tensor) else f"is a {type(first).__name__}")
            _refuse(f"a forward with tensor work between split regions ({model}'s '{c.name}' does not take {where} as its first argument: "
                    f"it {what}; replaying the submodule calls in order would lose that work)")
        if not isinstance(c.out, Tensor):
            _refuse(f"a submodule that returns a {type(c.out).__name__} ('{c.name}'; a stage hands one tensor to the next)")
        for j, t in enumerate(_tensors((c.args[1:], c.kwargs))):
            if id(t) in produced:
                _refuse(f"a forward whose '{c.name}' also takes {produced[id(t)]} (the stage holding it would not have it)")
            if t.requires_grad:
                _refuse(f"an extra argument of '{c.name}' that requires grad (a tensor of shape {tuple(t.shape)}: it depends on a parameter or the input, "
                        "so it cannot be captured as a constant)")
        produced[id(c.out)] = f"the output of '{c.name}'"
    if out is not calls[-1].out:
        _refuse(f"a forward with tensor work after the last submodule call ({model}'s changes the output of '{calls[-1].name}' before returning it)")

    # constants must not change with the input's values (numeric mode: a second run, input rotated)
    if not _C.state().meta:
        with _Unseen():
            x2 = _rotated(x)
        if x2 is not None:
            calls2, _ = _trace(module, (x2,), names)
            if [c.name for c in calls2] != [c.name for c in calls]:
                _refuse(f"a forward whose calls depend on the input's values ({model}'s calls other submodules when they change)")
            for c, c2 in zip(calls, calls2):
                for t, t2 in zip(_tensors((c.args[1:], c.kwargs)), _tensors((c2.args[1:], c2.kwargs))):
                    with _Unseen():
                        moved = _differ(t, t2)
                    if moved:
                        _refuse(f"an extra argument of '{c.name}' computed from the input's values (a tensor of shape {tuple(t.shape)} that changed "
                                "when the input did, so it cannot be captured as a constant)")

    # the cuts
    cuts = set()
    for name, point in spec.items():
        idx = [i for i, c in enumerate(calls) if c.name == name or c.name.startswith(name + ".")]
        if not idx:
            outer = next((c.name for c in calls if name.startswith(c.name + ".")), None)
            if outer is not None:
                _refuse(f"a split point inside a submodule's forward ('{name}' is inside '{outer}'; split at the level of the calls {model}'s forward makes: "
                        f"{', '.join(_short([c.name for c in calls]))})")
            raise ValueError(f"pipeline(): the split point '{name}' is never called by {model}'s forward on mb_args "
                             f"(its calls: {', '.join(_short([c.name for c in calls]))})")
        cut = idx[0] if point is SplitPoint.BEGINNING else idx[-1] + 1
        if 0 < cut < len(calls):
            cuts.add(cut)
    bounds = [0] + sorted(cuts) + [len(calls)]
    cls = _stage_module_class()
    stages, stage_names = [], []
    for a, b in zip(bounds, bounds[1:]):
        stages.append(cls(calls[a:b]))
        stage_names.append([c.name for c in calls[a:b]])
    return Pipe(stages, stage_names)


def _short(names):
    return names if len(names) <= 8 else names[:3] + ["…"] + names[-3:]
