import torch
x = torch.ones(3)
if x.sum() > 1
    print(x)
