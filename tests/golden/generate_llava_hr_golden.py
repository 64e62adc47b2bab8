#!/usr/bin/env python3
"""LLaVA-HR goldens (issue 28), produced by the released model code itself.

Writes tests/src/test/resources/golden/llava-hr/:

* ``model/``  a tiny gamma-MoD LLaVA-HR (``mod_llava_llama``, ``is_multipath_encoder``) in the layout and file
  format of ``YaxinLuo/Gamma-MoD-llava-hr-7b-0.34``: ``pytorch_model.bin`` (torch.save of the model's state dict,
  so the shared router is stored under every MoD layer), ``config.json`` with the fields the released training
  script sets (``vision_tower_slow``, ``input_image_size`` 1024, ``freeze_vision`` false, ``mm_projector_type``
  mlp2x_gelu, ``mod.mod_layers_idx``), and ``clip-vision-tower/config.json`` (the tiny CLIP's config, which the
  released checkpoints take from the hub id ``openai/clip-vit-large-patch14-336``).
* ``model-router-once/``  the same weights as ``model.safetensors`` with the tied router stored once (under the first
  MoD layer), as ``save_pretrained`` writes shared tensors.
* ``image.png``  a small RGB picture (non-square: padded to a square, then bicubic-resized to 1024).
* ``golden.json``  input ids, pixel checks, greedy ids and per-layer routing of dense and gmod.
* ``vision_features.npy``  float32 [1024, 32]: the multipath tower's output (before the projector).
* ``<schedule>_greedy_logits.npy``  float32 [8, vocab] (row 0: the last prompt row), for dense and gmod.

References (all float64 except where the released code casts to float32 itself, e.g. its F.interpolate calls):

* the vision side is γ-MoD's own ``MultiPathCLIPVisionTower`` (gamma_mod/model/multimodal_encoder/
  multipath_encoder_wapper.py: ConvNeXt slow branch from its convnext.py on timm, CLIP fast branch at
  448 px with bicubic-resampled position embeddings from clip_encoder.py, the three ``S2FStitchAlignModuleV2``
  MR-adapters and the final ``MultiPathAlignModule``), imported from a snapshot of Yaxin9Luo/Gamma-MOD given by
  ``GAMMA_MOD_SRC`` (default /tmp/gmod-src; its ``gamma_mod`` package is not imported as a whole: its language
  model files need the transformers of 2023). The tiny ConvNeXt is that file's ``ConvNeXt`` class with small
  depths and widths, standing in for ``convnext_large_mlp`` (same block: depthwise 7x7, LayerNorm, MLP, layer scale).
* the image: γ-MoD's ``process_images`` (gamma_mod/mm_utils.py, ``image_aspect_ratio`` pad) with the slow tower's
  ``CLIPImageProcessor`` as ``ConvNextVisionTower.load_model`` builds it (size = ``input_image_size``).
* projector (``build_vision_projector``, mlp2x_gelu) and the decoder with and without gamma-MoD: the independent
  schedule reference of generate_schedule_golden.py (``run_schedule``), which ports γ-MoD's
  ``MoDLlamaDecoderLayer_forward_inference`` (prefill keeps p > 0.005, decode skips p < 0.5).

timm needs torchvision only for modules ConvNeXt does not use; the refenv's torchvision wheel does not match its
torch, so torchvision imports are answered by empty stand-ins here.

    GAMMA_MOD_SRC=/tmp/gmod-src /opt/refenv/bin/python tests/golden/generate_llava_hr_golden.py

(``git --git-dir=/work/.mirror/Yaxin9Luo+Gamma-MOD/repo archive HEAD gamma_mod | tar x -C /tmp/gmod-src``.)
Deterministic (fixed seeds, one thread); raises if a check fails.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import math
import os
import shutil
import subprocess
import sys
import types
from types import SimpleNamespace

import numpy as np
import torch

sys.dont_write_bytecode = True
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate_golden as gg  # noqa: E402
import generate_schedule_golden as gs  # noqa: E402

OUT = os.environ.get("LLAVA_HR_GOLDEN_OUT", os.path.join(gg.OUT_ROOT, "llava-hr"))
GAMMA_MOD_SRC = os.environ.get("GAMMA_MOD_SRC", "/tmp/gmod-src")
ENCODER_DIR = os.path.join(GAMMA_MOD_SRC, "gamma_mod", "model", "multimodal_encoder")

INPUT_IMAGE_SIZE = 1024
CLIP = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=8, num_attention_heads=4, image_size=336,
            patch_size=14, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=32)
CONVNEXT_DEPTHS = (1, 1, 2, 1)
CONVNEXT_DIMS = (8, 12, 16, 24)
VOCAB, D, HEADS, LAYERS, MLP = 384, 64, 4, 4, 128
MOD_LAYERS = [1, 2, 3]
MAX_NEW_TOKENS = 8


class _TorchvisionStandIn(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``import torchvision...`` with modules whose every attribute is an empty nn.Module subclass."""

    class _Meta(type(torch.nn.Module)):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _TorchvisionStandIn._Meta(name, (torch.nn.Module,), {})

    class _Module(types.ModuleType):
        __path__ = []

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _TorchvisionStandIn._Meta(name, (torch.nn.Module,), {})

    def find_spec(self, fullname, path, target=None):
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _TorchvisionStandIn._Module(spec.name)

    def exec_module(self, module):
        pass


def import_released_code():
    """γ-MoD's encoder package and mm_utils, without running gamma_mod/__init__.py."""
    sys.meta_path.insert(0, _TorchvisionStandIn())
    import warnings
    warnings.filterwarnings("ignore")
    enc = types.ModuleType("gamma_mod_encoder")
    enc.__path__ = [ENCODER_DIR]
    sys.modules["gamma_mod_encoder"] = enc
    pkg = types.ModuleType("gamma_mod")
    pkg.__path__ = [os.path.join(GAMMA_MOD_SRC, "gamma_mod")]
    sys.modules["gamma_mod"] = pkg
    import gamma_mod_encoder.multipath_encoder_wapper as multipath
    import gamma_mod_encoder.convnext as convnext
    import gamma_mod_encoder.convnext_encoder as convnext_encoder
    import gamma_mod.mm_utils as mm_utils
    return multipath, convnext, convnext_encoder, mm_utils


def randomize(module: torch.nn.Module, seed: int, std: float = 0.2) -> None:
    g = torch.Generator().manual_seed(seed)
    for name, p in sorted(module.named_parameters()):
        with torch.no_grad():
            if name.endswith("norm.weight") or ".norm" in name and name.endswith("weight") \
                    or "layer_norm" in name and name.endswith("weight") or "layrnorm.weight" in name \
                    or name.endswith("stem.1.weight") or name.endswith("downsample.0.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.ndim == 1 and name.endswith(".weight"):   # ConvNeXt layer scale
                p.copy_(0.5 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel() if p.ndim > 1 else 1
                scale = std if p.ndim == 1 else 1.0 / math.sqrt(fan_in)
                p.copy_(scale * torch.randn(p.shape, generator=g))


def build_tower(multipath, convnext, convnext_encoder, clip_dir: str):
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    clip = CLIPVisionModel(CLIPVisionConfig(**CLIP))
    randomize(clip, 101, std=0.1)
    clip.save_pretrained(clip_dir, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}).save_pretrained(clip_dir)

    class TinyConvNeXt(convnext.ConvNeXt):
        # ConvNextVisionTower.load_model sets hidden_size to convnext_large_mlp's 1536; the tiny one has its own.
        @property
        def hidden_size(self):
            return CONVNEXT_DIMS[-1]

        @hidden_size.setter
        def hidden_size(self, value):
            pass

    def tiny_convnext_large_mlp(*args, **kwargs):
        model = TinyConvNeXt(depths=CONVNEXT_DEPTHS, dims=CONVNEXT_DIMS, head_hidden_size=CONVNEXT_DIMS[-1],
                             num_classes=16)
        randomize(model, 202)
        return model

    convnext_encoder.convnext_large_mlp = tiny_convnext_large_mlp
    args = SimpleNamespace(vision_tower_slow="convnext_large_mlp.clip_laion2b_ft_320", freeze_vision=False,
                           input_image_size=INPUT_IMAGE_SIZE, mm_vision_select_layer=-2,
                           mm_vision_select_feature="patch", tune_mm_mlp_adapter=True)
    tower = multipath.MultiPathCLIPVisionTower(clip_dir, args)
    randomize(tower.align_stages_latent, 303, std=0.1)
    randomize(tower.align_stages, 404, std=0.1)
    return tower.eval()


def make_image(path: str) -> None:
    from PIL import Image
    w, h = 37, 26
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 7 + yy * 3) % 256, (xx * xx + 5 * yy) % 256, (40 + 9 * yy - 2 * xx) % 256], -1)
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(path)


def decoder_weights(seed: int):
    cfg_json = {"vocab_size": VOCAB, "hidden_size": D, "intermediate_size": MLP, "num_hidden_layers": LAYERS,
                "num_attention_heads": HEADS, "num_key_value_heads": HEADS, "max_position_embeddings": 2048,
                "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_theta": 10000.0, "bos_token_id": 1,
                "eos_token_id": 2, "tie_word_embeddings": False}
    cfg = gg.LlamaConfig.from_hf_dict(cfg_json)
    w = gg.init_llama_weights(cfg, seed)
    return cfg_json, cfg, {k: v.double() for k, v in w.items()}


def main() -> int:
    multipath, convnext, convnext_encoder, mm_utils = import_released_code()
    import transformers
    import timm
    from PIL import Image

    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    model_dir = os.path.join(OUT, "model")
    clip_dir = os.path.join(model_dir, "clip-vision-tower")
    os.makedirs(clip_dir)
    tower = build_tower(multipath, convnext, convnext_encoder, clip_dir)
    # The checkpoint carries the tower's weights; the tower directory only its config (as the hub's does).
    for f in os.listdir(clip_dir):
        if f != "config.json":
            os.remove(os.path.join(clip_dir, f))

    image_path = os.path.join(OUT, "image.png")
    make_image(image_path)
    processor = tower.image_processor
    pv = mm_utils.process_images([Image.open(image_path).convert("RGB")], processor,
                                 SimpleNamespace(image_aspect_ratio="pad"))
    assert tuple(pv.shape) == (1, 3, INPUT_IMAGE_SIZE, INPUT_IMAGE_SIZE), pv.shape

    tower64 = tower.double()
    with torch.no_grad():
        features = tower64(pv.double())[0]                        # [1024, 32]
    assert tuple(features.shape) == (1024, CLIP["hidden_size"]), features.shape

    cfg_json, cfg, dec = decoder_weights(2801)
    g = torch.Generator().manual_seed(2802)
    proj = {"model.mm_projector.0.weight": torch.randn(D, CLIP["hidden_size"], generator=g) / math.sqrt(32),
            "model.mm_projector.0.bias": 0.1 * torch.randn(D, generator=g),
            "model.mm_projector.2.weight": torch.randn(D, D, generator=g) / math.sqrt(D),
            "model.mm_projector.2.bias": 0.1 * torch.randn(D, generator=g)}
    p64 = {k: v.double() for k, v in proj.items()}
    # build_vision_projector's mlp2x_gelu: Linear, nn.GELU (exact), Linear.
    image_rows = torch.nn.functional.gelu(features @ p64["model.mm_projector.0.weight"].T
                                          + p64["model.mm_projector.0.bias"])
    image_rows = image_rows @ p64["model.mm_projector.2.weight"].T + p64["model.mm_projector.2.bias"]

    ids = [1] + gg.make_prompt(2803, 6, VOCAB)[1:] + [-200] + gg.make_prompt(2804, 7, VOCAB)[1:]
    s = ids.index(-200)
    emb = dec["model.embed_tokens.weight"]
    embeds = torch.cat([emb[torch.tensor(ids[:s])], image_rows, emb[torch.tensor(ids[s + 1:])]])
    base = gs.Model(cfg, dec, embeds, s, image_rows.shape[0])

    dense = gs.run_schedule(base, gs.parse_spec("dense"))
    gap = gg.check_rows(list(dense["greedy_logits"]), "dense")
    router, gmod = None, None
    for attempt in range(40):
        g = torch.Generator().manual_seed(2900 + attempt)
        raw = torch.randn(2, D, generator=g, dtype=torch.float32)
        x1 = dense["prefill_layer_inputs"][MOD_LAYERS[0]]
        h = gg.rms_norm(x1, base.lw(MOD_LAYERS[0])["input_layernorm.weight"], cfg.rms_norm_eps)
        z = h @ (raw[1] - raw[0]).double()
        q = float(torch.quantile(z, 0.4))
        if q >= 0:
            continue
        cand = (raw.double() * (-7.0 / q)).float()
        m = gs.Model(cfg, dec, embeds, s, image_rows.shape[0], gmod_router=cand.double(), gmod_layers=MOD_LAYERS)
        r = gs.run_schedule(m, gs.parse_spec("gmod"))
        shares = list(r["gmod_skipped_share"].values())
        dec_routing = [l in p for p in r["decode_processed"] for l in MOD_LAYERS]
        if (r["gmod_prefill_p_margin"] > gs.GMOD_PREFILL_REL_MARGIN
                and r["gmod_decode_p_margin"] > gs.GMOD_DECODE_ABS_MARGIN
                and all(0.2 <= x <= 0.8 for x in shares) and any(dec_routing) and not all(dec_routing)
                and gg.check_rows(list(r["greedy_logits"]), "gmod") > gg.MIN_TOP2_GAP):
            router, gmod = cand, r
            break
    assert router is not None, "no router candidate met the margins"
    # The other schedules on the same model (they are LLaMA decoders with an image span; docs/methods.md).
    with_router = gs.Model(cfg, dec, embeds, s, image_rows.shape[0], gmod_router=router.double(),
                           gmod_layers=MOD_LAYERS)
    others = {}
    # The first spec of each whose top-k boundaries are not near-ties (random weights tie easily over 1024 rows).
    for name, specs in (("fastv", ("fastv:k=2;r=0.5", "fastv:k=3;r=0.5", "fastv:k=2;r=0.75", "fastv:k=3;r=0.25")),
                        ("pdrop", ("pdrop:layers=2;ratios=0.5", "pdrop:layers=3;ratios=0.5",
                                   "pdrop:layers=2;ratios=0.25", "pdrop:layers=3;ratios=0.75"))):
        for spec in specs:
            r = gs.run_schedule(with_router, gs.parse_spec(spec))
            if (all(g > gs.ATTN_RANK_REL_GAP for g in r["rank_gaps"].values())
                    and gg.check_rows(list(r["greedy_logits"]), name) > gg.MIN_TOP2_GAP):
                others[name] = (spec, r)
                break
        assert name in others, f"no {name} spec without near-ties"

    # The checkpoint: γ-MoD's state dict names (MoDLLaVALlamaForCausalLM: model.*, lm_head; the tower under
    # model.vision_tower.*; the shared router under every MoD layer, as torch.save writes a shared module).
    state = {}
    for k, v in dec.items():
        state[k] = v.float()
    for k, v in proj.items():
        state[k] = v.float()
    for k, v in tower.state_dict().items():
        if "num_batches_tracked" in k or k.endswith("position_ids"):
            continue
        state["model.vision_tower." + k] = v.float()
    for layer in MOD_LAYERS:
        state[f"model.layers.{layer}.router.weight"] = router.clone()
    state = dict(sorted(state.items()))
    torch.save(state, os.path.join(model_dir, "pytorch_model.bin"))

    config = dict(cfg_json)
    config.update({
        "architectures": ["MoDLLaVALlamaForCausalLM"], "model_type": "mod_llava_llama", "torch_dtype": "float32",
        "mm_vision_tower": "clip-vision-tower", "vision_tower_slow": "convnext_large_mlp.clip_laion2b_ft_320",
        "is_multipath_encoder": True, "input_image_size": INPUT_IMAGE_SIZE, "freeze_vision": False,
        "mm_projector_type": "mlp2x_gelu", "mm_hidden_size": CLIP["hidden_size"], "mm_vision_select_layer": -2,
        "mm_vision_select_feature": "patch", "mm_use_im_start_end": False, "mm_use_im_patch_token": False,
        "image_aspect_ratio": "pad", "tune_mm_mlp_adapter": False, "use_mm_proj": True,
        "mod": {"mod_enable": True, "mod_mode": "arank_mod", "mod_layers_idx": MOD_LAYERS, "capacity_factor": 0.5,
                "router_aux_loss_coef": 0.01},
    })
    gg.write_json(os.path.join(model_dir, "config.json"), config)

    once_dir = os.path.join(OUT, "model-router-once")
    shutil.copytree(model_dir, once_dir)
    os.remove(os.path.join(once_dir, "pytorch_model.bin"))
    once = {k: v for k, v in state.items()
            if not (k.endswith("router.weight") and k != f"model.layers.{MOD_LAYERS[0]}.router.weight")}
    gg.write_safetensors(os.path.join(once_dir, "model.safetensors"), once)

    gg.write_npy(os.path.join(OUT, "vision_features.npy"), features)
    runs = [("dense", "dense", dense), ("gmod", "gmod", gmod)] + [(n, sp, r) for n, (sp, r) in others.items()]
    for name, _, rec in runs:
        gg.write_npy(os.path.join(OUT, name + "_greedy_logits.npy"), rec["greedy_logits"])
    flat = pv[0].double()
    picks = [[c, y, x] for c, y, x in ((0, 0, 0), (1, 511, 512), (2, 1023, 1023), (0, 300, 700), (1, 900, 100),
                                       (2, 150, 150), (0, 700, 20))]
    golden = {
        "input_ids": ids, "image": "image.png", "image_rows": int(image_rows.shape[0]),
        "merged_length": int(embeds.shape[0]),
        "pixel_sum": float(flat.sum()), "pixel_abs_sum": float(flat.abs().sum()),
        "pixel_samples": [{"at": p, "value": float(flat[p[0], p[1], p[2]])} for p in picks],
        "mod_layers": MOD_LAYERS,
        "schedules": {
            name: {"spec": spec, "greedy_new_tokens": rec["greedy_new_tokens"],
                   "prefill_processed_counts": [len(p) for p in rec["prefill_processed"]],
                   "kv_lengths_after_decode": rec["kv_lengths"]["after_decode"]}
            for name, spec, rec in runs},
        "min_top2_gap": gap,
        "metadata": {
            "generator": "tests/golden/generate_llava_hr_golden.py",
            "gamma_mod_commit": subprocess.run(
                ["git", "--git-dir=/work/.mirror/Yaxin9Luo+Gamma-MOD/repo", "rev-parse", "HEAD"],
                capture_output=True, text=True).stdout.strip() or "unknown",
            "torch": torch.__version__, "transformers": transformers.__version__, "timm": timm.__version__,
            "clip": CLIP, "convnext_depths": CONVNEXT_DEPTHS, "convnext_dims": CONVNEXT_DIMS,
        },
    }
    gg.write_json(os.path.join(OUT, "golden.json"), golden)
    for name, _, rec in runs:
        print(name, rec["greedy_new_tokens"], "processed", [len(p) for p in rec["prefill_processed"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
