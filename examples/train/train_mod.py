"""Fine-tunes the trained dense tiny LLaVA into a p-MoD or a γ-MoD model, as each paper's training code does, and
writes it in the llava-hf layout with the router tensors and config fields mod4j's `pmod` / `gmod` schedules read.

    /usr/bin/python3 examples/train/train_mod.py --method pmod --dense DIR --out DIR [--steps 150]
    /usr/bin/python3 examples/train/train_mod.py --method gmod --dense DIR --out DIR [--steps 150]

p-MoD (MCG-NJU/p-MoD @459f6df, llava/model/language_model/pmod_llava_llama.py, ModLayer.forward; docs/methods.md §4):
MoD layers where the shifted-cosine progressive ratio decay R_l = cos(pi l/(L-1))/2 + 0.5 is <= 0.85, each keeping
trunc(64 max(R_l, 0.15)) image tokens; a zero-initialised Linear(d, 1) router per MoD layer on the raw residual
stream, TanhNorm w = 0.2 tanh(r) + 1; the top-k image tokens by w and every text token run the layer at their
original positions, attending only to each other; STRing: a kept image token's MLP output and a skipped one's whole
state are scaled by w. (mod4j divides by L-1 where the released code hard-codes 31, docs/methods.md §4.11.)

γ-MoD (Yaxin9Luo/Gamma-MOD @5de27f2, gamma_mod/model/language_model/llava_llama_mod.py,
MoDLlamaDecoderLayer_forward; docs/methods.md §3): the MoD layers are the dense model's lowest-ARank half (mean over
heads of the numerical rank of each head's attention map with its diagonal zeroed, over validation samples); one
shared Linear(d, 2, bias=False) router on each MoD layer's input_layernorm output, p = softmax(.)[1]; masked routing:
every token after the system + image prefix gets +1, the top ceil(N - 0.5 P) by p + bonus run the layer with
renumbered positions, attending only to each other, their MLP output scaled by p; the others pass unchanged; an
auxiliary cross-entropy between the router logits and the kept/skipped outcome, coefficient 0.01 summed over layers.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import shapes_vqa as sv
import tiny_llava as tl
import train_dense as td

PMOD_MAX, PMOD_MIN, PMOD_FACTOR, PMOD_ALPHA, PMOD_BETA = 0.85, 0.15, 0.5, 0.2, 1.0
GMOD_AUX = 0.01


def pmod_ratios(layers):
    """{layer: retention ratio} of the MoD layers, in p-MoD's order of operations."""
    out = {}
    for l in range(layers):
        raw = math.cos(l * math.pi / (layers - 1)) / 2 + PMOD_FACTOR
        if raw <= PMOD_MAX:
            out[l] = max(raw, PMOD_MIN)
    return out


def prefix_length(model):
    """System + image prefix of every prompt: bos, '▁USER:', '▁', then the image rows."""
    return 3 + model.s.image_tokens


class PMod(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.ratios = pmod_ratios(model.s.layers)
        self.routers = nn.ModuleDict({str(l): nn.Linear(model.s.d, 1) for l in self.ratios})
        for r in self.routers.values():
            nn.init.zeros_(r.weight)
            nn.init.zeros_(r.bias)

    def forward(self, ids, pixels, rows=None):
        m = self.model
        x = m.embed(ids, pixels)
        b, n = ids.shape
        pos = torch.arange(n).expand(b, n)
        causal = torch.ones(n, n, dtype=torch.bool).tril()[None, None]
        image = ids == m.s.image_token_index
        for l, layer in enumerate(m.layers):
            if l not in self.ratios:
                x = layer(x, pos, causal.expand(b, 1, n, n))
                continue
            w = PMOD_ALPHA * torch.tanh(self.routers[str(l)](x).squeeze(-1)) + PMOD_BETA
            k = int(m.s.image_tokens * self.ratios[l])
            top = w.masked_fill(~image, float("-inf")).topk(k, dim=1).indices
            kept = torch.zeros_like(image).scatter(1, top, True)
            processed = ~image | kept
            a = x + layer.attention(x, pos, causal & processed[:, None, None, :])
            f = layer.feed_forward(a)
            wv = w[..., None]
            x = torch.where((processed & ~image)[..., None], a + f,
                            torch.where(kept[..., None], a + wv * f, wv * x))
        return m.logits(x if rows is None else x[rows])

    def tensors(self):
        state = dict(self.model.state_dict())
        for l, r in self.routers.items():
            state[f"language_model.model.layers.{l}.router.router.weight"] = r.weight
            state[f"language_model.model.layers.{l}.router.router.bias"] = r.bias
        return state

    def config(self):
        return {"mod_target_layers": f"shiftedcos_decay_{PMOD_MAX}_{PMOD_MIN}", "mod_target_token_type": "vision_all",
                "mod_router_factor": PMOD_FACTOR, "mod_weight_norm": "tanh_0.2_1", "mod_bias_enabled": True,
                "mod_target_layer_indices": sorted(self.ratios)}


class GammaMod(nn.Module):
    def __init__(self, model, mod_layers):
        super().__init__()
        self.model = model
        self.mod_layers = sorted(mod_layers)
        self.router = nn.Linear(model.s.d, 2, bias=False)
        nn.init.normal_(self.router.weight, std=0.02)
        self.aux = torch.zeros(())

    def forward(self, ids, pixels, rows=None):
        m = self.model
        x = m.embed(ids, pixels)
        b, n = ids.shape
        pos = torch.arange(n).expand(b, n)
        causal = torch.ones(n, n, dtype=torch.bool).tril()[None, None]
        prefix = prefix_length(m)
        bonus = (torch.arange(n) >= prefix).float().expand(b, n)
        k = int(math.ceil(n * (1 - prefix * 0.5 / n)))
        aux = torch.zeros(())
        for l, layer in enumerate(m.layers):
            if l not in self.mod_layers:
                x = layer(x, pos, causal.expand(b, 1, n, n))
                continue
            logits = self.router(tl.rms_norm(x, layer.input_layernorm.weight))
            p = F.softmax(logits, dim=-1)[..., 1]
            top = (p + bonus).topk(k, dim=1).indices
            kept = torch.zeros(b, n, dtype=torch.bool).scatter(1, top, True)
            renumbered = kept.long().cumsum(1) - 1
            a = x + layer.attention(x, renumbered, causal & kept[:, None, None, :])
            y = a + p[..., None] * layer.feed_forward(a)
            x = torch.where(kept[..., None], y, x)
            aux = aux + F.cross_entropy(logits.reshape(-1, 2), kept.reshape(-1).long())
        self.aux = GMOD_AUX * aux
        return m.logits(x if rows is None else x[rows])

    def tensors(self):
        state = dict(self.model.state_dict())
        for l in self.mod_layers:
            state[f"language_model.model.layers.{l}.router.weight"] = self.router.weight
        return state

    def config(self):
        return {"mod": {"mod_enable": True, "mod_mode": "arank_mod", "mod_layers_idx": self.mod_layers,
                        "capacity_factor": 0.5, "router_aux_loss_coef": GMOD_AUX}}


@torch.no_grad()
def arank(model, samples=8):
    """γ-MoD's ARank per layer: mean over heads of rank(A_h with zero diagonal), averaged over validation prompts."""
    s = model.s
    totals = [0.0] * s.layers
    for i in range(samples):
        scene, q, _, _ = sv.sample("val", i)
        ids = torch.tensor([model_tok.prompt_ids(q, s.image_tokens)])
        x = model.embed(ids, tl.pixel_values(sv.draw_scene(scene))[None])
        n = ids.shape[1]
        pos = torch.arange(n)[None]
        mask = torch.ones(n, n, dtype=torch.bool).tril()[None, None]
        for l, layer in enumerate(model.layers):
            a = layer.self_attn
            h = tl.rms_norm(x, layer.input_layernorm.weight)
            q_ = tl.rope(a.q_proj(h).view(1, n, s.heads, s.head_dim).transpose(1, 2), pos, s.rope_theta)
            k_ = tl.rope(a.k_proj(h).view(1, n, s.kv_heads, s.head_dim).transpose(1, 2), pos, s.rope_theta)
            k_ = k_.repeat_interleave(s.heads // s.kv_heads, dim=1)
            att = torch.softmax(((q_ @ k_.transpose(-1, -2)) / math.sqrt(s.head_dim)).masked_fill(~mask, -1e30), -1)
            att = att[0] * (1 - torch.eye(n))
            totals[l] += sum(int(torch.linalg.matrix_rank(att[h])) for h in range(s.heads)) / s.heads
            x = layer(x, pos, mask)
    return [t / samples for t in totals]


model_tok = None


def main():
    global model_tok
    p = argparse.ArgumentParser()
    p.add_argument("--method", choices=["pmod", "gmod"], required=True)
    p.add_argument("--dense", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--val-every", type=int, default=100)
    p.add_argument("--types", default="colour+shape+digit+count+relation+echo+locate",
                   help="the questions' types, as the dense model's last stage was trained (train_dense.py)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(4321)
    model, tok, _, _ = tl.load_checkpoint(a.dense)
    model_tok = tok
    # the tower stays as the dense model's training left it (LLaVA never trains CLIP; p-MoD and γ-MoD fine-tune
    # the projector and the language model)
    model.vision_tower.requires_grad_(False)
    info = {}
    if a.method == "pmod":
        wrapper = PMod(model)
        info["mod_layers"] = {str(l): r for l, r in wrapper.ratios.items()}
    else:
        ranks = arank(model)
        # γ-MoD's released arank_mod keeps the first layers and the last dense; of the others, the lowest-ARank
        # ones (half of the model's layers) become MoD layers
        candidates = range(1, len(ranks) - 1)
        chosen = sorted(sorted(candidates, key=lambda l: (ranks[l], l))[:len(ranks) // 2])
        print("ARank per layer", [round(r, 2) for r in ranks], "-> MoD layers", chosen, flush=True)
        wrapper = GammaMod(model, chosen)
        info.update({"arank": ranks, "mod_layers": chosen})
    model.train()

    class Both(nn.Module):  # one parameter list for the optimizer: the model and the routers
        def __init__(self):
            super().__init__()
            self.w = wrapper

    both = Both()
    both.s = model.s
    done = {}

    def save(step, accuracy, seconds):
        tl.save_checkpoint(model, tok, a.out, extra_config=wrapper.config(), tensors=wrapper.tensors())
        with open(os.path.join(a.out, "training.json"), "w") as f:
            json.dump({"script": "examples/train/train_mod.py", "method": a.method, "dense": "shapes-llava",
                       "steps": a.steps, "steps_done": step + 1, "batch": a.batch, "lr": a.lr, "threads": a.threads, "types": a.types,
                       "train_seconds": round(seconds), "val_first_token_accuracy": round(accuracy, 4),
                       "torch": torch.__version__, **info}, f, indent=2)
            f.write("\n")

    extra = (lambda: wrapper.aux) if a.method == "gmod" else None
    seconds = td.train(both, tok, a.steps, a.batch, a.lr, lambda m: print(m, flush=True), seed=1,
                       forward=wrapper, extra_loss=extra, val_every=a.val_every, on_val=save, warmup=20,
                       max_turns=1, type_stages=[(a.steps, sv.check_types("--types", a.types.split("+")))])
    print(f"fine-tuned in {seconds:.0f}s; wrote {a.out}", flush=True)


if __name__ == "__main__":
    main()
