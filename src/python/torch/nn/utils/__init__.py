"""torch.nn.utils: gradient clipping over the parameters' gradients."""


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    from ... import no_grad, stack
    ps = [p for p in ([parameters] if hasattr(parameters, "_t") else parameters) if p.grad is not None]
    if not ps:
        from ... import tensor
        return tensor(0.0)
    with no_grad():
        total = stack([(p.grad * p.grad).sum() for p in ps]).sum().sqrt()
        coef = (total + 1e-6).reciprocal() * float(max_norm)
        c = coef.clamp(max=1.0)
        for p in ps:
            p.grad = p.grad * c
    return total


def parameters_to_vector(parameters):
    from ... import cat
    return cat([p.reshape(-1) for p in parameters])
