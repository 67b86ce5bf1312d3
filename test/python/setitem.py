"""x[idx] = v in place, as torch: ints, slices, `...`, strided slices with a number, a boolean mask,
a tensor broadcast into a region, and the gradient through the write (to x outside the region, to v
inside it). Compared with real torch (test/runner/python/run-python.test.ts AGAINST_TORCH)."""
import torch


def show(name, t):
    print(name + " " + " ".join(f"{v:.6e}" for v in t.detach().flatten().tolist()))


def main():
    torch.manual_seed(3)
    y = torch.arange(12).reshape(3, 4)
    y[0, 0] = -100
    y[1] = 7
    y[..., -1] = 5
    y[::2, 1:3] = torch.tensor([11, 12])
    show("ints", y.float())
    x = torch.randn(4, 5)
    x[x > 0.5] = 0.0
    x[:, ::2] = 1.5
    x[1:3, 1:4] = torch.ones(2, 3) * 2.5
    x[-1] = torch.arange(5).float()
    show("floats", x)
    a = torch.randn(3, 4, requires_grad=True)
    v = torch.randn(2, requires_grad=True)
    h = a * 2  # a non-leaf, written in place
    h[1, 1:3] = v
    h[0] = h[0] * 3
    loss = (h * torch.arange(12).reshape(3, 4).float()).sum()
    loss.backward()
    show("loss", loss)
    show("grad_a", a.grad)
    show("grad_v", v.grad)


if __name__ == "__main__":
    main()
