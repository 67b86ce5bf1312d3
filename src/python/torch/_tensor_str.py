"""How torch prints a tensor (`print(t)`, `repr(t)`), with its default print options: 4 decimals;
integer-valued floats as `1.`; scientific notation when the nonzero magnitudes span more than
1000×, exceed 1e8 or go below 1e-4; every element right-aligned to the widest; rows wrapped at
80 columns; more than 1000 elements summarized to 3 at each edge; nested dims one more space
in, separated by as many blank lines as the dims below them; `dtype=`, `requires_grad=True`,
`grad_fn=<...>` suffixes wrapped to the line width.

Works on the nested lists `tolist()` gives (the values are the rank's, read once)."""
import math

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


def _flat(v, out):
    if isinstance(v, list):
        for x in v:
            _flat(x, out)
    else:
        out.append(v)
    return out


def _summarized(v, depth):
    """The edges of each dim (3 items each side), as torch formats a summarized tensor."""
    if not isinstance(v, list):
        return v
    if len(v) > 2 * EDGEITEMS:
        v = v[:EDGEITEMS] + v[-EDGEITEMS:]
    return [_summarized(x, depth + 1) for x in v]


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not floating:
            for x in values:
                self.width = max(self.width, len(str(int(x)) if not isinstance(x, bool) else str(x)))
            return
        finite = [x for x in values if math.isfinite(x) and x != 0]
        if not finite:
            return  # zeros, infinities and NaNs only: no padding (width 1), as torch
        mags = [abs(x) for x in finite]
        lo, hi = min(mags), max(mags)
        self.int_mode = all(x == math.ceil(x) for x in finite)
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                for x in finite:
                    self.width = max(self.width, len(f"{x:.{PRECISION}e}"))
            else:
                for x in finite:
                    self.width = max(self.width, len(f"{x:.0f}") + 1)
        elif hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
            self.sci_mode = True
            for x in finite:
                self.width = max(self.width, len(f"{x:.{PRECISION}e}"))
        else:
            for x in finite:
                self.width = max(self.width, len(f"{x:.{PRECISION}f}"))

    def _plain(self, x):
        if not self.floating:
            return str(x)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if self.sci_mode:
            return f"{x:.{PRECISION}e}"
        if self.int_mode:
            return f"{x:.0f}."
        return f"{x:.{PRECISION}f}"

    def format(self, x):
        s = self._plain(x)
        return " " * (self.width - len(s)) + s


def _vector(v, indent, summarize, fmt):
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / (fmt.width + 2))))
    if summarize and len(v) > 2 * EDGEITEMS:
        data = [fmt.format(x) for x in v[:EDGEITEMS]] + [" ..."] + [fmt.format(x) for x in v[-EDGEITEMS:]]
    else:
        data = [fmt.format(x) for x in v]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(v, dim, indent, summarize, fmt):
    if dim == 0:
        return fmt.format(v)
    if dim == 1:
        return _vector(v, indent, summarize, fmt)
    if summarize and len(v) > 2 * EDGEITEMS:
        parts = [_nested(x, dim - 1, indent + 1, summarize, fmt) for x in v[:EDGEITEMS]] + ["..."] + \
                [_nested(x, dim - 1, indent + 1, summarize, fmt) for x in v[-EDGEITEMS:]]
    else:
        parts = [_nested(x, dim - 1, indent + 1, summarize, fmt) for x in v]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_str(values, shape, floating, suffixes):
    """`tensor(...)` for nested `values` of `shape`, with `suffixes` ("dtype=torch.int32", ...)."""
    prefix = "tensor("
    indent = len(prefix)
    numel = 1
    for d in shape:
        numel *= d
    if numel == 0:
        body = "[]"
        if len(shape) != 1:
            suffixes = [f"size={tuple(shape)}"] + suffixes
    else:
        summarize = numel > THRESHOLD
        seen = _summarized(values, 0) if summarize else values
        fmt = _Formatter(_flat(seen, []) if isinstance(seen, list) else [seen], floating)
        body = _nested(values, len(shape), indent, summarize, fmt)
    text = prefix + body
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    parts.append(")")
    return "".join(parts)
