"""torch.nn: modules, parameters, init, functional."""
from .parameter import Parameter, Buffer  # noqa: F401
from . import functional, init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401


def __getattr__(name):
    from .._unsupported import missing
    raise missing("torch.nn", name)
