"""Calls AutoDist's torch does not simulate: one table of what to use instead. Raised at the
person's line (the traceback ends there), never a silent wrong answer."""


class Unsupported(NotImplementedError, AttributeError):
    def __init__(self, what, instead=None):
        self.what = what
        self.instead = instead
        msg = f"{what} is not supported by AutoDist's simulated torch"
        if instead:
            msg += f": {instead}"
        super().__init__(msg)


# name → what to use instead (torch.<name>, torch.nn.<name>, torch.distributed.<name>, ...)
INSTEAD = {
    "torch.compile": "drop torch.compile for the simulation: it changes speed, not the numbers",
    "torch.jit": "run the eager module",
    "torch.fft": "the simulator has no FFT ops",
    "torch.linalg": "use matmul-based formulas",
    "torch.sparse": "use dense tensors",
    "torch.distributed.fsdp": "FSDP is not simulated yet: use DDP-style all_reduce of gradients, or the TypeScript spec's dataParallel: { zero: 3 }",
    "torch.optim.LBFGS": "use torch.optim.SGD or AdamW",
    "torch.cuda.amp": "use torch.autocast or cast explicitly with .to(torch.bfloat16)",
    "torch.utils.data.DataLoader": "index your tensors directly; the simulator runs one step",
    "torch.save": "the simulator writes no files: use autodist simulate --json to keep results",
    "torch.load": "build the weights in the script (e.g. from torch.manual_seed + torch.randn)",
}


def missing(module, name):
    full = f"{module}.{name}"
    return Unsupported(full, INSTEAD.get(full, f"see docs/python.md for the supported surface of {module}"))
