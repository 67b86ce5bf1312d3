"""torch.distributed.pipelining's schedules: the order in which each rank runs forward (F) and
backward (B) micro-batches of its stages. The order is the schedule; the timeline shows it, and
for p equal stages and m micro-batches the idle share is (p−1)/m (GPipe, 1F1B) or (p−1)/(v·m)
(interleaved, v stages per rank), Narayanan et al. 2021.

  GPipe            all m forwards, then all m backwards.
  1F1B             p−1−s warm-up forwards on stage s, then one forward / one backward, then the
                   remaining backwards (at most p−s micro-batches' activations held at once).
  Interleaved1F1B  Megatron's order over the v stages a rank holds (stage s on rank s mod p).

`step(x, target=y, losses=[])`: the first stage splits `x` along dim 0 into `n_microbatches`,
the last splits `target` alike and calls `loss_fn(output, target)` per micro-batch (appending
to `losses`); gradients are divided by `n_microbatches` at the end (`scale_grads`), so the
step's gradient is that of the mean loss over micro-batches."""
from ... import _C
from ..._tensor import Tensor
from ..._unsupported import Unsupported
from .stage import PipelineStage


def _split(x, n, what):
    if x is None:
        return [None] * n
    if isinstance(x, Tensor):
        if x.shape[0] % n:
            raise ValueError(f"{what}: its batch dim ({x.shape[0]}) must divide into n_microbatches={n}")
        return list(x.chunk(n, 0))
    if isinstance(x, tuple):
        parts = [_split(a, n, what) for a in x]
        return [tuple(p[i] for p in parts) for i in range(n)]
    raise Unsupported(f"{what} of type {type(x).__name__}", "pass tensors (split along dim 0 into micro-batches)")


class _PipelineSchedule:
    def __init__(self, stages, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True):
        self._stages = list(stages)
        for s in self._stages:
            if not isinstance(s, PipelineStage):
                raise TypeError(f"{type(self).__name__} takes PipelineStage objects, got {type(s).__name__}")
        for s in self._stages:
            s._local = {t.stage_index: t for t in self._stages}
        self._n_microbatches = int(n_microbatches)
        self._loss_fn = loss_fn
        self.scale_grads = scale_grads
        if args_chunk_spec is not None or kwargs_chunk_spec is not None:
            raise Unsupported("args_chunk_spec / kwargs_chunk_spec", "inputs are split along dim 0 (the default TensorChunkSpec(0))")

    def _order(self):
        """[(kind "F" | "B", stage, micro-batch)] for this rank."""
        raise NotImplementedError

    def step(self, *args, target=None, losses=None, return_outputs=True, **kwargs):
        if kwargs:
            raise Unsupported("schedule.step(**kwargs)", "pass the stage inputs positionally")
        m = self._n_microbatches
        first = any(s.is_first for s in self._stages)
        last = any(s.is_last for s in self._stages)
        x = args[0] if len(args) == 1 else (tuple(args) if args else None)
        if first and x is None:
            raise ValueError("schedule.step(): the rank holding the first stage must pass the input batch")
        mbs = _split(x, m, "the input") if first else [None] * m
        tgts = _split(target, m, "target") if last else [None] * m
        if last and self._loss_fn is not None and target is None:
            raise ValueError("schedule.step(): the rank holding the last stage must pass target= (the schedule has a loss_fn)")
        works, outputs, mb_losses = [], {}, {}
        state = _C.state()
        t0, peak = state.ctx.clock, 0
        for kind, st, mb in self._order():
            if kind == "F":
                out, loss = st.forward_one(mb, mbs[mb], tgts[mb] if st.is_last else None, self._loss_fn, works)
                if st.is_last:
                    outputs[mb] = out
                    if loss is not None:
                        mb_losses[mb] = loss
            else:
                st.backward_one(mb, works)
            peak = max(peak, sum(len(s._stash) for s in self._stages))
        for w in works:
            w.wait()
        st0 = self._stages[0]
        # the step's facts for the report's pipeline section (bubble measured on the timeline)
        _C.state().pipeline = {"schedule": self._name, "stages": st0.group_size,
                               "virtual": len(self._stages), "microbatches": m, "ranks": list(st0._ranks),
                               "t0": float(t0), "t1": float(_C.state().ctx.clock), "peakStash": peak}
        if self.scale_grads and self._loss_fn is not None:
            for st in self._stages:
                for p in st.submod.parameters():
                    if p.grad is not None:
                        p.grad.div_(m)
        if losses is not None and last:
            losses.extend(mb_losses[i].detach() for i in range(m) if i in mb_losses)
        if last and return_outputs and outputs:
            from ... import cat
            return cat([outputs[i].detach() for i in range(m)], 0)
        return None

    def _backward_needed(self):
        return self._loss_fn is not None


class _SingleStage(_PipelineSchedule):
    def __init__(self, stage, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True):
        super().__init__([stage], n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec, scale_grads)
        self._stage = stage


class ScheduleGPipe(_SingleStage):
    """All forwards, then all backwards."""
    _name = "GPipe"

    def _order(self):
        st, m = self._stage, self._n_microbatches
        order = [("F", st, i) for i in range(m)]
        if self._backward_needed():
            order += [("B", st, i) for i in range(m)]
        return order


class Schedule1F1B(_SingleStage):
    """p−1−s warm-up forwards, then alternate one forward and one backward, then drain."""
    _name = "1F1B"

    def _order(self):
        st, m = self._stage, self._n_microbatches
        if not self._backward_needed():
            return [("F", st, i) for i in range(m)]
        warm = min(st.num_stages - 1 - st.stage_index, m)
        order = [("F", st, i) for i in range(warm)]
        for i in range(m - warm):
            order.append(("F", st, warm + i))
            order.append(("B", st, i))
        order += [("B", st, i) for i in range(m - warm, m)]
        return order


class ScheduleInterleaved1F1B(_PipelineSchedule):
    """Megatron's interleaved order: this rank's v stages (s, s+p, s+2p, …) take turns in groups
    of p micro-batches; warm-up (p−1−r)·2 + (v−1)·p forwards. n_microbatches must divide by p."""
    _name = "Interleaved1F1B"

    def __init__(self, stages, n_microbatches, loss_fn=None, args_chunk_spec=None, kwargs_chunk_spec=None,
                 output_merge_spec=None, scale_grads=True, backward_requires_autograd=True):
        super().__init__(stages, n_microbatches, loss_fn, args_chunk_spec, kwargs_chunk_spec, output_merge_spec, scale_grads)
        self._stages.sort(key=lambda s: s.stage_index)
        p = self._stages[0].group_size
        if n_microbatches % p:
            raise ValueError(f"ScheduleInterleaved1F1B: n_microbatches ({n_microbatches}) must be a multiple of the number of pipeline ranks ({p})")

    def _order(self):
        sts, m = self._stages, self._n_microbatches
        p, v = sts[0].group_size, len(sts)
        r = sts[0].stage_index % p
        total = m * v

        def f_at(k):
            return sts[(k // p) % v], (k // (p * v)) * p + k % p

        def b_at(k):
            return sts[v - 1 - (k // p) % v], (k // (p * v)) * p + k % p

        if not self._backward_needed():
            return [("F",) + f_at(k) for k in range(total)]
        warm = min((p - r - 1) * 2 + (v - 1) * p, total)
        order = [("F",) + f_at(k) for k in range(warm)]
        for k in range(total - warm):
            order.append(("F",) + f_at(warm + k))
            order.append(("B",) + b_at(k))
        order += [("B",) + b_at(k) for k in range(total - warm, total)]
        return order
