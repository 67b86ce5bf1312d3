"""torch.nn.functional over the core's ops (each a bridge call; shapes checked as torch does)."""
import math

from .. import _C
from .._tensor import Tensor, _norm_dim
from .._unsupported import Unsupported


def linear(input, weight, bias=None):
    """y = x Wᵀ + b with torch's layout: W [out, in]."""
    if weight.dim() != 2:
        if weight.dim() == 1:
            out = (input * weight).sum(-1)
            return out + bias if bias is not None else out
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got {weight.dim()}-D")
    if input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_rows(input)}x{input.shape[-1]} and {weight.shape[1]}x{weight.shape[0]})")
    out = Tensor(_C.call("linear", input._t, weight._t))  # [..., out]
    if bias is not None:
        out = out + bias
    return out


def _rows(x):
    n = 1
    for d in x.shape[:-1]:
        n *= d
    return n


def relu(x, inplace=False):
    return x.relu()


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return Tensor(_C.call("gelu_tanh" if approximate == "tanh" else "gelu_erf", x._t))


def silu(x, inplace=False):
    return Tensor(_C.call("silu", x._t))


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def softmax(x, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        raise Unsupported("softmax without dim", "pass dim=-1 (the implicit choice is deprecated in torch)")
    d = _norm_dim(dim, x.dim())
    return Tensor(_C.call("softmax", x._t, d))


def log_softmax(x, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        raise Unsupported("log_softmax without dim", "pass dim=-1")
    return Tensor(_C.call("log_softmax", x._t, _norm_dim(dim, x.dim())))


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[-len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, {', '.join(map(str, ns))}], but got input of size{list(x.shape)}")
    if len(ns) != 1:
        raise Unsupported("layer_norm over more than the last dim", "normalize over the last dim (normalized_shape=(H,))")
    from .. import ones
    w = weight if weight is not None else ones(ns, dtype=x.dtype)
    return Tensor(_C.call("layer_norm", x._t, w._t, None if bias is None else bias._t, float(eps)))


def rms_norm(x, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[-len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, {', '.join(map(str, ns))}], but got input of size{list(x.shape)}")
    from .. import ones
    w = weight if weight is not None else ones(ns, dtype=x.dtype)
    e = eps if eps is not None else 1.1920928955078125e-07  # torch: finfo(float32).eps
    return Tensor(_C.call("rms_norm", x._t, w._t, float(e)))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if input.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)")
    return Tensor(_C.call("embedding", weight._t, input._t))


def dropout(x, p=0.5, training=True, inplace=False):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    # torch's CPU kernel: a Bernoulli(1 − p) draw per element from the generator, then x · mask / (1 − p)
    from .. import _draw, bool as _bool
    mask = _draw("bernoulli", x.shape, _bool, False, None, x._device, p=1.0 - float(p))
    return Tensor(_C.call("dropout", x._t, float(p), mask._t))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean", label_smoothing=0.0):
    if weight is not None:
        raise Unsupported("cross_entropy(weight=...)", "class weights are not simulated")
    if target.dtype.is_floating_point:
        raise Unsupported("cross_entropy with probability targets", "pass class indices (an int64 tensor)")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    shape = None
    if input.dim() > 2:
        # [B, C, d...] in torch's layout: classes on dim 1
        c = input.shape[1]
        shape = [input.shape[0]] + list(input.shape[2:])
        perm = [0] + list(range(2, input.dim())) + [1]
        input = input.permute(*perm).reshape(-1, c)
        target = target.reshape(-1)
    nll = Tensor(_C.call("cross_entropy", input._t, target._t, int(ignore_index), reduction))
    if not label_smoothing:
        return nll if shape is None or reduction != "none" else nll.reshape(shape)
    # torch: (1 − ε)·nll + ε/C · Σ_c −log p_c, the smoothing term over the targets not ignored
    # (reduction "mean": divided by their count)
    eps = float(label_smoothing)
    n_classes = input.shape[-1]
    smooth = -log_softmax(input, dim=-1).sum(-1)  # [N]
    valid = target != ignore_index
    smooth = smooth.masked_fill(~valid, 0.0)
    if reduction == "mean":
        smooth = smooth.sum() / valid.sum().to(smooth.dtype)
    elif reduction == "sum":
        smooth = smooth.sum()
    elif shape is not None:
        smooth, nll = smooth.reshape(shape), nll.reshape(shape)
    return nll * (1.0 - eps) + smooth * (eps / n_classes)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    return Tensor(_C.call("nll_loss", input._t, target._t, int(ignore_index), reduction))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). This will likely lead to incorrect results due to broadcasting.")
    d = (input - target) ** 2
    if reduction == "mean":
        return d.mean()
    if reduction == "sum":
        return d.sum()
    return d


def l1_loss(input, target, reduction="mean"):
    d = (input - target).abs()
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """softmax(q kᵀ · scale + mask) v over the last two dims: q [..., L, E], k [..., S, E], v [..., S, Ev]."""
    if dropout_p:
        raise Unsupported("scaled_dot_product_attention(dropout_p>0)", "use dropout_p=0.0")
    if _C.js.hasOp("sdpa"):
        return Tensor(_C.call("sdpa", query._t, key._t, value._t, None if attn_mask is None else attn_mask._t, bool(is_causal),
                              None if scale is None else float(scale)))
    L, S = query.shape[-2], key.shape[-2]
    s = (1.0 / math.sqrt(query.shape[-1])) if scale is None else scale
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    scores = (query @ key.transpose(-2, -1)) * s  # [..., L, S]
    if is_causal:
        from .. import ones
        keep = ones(L, S, dtype=query.dtype).tril()
        scores = scores.masked_fill(keep == 0, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
    return softmax(scores, -1) @ value


def pad(input, pad, mode="constant", value=0.0):
    if mode != "constant" or value != 0.0:
        raise Unsupported(f"F.pad(mode={mode!r}, value={value})", "only zero padding is simulated")
    out = input
    for i in range(len(pad) // 2):
        d = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before or after:
            out = Tensor(_C.call("pad", out._t, d, before, after))
    return out


def normalize(x, p=2.0, dim=1, eps=1e-12):
    n = (x * x).sum(dim, keepdim=True).sqrt().clamp(min=eps)
    return x / n


def one_hot(t, num_classes=-1):
    from .. import arange
    n = num_classes if num_classes > 0 else int(t.max().item()) + 1
    return (t.unsqueeze(-1) == arange(n)).long()


def __getattr__(name):
    from .._unsupported import missing
    raise missing("torch.nn.functional", name)
