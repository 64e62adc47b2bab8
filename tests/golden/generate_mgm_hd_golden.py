#!/usr/bin/env python3
"""Mini-Gemini-HD goldens (issue 28), produced by the released model code itself.

Writes tests/src/test/resources/golden/mgm-hd/:

* ``model/``  a tiny γ-MoD Mini-Gemini-HD (``mod_mgm``) in the layout and file format of
  ``YaxinLuo/Gamma-MoD-Mini-Gemini-HD-7b-0.5``: ``model.safetensors`` (the decoder, ``model.mm_projector``, the CLIP
  tower under ``model.vision_tower.vision_tower``, the OpenCLIP ConvNeXt under ``model.vision_tower_aux.vision_stem`` /
  ``vision_stages``, the patch info mining under ``model.vlm_uni_*``, the shared router under every MoD layer),
  ``config.json`` with the fields MGM's training script sets (``mm_vision_tower_aux``, ``image_size_aux``,
  ``image_grid`` 2, ``image_global`` true, ``mm_projector_type`` mlp2x_gelu, ``mm_vision_select_layer`` -2,
  ``mod.mod_layers_idx``), and ``clip-vision-tower/config.json`` (the tiny CLIP's config; the released checkpoints
  name ``openai/clip-vit-large-patch14-336``).
* ``image.png``  a small RGB picture (non-square: padded to a square, then bicubic-resized to image_size_aux).
* ``golden.json``  input ids, pixel checks, greedy ids and per-layer routing of dense, gmod, fastv and pdrop.
* ``vision_features.npy``  float32 [2880, 32]: the image features after patch info mining, before the projector.
* ``<schedule>_greedy_logits.npy``  float32 [8, vocab] (row 0: the last prompt row).

References (float64, except where the released code casts to float32 itself: its F.interpolate calls on features):

* the vision side is MGM's own code as γ-MoD ships it (gamma_mod/MGM/mgm, from a snapshot of Yaxin9Luo/Gamma-MOD given
  by ``GAMMA_MOD_SRC``, default /tmp/gmod-src): ``MGMMetaForCausalLM.encode_images`` and ``unified_resampler``
  (mgm_arch.py), ``MGMMetaModel.initialize_uni_modules`` (which builds the three LayerNorm + Linear projections),
  ``CLIPVisionTower`` (clip_encoder.py) and ``OpenCLIPVisionTower`` (openclip_encoder.py, whose ``load_model`` builds
  open_clip's timm trunk and reads an ``open_clip_pytorch_model.bin``). The tiny trunk is timm's ``ConvNeXt`` (the
  class of ``convnext_large``, which open_clip's ``convnext_large_d_320`` names) with small depths and widths,
  registered in timm under a name of its own and given to the released loader through ``get_model_config``.
  mgm_arch.py imports deepspeed and ``transformers.deepspeed``, absent here: both are stand-ins whose
  ``is_deepspeed_zero3_enabled`` is false (the inference path).
* the views: ``CustomDataset.__getitem__`` of gamma_mod/MGM/mgm/eval/model_vqa_loader.py, ported line by line below
  (``loader_views``; the file cannot be imported: it reads a global ``args``), with MGM's ``process_images``
  (mm_utils.py, ``image_aspect_ratio`` pad) imported.
* projector and the decoder with and without γ-MoD: the independent schedule reference of generate_schedule_golden.py
  (``run_schedule``), which ports γ-MoD's ``MoDLlamaDecoderLayer_forward_inference`` (the same function in
  mod_mgm_llama.py as in LLaVA-HR's: prefill keeps p > 0.005, decode skips p < 0.5).

Needs open_clip in the reference environment (``pip install --no-deps open-clip-torch ftfy wcwidth`` from the
wheelhouse); torchvision imports are answered by empty stand-ins as in generate_llava_hr_golden.py.

    GAMMA_MOD_SRC=/tmp/gmod-src /opt/refenv/bin/python tests/golden/generate_mgm_hd_golden.py

Deterministic (fixed seeds, one thread); raises if a check fails.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
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
import generate_llava_hr_golden as hr  # noqa: E402

OUT = os.environ.get("MGM_HD_GOLDEN_OUT", os.path.join(gg.OUT_ROOT, "mgm-hd"))
GAMMA_MOD_SRC = os.environ.get("GAMMA_MOD_SRC", "/tmp/gmod-src")
MGM_DIR = os.path.join(GAMMA_MOD_SRC, "gamma_mod", "MGM", "mgm")

IMAGE_SIZE_AUX = 768          # γ-MoD's mod_mgm_finetune.sh (AUX_SIZE=768); MGM-HD's own stage 2 uses 1536
IMAGE_GRID = 2
IMAGE_GLOBAL = True
CLIP = hr.CLIP                # 336 px, patch 14: 576 rows per view, 5 views
CONVNEXT_DEPTHS = (1, 1, 2, 1)
CONVNEXT_DIMS = (8, 12, 16, 24)
AUX_NAME = "openclip-convnext-large-d-320-laion2B-s29B-b131K-ft-soup"
VOCAB, D = hr.VOCAB, hr.D
MOD_LAYERS = hr.MOD_LAYERS
SPREAD = float(os.environ.get("MGM_HD_ROUTER_SPREAD", "300"))


def import_released_code():
    """MGM's mgm_arch, encoders and mm_utils, without running mgm/model/__init__.py (its language models)."""
    sys.meta_path.insert(0, hr._TorchvisionStandIn())
    import warnings
    warnings.filterwarnings("ignore")
    zero3_off = lambda *a, **k: False  # noqa: E731
    ds = types.ModuleType("deepspeed")
    ds.zero = SimpleNamespace(GatheredParameters=None)
    sys.modules["deepspeed"] = ds
    tds = types.ModuleType("transformers.deepspeed")
    tds.is_deepspeed_zero3_enabled = zero3_off
    tds.deepspeed_config = lambda: None
    sys.modules["transformers.deepspeed"] = tds
    for name, path in (("mgm", MGM_DIR), ("mgm.model", os.path.join(MGM_DIR, "model"))):
        pkg = types.ModuleType(name)
        pkg.__path__ = [path]
        sys.modules[name] = pkg
    import mgm.model.mgm_arch as mgm_arch
    import mgm.model.multimodal_encoder.clip_encoder as clip_encoder
    import mgm.model.multimodal_encoder.openclip_encoder as openclip_encoder
    import mgm.model.multimodal_projector.builder as projector_builder
    import mgm.mm_utils as mm_utils
    return mgm_arch, clip_encoder, openclip_encoder, projector_builder, mm_utils


def tiny_openclip_config():
    import timm
    from timm.models import register_model
    from timm.models.convnext import _create_convnext

    if "mod4j_tiny_convnext" not in timm.list_models("mod4j_*"):
        @register_model
        def mod4j_tiny_convnext(pretrained=False, **kwargs):
            # timm's convnext_large, with small depths and widths.
            model_args = dict(depths=CONVNEXT_DEPTHS, dims=CONVNEXT_DIMS)
            return _create_convnext("convnext_large", pretrained=False, **dict(model_args, **kwargs))

    return {"embed_dim": 16,
            "vision_cfg": {"timm_model_name": "mod4j_tiny_convnext", "timm_model_pretrained": False,
                           "timm_pool": "", "timm_proj": "mlp", "timm_drop": 0.0, "timm_drop_path": 0.1,
                           "image_size": 320},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1}}


def build_aux_tower(openclip_encoder, work: str):
    """The released OpenCLIPVisionTower.load_model on a tiny open_clip checkpoint written here."""
    aux_dir = os.path.join(work, AUX_NAME)
    os.makedirs(aux_dir)
    cfg = tiny_openclip_config()
    openclip_encoder.get_model_config = lambda name: json.loads(json.dumps(cfg))
    gg.write_json(os.path.join(aux_dir, "open_clip_config.json"), {"model_cfg": cfg})
    torch.manual_seed(0)
    source = openclip_encoder.CLIP(**json.loads(json.dumps(cfg)), drop_path=False)
    source.visual.trunk.norm_pre = None
    source.visual.trunk.head = None
    source.visual.head = None
    hr.randomize(source.visual.trunk, 505)
    torch.save(source.state_dict(), os.path.join(aux_dir, "open_clip_pytorch_model.bin"))
    # load_model takes its model type from the directory's name (convnext + large + d-320).
    tower = openclip_encoder.OpenCLIPVisionTower(aux_dir, SimpleNamespace(optimize_vision_tower_aux=False,
                                                                          drop_path=False))
    tower.model_channel = list(CONVNEXT_DIMS)  # the tiny trunk's; load_model lists convnext_large's
    return tower.eval()


def build_clip_tower(clip_encoder, clip_dir: str):
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    clip = CLIPVisionModel(CLIPVisionConfig(**CLIP))
    hr.randomize(clip, 101, std=0.1)
    clip.save_pretrained(clip_dir, safe_serialization=True)
    CLIPImageProcessor(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}).save_pretrained(clip_dir)
    return clip_encoder.CLIPVisionTower(clip_dir, SimpleNamespace(mm_vision_select_layer=-2,
                                                                   mm_vision_select_feature="patch")).eval()


def loader_views(image, image_processor, model_config, process_images):
    """model_vqa_loader.py CustomDataset.__getitem__, the image lines, ported line by line."""
    if hasattr(model_config, 'image_size_aux'):
        if not hasattr(image_processor, 'image_size_raw'):
            image_processor.image_size_raw = image_processor.crop_size.copy()
        image_processor.crop_size['height'] = model_config.image_size_aux
        image_processor.crop_size['width'] = model_config.image_size_aux
        image_processor.size['shortest_edge'] = model_config.image_size_aux

    image_tensor = process_images([image], image_processor, model_config)[0]

    image_grid = getattr(model_config, 'image_grid', 1)
    if hasattr(model_config, 'image_size_aux'):
        raw_shape = [image_processor.image_size_raw['height'] * image_grid,
                     image_processor.image_size_raw['width'] * image_grid]
        image_tensor_aux = image_tensor
        image_tensor = torch.nn.functional.interpolate(image_tensor[None],
                                                       size=raw_shape,
                                                       mode='bilinear',
                                                       align_corners=False)[0]
    else:
        image_tensor_aux = []

    if image_grid >= 2:
        raw_image = image_tensor.reshape(3,
                                         image_grid,
                                         image_processor.image_size_raw['height'],
                                         image_grid,
                                         image_processor.image_size_raw['width'])
        raw_image = raw_image.permute(1, 3, 0, 2, 4)
        raw_image = raw_image.reshape(-1, 3,
                                      image_processor.image_size_raw['height'],
                                      image_processor.image_size_raw['width'])

        if getattr(model_config, 'image_global', False):
            global_image = image_tensor
            if len(global_image.shape) == 3:
                global_image = global_image[None]
            global_image = torch.nn.functional.interpolate(global_image,
                                                           size=[image_processor.image_size_raw['height'],
                                                                 image_processor.image_size_raw['width']],
                                                           mode='bilinear',
                                                           align_corners=False)
            # [image_crops, image_global]
            raw_image = torch.cat([raw_image, global_image], dim=0)
        image_tensor = raw_image.contiguous()

    return image_tensor, image_tensor_aux


def main() -> int:
    mgm_arch, clip_encoder, openclip_encoder, projector_builder, mm_utils = import_released_code()
    import transformers
    import timm
    import open_clip
    from PIL import Image

    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    model_dir = os.path.join(OUT, "model")
    clip_dir = os.path.join(model_dir, "clip-vision-tower")
    os.makedirs(clip_dir)
    clip_tower = build_clip_tower(clip_encoder, clip_dir)
    processor = clip_tower.image_processor
    # The checkpoint carries the tower's weights; the tower directory only its config (as the hub's does).
    for f in os.listdir(clip_dir):
        if f != "config.json":
            os.remove(os.path.join(clip_dir, f))
    work = tempfile.mkdtemp(prefix="mgm-hd-")
    aux_tower = build_aux_tower(openclip_encoder, work)
    shutil.rmtree(work)

    # The model's vision modules, built by the released code: MGMMetaModel.initialize_uni_modules makes the patch
    # info mining projections (an empty adapter file: nothing to load), build_vision_projector the projector.
    model_config = SimpleNamespace(mm_hidden_size=CLIP["hidden_size"], mm_hidden_size_aux=sum(CONVNEXT_DIMS),
                                   hidden_size=D, mm_projector_type="mlp2x_gelu", image_grid=IMAGE_GRID,
                                   image_global=IMAGE_GLOBAL, image_aspect_ratio="pad")

    class TinyMGMModel(torch.nn.Module):
        get_vision_tower = mgm_arch.MGMMetaModel.get_vision_tower
        get_vision_tower_aux = mgm_arch.MGMMetaModel.get_vision_tower_aux

    inner = TinyMGMModel()
    inner.config = model_config
    inner.vision_tower = clip_tower
    inner.vision_tower_aux = aux_tower
    inner.mm_projector = projector_builder.build_vision_projector(model_config)
    empty = os.path.join(OUT, "empty-adapter.bin")
    torch.save({}, empty)
    mgm_arch.MGMMetaModel.initialize_uni_modules(inner, SimpleNamespace(pretrain_mm_mlp_adapter=empty,
                                                                        image_size_aux=IMAGE_SIZE_AUX))
    os.remove(empty)
    for i, name in enumerate(("vlm_uni_query_projector", "vlm_uni_aux_projector", "vlm_uni_val_projector")):
        hr.randomize(getattr(inner, name), 606 + i, std=0.1)
    hr.randomize(inner.mm_projector, 2802, std=0.1)

    class TinyMGM(mgm_arch.MGMMetaForCausalLM):
        def __init__(self, model, config):
            self.model = model
            self.config = config

        def get_model(self):
            return self.model

    image_path = os.path.join(OUT, "image.png")
    hr.make_image(image_path)
    images, images_aux = loader_views(Image.open(image_path).convert("RGB"), processor, model_config,
                                      mm_utils.process_images)
    assert tuple(images.shape) == (5, 3, 336, 336), images.shape
    assert tuple(images_aux.shape) == (3, IMAGE_SIZE_AUX, IMAGE_SIZE_AUX), images_aux.shape

    inner64 = inner.double()
    mgm = TinyMGM(inner64, model_config)
    captured = {}
    hook = inner64.mm_projector.register_forward_hook(lambda m, args, out: captured.update(features=args[0],
                                                                                           rows=out))
    with torch.no_grad():
        image_rows = mgm.encode_images(images[None].double(), images_aux[None].double())[0]
    hook.remove()
    features = captured["features"][0]
    assert tuple(features.shape) == (2880, CLIP["hidden_size"]), features.shape
    assert tuple(image_rows.shape) == (2880, D), image_rows.shape

    cfg_json, cfg, dec = hr.decoder_weights(2801)
    ids = [1] + gg.make_prompt(2803, 6, VOCAB)[1:] + [-200] + gg.make_prompt(2804, 7, VOCAB)[1:]
    s = ids.index(-200)
    emb = dec["model.embed_tokens.weight"]
    embeds = torch.cat([emb[torch.tensor(ids[:s])], image_rows, emb[torch.tensor(ids[s + 1:])]])
    base = gs.Model(cfg, dec, embeds, s, image_rows.shape[0])

    dense = gs.run_schedule(base, gs.parse_spec("dense"))
    gap = gg.check_rows(list(dense["greedy_logits"]), "dense")
    router, gmod = None, None
    for attempt in range(40):
        g = torch.Generator().manual_seed(3900 + attempt)
        raw = torch.randn(2, D, generator=g, dtype=torch.float32)
        x1 = dense["prefill_layer_inputs"][MOD_LAYERS[0]]
        h = gg.rms_norm(x1, base.lw(MOD_LAYERS[0])["input_layernorm.weight"], cfg.rms_norm_eps)
        z = h @ (raw[1] - raw[0]).double()
        q = float(torch.quantile(z, 0.4))
        if q >= 0:
            continue
        # Over 2,893 rows some p falls near 0.005 unless the router's logits are spread wide: the scale puts the
        # 40 % quantile of the first MoD layer's logit gap far below the threshold's −5.3.
        cand = (raw.double() * (-SPREAD / q)).float()
        m = gs.Model(cfg, dec, embeds, s, image_rows.shape[0], gmod_router=cand.double(), gmod_layers=MOD_LAYERS)
        r = gs.run_schedule(m, gs.parse_spec("gmod"))
        shares = list(r["gmod_skipped_share"].values())
        dec_routing = [l in p for p in r["decode_processed"] for l in MOD_LAYERS]
        print(f"router {attempt}: prefill margin {r['gmod_prefill_p_margin']:.3g}, decode margin"
              f" {r['gmod_decode_p_margin']:.3g}, skipped {shares}, decode routing {dec_routing}", file=sys.stderr)
        if (r["gmod_prefill_p_margin"] > gs.GMOD_PREFILL_REL_MARGIN
                and r["gmod_decode_p_margin"] > gs.GMOD_DECODE_ABS_MARGIN
                and all(0.2 <= x <= 0.8 for x in shares) and any(dec_routing) and not all(dec_routing)
                and gg.check_rows(list(r["greedy_logits"]), "gmod") > gg.MIN_TOP2_GAP):
            router, gmod = cand, r
            break
    assert router is not None, "no router candidate met the margins"
    with_router = gs.Model(cfg, dec, embeds, s, image_rows.shape[0], gmod_router=router.double(),
                           gmod_layers=MOD_LAYERS)
    others = {}
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

    # The checkpoint: MoDMGMLlamaForCausalLM's state dict names.
    state = {k: v.float() for k, v in dec.items()}
    for k, v in inner.state_dict().items():
        if "num_batches_tracked" in k or k.endswith("position_ids"):
            continue
        state["model." + k] = v.float()
    for layer in MOD_LAYERS:
        state[f"model.layers.{layer}.router.weight"] = router.clone()
    state = dict(sorted(state.items()))
    assert "model.vision_tower_aux.vision_stem.0.weight" in state and \
        "model.vision_tower.vision_tower.vision_model.embeddings.patch_embedding.weight" in state and \
        "model.vlm_uni_val_projector.1.weight" in state, sorted(state)[:20]
    gg.write_safetensors(os.path.join(model_dir, "model.safetensors"), state)

    config = dict(cfg_json)
    # MGM-HD's decoders are Vicuna-1.5's (max_position_embeddings 4096): 2,880 image rows exceed 2,048.
    config["max_position_embeddings"] = 4096
    config.update({
        "architectures": ["MoDMGMLlamaForCausalLM"], "model_type": "mod_mgm", "torch_dtype": "float32",
        "mm_vision_tower": "clip-vision-tower", "mm_vision_tower_aux": "model_zoo/OpenAI/" + AUX_NAME,
        "image_size_aux": IMAGE_SIZE_AUX, "image_grid": IMAGE_GRID, "image_global": IMAGE_GLOBAL,
        "optimize_vision_tower": False, "optimize_vision_tower_aux": False,
        "mm_projector_type": "mlp2x_gelu", "mm_hidden_size": CLIP["hidden_size"],
        "mm_hidden_size_aux": sum(CONVNEXT_DIMS), "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch",
        "mm_use_im_start_end": False, "mm_use_im_patch_token": False, "image_aspect_ratio": "pad",
        "tune_mm_mlp_adapter": False, "use_mm_proj": True,
        "mod": {"mod_enable": True, "mod_mode": "arank_mod", "mod_layers_idx": MOD_LAYERS, "capacity_factor": 0.5,
                "router_aux_loss_coef": 0.01},
    })
    gg.write_json(os.path.join(model_dir, "config.json"), config)

    gg.write_npy(os.path.join(OUT, "vision_features.npy"), features)
    runs = [("dense", "dense", dense), ("gmod", "gmod", gmod)] + [(n, sp, r) for n, (sp, r) in others.items()]
    for name, _, rec in runs:
        gg.write_npy(os.path.join(OUT, name + "_greedy_logits.npy"), rec["greedy_logits"])
    aux = images_aux.double()
    n = IMAGE_SIZE_AUX - 1
    picks = [[c, y, x] for c, y, x in ((0, 0, 0), (1, 383, 384), (2, n, n), (0, 200, 700), (1, 600, 100),
                                       (2, 150, 150), (0, 700, 20))]
    golden = {
        "input_ids": ids, "image": "image.png", "image_rows": int(image_rows.shape[0]),
        "merged_length": int(embeds.shape[0]), "image_size_aux": IMAGE_SIZE_AUX,
        "pixel_sum": float(aux.sum()), "pixel_abs_sum": float(aux.abs().sum()),
        "pixel_samples": [{"at": p, "value": float(aux[p[0], p[1], p[2]])} for p in picks],
        "view_sums": [float(v.double().sum()) for v in images],
        "mod_layers": MOD_LAYERS,
        "schedules": {
            name: {"spec": spec, "greedy_new_tokens": rec["greedy_new_tokens"],
                   "prefill_processed_counts": [len(p) for p in rec["prefill_processed"]],
                   "kv_lengths_after_decode": rec["kv_lengths"]["after_decode"]}
            for name, spec, rec in runs},
        "min_top2_gap": gap,
        "metadata": {
            "generator": "tests/golden/generate_mgm_hd_golden.py",
            "gamma_mod_commit": subprocess.run(
                ["git", "--git-dir=/work/.mirror/Yaxin9Luo+Gamma-MOD/repo", "rev-parse", "HEAD"],
                capture_output=True, text=True).stdout.strip() or "unknown",
            "torch": torch.__version__, "transformers": transformers.__version__, "timm": timm.__version__,
            "open_clip": open_clip.__version__,
            "clip": CLIP, "convnext_depths": CONVNEXT_DEPTHS, "convnext_dims": CONVNEXT_DIMS,
            "image_grid": IMAGE_GRID, "image_global": IMAGE_GLOBAL,
        },
    }
    gg.write_json(os.path.join(OUT, "golden.json"), golden)
    for name, _, rec in runs:
        print(name, rec["greedy_new_tokens"], "processed", [len(p) for p in rec["prefill_processed"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
