"""Seed 000 Problem 4: attention and MLP parallelized by module name."""
from parallel_layers import ColumnParallelLinear, RowParallelLinear


def _is_self_attention(name):
    return ".self_attn." in name


def _is_attention_projection(name):
    return name.endswith(("q_proj", "k_proj", "v_proj"))


def _is_mlp_up_projection(name):
    return name.endswith("up_proj")


def split_weights(model, tp):
    """weights[name]['weight'][i]: tensor-parallel rank i's piece of each linear layer."""
    weights = {}
    for name, module in model.named_modules():
        if not name.endswith("_proj"):
            continue
        column = _is_attention_projection(name) or _is_mlp_up_projection(name)
        w = module.weight.detach()
        weights[name] = {"weight": w.chunk(tp, 0 if column else 1)}
        if column:
            weights[name]["bias"] = module.bias.detach().chunk(tp, 0)
    return weights


def parallelize(model, weights, tp_rank, comm_utils):
    modules_to_replace = {}
    for name, module in model.named_modules():
        if not name.endswith("_proj"):
            continue
        if _is_self_attention(name):
            if _is_attention_projection(name):
                split_weight_tensor = weights[name]["weight"][tp_rank]
                split_bias_tensor = weights[name]["bias"][tp_rank] if module.bias is not None else None
                modules_to_replace[name] = ColumnParallelLinear(split_weight_tensor, split_bias_tensor, comm_utils)
            else:
                modules_to_replace[name] = RowParallelLinear(weights[name]["weight"][tp_rank], module.bias, comm_utils)
        else:
            if _is_mlp_up_projection(name):
                split_weight_tensor = weights[name]["weight"][tp_rank]
                split_bias_tensor = weights[name]["bias"][tp_rank] if module.bias is not None else None
                modules_to_replace[name] = ColumnParallelLinear(split_weight_tensor, split_bias_tensor, comm_utils)
            else:
                modules_to_replace[name] = RowParallelLinear(weights[name]["weight"][tp_rank], module.bias, comm_utils)
    for name, new in modules_to_replace.items():
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent), child, new)
    return model
