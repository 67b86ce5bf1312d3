def checkpoint(function, *args, use_reentrant=None, **kwargs):
    """Activation checkpointing: the simulator runs the function once (the numbers are the same);
    recompute's extra time and memory saving are modelled by the planner, not replayed here."""
    return function(*args, **kwargs)
