"""Runs a person's file on one simulated rank, as `torchrun` would start one process: the file is
`__main__` with the rank's environment and `sys.argv`; its own modules are imported per rank.
An exception leaves as a structured record (the person's frames only), not a Python object."""
import builtins
import importlib.abc
import importlib.machinery
import os
import sys
import traceback
import types

from torch import _C

_PKG = _C._PKG


class _PerRankFinder(importlib.abc.MetaPathFinder):
    """Notes every module loaded from the person's folder as the running rank's own."""

    def find_spec(self, name, path, target=None):
        st = _C._state
        if st is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.origin and spec.origin.startswith(st.user_root):
            st.modules[name] = None  # filled by enter/leave once imported
            return spec
        return None


_finder = _PerRankFinder()
if _finder not in sys.meta_path:
    sys.meta_path.insert(0, _finder)


class Recorder:
    """The verifier's ears: each module call's output (by name and call number) and, at the end,
    each parameter's gradient. Core tensors only; the comparison is the core's."""

    def __init__(self):
        self.calls = []        # [name, call index, kind, core output, site]
        self.counts = {}
        self.modules = {}      # name -> module
        self.stack = []

    def enter(self, m, name):
        self.stack.append([m, name, None])

    def exit(self, m, name, args, out):
        frame = self.stack.pop()
        if self.stack:
            self.stack[-1][2] = out     # the parent's last child output (to see through wrappers)
        # a module that hands on what one of its children returned (a pipeline wrapper, a
        # Sequential stage) adds nothing to compare, and its contents differ between runs
        # (its output shape is still reported: `see_through` marks it for the comparison only)
        see_through = frame[2] is not None and frame[2] is out
        self.modules.setdefault(name, m)
        from torch import Tensor
        o = out[0] if isinstance(out, (tuple, list)) and out and isinstance(out[0], Tensor) else out
        if not isinstance(o, Tensor):
            return
        k = self.counts.get(name, 0)
        self.counts[name] = k + 1
        self.calls.append([name, k, type(m).__name__, o._t, m._ad_site, _sharded_dims(o), o.__dict__.get("_declared_at"), see_through])

    def params(self):
        """[name, module, core tensor] of every parameter of every called module."""
        out = []
        seen = set()
        for name, m in self.modules.items():
            for k, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                full = (name + "." if name else "") + k
                p._t.name = full
                out.append([full, name, type(m).__name__, p._t, m._ad_site])
        return out


def _sharded_dims(o):
    """A DTensor output's sharded dims as [dim, the size its placements claim for the whole]."""
    if not getattr(o, "_is_dtensor", False):
        return None
    out = []
    for p in o.placements:
        d = getattr(p, "dim", None)
        if d is not None and type(p).__name__ == "Shard":
            out.append([d, o.shape[d]])
    return out or None


def _user_frames(tb, user_root):
    frames = []
    for fs in traceback.extract_tb(tb):
        if fs.filename.startswith(_PKG) or fs.filename.startswith("/lib/python") or fs.filename == __file__:
            continue
        frames.append([fs.filename, fs.lineno or 0, fs.name, (fs.line or "").strip()])
    return frames


_stopped = [False]


def reset():
    """A new run: nothing stopped."""
    _stopped[0] = False


def run_rank(ctx, rank, world, local_world, script, argv, user_root, meta, record):
    """Run `script` as rank `rank`'s __main__. Returns a plain dict: {exit, error?, calls?, params?}."""
    if _stopped[0]:
        # the time limit interrupted another rank: the ones not started yet do not start
        return {"exit": 1, "stopped": True}
    env = {
        "RANK": str(rank), "LOCAL_RANK": str(rank % local_world), "WORLD_SIZE": str(world),
        "LOCAL_WORLD_SIZE": str(local_world), "GROUP_RANK": str(rank // local_world),
        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500", "TORCHELASTIC_RUN_ID": "autodist",
    }
    st = _C.RankState(ctx, rank, world, env, user_root)
    st.meta = bool(meta)
    if record:
        st.captures = Recorder()
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__builtins__ = builtins
    st.modules["__main__"] = main
    _C.enter(st)
    sys.argv = [script] + list(argv)
    folder = os.path.dirname(script)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as `python script.py` does: the script's folder first
    result = {"exit": 0}
    try:
        with open(script, "r", encoding="utf-8") as f:
            src = f.read()
        code = compile(src, script, "exec")
        exec(code, main.__dict__)
    except SystemExit as e:
        c = e.code
        result["exit"] = 0 if c is None else (c if isinstance(c, int) else 1)
        if c is not None and not isinstance(c, int):
            result["message"] = str(c)
        result["sys_exit"] = True
        result["frames"] = _user_frames(e.__traceback__, user_root)
    except _C.JsException as e:
        # a core error (shape, collective mismatch, abort): the JS error itself goes back, with
        # where in the person's code it surfaced
        result["exit"] = 1
        result["js_error"] = e.js_error
        result["frames"] = _user_frames(e.__traceback__, user_root)
    except SyntaxError as e:
        result["exit"] = 1
        result["error"] = {"type": "SyntaxError", "message": e.msg or str(e)}
        result["frames"] = [[e.filename or script, e.lineno or 0, "<module>", (e.text or "").strip()]]
        result["column"] = e.offset or 0
    except BaseException as e:  # noqa: BLE001 — everything the person's code raises is reported
        if isinstance(e, KeyboardInterrupt):
            _stopped[0] = True
        result["exit"] = 1
        result["error"] = {"type": type(e).__name__, "message": str(e)}
        result["frames"] = _user_frames(e.__traceback__, user_root)
        result["traceback"] = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    finally:
        pipe = getattr(st, "pipeline", None)   # set by a torch.distributed.pipelining schedule's step
        if pipe is not None:
            result["pipeline"] = pipe
        dm = getattr(st, "device_mesh", None)   # set by init_device_mesh: the report's mesh axes
        if dm is not None:
            result["device_mesh"] = dm
        if st.captures is not None:
            result["calls"] = st.captures.calls
            try:
                result["params"] = st.captures.params()
            except Exception:  # noqa: BLE001
                result["params"] = []
        _C.leave()
    return result


class _RankWriter:
    """sys.stdout / sys.stderr: each rank's lines go out with the rank (torchrun's `[rank0]: `)."""

    def __init__(self, stream):
        self.stream = stream
        self.pending = {}
        self.encoding = "utf-8"
        self.errors = "strict"

    def write(self, s):
        st = _C._state
        r = st.rank if st is not None else -1
        buf = self.pending.get(r, "") + s
        if "\n" in buf:
            head, _, tail = buf.rpartition("\n")
            head = self._drop_echoes(r, head)
            if head:
                _C.js.output(r, self.stream, head + "\n")
            buf = tail
        self.pending[r] = buf
        return len(s)

    _echoing = {}

    def _drop_echoes(self, r, text):
        """Pyodide reports a failed wait's JS error once more when its future is dropped: the
        runner reports that error itself (with the rank and line), so the echo is left out."""
        keep = []
        for line in text.split("\n"):
            if line.startswith("pyodide.ffi.JsException: "):
                self._echoing[r] = True
                continue
            if self._echoing.get(r) and line.startswith("  "):
                continue
            self._echoing[r] = False
            keep.append(line)
        return "\n".join(keep)

    def flush(self):
        st = _C._state
        r = st.rank if st is not None else -1
        buf = self.pending.pop(r, "")
        if buf:
            _C.js.output(r, self.stream, buf)

    def flush_all(self):
        for r, buf in list(self.pending.items()):
            if buf:
                _C.js.output(r, self.stream, buf)
        self.pending.clear()

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError("the simulated process's stdout has no file descriptor")


def _quiet_loop_errors():
    """A rank stopped by another rank's error leaves its wait's future failed: that is reported
    once by the runner, not again by asyncio as a never-retrieved exception."""
    import asyncio
    try:
        asyncio.get_event_loop().set_exception_handler(lambda loop, context: None)
    except Exception:  # noqa: BLE001
        pass
    sys.unraisablehook = lambda u: None


_quiet_loop_errors()
sys.stdout = _RankWriter("stdout")
sys.stderr = _RankWriter("stderr")


def flush_output():
    sys.stdout.flush_all()
    sys.stderr.flush_all()
