import torch
x = torch.ones(3)
y = torch.fft.fft(x)
