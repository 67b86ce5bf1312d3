"""torch.distributed.tensor.parallel: tensor parallelism as plans of styles on a device mesh."""
from .api import parallelize_module
from .style import (ParallelStyle, ColwiseParallel, RowwiseParallel, SequenceParallel,
                    PrepareModuleInput, PrepareModuleOutput)

__all__ = ["parallelize_module", "ParallelStyle", "ColwiseParallel", "RowwiseParallel", "SequenceParallel",
           "PrepareModuleInput", "PrepareModuleOutput"]
