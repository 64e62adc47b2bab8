#!/usr/bin/env python3
"""Checks the LLaVA goldens of generate_llava_golden.py (a float64 textbook CLIP / projector / LLaMA, written where
transformers and LLaVA could not be installed) against the reference software itself, and writes
tests/src/test/resources/golden/reference_check.json.

    LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python tests/golden/check_llava_with_reference.py

* llava-hf-f32 / -bf16: ``AutoImageProcessor.from_pretrained(case, use_fast=False)`` (the case's
  LlavaImageProcessor with do_pad) on image.png against pixel_values.npy; CLIPImageProcessor of
  preprocessor_config.clip.json (llava-hf/llava-1.5-7b-hf's own, no pad) against pixel_values_clip_processor.npy;
  transformers' ``LlavaForConditionalGeneration.from_pretrained(case)`` in float32 on the expanded input ids (the
  placeholder repeated image_token_count times, as LlavaProcessor expands it) against logits.npy, and greedy ids by
  full forwards.
* llava-original-f32: LLaVA's own ``LlavaLlamaForCausalLM`` (haotian-liu/LLaVA at c121f04, from LLAVA_SRC) loaded as
  its builder does (tower from ``mm_vision_tower``, relative to the case folder), ``model(input_ids, images=...)``
  against logits.npy, its tower's CLIPImageProcessor through ``process_images`` (pad) against pixel_values.npy.

Ran with transformers 4.57.6 (LLaVA pins 4.37.2, not installable here). Raises if logits differ by more than 1e-4,
pixel values by more than 1e-5, or a greedy id differs.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from transformers import AutoImageProcessor, CLIPImageProcessor, LlavaForConditionalGeneration

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "src", "test", "resources", "golden")
LLAVA_SRC = os.environ.get("LLAVA_SRC", "/tmp/llava-src")
sys.path.insert(0, LLAVA_SRC)
from llava.mm_utils import process_images  # noqa: E402
from llava.model.language_model.llava_llama import LlavaLlamaForCausalLM  # noqa: E402

torch.set_num_threads(1)


def npy(case, name):
    return np.load(os.path.join(GOLDEN, case, name))


def greedy(forward, ids, n):
    tokens = list(ids)
    for _ in range(n):
        tokens.append(int(forward(tokens)[-1].argmax()))
    return tokens[len(ids):]


def llava_hf(case):
    d = os.path.join(GOLDEN, case)
    g = json.load(open(os.path.join(d, "golden.json")))
    image = Image.open(os.path.join(d, "image.png")).convert("RGB")
    processor = AutoImageProcessor.from_pretrained(d, use_fast=False)
    pv = processor(image, return_tensors="pt")["pixel_values"]
    out = {"image_processor": type(processor).__name__,
           "pixel_values": float(np.abs(pv.numpy() - npy(case, "pixel_values.npy")).max())}
    clip_cfg = json.load(open(os.path.join(d, "preprocessor_config.clip.json")))
    clip = CLIPImageProcessor(**{k: v for k, v in clip_cfg.items() if k not in ("image_processor_type", "processor_class")})
    out["pixel_values_clip_processor"] = float(np.abs(clip(image, return_tensors="np")["pixel_values"]
                                                      - npy(case, "pixel_values_clip_processor.npy")).max())
    model = LlavaForConditionalGeneration.from_pretrained(d, dtype=torch.float32).eval()
    ids = []
    for t in g["input_ids"]:
        ids += [t] * g["image_token_count"] if t == g["image_placeholder_id"] else [t]

    def forward(tokens):
        with torch.no_grad():
            return model(input_ids=torch.tensor([tokens]), pixel_values=pv).logits[0].numpy()
    out["logits"] = float(np.abs(forward(ids) - npy(case, "logits.npy")).max())
    out["greedy_equal"] = greedy(forward, ids, g["max_new_tokens"]) == g["greedy_new_tokens"]
    return out


def llava_original(case):
    d = os.path.join(GOLDEN, case)
    g = json.load(open(os.path.join(d, "golden.json")))
    cwd = os.getcwd()
    os.chdir(d)  # mm_vision_tower is a folder name relative to where LLaVA runs
    try:
        model = LlavaLlamaForCausalLM.from_pretrained(d, dtype=torch.float32)
        tower = model.get_vision_tower()
        if not tower.is_loaded:
            tower.load_model()
        tower.to(dtype=torch.float32)
        model.eval()
        image = Image.open(os.path.join(d, "image.png")).convert("RGB")
        pv = process_images([image], tower.image_processor, model.config)
    finally:
        os.chdir(cwd)
    out = {"pixel_values": float(np.abs(pv.numpy() - npy(case, "pixel_values.npy")).max())}
    ids = [-200 if t == g["image_placeholder_id"] else t for t in g["input_ids"]]

    def forward(tokens):
        with torch.no_grad():
            return model(input_ids=torch.tensor([tokens]), images=pv).logits[0].numpy()
    out["logits"] = float(np.abs(forward(ids) - npy(case, "logits.npy")).max())
    out["greedy_equal"] = greedy(forward, ids, g["max_new_tokens"]) == g["greedy_new_tokens"]
    return out


def main():
    results = {c: llava_hf(c) for c in ("llava-hf-f32", "llava-hf-bf16")}
    results["llava-original-f32"] = llava_original("llava-original-f32")
    for case, r in results.items():
        assert r["logits"] <= 1e-4 and r["greedy_equal"], (case, r)
        assert all(v <= 1e-5 for k, v in r.items() if k.startswith("pixel_values")), (case, r)
    with open(os.path.join(GOLDEN, "reference_check.json"), "w") as f:
        json.dump({"checker": "tests/golden/check_llava_with_reference.py", "transformers": transformers.__version__,
                   "torch": torch.__version__, "llava": "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd",
                   "max_abs_diff": results}, f, indent=1)
        f.write("\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
