"""torch.nn.parallel.DistributedDataParallel, as its numbers and its traffic go.

- Construction: the module's parameters and buffers are broadcast from rank 0, flattened into
  buckets of up to 250 MiB (torch's `_sync_module_states`): one `broadcast` each in the ledger.
- Every forward that runs with gradients on (outside `no_sync()`) makes the next backward
  average the gradients over the process group: parameters go into buckets in order, the first
  closed at 1 MiB and the others at `bucket_cap_mb` (default 25), and each bucket is one
  `all_reduce` of its flattened gradients, each divided by the group size first (torch's
  reducer), issued last bucket first — the order backward makes them ready.
- With `broadcast_buffers=True` (the default) a module with buffers broadcasts them from rank 0
  before each forward.

Real DDP starts each bucket's all-reduce during the backward, as soon as its gradients are ready;
here they are issued when backward has finished: the same ledger, later on the timeline.
"""
from ... import _C
from ..modules import Module

_FIRST_BUCKET_BYTES = 1024 * 1024
_SYNC_BUCKET_BYTES = 250 * 1024 * 1024


def _buckets(tensors, limits):
    """torch's bucket assignment by size: fill in order, close a bucket once it reaches its limit
    (the first limit, then the last one for every later bucket); one dtype per bucket."""
    out = []
    open_ = {}
    used = {}
    for t in tensors:
        key = t.dtype
        b = open_.setdefault(key, [])
        b.append(t)
        size = sum(x.numel() * x.element_size() for x in b)
        k = used.get(key, 0)
        if size >= limits[min(k, len(limits) - 1)]:
            out.append(b)
            open_[key] = []
            used[key] = k + 1
    out += [b for b in open_.values() if b]
    return out


def _group_ranks(group):
    from ...distributed import _ranks
    return _ranks(group)


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        from ... import distributed as dist
        if not dist.is_initialized():
            raise RuntimeError("Default process group has not been initialized, please make sure to call init_process_group.")
        if device_mesh is not None:
            process_group = device_mesh.get_group()
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        seen = set()
        self._params = []
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                self._params.append(p)
        self._grad_buckets = _buckets(self._params, [_FIRST_BUCKET_BYTES, self.bucket_bytes_cap])
        self._sync_states(list(module.parameters()) + list(module.buffers()))

    def _sync_states(self, tensors):
        """Broadcast from rank 0, coalesced into flat buckets (torch's _broadcast_coalesced)."""
        from ... import distributed as dist, no_grad, cat
        if not tensors:
            return
        with no_grad():
            for bucket in _buckets(tensors, [_SYNC_BUCKET_BYTES]):
                flat = cat([t.detach().reshape(-1) for t in bucket])
                dist.broadcast(flat, src=self._src(), group=self.process_group)
                at = 0
                for t in bucket:
                    n = t.numel()
                    t.copy_(flat[at:at + n].reshape(t.shape))
                    at += n

    def _src(self):
        ranks = _group_ranks(self.process_group)
        return ranks[0] if ranks else 0

    def forward(self, *inputs, **kwargs):
        st = _C.state()
        if self.broadcast_buffers:
            bufs = list(self.module.buffers())
            if bufs:
                self._sync_states(bufs)
        if st.grad_enabled and self.require_backward_grad_sync:
            pending = getattr(st, "ddp_pending", None)
            if pending is None:
                pending = st.ddp_pending = []
            if self not in pending:
                pending.append(self)
        return self.module(*inputs, **kwargs)

    def no_sync(self):
        ddp = self

        class _NoSync:
            def __enter__(self):
                self._prev = ddp.require_backward_grad_sync
                ddp.require_backward_grad_sync = False

            def __exit__(self, *exc):
                ddp.require_backward_grad_sync = self._prev
                return False
        return _NoSync()

    def _reduce_gradients(self):
        """Each bucket: grads / group size, flattened, all-reduced, written back; last bucket first."""
        from ... import distributed as dist, no_grad, cat, zeros
        ranks = _group_ranks(self.process_group)
        world = len(ranks) if ranks is not None else _C.state().world_size
        with no_grad():
            for bucket in reversed(self._grad_buckets):
                flat = cat([(p.grad if p.grad is not None else zeros(p.shape, dtype=p.dtype)).reshape(-1) / world for p in bucket])
                dist.all_reduce(flat, group=self.process_group)
                at = 0
                for p in bucket:
                    n = p.numel()
                    p.grad = flat[at:at + n].reshape(p.shape).clone()
                    at += n


def _after_backward():
    """Called when a backward has finished: the DDP modules whose forward asked for it reduce."""
    st = _C.state()
    pending = getattr(st, "ddp_pending", None)
    if not pending:
        return
    st.ddp_pending = []
    prev = _C.js.setPhase(st.ctx, "backward")  # DDP reduces during the backward: its phase
    try:
        for ddp in pending:
            ddp._reduce_gradients()
    finally:
        _C.js.setPhase(st.ctx, prev)
