"""Make this folder's fixtures with PyTorch: an FFN's state dict and a batch, saved as torch saves them.

    /usr/bin/python3 examples/torch_batch/make_fixture.py   # Debian: apt-get install python3-torch

Writes (next to this file):
  ffn_torch.safetensors  fc1.weight [64, 16], fc1.bias [64], fc2.weight [16, 64], fc2.bias [16]:
                         nn.Linear's state dict, weights [out, in]; metadata {"format": "pt"}
  batch.safetensors      input [2, 4, 16] and labels [2, 4, 16]
  input.npy              the same input, by numpy.save
  expected.json          torch's loss (mean squared error, GeLU tanh) and output on this batch
Debian's torch 1.13 has no safetensors package, so the file is written by the ten lines of
save_safetensors below (the format: u64 header length, JSON header, little-endian data).
"""
import json, os, struct
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(3)
B, S, H = 2, 4, 16


class FFN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(H, 4 * H)
        self.fc2 = nn.Linear(4 * H, H)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


def save_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


model = FFN()
x = torch.randn(B, S, H)
y = torch.randn(B, S, H)
out = model(x)
loss = F.mse_loss(out, y)
save_safetensors(os.path.join(HERE, "ffn_torch.safetensors"), model.state_dict(), {"format": "pt"})
save_safetensors(os.path.join(HERE, "batch.safetensors"), {"input": x, "labels": y}, {"format": "pt"})
np.save(os.path.join(HERE, "input.npy"), x.numpy())
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"torch": torch.__version__, "loss": loss.item(), "output": out.detach().flatten().tolist()}, f)
print(f"loss {loss.item():.6f}; fc1.weight {list(model.fc1.weight.shape)} (nn.Linear: [out, in])")
