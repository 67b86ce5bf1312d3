"""torch.cuda: the simulated machine has one GPU per process (LOCAL_RANK picks it)."""


def is_available():
    return True


def device_count():
    import os
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def current_device():
    import os
    return int(os.environ.get("LOCAL_RANK", "0"))


def set_device(device):
    pass


def synchronize(device=None):
    pass


def manual_seed(seed):
    """Seeds the rank's CUDA generator only (the CPU stream goes on as in real torch)."""
    from .. import _C
    _C.js.genSeed(_C.state().cuda_generator, int(seed) & 0xFFFFFFFF)


manual_seed_all = manual_seed


def empty_cache():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def reset_peak_memory_stats(device=None):
    pass


def is_bf16_supported(including_emulation=True):
    return True


def get_device_name(device=None):
    return "AutoDist simulated GPU"


class Event:
    def __init__(self, enable_timing=False):
        pass

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def elapsed_time(self, other):
        return 0.0


class Stream:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        pass


def stream(s):
    return Stream()


def current_stream(device=None):
    return Stream()
