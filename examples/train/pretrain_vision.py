"""Pretrains the tiny LLaVA's vision tower on Shapes VQA scenes before the language model sees it.

LLaVA never trains its vision tower: it starts from CLIP, pretrained on image-text pairs, and keeps it frozen. This
is that stage at the demo's scale. A contrastive objective over a few thousand scenes would not fit the budget, so
the tower learns from a dense supervised one instead: linear heads on every patch's features (hidden_states[-2], the
layer LLaVA takes) predict what lies in the patch's grid cell (colour, kind, digit: "none" for an empty cell) and
where the cell is (row, column). 64 labelled patches per scene instead of a few answer tokens: the tower learns what
objects look like and where they are in a few hundred steps, and the language model is then left only the binding
of the question's words to those features. The heads are dropped; only the tower is kept.

    /opt/refenv/bin/python examples/train/pretrain_vision.py --out tower.pt [--steps 600] [--threads 2]
"""
import argparse
import json
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import shapes_vqa as sv
import tiny_llava as tl

KINDS = ["none"] + sv.SHAPES + ["digit"]
COLOURS = ["none"] + list(sv.COLOURS)
DIGITS = ["none"] + list("0123456789")
HEADS = {"colour": len(COLOURS), "kind": len(KINDS), "digit": len(DIGITS), "row": sv.GRID, "column": sv.GRID}


def patch_labels(scene, side):
    """Per patch (row-major over the side×side patch grid), the labels of the grid cell the patch lies in."""
    cells = {(o["row"], o["col"]): o for o in scene["objects"]}
    per_cell = side // sv.GRID
    out = {k: [] for k in HEADS}
    for py in range(side):
        for px in range(side):
            r, c = py // per_cell, px // per_cell
            o = cells.get((r, c))
            out["colour"].append(0 if o is None else COLOURS.index(o["colour"]))
            out["kind"].append(0 if o is None else KINDS.index(o["kind"]))
            out["digit"].append(0 if o is None or o["digit"] is None else DIGITS.index(o["digit"]))
            out["row"].append(r)
            out["column"].append(c)
    return out


class PatchHeads(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.heads = nn.ModuleDict({k: nn.Linear(width, n) for k, n in HEADS.items()})

    def forward(self, features):
        return {k: h(features) for k, h in self.heads.items()}


def scenes_batch(split, indices, side, min_objects=1, max_objects=6):
    scenes = [sv.make_scene(sv.rng_for(split, i), min_objects, max_objects) for i in indices]
    pixels = torch.stack([tl.pixel_values(sv.draw_scene(s)) for s in scenes])
    labels = {k: torch.tensor([patch_labels(s, side)[k] for s in scenes]) for k in HEADS}
    return pixels, labels


def losses(features, heads, pixels, labels):
    logits = heads(features(pixels))
    loss = sum(F.cross_entropy(logits[k].flatten(0, 1), labels[k].flatten()) for k in HEADS)
    accuracy = {k: (logits[k].argmax(-1) == labels[k]).float().mean().item() for k in HEADS}
    return loss, accuracy


def pretrain(model, steps, batch_size, lr, log, seed=0, val_every=100, with_projector=False):
    """Trains model.vision_tower (with the projector: heads on the projector's output) and throw-away heads in
    place; returns the last validation accuracies."""
    tower = model.vision_tower.vision_model
    side = model.s.image // model.s.patch
    heads = PatchHeads(model.s.d if with_projector else model.s.vd)
    params = list(tower.parameters()) + list(heads.parameters())
    if with_projector:
        params += list(model.multi_modal_projector.parameters())
    features = model.image_features if with_projector else (lambda pixels: tower.features(pixels, -2))
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.98), weight_decay=0.05)
    torch.manual_seed(seed)
    start, index, acc = time.time(), 0, {}
    val = scenes_batch("val", range(200), side, 3, 6)
    for step in range(steps):
        warm = min(1.0, (step + 1) / 50)
        for g in opt.param_groups:
            g["lr"] = lr * warm * 0.5 * (1 + torch.cos(torch.tensor(torch.pi * step / steps)).item())
        pixels, labels = scenes_batch("pretrain", range(index, index + batch_size), side)
        index += batch_size
        loss, _ = losses(features, heads, pixels, labels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if (step + 1) % val_every == 0 or step == steps - 1:
            with torch.no_grad():
                _, acc = losses(features, heads, *val)
            log(f"tower step {step + 1} loss {loss.item():.4f} {time.time() - start:.0f}s val per-patch "
                + " ".join(f"{k}={v:.3f}" for k, v in acc.items()))
    return acc, time.time() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True, help="the tower's state dict (torch.save) and OUT.json beside it")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--vision-layers", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--with-projector", action="store_true",
                   help="pretrain the projector with the tower (the heads read its output); both are saved")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1234 + a.seed)
    tok = tl.task_tokenizer()
    model = tl.TinyLlava(tl.Shape(tok.size, tok.image_id, vd=a.width, vmlp=a.width * 2, vlayers=a.vision_layers))
    tl.init_sincos_positions(model, 0.3)
    acc, seconds = pretrain(model, a.steps, a.batch, a.lr, lambda m: print(m, flush=True), a.seed,
                            with_projector=a.with_projector)
    torch.save({"vision_tower": model.vision_tower.state_dict(),
                **({"multi_modal_projector": model.multi_modal_projector.state_dict()} if a.with_projector else {})},
               a.out)
    with open(a.out + ".json", "w") as f:
        json.dump({"script": "examples/train/pretrain_vision.py", "steps": a.steps, "batch": a.batch, "lr": a.lr,
                   "width": a.width, "vision_layers": a.vision_layers, "seed": a.seed,
                   "with_projector": a.with_projector,
                   "train_seconds": round(seconds), "val_per_patch_accuracy": {k: round(v, 4) for k, v in acc.items()},
                   "torch": torch.__version__}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
