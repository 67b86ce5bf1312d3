"""parallelize_module: apply a plan {module FQN (with fnmatch wildcards, as torchtitan writes
"layers.*.attention.wq"): ParallelStyle} to a module on a 1-D mesh."""
from fnmatch import fnmatch

from .style import ParallelStyle, _raise_at


def parallelize_module(module, device_mesh=None, parallelize_plan=None, *, src_data_rank=0):
    if device_mesh is None:
        raise ValueError("parallelize_module: give the device_mesh (e.g. mesh['tp'])")
    if parallelize_plan is None:
        return module
    if isinstance(parallelize_plan, ParallelStyle):
        parallelize_plan._apply(module, device_mesh, "")
        return module
    if not isinstance(parallelize_plan, dict):
        raise TypeError(f"Expect Union[ParallelStyle, Dict[str, ParallelStyle]] for parallelize_plan, {type(parallelize_plan)} found!")
    for path, style in parallelize_plan.items():
        if not path:
            raise ValueError("Expect module path to be non-empty, but got empty string!")
        matched = _match(module, path.split("."), "")
        if not matched and not _names_removed(module, path.split(".")):
            # torch skips such an entry (a warning at most) and runs the layer unsharded: a silent
            # wrong plan. AutoDist stops at the entry's line.
            names = [n for n, _ in module.named_children()]
            _raise_at(ValueError(
                f"parallelize_module: the plan key '{path}' matches no submodule of {type(module).__name__} "
                f"(its children: {', '.join(names) or 'none'}); torch would skip this entry and leave the layer unsharded. "
                f"Write the key as the module's path from the module given to parallelize_module "
                f"(e.g. 'attention.wq', or 'layers.*.attention.wq' from the model)."), style._place)
        for fqn, sub in matched:
            style._apply(sub, device_mesh, fqn)
    return module


def _match(module, atoms, prefix):
    if not atoms:
        return [(prefix, module)]
    out = []
    for name, child in module.named_children():
        if fnmatch(name, atoms[0]):
            out.extend(_match(child, atoms[1:], prefix + ("." if prefix else "") + name))
    return out


def _names_removed(module, atoms):
    """The key names a child set to None (a pipeline stage drops the modules it does not run):
    nothing to shard, as torch skips it."""
    m = module
    for a in atoms:
        mods = m.__dict__.get("_modules", {})
        if a not in mods:
            return False
        if mods[a] is None:
            return True
        m = mods[a]
    return False
