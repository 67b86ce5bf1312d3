"""torch.nn.init: fills parameters in place with draws from torch's generator, value for value as
real torch on the CPU (src/core/torch-rng.ts), in torch's order."""
import math

from .. import no_grad


def _fill(t, values):
    """The tensor (a parameter stays the same core parameter) takes `values`' numbers."""
    from .. import _C
    with no_grad():
        v = values.to(t.dtype) if values.dtype is not t.dtype else values
        _C.js.assignData(t._t, v._t)
    return t


def uniform_(t, a=0.0, b=1.0, generator=None):
    return t.uniform_(a, b, generator=generator)


def normal_(t, mean=0.0, std=1.0, generator=None):
    return t.normal_(mean, std, generator=generator)


def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """As torch: uniform in [2l − 1, 2u − 1] (l, u the normal CDF at a, b), erfinv, scale, clamp."""
    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    with no_grad():
        u = t.detach().clone().uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)
        v = (u.erfinv() * (std * math.sqrt(2.0)) + mean).clamp(a, b)
    return _fill(t, v)


def zeros_(t):
    from .. import zeros
    return _fill(t, zeros(t.shape))


def ones_(t):
    from .. import ones
    return _fill(t, ones(t.shape))


def constant_(t, val):
    from .. import full
    return _fill(t, full(t.shape, float(val)))


def _fans(t):
    if t.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    rf = 1
    for s in t.shape[2:]:
        rf *= s
    return t.shape[1] * rf, t.shape[0] * rf


def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d"):
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        s = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + s ** 2))
    return 1


def kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in t.shape:
        return t
    fan_in, fan_out = _fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fan_in, fan_out = _fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def xavier_uniform_(t, gain=1.0, generator=None):
    fan_in, fan_out = _fans(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a, generator)


def xavier_normal_(t, gain=1.0, generator=None):
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
