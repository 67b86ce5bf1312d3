from .module import Module  # noqa: F401
from .container import Sequential, ModuleList, ModuleDict, ParameterList  # noqa: F401
from .layers import (Identity, Linear, Embedding, LayerNorm, RMSNorm, Dropout, GELU, SiLU, ReLU, Tanh,  # noqa: F401
                     Sigmoid, Softmax, CrossEntropyLoss, MSELoss)
