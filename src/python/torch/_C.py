"""The bridge: the only module of AutoDist's torch that reaches JavaScript.

Every op goes to the core through `call(name, *args)`, on the rank whose program is running;
every collective through `collective(...)`, which blocks this rank (run_sync) until the other
members arrive. Python never computes a number, a shape or a gradient itself.

Ranks share one interpreter and take turns at collectives (WebAssembly stack switching), so
whatever is per process in real torch lives in a `RankState`, and `enter(state)` makes it
current again after every wait: the rank's tensors' context, grad mode, random state, its own
copies of the person's modules, and `os.environ`'s RANK/WORLD_SIZE.
"""
import os
import sys
import random as _random

import _autodist as _js  # registered by the runner: src/bridge/torch-bridge.ts
from pyodide.ffi import run_sync, to_js, create_proxy, JsException  # noqa: F401

try:
    from pyodide.ffi import jsnull
except ImportError:  # older Pyodide: JS null arrives as None
    jsnull = None


def nil(v):
    """JS null or undefined (a core tensor's absent node or grad)."""
    return v is None or v is jsnull

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder holding torch/


class RankState:
    """What real torch keeps per process."""

    def __init__(self, ctx, rank, world_size, env, user_root):
        self.ctx = ctx
        self.rank = rank
        self.world_size = world_size
        self.env = env
        self.user_root = user_root
        self.grad_enabled = True
        # torch's CPU and CUDA default generators of this process (handles into the bridge)
        self.generator = _js.genNew()
        self.cuda_generator = _js.genNew()
        self.initial_seed = 67280421310721
        self.pg_initialized = False
        self.backend = None
        self.groups = {}
        self.modules = {}          # the person's modules imported by this rank, by name
        self.random_state = None   # the stdlib `random` module's state on this rank
        self.captures = None       # set by the verifier's runner: module outputs by name
        self.exit_code = None
        self.meta = False
        self.replay_site = None    # the traced call a pipeline stage replays now (caller_source)
        self.device_mesh = None    # {"shape", "names"} of the first init_device_mesh (the report's mesh line)


_state = None
_interpreter_main = sys.modules.get("__main__")


def state():
    if _state is None:
        raise RuntimeError("AutoDist's torch runs only inside `autodist simulate`")
    return _state


def enter(st):
    """Make `st` the running rank (after a wait, another rank may have run meanwhile)."""
    global _state
    prev = _state
    if prev is st:
        return
    mods = sys.modules
    if prev is not None:
        prev.random_state = _random.getstate()
        for name in list(prev.modules):
            m = mods.pop(name, None)
            if m is not None:
                prev.modules[name] = m
    for name, m in st.modules.items():
        if m is not None:
            mods[name] = m
    if st.random_state is not None:
        _random.setstate(st.random_state)
    os.environ.update(st.env)
    _state = st


def leave():
    global _state
    st = _state
    if st is not None:
        st.random_state = _random.getstate()
        for name in list(st.modules):
            m = sys.modules.pop(name, None)
            if m is not None:
                st.modules[name] = m
    sys.modules["__main__"] = _interpreter_main
    _state = None


def wait(promise):
    """Block this rank until `promise` settles (other ranks run meanwhile); the rank's state back."""
    st = _state
    try:
        return run_sync(promise)
    finally:
        enter(st)


# ---------------------------------------------------------------------------- places

_sources = {}


# The code of a pipeline stage's replay (pipelining/_split.py): a call it replays is placed at
# the line of the person's forward that made it when traced (RankState.replay_site).
replay_code = None


def caller_source():
    """The person's place of the current call: the first frame outside this package (or, inside
    a traced pipeline stage's replay, the person's line that made the replayed call)."""
    f = sys._getframe(2)
    pkg = _PKG
    while f is not None:
        fn = f.f_code.co_filename
        if f.f_code is replay_code and _state is not None and _state.replay_site is not None:
            return _state.replay_site
        if not fn.startswith(pkg) and not fn.startswith("<frozen"):
            key = (fn, f.f_lineno)
            s = _sources.get(key)
            if s is None:
                s = _js.source(fn, f.f_lineno)
                _sources[key] = s
            return s
        f = f.f_back
    return None


def frame_place(depth=2):
    """(file, line) of the person's frame, for Python-side messages."""
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(_PKG):
        f = f.f_back
    return (f.f_code.co_filename, f.f_lineno) if f is not None else ("<unknown>", 0)


# ---------------------------------------------------------------------------- calls

def call(name, *args):
    """One core op; returns a core tensor (or a JS list of them)."""
    return _js.call(caller_source(), name, to_js(list(args), create_pyproxies=False))


def create(kind, shape, dtype, opts=None, requires_grad=False):
    return _js.create(state().ctx, caller_source(), kind, to_js(list(shape)), dtype,
                      to_js(opts or {}, dict_converter=_object_from_entries), bool(requires_grad))


def tensor_from(values, dtype, requires_grad=False):
    return _js.tensor(state().ctx, caller_source(), to_js(values) if isinstance(values, (list, tuple)) else values,
                      dtype, bool(requires_grad))


def collective(kind, t, group_ranks, **opts):
    st = state()
    g = _js.group(st.ctx, to_js(list(group_ranks)) if group_ranks is not None else None)
    p = _js.collective(st.ctx, caller_source(), kind, t, g, to_js(opts, dict_converter=_object_from_entries))
    return p


def backward(t, grad=None):
    st = state()
    return wait(_js.backward(st.ctx, caller_source(), t, grad))


def _object_from_entries(entries):
    import js
    return js.Object.fromEntries(entries)


js = _js
