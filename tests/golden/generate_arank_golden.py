#!/usr/bin/env python3
"""ARank golden values (γ-MoD, docs/methods.md §3.2) for the llava-hf-f32 golden case.

For each decoder layer: the causal softmax attention probabilities of every head, computed in float32 from that
layer's input hidden states (decoder_hidden_states.npy, written by generate_llava_golden.py) with the layer's
input_layernorm, q_proj, k_proj and rotary embedding; the diagonal set to 0; torch.linalg.matrix_rank with its
default tolerance on the float32 matrix; ARank = mean over heads. Run from the repo root:

    /usr/bin/python3 tests/golden/generate_arank_golden.py
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as gg  # noqa: E402

CASE = os.path.join("tests", "src", "test", "resources", "golden", "llava-hf-f32")


def main() -> int:
    cfg = json.load(open(os.path.join(CASE, "config.json")))
    text = cfg["text_config"]
    d, heads, kv = text["hidden_size"], text["num_attention_heads"], text["num_key_value_heads"]
    hd = d // heads
    eps = text["rms_norm_eps"]
    theta = text.get("rope_theta", 10000.0)
    tensors = gg.read_safetensors(os.path.join(CASE, "model.safetensors"))
    w = {k: torch.from_numpy(np.array(v[2], dtype=np.float32)).reshape(v[1]) for k, v in tensors.items()}
    hidden = torch.from_numpy(np.load(os.path.join(CASE, "decoder_hidden_states.npy")))
    n = hidden.shape[1]
    positions = torch.arange(n, dtype=torch.float32)
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    angles = positions[:, None] * inv[None, :]
    emb = torch.cat([angles, angles], dim=-1)
    cos, sin = emb.cos(), emb.sin()
    ranks = []
    for layer in range(text["num_hidden_layers"]):
        p = "language_model.model.layers.%d." % layer
        x = hidden[layer].float()
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w[p + "input_layernorm.weight"]
        q = (normed @ w[p + "self_attn.q_proj.weight"].T).view(n, heads, hd).transpose(0, 1)
        k = (normed @ w[p + "self_attn.k_proj.weight"].T).view(n, kv, hd).transpose(0, 1)
        q = q * cos + gg.rotate_half(q) * sin
        k = k * cos + gg.rotate_half(k) * sin
        k = k.repeat_interleave(heads // kv, dim=0)
        scores = q @ k.transpose(1, 2) / (hd ** 0.5)
        mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
        probs = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        per_head = []
        for h in range(heads):
            a = probs[h] * torch.tril(torch.ones(n, n))
            a.fill_diagonal_(0)
            per_head.append(int(torch.linalg.matrix_rank(a.float())))
        ranks.append({"layer": layer, "head_ranks": per_head, "arank": float(np.mean(per_head))})
    out = {"case": "llava-hf-f32", "input": "decoder_hidden_states.npy (layer inputs of the golden prompt)",
           "sequence_length": n, "layers": ranks}
    with open(os.path.join(CASE, "arank.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps([r["arank"] for r in ranks]), [r["head_ranks"] for r in ranks])
    return 0


if __name__ == "__main__":
    sys.exit(main())
