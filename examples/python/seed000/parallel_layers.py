"""Seed 000 Problem 3: Column- and Row-parallel linear layers with torch's layout (weight [out, in])."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CopyToTensorParallelRegion(torch.autograd.Function):
    """Megatron's f: identity forward; all-reduce of the input gradient backward."""

    @staticmethod
    def forward(ctx, x, comm_utils):
        ctx.comm_utils = comm_utils
        return x

    @staticmethod
    def backward(ctx, grad):
        return ctx.comm_utils.all_reduce(grad), None


class ColumnParallelLinear(nn.Module):
    """Y_i = X A_iᵀ + b_i: A [out, in] split along dim 0 (output features); fwd: none (all-gather
    along the last dim if gather_output); bwd: all-reduce of dX (through f)."""

    def __init__(self, weight, bias, comm_utils, gather_output=False):
        super().__init__()
        self.weight = nn.Parameter(weight)                    # [out/tp, in]
        self.bias = nn.Parameter(bias) if bias is not None else None
        self.comm_utils = comm_utils
        self.gather_output = gather_output

    def forward(self, input):
        input = CopyToTensorParallelRegion.apply(input, self.comm_utils)
        output = F.linear(input, self.weight)                 # [B, S, out/tp]
        if self.bias is not None:
            output += self.bias
        if self.gather_output:
            output = self.comm_utils.all_gather(output)       # [B, S, out]
        return output


class RowParallelLinear(nn.Module):
    """Y = Σ_i X_i A_iᵀ + b: A [out, in] split along dim 1 (input features); fwd: all-reduce of
    the partial products, the bias added once after it; bwd: none."""

    def __init__(self, weight, bias, comm_utils):
        super().__init__()
        self.weight = nn.Parameter(weight)                    # [out, in/tp]
        self.bias = nn.Parameter(bias.detach().clone()) if bias is not None else None
        self.comm_utils = comm_utils

    def forward(self, input):
        output = F.linear(input, self.weight)                 # [B, S, out] partial sum
        output = self.comm_utils.all_reduce(output)
        if self.bias is not None:
            output += self.bias
        return output
