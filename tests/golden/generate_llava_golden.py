#!/usr/bin/env python3
"""Golden-reference generator for mod4j (LLaVA family).

Independent, textbook float64 implementation of HuggingFace
``CLIPVisionModel`` + ``LlavaForConditionalGeneration`` semantics (and of the
original LLaVA-1.5 ``LlavaLlamaForCausalLM`` layout, which computes the same
function) -- transformers is NOT used.  The LLaMA decoder, the safetensors
writer/reader and the KV-cache self-check come from generate_golden.py.

Writes three cases into ``tests/src/test/resources/golden/<case>/``:

* ``llava-hf-f32``       llava-hf layout (LlavaForConditionalGeneration), F32
* ``llava-original-f32`` the same weights in the original LLaVA layout
                         (LlavaLlamaForCausalLM + clip-vision-tower/ sub-dir)
* ``llava-hf-bf16``      llava-hf layout, weights rounded to BF16

Run from the repository root:

    /usr/bin/python3 tests/golden/generate_llava_golden.py

Requirements: Debian packages python3-torch, python3-numpy, python3-pil.
Deterministic: rerunning produces identical files (image.png bytes depend on
the zlib that Pillow links, the pixels do not).  See tests/golden/README.md.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
import PIL
from PIL import Image

sys.dont_write_bytecode = True   # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as gg  # noqa: E402  (sets torch threads = 1)

OUT_ROOT = gg.OUT_ROOT

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE_FACTOR = 0.00392156862745098   # == 1/255, as CLIPImageProcessor stores it
ORIGINAL_IMAGE_TOKEN = -200            # LLaVA's IMAGE_TOKEN_INDEX
HF_IMAGE_TOKEN = 383                   # image_token_index of the llava-hf cases
MAX_NEW_TOKENS = 8
CLIP_CHECK_TOL = 1e-10                 # second CLIP/projector path vs main path
MIN_SENSITIVITY = 0.05                 # "wrong implementation" variants must move logits

# HF CLIPVisionConfig defaults (applied when a field is absent).
CLIP_DEFAULTS = {
    "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
    "num_attention_heads": 12, "num_channels": 3, "image_size": 224,
    "patch_size": 32, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
}


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

@dataclass
class ClipConfig:
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_channels: int
    image_size: int
    patch_size: int
    hidden_act: str
    layer_norm_eps: float

    @staticmethod
    def from_hf_dict(d: dict) -> "ClipConfig":
        def get(k):
            return d[k] if k in d else CLIP_DEFAULTS[k]
        c = ClipConfig(**{k: get(k) for k in CLIP_DEFAULTS})
        c.layer_norm_eps = float(c.layer_norm_eps)
        assert c.hidden_act == "quick_gelu", c.hidden_act
        assert c.image_size % c.patch_size == 0
        assert c.hidden_size % c.num_attention_heads == 0
        return c

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        return self.grid * self.grid


@dataclass
class LlavaSpec:
    """Everything a reader derives from config.json (either layout)."""
    lcfg: gg.LlamaConfig
    vcfg: ClipConfig
    feature_layer: int        # index into hidden_states (negative allowed)
    keep_cls: bool            # strategy "full" / select_feature "cls_patch"
    placeholder: int          # image token id in input_ids
    projector_act: str        # "gelu" (exact, erf)


TEXT_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 384,
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_hidden_layers": 6,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "hidden_act": "silu",
    "max_position_embeddings": 256,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "tie_word_embeddings": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "initializer_range": 0.02,
    "pretraining_tp": 1,
    "use_cache": True,
}

VISION_CONFIG = {
    "model_type": "clip_vision_model",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_channels": 3,
    "image_size": 64,
    "patch_size": 8,
    "hidden_act": "quick_gelu",
    "layer_norm_eps": 1e-5,
    "projection_dim": 32,
    "attention_dropout": 0.0,
}


def hf_config(torch_dtype: str) -> dict:
    return {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "ignore_index": -100,
        "image_token_index": HF_IMAGE_TOKEN,
        "image_seq_length": 64,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "tie_word_embeddings": False,
        "vocab_size": 384,
        "torch_dtype": torch_dtype,
        "text_config": {**TEXT_CONFIG, "torch_dtype": torch_dtype},
        "vision_config": dict(VISION_CONFIG),
    }


def original_config(torch_dtype: str) -> dict:
    cfg = {k: v for k, v in TEXT_CONFIG.items() if k not in ("architectures", "model_type")}
    cfg.update({
        "architectures": ["LlavaLlamaForCausalLM"],
        "model_type": "llava_llama",
        "torch_dtype": torch_dtype,
        "mm_vision_tower": "clip-vision-tower",
        "mm_projector_type": "mlp2x_gelu",
        "mm_hidden_size": VISION_CONFIG["hidden_size"],
        "mm_vision_select_layer": -2,
        "mm_vision_select_feature": "patch",
        "mm_patch_merge_type": "flat",
        "image_aspect_ratio": "pad",
        "mm_use_im_start_end": False,
        "mm_use_im_patch_token": False,
        "use_mm_proj": True,
        "tune_mm_mlp_adapter": False,
        "freeze_mm_mlp_adapter": False,
    })
    return cfg


def tower_config(torch_dtype: str) -> dict:
    return {"architectures": ["CLIPVisionModel"], **VISION_CONFIG, "torch_dtype": torch_dtype}


def preprocessor_config(with_processor_class: bool, llava_processor: bool = False) -> dict:
    """As HF writes a CLIPImageProcessor's config; with llava_processor, transformers' LlavaImageProcessor with
    do_pad (the llava-hf cases: their pixel values are padded, and that is the processor that pads them)."""
    size = VISION_CONFIG["image_size"]
    d = {
        "crop_size": {"height": size, "width": size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": CLIP_STD,
        "resample": 3,
        "rescale_factor": RESCALE_FACTOR,
        "size": {"shortest_edge": size},
    }
    if with_processor_class:
        d["processor_class"] = "LlavaProcessor"
    if llava_processor:
        d["image_processor_type"] = "LlavaImageProcessor"
        d["do_pad"] = True
    return d


def spec_from_config(cfg: dict, case_dir: str) -> LlavaSpec:
    """Parse either layout's config.json (independently of how it was built)."""
    if cfg["model_type"] == "llava":
        assert cfg["architectures"] == ["LlavaForConditionalGeneration"]
        strategy = cfg.get("vision_feature_select_strategy", "default")
        assert strategy in ("default", "full")
        return LlavaSpec(gg.LlamaConfig.from_hf_dict(cfg["text_config"]),
                         ClipConfig.from_hf_dict(cfg["vision_config"]),
                         cfg.get("vision_feature_layer", -2), strategy == "full",
                         cfg.get("image_token_index", 32000),
                         cfg.get("projector_hidden_act", "gelu"))
    assert cfg["model_type"] == "llava_llama", cfg["model_type"]
    assert cfg["mm_projector_type"] == "mlp2x_gelu"
    tower = json.load(open(os.path.join(case_dir, cfg["mm_vision_tower"], "config.json")))
    vcfg = ClipConfig.from_hf_dict(tower)
    assert cfg["mm_hidden_size"] == vcfg.hidden_size
    select = cfg.get("mm_vision_select_feature", "patch")
    assert select in ("patch", "cls_patch")
    return LlavaSpec(gg.LlamaConfig.from_hf_dict(cfg), vcfg, cfg["mm_vision_select_layer"],
                     select == "cls_patch", ORIGINAL_IMAGE_TOKEN, "gelu")


# --------------------------------------------------------------------------
# Image: synthetic PNG + LLaVA-1.5 preprocessing (expand2square + CLIPImageProcessor)
# --------------------------------------------------------------------------

def make_image(width: int = 50, height: int = 38, seed: int = 20240) -> Image.Image:
    """Non-square RGB test image: smooth gradients, a few shapes, mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 40.0 + 180.0 * x / (width - 1)
    g = 30.0 + 200.0 * y / (height - 1)
    b = 128.0 + 90.0 * np.sin(2.0 * math.pi * (x + 0.5 * y) / 37.0)
    img = np.stack([r, g, b], axis=-1)
    circle = (x - 13.0) ** 2 + (y - 11.0) ** 2 <= 7.0 ** 2
    img[circle] = [205.0, 35.0, 60.0]
    rect = (x >= 31) & (x <= 44) & (y >= 21) & (y <= 31)
    img[rect] = [245.0, 220.0, 30.0]
    line = (np.abs(x - 1.3 * y - 4.0) < 0.9) & (y >= 18)
    img[line] = [15.0, 20.0, 25.0]
    img += rng.normal(0.0, 6.0, size=img.shape)
    arr = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def expand2square(pil_img: Image.Image, background_color) -> Image.Image:
    """LLaVA's expand2square (llava/mm_utils.py)."""
    width, height = pil_img.size
    if width == height:
        return pil_img
    if width > height:
        result = Image.new(pil_img.mode, (width, width), background_color)
        result.paste(pil_img, (0, (width - height) // 2))
        return result
    result = Image.new(pil_img.mode, (height, height), background_color)
    result.paste(pil_img, ((height - width) // 2, 0))
    return result


def clip_preprocess(img: Image.Image, pp: dict) -> Tuple[np.ndarray, dict]:
    """CLIPImageProcessor (slow, PIL) semantics, incl. its float dtypes.

    resize: shortest edge -> size with PIL bicubic on uint8 (result uint8);
    center crop; rescale: uint8 -> float64 * factor -> float32;
    normalize: (x - mean) / std in float32 with float32 mean/std; HWC -> CHW.
    Returns (pixel_values float32 [1,3,S,S], info).
    """
    if pp["do_convert_rgb"]:
        img = img.convert("RGB")
    arr = np.array(img)                                   # uint8 [H, W, 3]
    h, w = arr.shape[:2]
    if pp["do_resize"]:
        size = pp["size"]["shortest_edge"]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        oh, ow = (new_long, new_short) if w <= h else (new_short, new_long)
        arr = np.array(Image.fromarray(arr).resize((ow, oh), resample=pp["resample"],
                                                   reducing_gap=None))
    resized_hw = arr.shape[:2]
    if pp["do_center_crop"]:
        ch, cw = pp["crop_size"]["height"], pp["crop_size"]["width"]
        top, left = (arr.shape[0] - ch) // 2, (arr.shape[1] - cw) // 2
        assert top >= 0 and left >= 0
        arr = arr[top:top + ch, left:left + cw]
    uint8_hwc = arr
    x = arr
    if pp["do_rescale"]:
        x = (x.astype(np.float64) * pp["rescale_factor"]).astype(np.float32)
    if pp["do_normalize"]:
        x = (x - np.array(pp["image_mean"], dtype=x.dtype)) / np.array(pp["image_std"], dtype=x.dtype)
    pv = np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32)
    # all-float64 variant (for the record: how far HF's float32 steps are from it)
    x64 = (uint8_hwc.astype(np.float64) * (1.0 / 255.0) - np.array(pp["image_mean"])) / np.array(pp["image_std"])
    info = {"resized_hw": list(resized_hw), "uint8_hwc": uint8_hwc,
            "max_abs_diff_vs_float64": float(np.abs(x64.transpose(2, 0, 1)[None] - pv).max())}
    return pv, info


PIL_PRECISION_BITS = 22   # Pillow Resample.c: 32 - 8 - 2 fractional bits for 8-bit images


def pillow_bicubic_resize(arr: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Independent re-implementation of Pillow's 8-bit BICUBIC resize (Resample.c):
    separable, horizontal pass first, uint8 intermediate; filter a = -0.5 with
    support 2 * max(1, in/out); taps x in [int(c - support + 0.5), int(c + support + 0.5))
    clipped to the image, c = (out_x + 0.5) * in/out, weight filter((x + 0.5 - c) / max(1, in/out)),
    normalized to sum 1, then fixed point: int(w * 2^22 +- 0.5) (toward zero after
    the +-0.5); accumulate from 2^21, arithmetic shift right 22, clamp to [0, 255].
    Used to check (exactly) the PIL resize that produced pixel_values.npy."""
    def filt(x: float, a: float = -0.5) -> float:
        x = abs(x)
        if x < 1.0:
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
        if x < 2.0:
            return (((x - 5.0) * x + 8.0) * x - 4.0) * a
        return 0.0

    def one_pass(a: np.ndarray, out_size: int, axis: int) -> np.ndarray:
        a = np.moveaxis(a, axis, 0).astype(np.int64)
        in_size = a.shape[0]
        scale = in_size / out_size
        fscale = max(scale, 1.0)
        support = 2.0 * fscale
        out = np.empty((out_size,) + a.shape[1:], dtype=np.int64)
        for xx in range(out_size):
            center = (xx + 0.5) * scale
            xmin = max(int(center - support + 0.5), 0)
            xmax = min(int(center + support + 0.5), in_size)
            ws = [filt((x + 0.5 - center) / fscale) for x in range(xmin, xmax)]
            total = sum(ws)
            acc = np.full(a.shape[1:], 1 << (PIL_PRECISION_BITS - 1), dtype=np.int64)
            for j, wv in enumerate(ws):
                wv /= total
                k = int(wv * (1 << PIL_PRECISION_BITS) + (0.5 if wv >= 0 else -0.5))
                acc += a[xmin + j] * k
            out[xx] = np.clip(acc >> PIL_PRECISION_BITS, 0, 255)
        return np.moveaxis(out, 0, axis).astype(np.uint8)

    return one_pass(one_pass(arr, out_w, 1), out_h, 0)


def processor_pads(cfg: dict, pp: dict) -> bool:
    """Whether the checkpoint's own software pads: llava-hf follows its preprocessor_config.json (transformers
    v4.48.0 LlavaImageProcessor.preprocess pads only with do_pad; CLIPImageProcessor never pads, and config.json's
    image_aspect_ratio is not read); the original layout follows image_aspect_ratio (LLaVA's process_images,
    llava/mm_utils.py: 'pad' -> expand2square with tuple(int(x*255) for x in image_mean)). LlavaImageProcessor's
    pad_to_square fills a square of that colour and pastes at ((max - w) // 2, (max - h) // 2): the same pixels as
    expand2square."""
    if cfg["model_type"] == "llava":
        return pp.get("image_processor_type") == "LlavaImageProcessor" and bool(pp.get("do_pad", False))
    return cfg.get("image_aspect_ratio") == "pad"


def clip_only_pixels(png_path, pp: dict) -> np.ndarray:
    """CLIPImageProcessor alone (no pad): resize the shortest edge, centre-crop, rescale, normalize."""
    img = Image.open(png_path)
    img.load()
    assert img.mode == "RGB"
    pv, _ = clip_preprocess(img, pp)
    return pv


def llava_image_to_pixels(png_path, pp: dict) -> Tuple[np.ndarray, dict]:
    """LLaVA-1.5 `process_images` with image_aspect_ratio 'pad'."""
    img = Image.open(png_path)
    img.load()
    assert img.mode == "RGB"
    bg = tuple(int(v * 255) for v in pp["image_mean"])
    sq = expand2square(img, bg)
    pv, info = clip_preprocess(sq, pp)
    oh, ow = info["resized_hw"]
    info["pillow_resize_reimplemented_exactly"] = bool(np.array_equal(
        pillow_bicubic_resize(np.array(sq), ow, oh),
        np.array(sq.resize((ow, oh), resample=pp["resample"], reducing_gap=None))))
    info.update({"original_wh": list(img.size), "padded_wh": list(sq.size), "background_rgb": list(bg)})
    return pv, info


# --------------------------------------------------------------------------
# CLIP vision tower, projector, merge -- main path
# --------------------------------------------------------------------------

V = "vision_model."


def layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


def clip_embeddings(pv: torch.Tensor, w, vcfg: ClipConfig, patch_order: str = "row") -> torch.Tensor:
    P, h = vcfg.patch_size, vcfg.hidden_size
    pe = F.conv2d(pv, w[V + "embeddings.patch_embedding.weight"], bias=None, stride=P)  # [1,h,g,g]
    if patch_order == "col":                             # sensitivity variant only
        pe = pe.transpose(2, 3)
    pe = pe.flatten(2).transpose(1, 2)[0]                # [N, h], row of patches first
    x = torch.cat([w[V + "embeddings.class_embedding"][None, :], pe], dim=0)
    return x + w[V + "embeddings.position_embedding.weight"]


def clip_layer(x: torch.Tensor, w, i: int, vcfg: ClipConfig, act=quick_gelu) -> torch.Tensor:
    p = f"{V}encoder.layers.{i}."
    T, H = x.shape[0], vcfg.num_attention_heads
    hd = vcfg.hidden_size // H
    eps = vcfg.layer_norm_eps

    def lin(t, name):
        return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

    n = layer_norm(x, w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], eps)
    q = (lin(n, "self_attn.q_proj") * hd ** -0.5).view(T, H, hd).transpose(0, 1)
    k = lin(n, "self_attn.k_proj").view(T, H, hd).transpose(0, 1)
    v = lin(n, "self_attn.v_proj").view(T, H, hd).transpose(0, 1)
    probs = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # bidirectional, no mask
    a = (probs @ v).transpose(0, 1).reshape(T, H * hd)
    x = x + lin(a, "self_attn.out_proj")
    n = layer_norm(x, w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], eps)
    return x + lin(act(lin(n, "mlp.fc1")), "mlp.fc2")


def clip_vision_forward(pv: torch.Tensor, w, vcfg: ClipConfig, patch_order: str = "row",
                        act=quick_gelu) -> torch.Tensor:
    """HF CLIPVisionModel hidden_states, stacked: [L+1, N+1, h].

    [0] = embeddings after pre_layrnorm, [i+1] = output of encoder layer i.
    (post_layernorm only applies to pooler_output, which LLaVA does not use.)
    """
    x = clip_embeddings(pv, w, vcfg, patch_order)
    x = layer_norm(x, w[V + "pre_layrnorm.weight"], w[V + "pre_layrnorm.bias"], vcfg.layer_norm_eps)
    hs = [x]
    for i in range(vcfg.num_hidden_layers):
        x = clip_layer(x, w, i, vcfg, act)
        hs.append(x)
    return torch.stack(hs)


def select_features(vhs: torch.Tensor, spec: LlavaSpec) -> torch.Tensor:
    sel = vhs[spec.feature_layer]
    return sel if spec.keep_cls else sel[1:]


def projector(feats: torch.Tensor, w, approximate: str = "none") -> torch.Tensor:
    a = feats @ w["projector.linear_1.weight"].T + w["projector.linear_1.bias"]
    a = F.gelu(a, approximate=approximate)
    return a @ w["projector.linear_2.weight"].T + w["projector.linear_2.bias"]


def merge(input_ids: Sequence[int], placeholder: int, image_rows: torch.Tensor,
          embed: torch.Tensor) -> Tuple[torch.Tensor, int]:
    idx = [i for i, t in enumerate(input_ids) if t == placeholder]
    assert len(idx) == 1, f"expected exactly one image placeholder, got {idx}"
    s = idx[0]
    before = embed[torch.tensor(list(input_ids[:s]), dtype=torch.int64)]
    after = embed[torch.tensor(list(input_ids[s + 1:]), dtype=torch.int64)]
    return torch.cat([before, image_rows, after], dim=0), s


def llava_forward(spec: LlavaSpec, w, input_ids: Sequence[int], pv: torch.Tensor,
                  max_new_tokens: int = MAX_NEW_TOKENS, **variant) -> dict:
    """Full pipeline + greedy (full recompute per step)."""
    vhs = clip_vision_forward(pv, w, spec.vcfg, variant.get("patch_order", "row"),
                              variant.get("act", quick_gelu))
    if variant.get("feature_layer") is not None:
        spec = LlavaSpec(**{**spec.__dict__, "feature_layer": variant["feature_layer"]})
    feats = select_features(vhs, spec)
    if variant.get("post_layernorm"):
        feats = layer_norm(feats, w[V + "post_layernorm.weight"], w[V + "post_layernorm.bias"],
                           spec.vcfg.layer_norm_eps)
    proj = projector(feats, w, variant.get("gelu_approximate", "none"))
    embeds, start = merge(input_ids, spec.placeholder, proj, w["model.embed_tokens.weight"])
    logits, dhs = gg.llama_forward(None, w, spec.lcfg, inputs_embeds=embeds)
    E = w["model.embed_tokens.weight"]
    seq, new_tokens, rows = embeds, [], []
    for step in range(max_new_tokens):
        step_logits = logits if step == 0 else gg.llama_forward(None, w, spec.lcfg, inputs_embeds=seq)[0]
        row = step_logits[-1]
        tok = int(torch.argmax(row))
        new_tokens.append(tok)
        rows.append(row)
        if tok == spec.lcfg.eos_token_id:
            break
        seq = torch.cat([seq, E[tok][None, :]], dim=0)
    return {"vision_hidden_states": vhs, "vision_features": feats, "projector_output": proj,
            "embeds": embeds, "image_start": start, "logits": logits,
            "decoder_hidden_states": dhs, "greedy_new_tokens": new_tokens,
            "greedy_logits": torch.stack(rows), "full_embeds": seq}


# --------------------------------------------------------------------------
# Independent second path for the tower and the projector
# (explicit patch extraction + matvec instead of conv2d, hand-written LayerNorm,
#  per-head attention loop with explicit softmax, scale after q.k, quick_gelu
#  via exp, exact GELU via math.erf per element)
# --------------------------------------------------------------------------

def clip_vision_forward_alt(pv: torch.Tensor, w, vcfg: ClipConfig) -> torch.Tensor:
    P, hsz, H = vcfg.patch_size, vcfg.hidden_size, vcfg.num_attention_heads
    hd, eps = hsz // H, vcfg.layer_norm_eps

    def ln(x, wt, b):
        n = x.shape[-1]
        mu = x.sum(dim=-1, keepdim=True) / n
        var = ((x - mu) ** 2).sum(dim=-1, keepdim=True) / n
        return (x - mu) / torch.sqrt(var + eps) * wt + b

    conv_w = w[V + "embeddings.patch_embedding.weight"].reshape(hsz, -1)  # (c, ky, kx) order
    rows = [w[V + "embeddings.class_embedding"]]
    for r in range(vcfg.grid):
        for c in range(vcfg.grid):
            patch = pv[0, :, r * P:(r + 1) * P, c * P:(c + 1) * P].reshape(-1)
            rows.append(torch.mv(conv_w, patch))
    x = torch.stack(rows)
    pos = w[V + "embeddings.position_embedding.weight"]
    x = torch.stack([x[t] + pos[t] for t in range(x.shape[0])])
    x = ln(x, w[V + "pre_layrnorm.weight"], w[V + "pre_layrnorm.bias"])
    hs = [x]
    for i in range(vcfg.num_hidden_layers):
        p = f"{V}encoder.layers.{i}."
        n = ln(x, w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"])
        heads = []
        for h in range(H):
            sl = slice(h * hd, (h + 1) * hd)
            q = n @ w[p + "self_attn.q_proj.weight"][sl].T + w[p + "self_attn.q_proj.bias"][sl]
            k = n @ w[p + "self_attn.k_proj.weight"][sl].T + w[p + "self_attn.k_proj.bias"][sl]
            v = n @ w[p + "self_attn.v_proj.weight"][sl].T + w[p + "self_attn.v_proj.bias"][sl]
            s = (q @ k.T) / math.sqrt(hd)
            e = torch.exp(s - s.max(dim=1, keepdim=True).values)
            heads.append((e / e.sum(dim=1, keepdim=True)) @ v)
        o = torch.cat(heads, dim=1)
        x = x + (o @ w[p + "self_attn.out_proj.weight"].T + w[p + "self_attn.out_proj.bias"])
        n = ln(x, w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"])
        a = n @ w[p + "mlp.fc1.weight"].T + w[p + "mlp.fc1.bias"]
        a = a / (1.0 + torch.exp(-1.702 * a))
        x = x + (a @ w[p + "mlp.fc2.weight"].T + w[p + "mlp.fc2.bias"])
        hs.append(x)
    return torch.stack(hs)


def projector_alt(feats: torch.Tensor, w) -> torch.Tensor:
    a = feats @ w["projector.linear_1.weight"].T + w["projector.linear_1.bias"]
    g = torch.tensor([[0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in row]
                      for row in a.tolist()], dtype=torch.float64)
    return g @ w["projector.linear_2.weight"].T + w["projector.linear_2.bias"]


# --------------------------------------------------------------------------
# Weights: canonical names <-> the two checkpoint layouts
# --------------------------------------------------------------------------

def init_clip_weights(vcfg: ClipConfig, seed: int) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    h, m, P, C = vcfg.hidden_size, vcfg.intermediate_size, vcfg.patch_size, vcfg.num_channels

    def randn(*shape, s):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * s

    def ln(name):
        w[name + ".weight"] = 1.0 + randn(h, s=0.1)
        w[name + ".bias"] = randn(h, s=0.1)

    w: Dict[str, torch.Tensor] = {}
    w[V + "embeddings.class_embedding"] = randn(h, s=0.5)
    w[V + "embeddings.patch_embedding.weight"] = randn(h, C, P, P, s=0.06)
    w[V + "embeddings.position_embedding.weight"] = randn(vcfg.num_patches + 1, h, s=0.3)
    ln(V + "pre_layrnorm")
    for i in range(vcfg.num_hidden_layers):
        p = f"{V}encoder.layers.{i}."
        for name, s in (("q_proj", 0.3), ("k_proj", 0.3), ("v_proj", 0.2), ("out_proj", 0.2)):
            w[p + f"self_attn.{name}.weight"] = randn(h, h, s=s)
            w[p + f"self_attn.{name}.bias"] = randn(h, s=0.1)
        ln(p + "layer_norm1")
        w[p + "mlp.fc1.weight"] = randn(m, h, s=0.25)
        w[p + "mlp.fc1.bias"] = randn(m, s=0.1)
        w[p + "mlp.fc2.weight"] = randn(h, m, s=0.15)
        w[p + "mlp.fc2.bias"] = randn(h, s=0.1)
        ln(p + "layer_norm2")
    ln(V + "post_layernorm")
    return w


def init_projector_weights(h: int, d: int, seed: int) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, s):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * s

    return {"projector.linear_1.weight": randn(d, h, s=0.12),
            "projector.linear_1.bias": randn(d, s=0.1),
            "projector.linear_2.weight": randn(d, d, s=0.15),
            "projector.linear_2.bias": randn(d, s=0.1)}


def to_hf_layout(canon: Dict[str, torch.Tensor]) -> Dict[str, Dict[str, torch.Tensor]]:
    out = {}
    for k, t in canon.items():
        if k.startswith("model.") or k == "lm_head.weight":
            out["language_model." + k] = t
        elif k.startswith(V):
            out["vision_tower." + k] = t
        elif k.startswith("projector."):
            out["multi_modal_projector." + k[len("projector."):]] = t
        else:
            raise KeyError(k)
    return {"model.safetensors": dict(sorted(out.items()))}


def to_original_layout(canon: Dict[str, torch.Tensor]) -> Dict[str, Dict[str, torch.Tensor]]:
    main, tower = {}, {}
    proj_idx = {"linear_1": "0", "linear_2": "2"}
    for k, t in canon.items():
        if k.startswith("model.") or k == "lm_head.weight":
            main[k] = t
        elif k.startswith(V):
            tower[k] = t
        elif k.startswith("projector."):
            lin, param = k[len("projector."):].split(".")
            main[f"model.mm_projector.{proj_idx[lin]}.{param}"] = t
        else:
            raise KeyError(k)
    return {"model.safetensors": dict(sorted(main.items())),
            "clip-vision-tower/model.safetensors": dict(sorted(tower.items()))}


def load_case_weights(case_dir: str, cfg: dict) -> Dict[str, torch.Tensor]:
    """Read a case's safetensors with the independent reader -> canonical float64."""
    canon: Dict[str, torch.Tensor] = {}

    def put(name, arr):
        assert name not in canon, name
        canon[name] = torch.from_numpy(np.array(arr, dtype=np.float64))

    if cfg["model_type"] == "llava":
        for name, (_, _, arr) in gg.read_safetensors(os.path.join(case_dir, "model.safetensors")).items():
            if name.startswith("language_model."):
                put(name[len("language_model."):], arr)
            elif name.startswith("vision_tower.vision_model."):
                put(name[len("vision_tower."):], arr)
            elif name.startswith("multi_modal_projector.linear_"):
                put("projector." + name[len("multi_modal_projector."):], arr)
            else:
                raise KeyError(name)
    else:
        for name, (_, _, arr) in gg.read_safetensors(os.path.join(case_dir, "model.safetensors")).items():
            if name.startswith("model.mm_projector."):
                idx, param = name[len("model.mm_projector."):].split(".")
                put(f"projector.linear_{ {'0': 1, '2': 2}[idx] }.{param}", arr)
            elif name.startswith("model.") or name == "lm_head.weight":
                put(name, arr)
            else:
                raise KeyError(name)
        tower = os.path.join(case_dir, cfg["mm_vision_tower"], "model.safetensors")
        for name, (_, _, arr) in gg.read_safetensors(tower).items():
            assert name.startswith(V), name
            put(name, arr)
    return canon


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

DECODER_SEED, CLIP_SEED, PROJ_SEED, PROMPT_SEED = 5150, 5151, 5152, 7000
N_BEFORE, N_AFTER = 5, 6      # text tokens before (after bos) / after the image


def make_prompt(seed: int, placeholder: int) -> List[int]:
    g = torch.Generator().manual_seed(seed)
    body = [int(t) for t in torch.randint(3, HF_IMAGE_TOKEN, (N_BEFORE + N_AFTER,), generator=g)]
    return [1] + body[:N_BEFORE] + [placeholder] + body[N_BEFORE:]


def with_placeholder(ids: Sequence[int], old: int, new: int) -> List[int]:
    return [new if t == old else t for t in ids]


def prompt_ok(res: dict, spec: LlavaSpec) -> Tuple[bool, float, str]:
    toks = res["greedy_new_tokens"]
    gap = gg.check_rows(list(res["logits"]), "llava")  # also asserts std > MIN_LOGIT_STD
    gap = gg.check_rows(list(res["greedy_logits"]), "llava")
    if len(toks) != MAX_NEW_TOKENS or spec.lcfg.eos_token_id in toks:
        return False, gap, "eos generated"
    if HF_IMAGE_TOKEN in toks:
        return False, gap, "image token generated"
    if not gap > gg.MIN_TOP2_GAP:
        return False, gap, f"min top-2 gap {gap:.3g}"
    return True, gap, ""


def rel(path: str) -> str:
    return os.path.relpath(path, gg.REPO_ROOT)


def find_prompt(spec: LlavaSpec, w, pv: torch.Tensor, name: str) -> Tuple[List[int], dict, float, int]:
    for attempt in range(100):
        ids = make_prompt(PROMPT_SEED + attempt, spec.placeholder)
        res = llava_forward(spec, w, ids, pv)
        ok, gap, why = prompt_ok(res, spec)
        if ok:
            return ids, res, gap, PROMPT_SEED + attempt
        print(f"  {name}: prompt seed {PROMPT_SEED + attempt} rejected ({why})")
    raise RuntimeError(f"{name}: no robust prompt found")


def self_checks(name: str, spec: LlavaSpec, w, pv: torch.Tensor, res: dict) -> dict:
    """Second CLIP/projector path and KV-cache decoding; raise on failure."""
    vhs_alt = clip_vision_forward_alt(pv, w, spec.vcfg)
    d_clip = float((vhs_alt - res["vision_hidden_states"]).abs().max())
    proj_alt = projector_alt(select_features(vhs_alt, spec), w)
    d_proj = float((proj_alt - res["projector_output"]).abs().max())
    if not (d_clip < CLIP_CHECK_TOL and d_proj < CLIP_CHECK_TOL):
        raise AssertionError(f"SELF-CHECK FAILED for {name}: second CLIP path differs "
                             f"(hidden states {d_clip:.3e}, projector {d_proj:.3e})")
    T = res["embeds"].shape[0]
    inc = gg.incremental_logits(None, w, spec.lcfg, inputs_embeds=res["full_embeds"][:T + MAX_NEW_TOKENS - 1])
    d_kv = max(float((inc[:T] - res["logits"]).abs().max()),
               float((inc[T - 1:] - res["greedy_logits"]).abs().max()))
    if not d_kv < gg.SELF_CHECK_TOL:
        raise AssertionError(f"SELF-CHECK FAILED for {name}: KV-cache path differs by {d_kv:.3e}")
    print(f"  {name}: self-checks OK (second CLIP path {d_clip:.2e}, projector {d_proj:.2e}; "
          f"KV-cache vs full recompute {d_kv:.2e})")
    return {"second_clip_path_max_abs_diff": float(f"{d_clip:.3g}"),
            "second_projector_path_max_abs_diff": float(f"{d_proj:.3g}"),
            "kv_cache_vs_full_recompute_max_abs_diff": float(f"{d_kv:.3g}")}


def float32_check(name: str, spec: LlavaSpec, stored, pv32: torch.Tensor, ids, res: dict) -> dict:
    w32 = {k: v.to(torch.float32) for k, v in stored.items()}
    r32 = llava_forward(spec, w32, ids, pv32)
    if r32["greedy_new_tokens"] != res["greedy_new_tokens"]:
        raise AssertionError(f"{name}: float32 path diverges {r32['greedy_new_tokens']}")
    out = {}
    for key in ("vision_features", "projector_output", "logits", "greedy_logits"):
        out[key] = float(f"{float((r32[key].double() - res[key]).abs().max()):.3g}")
    return out


def sensitivity(spec: LlavaSpec, w, ids, pv: torch.Tensor, res: dict) -> dict:
    """Max |logit diff| of plausible wrong implementations, over the text positions
    after the image (what the answer depends on); all must be clearly visible."""
    tail = res["image_start"] + spec.vcfg.num_patches
    variants = {
        "patch_grid_column_major": dict(patch_order="col"),
        "last_layer_instead_of_minus2": dict(feature_layer=-1),
        "post_layernorm_applied": dict(post_layernorm=True),
        "exact_gelu_instead_of_quick_gelu": dict(act=lambda t: F.gelu(t)),
        "tanh_gelu_in_projector": dict(gelu_approximate="tanh"),
    }
    out = {}
    for vname, kw in variants.items():
        r = llava_forward(spec, w, ids, pv, max_new_tokens=1, **kw)
        out[vname] = float(f"{float((r['logits'][tail:] - res['logits'][tail:]).abs().max()):.3g}")
    # channel order swapped (BGR)
    r = llava_forward(spec, w, ids, pv.flip(1), max_new_tokens=1)
    out["channels_bgr"] = float(f"{float((r['logits'][tail:] - res['logits'][tail:]).abs().max()):.3g}")
    # the image must steer the generated text, not only the logits
    flipped = llava_forward(spec, w, ids, pv.flip(3))["greedy_new_tokens"]
    if flipped == res["greedy_new_tokens"]:
        raise AssertionError("sensitivity check: greedy tokens ignore the image (h-flip)")
    out["greedy_new_tokens_with_hflipped_image"] = flipped
    for k, v in out.items():
        if k.startswith("greedy"):
            continue
        # activation look-alikes only move logits a little; they must still be
        # far above float32 noise (~1e-5)
        need = 1e-4 if "gelu" in k else MIN_SENSITIVITY
        if not v > need:
            raise AssertionError(f"sensitivity check: variant {k} changes logits by only {v}")
    return out


def write_case_files(case: str, layout: str, torch_dtype: str, stored, spec: LlavaSpec,
                     ids, res: dict, pv: np.ndarray, png_bytes: bytes, golden: dict) -> str:
    out_dir = os.path.join(OUT_ROOT, case)
    os.makedirs(out_dir, exist_ok=True)
    if layout == "llava-hf":
        gg.write_json(os.path.join(out_dir, "config.json"), hf_config(torch_dtype))
        files = to_hf_layout(stored)
        write_sorted_json(os.path.join(out_dir, "preprocessor_config.json"), preprocessor_config(True, True))
        # llava-hf/llava-1.5-7b-hf's own processor (CLIPImageProcessor, no pad), and its pixel values from image.png.
        write_sorted_json(os.path.join(out_dir, "preprocessor_config.clip.json"), preprocessor_config(True))
        np.save(os.path.join(out_dir, "pixel_values_clip_processor.npy"),
                clip_only_pixels(io.BytesIO(png_bytes), preprocessor_config(True)).astype("<f4"))
    else:
        gg.write_json(os.path.join(out_dir, "config.json"), original_config(torch_dtype))
        files = to_original_layout(stored)
        tdir = os.path.join(out_dir, "clip-vision-tower")
        os.makedirs(tdir, exist_ok=True)
        gg.write_json(os.path.join(tdir, "config.json"), tower_config(torch_dtype))
        write_sorted_json(os.path.join(tdir, "preprocessor_config.json"), preprocessor_config(False))
    for fname, tensors in files.items():
        gg.write_safetensors(os.path.join(out_dir, fname), tensors)
    with open(os.path.join(out_dir, "image.png"), "wb") as f:
        f.write(png_bytes)
    gg.write_json(os.path.join(out_dir, "golden.json"), golden)
    np.save(os.path.join(out_dir, "pixel_values.npy"), pv.astype("<f4"))
    for key in ("vision_hidden_states", "vision_features", "projector_output", "logits",
                "greedy_logits", "decoder_hidden_states"):
        gg.write_npy(os.path.join(out_dir, key + ".npy"), res[key])
    return out_dir


def write_sorted_json(path: str, obj) -> None:
    """As HF's to_json_file writes image-processor configs (sorted keys, indent 2)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def verify_from_disk(case: str, res: dict, ids: List[int]) -> None:
    """Recompute the case from its directory alone (config, safetensors, PNG,
    preprocessor config) and demand bit-identical float64 results."""
    out_dir = os.path.join(OUT_ROOT, case)
    cfg = json.load(open(os.path.join(out_dir, "config.json")))
    spec = spec_from_config(cfg, out_dir)
    golden = json.load(open(os.path.join(out_dir, "golden.json")))
    assert golden["input_ids"] == ids and spec.placeholder in ids
    pp_dir = out_dir if cfg["model_type"] == "llava" else os.path.join(out_dir, cfg["mm_vision_tower"])
    pp = json.load(open(os.path.join(pp_dir, "preprocessor_config.json")))
    assert processor_pads(cfg, pp), f"{case}: the case's pixel values are padded, its processor must pad"
    pv, _ = llava_image_to_pixels(os.path.join(out_dir, "image.png"), pp)
    assert np.array_equal(pv, np.load(os.path.join(out_dir, "pixel_values.npy"))), "pixel values"
    w = load_case_weights(out_dir, cfg)
    r = llava_forward(spec, w, golden["input_ids"], torch.from_numpy(pv).double())
    for key in ("vision_hidden_states", "vision_features", "projector_output", "logits",
                "greedy_logits", "decoder_hidden_states"):
        assert torch.equal(r[key], res[key]), f"{case}: {key} differs when recomputed from disk"
        stored = np.load(os.path.join(out_dir, key + ".npy"))
        assert stored.dtype == np.dtype("<f4") and stored.shape == tuple(res[key].shape), key
        assert np.array_equal(stored, res[key].numpy().astype(np.float32)), key
    assert r["greedy_new_tokens"] == golden["greedy_new_tokens"]
    assert r["image_start"] == golden["image_start"]
    T = golden["merged_length"]
    Lv, Ld = spec.vcfg.num_hidden_layers, spec.lcfg.num_hidden_layers
    N, h, d = spec.vcfg.num_patches, spec.vcfg.hidden_size, spec.lcfg.hidden_size
    assert r["vision_hidden_states"].shape == (Lv + 1, N + 1, h)
    assert r["vision_features"].shape == (N, h)
    assert r["projector_output"].shape == (N, d)
    assert r["logits"].shape == (T, spec.lcfg.vocab_size)
    assert r["greedy_logits"].shape == (MAX_NEW_TOKENS, spec.lcfg.vocab_size)
    assert r["decoder_hidden_states"].shape == (Ld + 1, T, d)


def main() -> int:
    lcfg = gg.LlamaConfig.from_hf_dict(TEXT_CONFIG)
    vcfg = ClipConfig.from_hf_dict(VISION_CONFIG)
    master = {**gg.init_llama_weights(lcfg, DECODER_SEED),
              **init_clip_weights(vcfg, CLIP_SEED),
              **init_projector_weights(vcfg.hidden_size, lcfg.hidden_size, PROJ_SEED)}

    # Image: generate, encode once, preprocess from the encoded PNG.
    buf = io.BytesIO()
    make_image().save(buf, format="PNG")
    png_bytes = buf.getvalue()
    pp = preprocessor_config(False)
    pv_np, pinfo = llava_image_to_pixels(io.BytesIO(png_bytes), pp)
    if not pinfo["pillow_resize_reimplemented_exactly"]:
        raise AssertionError("independent bicubic re-implementation differs from this Pillow's "
                             "resize (Pillow changed?); pixel_values.npy would not be portable")
    pv64 = torch.from_numpy(pv_np).double()
    pv32 = torch.from_numpy(pv_np)
    print(f"image {pinfo['original_wh']} -> padded {pinfo['padded_wh']} bg {pinfo['background_rgb']} "
          f"-> resized {pinfo['resized_hw']}; pixel_values range "
          f"[{pv_np.min():.3f}, {pv_np.max():.3f}], float32-vs-float64 preprocessing "
          f"max diff {pinfo['max_abs_diff_vs_float64']:.2e}")

    image_info = {
        "file": "image.png", "width": pinfo["original_wh"][0], "height": pinfo["original_wh"][1],
        "expand2square_size": pinfo["padded_wh"][0], "expand2square_background_rgb": pinfo["background_rgb"],
        "expand2square_paste_offset_xy": [0, (pinfo["original_wh"][0] - pinfo["original_wh"][1]) // 2],
        "resized_hw": pinfo["resized_hw"], "resample": "PIL.Image.BICUBIC",
        "pillow_version": PIL.__version__,
        "pillow_resize_reimplemented_exactly": pinfo["pillow_resize_reimplemented_exactly"],
        "pixel_values_max_abs_diff_vs_all_float64_normalize": float(f"{pinfo['max_abs_diff_vs_float64']:.3g}"),
    }

    summary = []
    results = {}
    for case, layout, dtype in (("llava-hf-f32", "llava-hf", torch.float32),
                                ("llava-original-f32", "llava-original", torch.float32),
                                ("llava-hf-bf16", "llava-hf", torch.bfloat16)):
        print(f"[{case}]")
        torch_dtype = {torch.float32: "float32", torch.bfloat16: "bfloat16"}[dtype]
        cfg = hf_config(torch_dtype) if layout == "llava-hf" else original_config(torch_dtype)
        stored = {k: v.to(dtype) for k, v in master.items()}
        w = {k: v.to(torch.float64) for k, v in stored.items()}
        spec = spec_from_config(cfg, "") if layout == "llava-hf" else LlavaSpec(
            gg.LlamaConfig.from_hf_dict(cfg), vcfg, cfg["mm_vision_select_layer"], False,
            ORIGINAL_IMAGE_TOKEN, "gelu")

        if case == "llava-original-f32":
            # Same weights and prompt as llava-hf-f32, only names/placeholder differ.
            base_ids, base_res, gap, pseed = results["llava-hf-f32"]
            ids = with_placeholder(base_ids, HF_IMAGE_TOKEN, ORIGINAL_IMAGE_TOKEN)
            res = llava_forward(spec, w, ids, pv64)
            for key in ("vision_hidden_states", "projector_output", "logits", "greedy_logits",
                        "decoder_hidden_states"):
                if not torch.equal(res[key], base_res[key]):
                    raise AssertionError(f"SELF-CHECK FAILED: {case} {key} != llava-hf-f32")
            assert res["greedy_new_tokens"] == base_res["greedy_new_tokens"]
            print("  original layout reproduces llava-hf-f32 exactly (bit-identical float64)")
        else:
            ids, res, gap, pseed = find_prompt(spec, w, pv64, case)
        results[case] = (ids, res, gap, pseed)

        checks = self_checks(case, spec, w, pv64, res)
        f32 = float32_check(case, spec, stored, pv32, ids, res)
        sens = sensitivity(spec, w, ids, pv64, res) if case == "llava-hf-f32" else None
        if case == "llava-original-f32":
            checks["identical_to_llava_hf_f32"] = True

        T = res["embeds"].shape[0]
        start = res["image_start"]
        golden = {
            "case": case,
            "layout": layout,
            "dtype": gg.DTYPE_NAMES[dtype],
            "input_ids": ids,
            "image_placeholder_id": spec.placeholder,
            "image_token_count": vcfg.num_patches,
            "merged_length": T,
            "image_start": start,
            "image_end": start + vcfg.num_patches,
            "greedy_new_tokens": res["greedy_new_tokens"],
            "max_new_tokens": MAX_NEW_TOKENS,
            "stopped_on_eos": False,
            "min_top2_gap": round(gap, 6),
            "prompt_seed": pseed,
            "vision_feature_layer_index": spec.feature_layer % (vcfg.num_hidden_layers + 1),
            "image": image_info,
            "float32_max_abs_diff": f32,
            "self_checks": checks,
        }
        if layout == "llava-hf":
            golden["expanded_input_ids"] = ids[:start] + [spec.placeholder] * vcfg.num_patches + ids[start + 1:]
        if sens is not None:
            golden["sensitivity_max_abs_logit_diff"] = sens
        golden["notes"] = (
            f"{'llava-hf (LlavaForConditionalGeneration)' if layout == 'llava-hf' else 'original LLaVA (LlavaLlamaForCausalLM, tower in clip-vision-tower/)'} "
            f"layout, {gg.DTYPE_NAMES[dtype]} weights"
            + (" (the F32 master weights rounded to BF16, RNE; reference computed from the rounded values; "
               "pixel_values are NOT rounded)" if dtype == torch.bfloat16 else "")
            + ". Everything computed in float64 by tests/golden/generate_llava_golden.py from "
              "pixel_values.npy and stored as float32. vision_hidden_states[0] = embeddings after "
              "pre_layrnorm, [i+1] = output of CLIP layer i; vision_features = "
              "vision_hidden_states[vision_feature_layer_index][1:] (no post_layernorm); "
              "decoder_hidden_states[i] = residual input of decoder layer i, [L] = before the final norm; "
              "greedy_logits row s = last position of the merged sequence + greedy_new_tokens[:s].")
        write_case_files(case, layout, torch_dtype, stored, spec, ids, res, pv_np, png_bytes, golden)
        verify_from_disk(case, res, ids)
        print(f"  written + re-verified from disk: {rel(os.path.join(OUT_ROOT, case))}")
        print(f"  input_ids         = {ids}")
        print(f"  image_start       = {start}, merged_length = {T}")
        print(f"  greedy_new_tokens = {res['greedy_new_tokens']}")
        print(f"  min top-2 gap     = {gap:.4f}; float32 path max |diff| = {f32}")
        if sens is not None:
            print(f"  sensitivity       = {sens}")
        summary.append(case)

    # The two F32 layouts must agree on everything stored.
    a, b = (os.path.join(OUT_ROOT, c) for c in ("llava-hf-f32", "llava-original-f32"))
    for fn in ("pixel_values.npy", "vision_hidden_states.npy", "vision_features.npy",
               "projector_output.npy", "logits.npy", "greedy_logits.npy", "decoder_hidden_states.npy",
               "image.png"):
        assert open(os.path.join(a, fn), "rb").read() == open(os.path.join(b, fn), "rb").read(), fn

    total = 0
    for case in summary:
        for root, _, files in os.walk(os.path.join(OUT_ROOT, case)):
            for fn in files:
                total += os.path.getsize(os.path.join(root, fn))
    print(f"total LLaVA output size: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
