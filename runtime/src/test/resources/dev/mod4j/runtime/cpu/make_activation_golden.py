"""Golden values of the activations of transformers' ACT2FN (activations.py), computed with PyTorch.

Run with any Python that has torch (Debian's python3-torch 1.13 was used):
    python3 make_activation_golden.py > activations_golden.json
Formulas are transformers' own (src/transformers/activations.py, v4.46); the torch.nn functions are used where
ACT2FN maps a name to one.
"""
import json
import math

import torch
import torch.nn.functional as F

x = torch.tensor([-30.0, -12.0, -6.5, -3.0, -1.5, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 1.5, 3.0, 6.5, 12.0, 30.0],
                 dtype=torch.float32)


def gelu_new(v):
    return 0.5 * v * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * torch.pow(v, 3.0))))


ACT = {
    "gelu": lambda v: F.gelu(v),
    "gelu_python": lambda v: v * 0.5 * (1.0 + torch.erf(v / math.sqrt(2.0))),
    "gelu_10": lambda v: torch.clip(F.gelu(v), -10, 10),
    "gelu_fast": lambda v: 0.5 * v * (1.0 + torch.tanh(v * 0.7978845608 * (1.0 + 0.044715 * v * v))),
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": lambda v: F.gelu(v, approximate="tanh"),
    "gelu_accurate": lambda v: 0.5 * v * (1 + torch.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * torch.pow(v, 3)))),
    "laplace": lambda v: 0.5 * (1.0 + torch.erf((v - 0.707107).div(0.282095 * math.sqrt(2.0)))),
    "leaky_relu": lambda v: F.leaky_relu(v),
    "linear": lambda v: v,
    "mish": lambda v: F.mish(v),
    "quick_gelu": lambda v: v * torch.sigmoid(1.702 * v),
    "relu": lambda v: F.relu(v),
    "relu2": lambda v: torch.square(F.relu(v)),
    "relu6": lambda v: F.relu6(v),
    "sigmoid": lambda v: torch.sigmoid(v),
    "silu": lambda v: F.silu(v),
    "swish": lambda v: F.silu(v),
    "tanh": lambda v: torch.tanh(v),
}

print(json.dumps({"torch": torch.__version__, "x": x.tolist(),
                  "y": {name: f(x).tolist() for name, f in ACT.items()}}, indent=1))
