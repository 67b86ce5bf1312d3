"""torch dtypes, and the core's name for each. Numbers are computed in float32 (float types) or
int32 (integer types) on TensorFlow.js; the dtype a person declares sets bytes, memory and time."""


class dtype:
    __slots__ = ("name", "core", "itemsize", "is_floating_point", "is_complex", "is_signed")

    def __init__(self, name, core, itemsize, is_float):
        self.name = name
        self.core = core
        self.itemsize = itemsize
        self.is_floating_point = is_float
        self.is_complex = False
        self.is_signed = name != "bool"

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


float32 = dtype("float32", "float32", 4, True)
float = float32
bfloat16 = dtype("bfloat16", "bfloat16", 2, True)
float16 = dtype("float16", "float16", 2, True)
half = float16
int64 = dtype("int64", "int64", 8, False)
long = int64
int32 = dtype("int32", "int32", 4, False)
int = int32
bool = dtype("bool", "bool", 1, False)
float64 = dtype("float64", "float32", 8, True)  # computed in float32 (TensorFlow.js has no float64)
double = float64

_by_core = {"float32": float32, "bfloat16": bfloat16, "float16": float16, "int64": int64, "int32": int32, "bool": bool}
_default = [float32]


def from_core(name):
    return _by_core[name]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    _default[0] = d
