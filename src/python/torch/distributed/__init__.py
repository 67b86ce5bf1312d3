"""torch.distributed over the simulator's collectives engine (the one door between ranks: every
call below lands in the ledger with its bytes and time). Collectives work in place, as torch's:
`all_reduce(t)` leaves the sum in `t`; `recv(t, src)` fills `t`."""
from .. import _C
from .._tensor import Tensor
from .._unsupported import Unsupported


class ReduceOp:
    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    PREMUL_SUM = "premul_sum"
    RedOpType = None


_REDUCE = {"sum", "avg", "max", "min"}


class Backend:
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    UNDEFINED = "undefined"

    def __new__(cls, name):
        return name.lower()


class ProcessGroup:
    """A group of global ranks (torch's ProcessGroup handle)."""

    def __init__(self, ranks, name=""):
        self.ranks = list(ranks)
        self.group_name = name

    def size(self):
        return len(self.ranks)

    def rank(self):
        r = _C.state().rank
        return self.ranks.index(r) if r in self.ranks else -1

    def __repr__(self):
        return f"<ProcessGroup ranks={self.ranks}>"


class GroupMember:
    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember


class Work:
    """The handle of an async op: `wait()` blocks until it completes and fills the output."""

    def __init__(self, promise, finish=None):
        self._p = promise
        self._finish = finish
        self._done = False
        self._result = None

    def wait(self, timeout=None):
        if not self._done:
            r = _C.wait(self._p() if callable(self._p) else self._p)   # isend: the bridge hands its wait
            self._done = True
            if self._finish is not None:
                self._finish(r)
        return True

    def is_completed(self):
        return self._done

    def is_success(self):
        return self._done

    def result(self):
        return []

    def get_future(self):
        raise Unsupported("Work.get_future()", "call work.wait()")


def _st():
    return _C.state()


def _require_init(what):
    st = _st()
    if not st.pg_initialized:
        file, line = _C.frame_place(3)
        raise RuntimeError(f"Default process group has not been initialized, please make sure to call init_process_group. "
                           f"(torch.distributed.{what} at {file}:{line} ran before dist.init_process_group())")
    return st


def _ranks(group):
    st = _st()
    if group is None or group is GroupMember.WORLD:
        return None
    if isinstance(group, ProcessGroup):
        if st.rank not in group.ranks:
            raise RuntimeError(f"rank {st.rank} is not a member of the group {group.ranks}: only members may call its collectives")
        return group.ranks
    if hasattr(group, "get_group"):   # a DeviceMesh passed where a group is expected
        raise TypeError("expected a ProcessGroup, got a DeviceMesh: use mesh.get_group(dim)")
    raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")


def _group_rank_to_global(group, r):
    return r if group is None or group is GroupMember.WORLD else group.ranks[r]


def _group_size(group):
    ranks = _ranks(group)
    return len(ranks) if ranks is not None else _st().world_size


def _members(group):
    ranks = _ranks(group)
    return list(ranks) if ranks is not None else list(range(_st().world_size))


def _root(rank, group, group_rank):
    """A collective's root: the global rank given, else the group rank given, else rank 0 of the group."""
    if rank is not None:
        return int(rank)
    return int(_group_rank_to_global(group, group_rank if group_rank is not None else 0))


# ------------------------------------------------------------------------- set-up
def is_available():
    return True


def is_initialized():
    return _st().pg_initialized


def is_torchelastic_launched():
    return True


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    st = _st()
    if st.pg_initialized:
        raise ValueError("trying to initialize the default process group twice!")
    if world_size not in (-1, st.world_size):
        raise ValueError(f"init_process_group(world_size={world_size}) but the simulation runs {st.world_size} processes (--nproc-per-node {st.world_size})")
    if rank not in (-1, st.rank):
        raise ValueError(f"init_process_group(rank={rank}) on the process whose RANK is {st.rank}")
    st.pg_initialized = True
    st.backend = (backend or "nccl").split(":")[-1] if isinstance(backend, str) else "nccl"


def destroy_process_group(group=None):
    st = _st()
    if group is None:
        st.pg_initialized = False


def get_backend(group=None):
    return _require_init("get_backend").backend


def get_rank(group=None):
    st = _st()
    if not st.pg_initialized:
        return -1 if group is not None else _require_init("get_rank") and st.rank
    if group is None or group is GroupMember.WORLD:
        return st.rank
    return group.rank()


def get_world_size(group=None):
    st = _require_init("get_world_size")
    if group is None or group is GroupMember.WORLD:
        return st.world_size
    return group.size()


def get_global_rank(group, group_rank):
    return _group_rank_to_global(group, group_rank)


def get_process_group_ranks(group):
    return list(range(_st().world_size)) if group is None else list(group.ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False, group_desc=None, device_id=None):
    st = _require_init("new_group")
    rs = list(range(st.world_size)) if ranks is None else sorted(int(r) for r in ranks)
    for r in rs:
        if r < 0 or r >= st.world_size:
            raise ValueError(f"new_group: rank {r} does not exist (world size {st.world_size})")
    key = tuple(rs)
    g = st.groups.get(key)
    if g is None:
        g = st.groups[key] = ProcessGroup(rs)
    return g if st.rank in rs or True else GroupMember.NON_GROUP_MEMBER


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None):
    st = _require_init("new_subgroups")
    n = st.world_size
    size = group_size or n
    groups = [new_group(list(range(i, i + size))) for i in range(0, n, size)]
    return groups[st.rank // size], groups


# ------------------------------------------------------------------------- collectives
def _op(op):
    o = op if isinstance(op, str) else getattr(op, "value", op)
    if o not in _REDUCE:
        raise Unsupported(f"ReduceOp {o}", "use ReduceOp.SUM, AVG, MAX or MIN")
    return o


def _check_tensor(t, what):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: expected a torch.Tensor, got {type(t).__name__}")


def _run(promise, finish, async_op):
    if async_op:
        return Work(promise, finish)
    r = _C.wait(promise)
    if finish is not None:
        finish(r)
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """tensor ← Σ over the group (in place)."""
    _require_init("all_reduce")
    _check_tensor(tensor, "all_reduce")
    p = _C.collective("all_reduce", tensor._t, _ranks(group), op=_op(op))
    return _run(p, lambda r: tensor._set(r), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] ← rank i's tensor (each the shape of `tensor`)."""
    _require_init("all_gather")
    _check_tensor(tensor, "all_gather")
    ranks = _ranks(group)
    n = len(ranks) if ranks is not None else _st().world_size
    if len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors but the group has {n} ranks")
    for i, t in enumerate(tensor_list):
        if tuple(t.shape) != tuple(tensor.shape):
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)} but the input is {tuple(tensor.shape)}")
    x = tensor.unsqueeze(0)  # [1, ...]
    p = _C.collective("all_gather", x._t, ranks, dim=0)

    def finish(r):
        whole = Tensor(r)     # [n, ...]
        for i, t in enumerate(tensor_list):
            t._set(whole[i]._t)
    return _run(p, finish, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output ← the group's inputs concatenated along dim 0."""
    _require_init("all_gather_into_tensor")
    ranks = _ranks(group)
    n = len(ranks) if ranks is not None else _st().world_size
    if output_tensor.numel() != input_tensor.numel() * n:
        raise ValueError(f"all_gather_into_tensor: output has {output_tensor.numel()} elements, expected input ({input_tensor.numel()}) × group size ({n})")
    p = _C.collective("all_gather", input_tensor._t, ranks, dim=0)
    return _run(p, lambda r: output_tensor._set(Tensor(r).reshape(output_tensor.shape)._t), async_op)


_all_gather_base = all_gather_into_tensor


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """output ← this rank's dim-0 block of Σ inputs."""
    _require_init("reduce_scatter_tensor")
    ranks = _ranks(group)
    n = len(ranks) if ranks is not None else _st().world_size
    if input.numel() != output.numel() * n:
        raise ValueError(f"reduce_scatter_tensor: input has {input.numel()} elements, expected output ({output.numel()}) × group size ({n})")
    p = _C.collective("reduce_scatter", input._t, ranks, dim=0, op=_op(op))
    return _run(p, lambda r: output._set(Tensor(r).reshape(output.shape)._t), async_op)


_reduce_scatter_base = reduce_scatter_tensor


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    from .. import cat
    return reduce_scatter_tensor(output, cat([t.reshape(-1) for t in input_list]).reshape([len(input_list)] + list(output.shape)), op, group, async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    _require_init("broadcast")
    if src is None and group_src is None:
        raise ValueError("broadcast: give src (a global rank) or group_src")
    root = src if src is not None else _group_rank_to_global(group, group_src)
    p = _C.collective("broadcast", tensor._t, _ranks(group), src=int(root))
    return _run(p, lambda r: tensor._set(r), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    _require_init("reduce")
    root = dst if dst is not None else _group_rank_to_global(group, group_dst)
    p = _C.collective("reduce", tensor._t, _ranks(group), dst=int(root), op=_op(op))
    return _run(p, lambda r: tensor._set(r), async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    _require_init("all_to_all_single")
    if output_split_sizes is not None or input_split_sizes is not None:
        raise Unsupported("all_to_all_single with split sizes", "use equal splits (the sizes divide dim 0 evenly)")
    ranks = _ranks(group)
    n = len(ranks) if ranks is not None else _st().world_size
    if input.shape[0] % n:
        raise ValueError(f"all_to_all_single: dim 0 of the input ({input.shape[0]}) must divide by the group size ({n})")
    p = _C.collective("all_to_all", input._t, ranks)
    return _run(p, lambda r: output._set(Tensor(r).reshape(output.shape)._t), async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    from .. import stack
    x = stack(list(input_tensor_list))
    p = _C.collective("all_to_all", x._t, _ranks(group))

    def finish(r):
        whole = Tensor(r)
        for i, t in enumerate(output_tensor_list):
            t._set(whole[i]._t)
    return _run(p, finish, async_op)


def barrier(group=None, async_op=False, device_ids=None):
    _require_init("barrier")
    p = _C.collective("barrier", None, _ranks(group))
    return _run(p, None, async_op)


def _peer(peer, group, group_peer, what):
    st = _st()
    r = peer if peer is not None else _group_rank_to_global(group, group_peer)
    if r is None:
        raise ValueError(f"{what}: give the peer's global rank")
    r = int(r)
    if r < 0 or r >= st.world_size:
        raise ValueError(f"Invalid {'destination' if what in ('send', 'isend') else 'source'} rank: {r} (world size {st.world_size})")
    if r == st.rank:
        raise ValueError(f"Invalid {'destination' if what in ('send', 'isend') else 'source'} rank: should not be the same as the rank of the current process ({r}).")
    return r


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Blocks until the matching recv takes it (the simulator's p2p is rendezvous, as NCCL's)."""
    _require_init("send")
    d = _peer(dst, group, group_dst, "send")
    p = _C.collective("send", tensor._t, None, dst=d, tag=int(tag))
    _C.wait(p)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Fills `tensor` with what `src` sent; returns the sender's rank."""
    _require_init("recv")
    if src is None and group_src is None:
        raise Unsupported("recv from any source (src=None)", "name the sender: dist.recv(t, src=r)")
    s = _peer(src, group, group_src, "recv")
    p = _C.collective("recv", tensor._t, None, src=s, tag=int(tag))
    tensor._set(_C.wait(p))
    return s


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    _require_init("isend")
    d = _peer(dst, group, group_dst, "isend")
    return Work(_C.js.isend(_st().ctx, _C.caller_source(), tensor._t, d, int(tag)))


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    _require_init("irecv")
    s = _peer(src, group, group_src, "irecv")
    # posted now, without blocking: the rank runs on (and may isend, compute) until wait()
    return Work(_C.js.irecv(_st().ctx, _C.caller_source(), tensor._t, s, int(tag)), lambda r: tensor._set(r))


class P2POp:
    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag


def batch_isend_irecv(p2p_op_list):
    return [op.op(op.tensor, op.peer, op.group, op.tag) for op in p2p_op_list]


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather_list[i] ← rank i's tensor, on `dst` only. Recorded as the point-to-point sends that
    NCCL and gloo make of it: each other member sends its tensor to `dst`."""
    _require_init("gather")
    st = _st()
    root = _root(dst, group, group_dst)
    members = _members(group)
    if st.rank == root:
        if gather_list is None or len(gather_list) != len(members):
            raise ValueError(f"gather: on the destination rank, gather_list must hold {len(members)} tensors (one per member of the group)")
        for i, r in enumerate(members):
            if r == root:
                gather_list[i]._set(tensor.detach().clone()._t)
            else:
                recv(gather_list[i], src=r, tag=0)
    else:
        if gather_list:
            raise ValueError("gather: gather_list is given only on the destination rank")
        send(tensor, dst=root, tag=0)
    return _Done() if async_op else None


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """tensor ← scatter_list[rank] of `src`. Recorded as the point-to-point sends `src` makes."""
    _require_init("scatter")
    st = _st()
    root = _root(src, group, group_src)
    members = _members(group)
    if st.rank == root:
        if scatter_list is None or len(scatter_list) != len(members):
            raise ValueError(f"scatter: on the source rank, scatter_list must hold {len(members)} tensors (one per member of the group)")
        for i, r in enumerate(members):
            if r == root:
                tensor._set(scatter_list[i].detach().clone()._t)
            else:
                send(scatter_list[i], dst=r, tag=0)
    else:
        if scatter_list:
            raise ValueError("scatter: scatter_list is given only on the source rank")
        recv(tensor, src=root, tag=0)
    return _Done() if async_op else None


class _Done:
    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def _object_tensor(obj):
    """pickle → int32 words (little-endian, zero-padded): the bytes torch sends as uint8."""
    import pickle
    import struct
    data = pickle.dumps(obj)
    pad = (-len(data)) % 4
    words = list(struct.unpack(f"<{(len(data) + pad) // 4}i", data + b"\0" * pad)) if data else []
    return len(data), words


def _object_from(words, n):
    import pickle
    import struct
    raw = struct.pack(f"<{len(words)}i", *[int(w) for w in words])
    return pickle.loads(raw[:n])


def _padded(words, nwords):
    from .. import tensor as _tensor, int32
    return _tensor(words + [0] * (nwords - len(words)), dtype=int32)


def _pickled_and_sizes(obj, n, group):
    """Every member's pickled size (an all-gather of one int64 each, as torch), and this rank's
    bytes as int32 words padded to the largest."""
    from .. import tensor as _tensor, int64, zeros
    size, words = _object_tensor(obj)
    sizes = [zeros(1, dtype=int64) for _ in range(n)]
    all_gather(sizes, _tensor([size], dtype=int64), group=group)
    sizes = [int(s.item()) for s in sizes]
    return sizes, _padded(words, (max(sizes) + 3) // 4)


def all_gather_object(object_list, obj, group=None):
    """object_list[i] ← rank i's object: as torch, an all-gather of the pickled sizes, then of the
    pickled bytes (padded to the largest)."""
    from .. import zeros, int32
    _require_init("all_gather_object")
    n = _group_size(group)
    if len(object_list) != n:
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries but the group has {n} ranks")
    sizes, mine = _pickled_and_sizes(obj, n, group)
    parts = [zeros(mine.numel(), dtype=int32) for _ in range(n)]
    all_gather(parts, mine, group=group)
    for i in range(n):
        object_list[i] = _object_from(parts[i].tolist(), sizes[i])


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """As torch: the sizes all-gathered, then the pickled bytes gathered on `dst`."""
    from .. import zeros, int32
    _require_init("gather_object")
    st = _st()
    root = _root(dst, group, group_dst)
    n = _group_size(group)
    sizes, mine = _pickled_and_sizes(obj, n, group)
    parts = [zeros(mine.numel(), dtype=int32) for _ in range(n)] if st.rank == root else None
    gather(mine, parts, dst=root, group=group)
    if st.rank == root:
        if object_gather_list is None or len(object_gather_list) != n:
            raise ValueError(f"gather_object: on the destination rank, object_gather_list must have {n} entries")
        for i in range(n):
            object_gather_list[i] = _object_from(parts[i].tolist(), sizes[i])


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """object_list ← `src`'s, as torch: a broadcast of the pickled sizes, then of the bytes."""
    from .. import tensor as _tensor, int64, zeros, int32
    _require_init("broadcast_object_list")
    st = _st()
    root = _root(src, group, group_src)
    k = len(object_list)
    if st.rank == root:
        packed = [_object_tensor(o) for o in object_list]
        sizes = _tensor([p[0] for p in packed], dtype=int64)
    else:
        packed = None
        sizes = zeros(k, dtype=int64)
    broadcast(sizes, src=root, group=group)
    sz = [int(v) for v in sizes.tolist()]
    offsets = [(s + 3) // 4 for s in sz]
    total = sum(offsets)
    if st.rank == root:
        flat = []
        for (n_, w), o in zip(packed, offsets):
            flat += w + [0] * (o - len(w))
        data = _tensor(flat, dtype=int32) if flat else zeros(0, dtype=int32)
    else:
        data = zeros(total, dtype=int32)
    broadcast(data, src=root, group=group)
    if st.rank != root:
        words = data.tolist()
        at = 0
        for i in range(k):
            object_list[i] = _object_from(words[at:at + offsets[i]], sz[i])
            at += offsets[i]


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    barrier(group)


def __getattr__(name):
    from .._unsupported import missing
    raise missing("torch.distributed", name)
