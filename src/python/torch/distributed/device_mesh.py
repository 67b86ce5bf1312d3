"""torch.distributed.device_mesh: ranks laid out on an n-d grid, row-major as torch lays them
(`init_device_mesh("cuda", (2, 4), mesh_dim_names=("dp", "tp"))`: rank r sits at
(r // 4, r % 4); the "tp" group of rank 5 is [4, 5, 6, 7], its "dp" group [1, 5]).

A mesh holds no state of its own beyond the layout: its groups are torch.distributed process
groups over global ranks (`dist.new_group`), so every collective a DTensor runs on a mesh axis
goes through torch.distributed and lands in the ledger. Every rank builds the same mesh, so all
ranks agree on every group, as torch requires."""
from .. import _C
from .._unsupported import Unsupported


def _flat(nested):
    if isinstance(nested, (list, tuple)):
        out, shape = [], None
        for x in nested:
            f, s = _flat(x)
            if shape is not None and s != shape:
                raise ValueError("DeviceMesh: the mesh's rows must all have the same length")
            shape = s
            out.extend(f)
        return out, [len(nested)] + (shape or [])
    return [int(nested)], []


class DeviceMesh:
    """An n-d grid of global ranks (row-major); `mesh_dim_names` name its axes."""

    def __init__(self, device_type, mesh, *, mesh_dim_names=None, _init_backend=True, _ranks=None, _shape=None):
        if _ranks is None:
            if hasattr(mesh, "tolist"):
                mesh = mesh.tolist()
            _ranks, _shape = _flat(mesh)
        self.device_type = device_type
        self._ranks = list(_ranks)
        self._shape = tuple(_shape)
        if mesh_dim_names is not None:
            mesh_dim_names = tuple(mesh_dim_names)
            if len(mesh_dim_names) != len(self._shape):
                raise RuntimeError(f"mesh_dim_names {mesh_dim_names} must have one name per mesh dimension ({len(self._shape)})")
            if len(set(mesh_dim_names)) != len(mesh_dim_names):
                raise RuntimeError(f"Each mesh_dim_name must be unique. Found repeated mesh_dim_name in mesh_dim_names {mesh_dim_names}")
        self.mesh_dim_names = mesh_dim_names
        st = _C.state()
        if st.rank not in self._ranks:
            self._coord = None
        else:
            self._coord = self._coord_of(st.rank)

    # ------------------------------------------------------------------ layout
    def _coord_of(self, rank):
        i = self._ranks.index(rank)
        c = []
        for s in reversed(self._shape):
            c.append(i % s)
            i //= s
        return list(reversed(c))

    def _rank_at(self, coord):
        i = 0
        for c, s in zip(coord, self._shape):
            i = i * s + c
        return self._ranks[i]

    def _dim(self, mesh_dim):
        if mesh_dim is None:
            if len(self._shape) != 1:
                raise RuntimeError(f"Found the DeviceMesh have {len(self._shape)} dimensions. Optional kwarg `mesh_dim` needs to be specified when device_mesh.ndim > 1.")
            return 0
        if isinstance(mesh_dim, str):
            if not self.mesh_dim_names or mesh_dim not in self.mesh_dim_names:
                raise KeyError(f"Mesh dimension '{mesh_dim}' does not exist. Available mesh dimensions are: mesh_dim_names={self.mesh_dim_names}")
            return self.mesh_dim_names.index(mesh_dim)
        d = int(mesh_dim)
        if d < 0:
            d += len(self._shape)
        if d < 0 or d >= len(self._shape):
            raise IndexError(f"mesh_dim {mesh_dim} is out of range for a {len(self._shape)}-d DeviceMesh")
        return d

    def _group_ranks(self, dims):
        """Global ranks of this rank's slice along `dims` (the other coordinates fixed), row-major."""
        if self._coord is None:
            raise RuntimeError(f"rank {_C.state().rank} is not part of the DeviceMesh {self._ranks}")
        out = []

        def walk(k, coord):
            if k == len(dims):
                out.append(self._rank_at(coord))
                return
            for i in range(self._shape[dims[k]]):
                c = list(coord)
                c[dims[k]] = i
                walk(k + 1, c)
        walk(0, list(self._coord))
        return out

    # ------------------------------------------------------------------ torch's API
    @property
    def mesh(self):
        from .. import tensor
        return tensor(self._ranks).reshape(list(self._shape))

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def shape(self):
        return self._shape

    def size(self, mesh_dim=None):
        if mesh_dim is None:
            n = 1
            for s in self._shape:
                n *= s
            return n
        return self._shape[self._dim(mesh_dim)]

    def get_rank(self):
        return _C.state().rank

    def get_local_rank(self, mesh_dim=None):
        if self._coord is None:
            return -1
        return self._coord[self._dim(mesh_dim)]

    def get_coordinate(self):
        return None if self._coord is None else list(self._coord)

    def get_group(self, mesh_dim=None):
        """The process group of this rank's slice along `mesh_dim` (a torch.distributed group)."""
        from . import new_group
        return new_group(self._group_ranks([self._dim(mesh_dim)]))

    def get_all_groups(self):
        return [self.get_group(d) for d in range(self.ndim)]

    def __getitem__(self, names):
        """The sub-mesh of this rank along the named axes: mesh["tp"], mesh["dp", "tp"]."""
        if isinstance(names, str):
            names = (names,)
        names = tuple(names)
        if not self.mesh_dim_names:
            raise RuntimeError("Cannot slice a DeviceMesh without mesh_dim_names!")
        if names == self.mesh_dim_names:
            return self
        dims = []
        for n in names:
            if n not in self.mesh_dim_names:
                raise KeyError(f"Invalid mesh_dim_names {names} specified. Valid mesh_dim_names are {self.mesh_dim_names}.")
            dims.append(self.mesh_dim_names.index(n))
        if dims != sorted(dims):
            raise KeyError(f"Invalid mesh_dim_names {names} specified. Found mesh dim indices to slice: {dims}. Mesh dim indices should be in ascending order.")
        ranks = self._group_ranks(dims)
        return DeviceMesh(self.device_type, None, mesh_dim_names=names, _ranks=ranks, _shape=[self._shape[d] for d in dims])

    def _flatten(self, mesh_dim_name=None):
        """This (sub-)mesh as one axis (torchtitan's mesh["dp", "cp"]._flatten("dp_cp"))."""
        name = mesh_dim_name or "_".join(self.mesh_dim_names or ("flat",))
        return DeviceMesh(self.device_type, None, mesh_dim_names=(name,), _ranks=list(self._ranks), _shape=[self.size()])

    def __eq__(self, other):
        return isinstance(other, DeviceMesh) and other._ranks == self._ranks and other._shape == self._shape

    def __hash__(self):
        return hash((tuple(self._ranks), self._shape))

    def __repr__(self):
        m = self.mesh.tolist() if _C.state().meta is False else self._ranks
        names = f", mesh_dim_names={self.mesh_dim_names}" if self.mesh_dim_names else ""
        return f"DeviceMesh('{self.device_type}', {m}{names})"


def init_device_mesh(device_type, mesh_shape, *, mesh_dim_names=None, backend_override=None):
    """A mesh over all ranks: `mesh_shape`'s product must be the world size. Initializes the
    default process group if the script has not (as torch does)."""
    from . import is_initialized, init_process_group, get_world_size
    if isinstance(mesh_shape, int):
        mesh_shape = (mesh_shape,)
    shape = tuple(int(s) for s in mesh_shape)
    if mesh_dim_names is not None and len(tuple(mesh_dim_names)) != len(shape):
        raise RuntimeError(f"mesh_shape and mesh_dim_names should have same length! Found len(mesh_dim_names): {len(tuple(mesh_dim_names))} and len(mesh_shape):{len(shape)}.")
    if not is_initialized():
        init_process_group()
    world = get_world_size()
    n = 1
    for s in shape:
        n *= s
    if n != world:
        raise RuntimeError(f"init_device_mesh: mesh_shape {shape} holds {n} ranks but the world size is {world} "
                           f"(--nproc-per-node {world}): make the product of mesh_shape equal the world size")
    st = _C.state()
    if getattr(st, "device_mesh", None) is None:   # the report's mesh line: the first mesh over the world
        names = [str(a) for a in mesh_dim_names] if mesh_dim_names is not None else [f"dim{i}" for i in range(len(shape))]
        st.device_mesh = {"shape": list(shape), "names": names}
    return DeviceMesh(device_type, None, mesh_dim_names=mesh_dim_names, _ranks=list(range(n)), _shape=shape)


__all__ = ["DeviceMesh", "init_device_mesh"]
