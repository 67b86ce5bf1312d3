"""torch.distributed.pipelining's PipelineStage: one model chunk on one rank of the pipeline
group. Activations go forward and gradients backward between neighbouring stages through
torch.distributed's send/recv (isend for sends, as torch batches them), so the ledger and the
timeline show every transfer; stage s lives on the group's rank s mod (group size), so a rank
holds several stages under an interleaved schedule.

A stage receives its input in whatever shape the previous stage sent (torch infers the shapes
once, or takes `input_args`: one micro-batch's example input)."""
from ... import _C
from ..._tensor import Tensor
from ..._unsupported import Unsupported



class PipelineStage:
    def __init__(self, submodule, stage_index, num_stages, device=None, input_args=None, output_args=None,
                 group=None, dw_builder=None):
        from .. import get_rank, get_world_size
        if not 0 <= stage_index < num_stages:
            raise ValueError(f"PipelineStage: stage_index {stage_index} must be in [0, {num_stages})")
        self.submod = submodule
        self.stage_index = int(stage_index)
        self.num_stages = int(num_stages)
        self.device = device
        self.group = group
        self._ranks = list(group.ranks) if group is not None else list(range(get_world_size()))
        self.group_size = len(self._ranks)
        if num_stages % self.group_size:
            raise ValueError(f"PipelineStage: {num_stages} stages over a group of {self.group_size} ranks: the stages must divide evenly (stage s runs on group rank s % {self.group_size})")
        me = get_rank()
        if self.stage_rank(self.stage_index) != me:
            raise ValueError(f"PipelineStage: stage {stage_index} runs on rank {self.stage_rank(self.stage_index)} of the group {self._ranks}, "
                             f"but rank {me} built it: build stage s on the group rank s % {self.group_size} (for a pp mesh axis: stage_index = pp_mesh.get_local_rank())")
        self.is_first = self.stage_index == 0
        self.is_last = self.stage_index == self.num_stages - 1
        self._in_meta = None
        if input_args is not None:
            x = input_args[0] if isinstance(input_args, (tuple, list)) else input_args
            self._in_meta = (tuple(x.shape), x.dtype)
        self._stash = {}
        self._local = {}    # stage index → stage, for the stages this rank holds (set by the schedule)
        self._inbox = {}    # ("F" | "B", mb) → a tensor handed over by a stage on this rank

    def stage_rank(self, s):
        return self._ranks[s % self.group_size]

    @property
    def prev_rank(self):
        return None if self.is_first else self.stage_rank(self.stage_index - 1)

    @property
    def next_rank(self):
        return None if self.is_last else self.stage_rank(self.stage_index + 1)

    # tags: micro-batch mb's activation into stage s, and its gradient into stage s
    @staticmethod
    def _fwd_tag(s, mb):
        return 100_000 + 1_000 * mb + s

    @staticmethod
    def _bwd_tag(s, mb):
        return 200_000 + 1_000 * mb + s

    # ------------------------------------------------------------------ transfers
    def _recv_input(self, mb):
        """The previous stage's activation, whatever its shape (torch infers it once per stage)."""
        if self.stage_index - 1 in self._local:
            return self._inbox.pop(("F", mb))
        from .. import _require_init
        _require_init("recv")
        if self._in_meta is not None:
            from .. import recv
            from ... import empty
            x = empty(self._in_meta[0], dtype=self._in_meta[1])
            recv(x, src=self.prev_rank, tag=self._fwd_tag(self.stage_index, mb))
            return x
        return Tensor(_C.wait(_C.collective("recv_any", None, None, src=self.prev_rank, tag=self._fwd_tag(self.stage_index, mb))))

    def _send_output(self, out, mb, works):
        nxt = self._local.get(self.stage_index + 1)
        if nxt is not None:   # the next stage is on this rank: no transfer
            nxt._inbox[("F", mb)] = out.detach()
            return
        from .. import isend
        works.append(isend(out.detach(), dst=self.next_rank, tag=self._fwd_tag(self.stage_index + 1, mb)))

    def _recv_grad(self, mb, like):
        if self.stage_index + 1 in self._local:
            return self._inbox.pop(("B", mb))
        from .. import recv
        from ... import empty
        dy = empty(tuple(like.shape), dtype=like.dtype)
        recv(dy, src=self.next_rank, tag=self._bwd_tag(self.stage_index, mb))
        return dy

    def _send_grad(self, g, mb, works):
        prev = self._local.get(self.stage_index - 1)
        if prev is not None:
            prev._inbox[("B", mb)] = g
            return
        from .. import isend
        works.append(isend(g, dst=self.prev_rank, tag=self._bwd_tag(self.stage_index - 1, mb)))

    # ------------------------------------------------------------------ one micro-batch
    def forward_one(self, mb, args, target, loss_fn, works):
        """F(stage, mb): receive (or take) the input, run the chunk, send the output (or the loss)."""
        if self.is_first:
            x = args
        else:
            x = self._recv_input(mb)
            x.requires_grad_(True)
        out = self._call(x)
        loss = None
        if self.is_last:
            if loss_fn is not None and target is not None:
                loss = loss_fn(out, target)
        else:
            self._send_output(out, mb, works)
        self._stash[mb] = (x, out, loss)
        return out, loss

    def _call(self, x):
        """Run the chunk. A stage but the last is a part of the model under the model's own name
        (its root is the model with the other stages' layers removed): the verifier must not
        compare its output with the whole model's, so the recorder does not hear the root."""
        st = _C.state()
        rec = st.captures
        if rec is not None and not self.is_last:
            st.captures = _HideRoot(rec, self.submod)
        try:
            return self.submod(*x) if isinstance(x, tuple) else self.submod(x)
        finally:
            st.captures = rec

    def backward_one(self, mb, works):
        """B(stage, mb): the loss's (or the received) gradient through the chunk; send dX back
        (the transfers are labelled "backward" in the ledger and on the timeline)."""
        ctx = _C.state().ctx
        prev = _C.js.setPhase(ctx, "backward")
        try:
            self._backward_one(mb, works)
        finally:
            _C.js.setPhase(_C.state().ctx, prev)

    def _backward_one(self, mb, works):
        x, out, loss = self._stash.pop(mb)
        if self.is_last:
            if loss is None:
                raise RuntimeError("the last stage has no loss to run backward from: give the schedule a loss_fn and step(..., target=y)")
            loss.backward()
        else:
            out.backward(self._recv_grad(mb, out))
        if not self.is_first:
            g = x.grad
            if g is None:
                from ... import zeros_like
                g = zeros_like(x)
            self._send_grad(g, mb, works)


class _HideRoot:
    """The verifier's recorder, deaf to one module (a pipeline stage's root)."""

    def __init__(self, rec, root):
        self._rec, self._root = rec, root

    def enter(self, m, name):
        if m is not self._root:
            self._rec.enter(m, name)

    def exit(self, m, name, args, out):
        if m is not self._root:
            self._rec.exit(m, name, args, out)

    def __getattr__(self, k):
        return getattr(self._rec, k)
