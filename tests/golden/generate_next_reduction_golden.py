#!/usr/bin/env python3
"""VisionZip and DART on the tiny LLaVA-NeXT (original layout, the 4:3 image), issue 27.

References written from each method's released code, on the model, image and prompt of generate_next_golden.py's
schedule cases (``golden/next/llava-next-original``, ``images/photo-200x150.png``: a 2x2 grid, 5 crops, 268 packed
image rows with 12 ``image_newline`` rows):

* DART, ZichenWen1/DART (read through its fork xqy1111111/DART at d6a5af6): the LLaVA-1.6 path.
  ``llava/eval/model_vqa_loader.py`` sets ``model.config.text_length = input_ids.shape[-1] - 1`` when ``'1.6' in
  model_name``; ``modeling_llama_self.py`` then takes ``image_token_length = any_states.shape[2] - text_length``
  (every row that is not text: the whole packed block, base view and newline rows included) and
  ``TOKEN_TOPK = int(min(retain_token_num_for_llava_next, image_token_length - pivot_image_token) // (pivots))``
  (``--retain_token_num_for_llava_next`` defaults to 320). The rest is generate_reduction_golden.dart_retained/run.
* VisionZip, dvlab-research/VisionZip at 3151f6d: every crop (base and tiles) through
  ``CLIPVisionTower_VisionZip.forward`` (generate_reduction_golden.visionzip_features, per crop as the batched
  top-k is per batch row), the projector, then ``prepare_inputs_labels_for_multimodal_visionzip``'s
  ``spatial_unpad`` branch: the base crop's rows as they are, then ``restore_image_features_sorted`` (restated
  below; its hard-coded 576 / 24 are p*p / p here, p = 8 for the tiny tower): the tiles' dominant patches on the
  grid, read row-major over the grid, then the tiles' class-token rows, then their contextual rows. No unpadding and
  no newline for the tiles (``image_newline_expanded`` is computed there but never used).

The decoder is generate_schedule_golden's float64 LLaMA (per-layer KV caches, checked against a masked full
recompute). Writes ``tests/src/test/resources/golden/next/reductions/{dart,dart-default,visionzip}.json`` and
``*_greedy_logits.npy`` (read by LlavaNextReductionGoldenTest).

    LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python tests/golden/generate_next_reduction_golden.py

Run after generate_next_golden.py (it reads that model). Deterministic; raises if a check fails.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate_next_golden as ng        # noqa: E402  (puts LLAVA_SRC on the path)
import generate_golden as gg             # noqa: E402
import generate_llava_golden as gl       # noqa: E402
import generate_schedule_golden as gs    # noqa: E402
import generate_reduction_golden as rg   # noqa: E402
import safetensors.torch                 # noqa: E402

from llava.mm_utils import get_anyres_image_grid_shape, process_images  # noqa: E402
from llava.model.language_model.llava_llama import LlavaLlamaForCausalLM  # noqa: E402

torch.set_num_threads(1)
OUT = os.path.join(ng.OUT, "reductions")
MODEL_DIR = os.path.join(ng.OUT, "llava-next-original")
IMAGE = ng.SCHEDULE_IMAGE
CASES = [  # (name, spec)
    ("dart", "dart:layer=2;keep=80"),      # 80 // 8 = 10 picks per pivot: 4 + 80 image rows stay
    ("dart-default", "dart:layer=2"),    # retain 320 > 268 - 4: every image row is kept
    ("visionzip", "visionzip:dominant=8;contextual=2"),  # 10 rows per crop, 50 for the 5 crops
]


def restore_image_features_sorted(image_feature, cur_keep_idx, width, height, side, wrong=""):
    """VisionZip's restore_image_features_sorted (visionzip/llava_arch.py), 576 -> side*side, 24 -> side."""
    num_img, total_patches, feature_dim = image_feature.shape
    num_keep = cur_keep_idx.shape[1]
    num_extra = total_patches - num_keep
    cur_keep_idx_sorted, _ = cur_keep_idx.sort(dim=1)
    cur_keep_idx_sorted_restore = cur_keep_idx_sorted[:, 1:] - 1
    restored_features = torch.zeros((num_img, side * side, feature_dim), dtype=image_feature.dtype)
    mask = torch.zeros(num_img, side * side, dtype=torch.bool)
    mask.scatter_(1, cur_keep_idx_sorted_restore, True)
    kept_features = image_feature[:, 1:num_keep, :]
    restored_features[mask] = kept_features.reshape(-1, feature_dim)
    assert width * height == restored_features.shape[0], "width * height must equal num_img"
    if wrong == "tiles_in_crop_order":
        image_feature_select = restored_features[mask]
    else:
        restored_features = restored_features.view(height, width, side, side, feature_dim)
        restored_features = restored_features.permute(0, 2, 1, 3, 4).contiguous()
        restored_features = restored_features.view(height, side, width * side, feature_dim)
        restored_features = restored_features.view(height * side, width * side, feature_dim)
        grid_with_newline = restored_features
        mask = mask.view(height, width, side, side)
        mask = mask.permute(0, 2, 1, 3).contiguous()
        mask = mask.view(height * side, width * side)
        image_feature_select = grid_with_newline[mask]
    raw_img_feature_merge = image_feature[:, -num_extra:, ].reshape(-1, feature_dim)
    cls_img_feature_merge = image_feature[:, 0, ]
    return torch.cat([image_feature_select, cls_img_feature_merge, raw_img_feature_merge])


def crop_sources(all_indices: torch.Tensor, r: rg.Reduction, tokens: int) -> list:
    """Per reduced row of one crop (dominant in token order, then contextual), the patch it is or was merged into
    (-1: class token): labels for the test, the same selection visionzip_features makes."""
    dominant = sorted(all_indices.tolist())
    rest = [t for t in range(tokens) if t not in set(dominant)]
    step = max(1, len(rest) // r.contextual)
    targets = rest[0::step][:r.contextual]
    return [t - 1 for t in dominant] + [t - 1 for t in targets]


def visionzip_next_rows(pv: torch.Tensor, w, vcfg, r: rg.Reduction, image_size, gaps: list):
    """The packed image rows of prepare_inputs_labels_for_multimodal_visionzip (spatial_unpad, tiled image) and, per
    row, crop * p^2 + patch (-1: a class token)."""
    p = vcfg.image_size // vcfg.patch_size
    saves, indices = [], []
    for c in range(pv.shape[0]):
        s, i = rg.visionzip_features(pv[c:c + 1], w, vcfg, r, gaps, with_indices=True)
        saves.append(s)
        indices.append(i)
    hidden_states_save, keep_idxs = torch.stack(saves), torch.stack(indices)
    image_features = gl.projector(hidden_states_save, w)
    base_image_feature = image_features[0]
    image_feature = image_features[1:]
    cur_keep_idx = keep_idxs[1:]
    num_patch_width, num_patch_height = get_anyres_image_grid_shape(image_size, ng.PINPOINTS, vcfg.image_size)
    tiles = restore_image_features_sorted(image_feature, cur_keep_idx, num_patch_width, num_patch_height, p,
                                          r.wrong)
    rows = torch.cat((base_image_feature, tiles), dim=0)
    # labels, in the same order
    tokens = p * p + 1
    src = [[-1 if t < 0 else c * p * p + t for t in crop_sources(keep_idxs[c], r, tokens)]
           for c in range(pv.shape[0])]
    n_dom = r.dominant
    grid = []
    for y in range(num_patch_height * p):
        for x in range(num_patch_width * p):
            c = 1 + (y // p) * num_patch_width + x // p
            patch = (y % p) * p + x % p
            if c * p * p + patch in src[c][1:n_dom]:
                grid.append(c * p * p + patch)
    labels = src[0] + grid + [-1] * (pv.shape[0] - 1) + [v for c in range(1, pv.shape[0]) for v in src[c][n_dom:]]
    assert len(labels) == rows.shape[0], (len(labels), rows.shape)
    return rows, labels


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(MODEL_DIR)
    try:
        orig = LlavaLlamaForCausalLM.from_pretrained(".")
        tower = orig.get_model().get_vision_tower()
        if not tower.is_loaded:
            tower.load_model()
        orig = orig.double().eval()
    finally:
        os.chdir(cwd)
    image = Image.open(os.path.join(ng.OUT, "images", IMAGE + ".png")).convert("RGB")
    ids = ng.TEXT_BEFORE + [gl.ORIGINAL_IMAGE_TOKEN] + ng.TEXT_AFTER
    pv = process_images([image], tower.image_processor, orig.config)
    pv = pv[0] if pv.ndim == 5 else pv
    with torch.no_grad():
        embeds = orig.prepare_inputs_labels_for_multimodal(torch.tensor([ids]), None, None, None, None,
                                                           pv[None].double(), image_sizes=[image.size])[4][0]
    n_img = embeds.shape[0] - len(ids) + 1
    cfg = gg.LlamaConfig.from_hf_dict(ng.text_config().to_dict())
    lm = safetensors.torch.load_file(os.path.join(MODEL_DIR, "model.safetensors"))
    w_lm = {k: v.double() for k, v in lm.items() if k.startswith("model.layers.") or k in (
        "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight")}
    m = gs.Model(cfg, w_lm, embeds.double(), len(ng.TEXT_BEFORE), n_img)
    dense = gs.run_schedule(m, gs.parse_spec("dense"))
    committed = np.load(os.path.join(ng.OUT, "schedules", "dense_greedy_logits.npy"))
    if float(np.abs(dense["greedy_logits"].numpy() - committed).max()) > 1e-5:
        raise AssertionError("the NeXT model differs from the committed schedule goldens' model")

    tower_w = safetensors.torch.load_file(os.path.join(MODEL_DIR, "clip-vision-tower", "model.safetensors"))
    w_vz = {k: v.double() for k, v in tower_w.items()}
    w_vz.update({"projector.linear_1.weight": lm["model.mm_projector.0.weight"].double(),
                 "projector.linear_1.bias": lm["model.mm_projector.0.bias"].double(),
                 "projector.linear_2.weight": lm["model.mm_projector.2.weight"].double(),
                 "projector.linear_2.bias": lm["model.mm_projector.2.bias"].double()})
    vcfg = gl.ClipConfig.from_hf_dict(json.load(open(os.path.join(MODEL_DIR, "clip-vision-tower", "config.json"))))
    E = w_lm["model.embed_tokens.weight"]

    def model_for(r: rg.Reduction, dtype, gaps: list):
        if r.kind != "visionzip":
            return gs.Model(cfg, {k: v.to(dtype) for k, v in w_lm.items()}, embeds.to(dtype),
                            len(ng.TEXT_BEFORE), n_img), None
        w = {k: v.to(dtype) for k, v in w_vz.items()}
        rows, labels = visionzip_next_rows(pv.to(dtype), w, vcfg, r, image.size, gaps)
        emb, start = gl.merge(ids, gl.ORIGINAL_IMAGE_TOKEN, rows, E.to(dtype))
        return gs.Model(cfg, {k: v.to(dtype) for k, v in w_lm.items()}, emb, start, rows.shape[0]), labels

    def run(r: rg.Reduction, dtype=torch.float64):
        gaps: list = []
        mm, labels = model_for(r, dtype, gaps)
        rec = rg.run(mm, r)
        rec["gaps"] += [g for g in gaps if g is not None]
        return rec, mm, labels

    for name, spec in CASES:
        r = rg.parse(spec)
        if r.kind == "dart":
            r = dataclasses.replace(r, keep=int(dict(p.split("=") for p in spec.split(":")[1].split(";"))
                                                .get("keep", 320)), next_retain=True)
        rec, mr, labels = run(r)
        gap = gg.check_rows(list(rec["greedy_logits"]), name)
        checks = {}
        dmax = max(float((gs.recompute_masked(mr, gs.Sched("reduction", spec), rec, s)
                          - rec["greedy_logits"][s]).abs().max()) for s in range(rg.MAX_NEW_TOKENS))
        if not dmax < gg.SELF_CHECK_TOL:
            raise AssertionError(f"{name}: cache vs masked recompute {dmax:.3e}")
        checks["kv_cache_vs_masked_full_recompute_max_abs_diff"] = float(f"{dmax:.3g}")
        counts = [len(p) for p in rec["prefill_processed"]]
        if name == "dart-default":
            if counts[-1] != m.embeds.shape[0]:
                raise AssertionError(f"dart-default: expected every row kept, got {counts}")
            if float((rec["greedy_logits"] - dense["greedy_logits"]).abs().max()) > 1e-12:
                raise AssertionError("dart-default keeps every row but differs from dense")
            checks["keeps_every_image_row_equals_dense"] = True
        else:
            if not gap > gg.MIN_TOP2_GAP:
                raise AssertionError(f"{name}: greedy top-2 gap {gap:.3g}")
            if not min(rec["gaps"]) > rg.MIN_DECISION_GAP:
                raise AssertionError(f"{name}: a ranking boundary is within {min(rec['gaps']):.3g}")
        r32, _, labels32 = run(r, torch.float32)
        for key in ("greedy_new_tokens", "prefill_processed", "prefill_positions", "decode_positions"):
            if r32[key] != rec[key]:
                raise AssertionError(f"{name}: float32 run differs in {key}")
        if labels32 != labels:
            raise AssertionError(f"{name}: float32 run keeps other patches")
        f32d = float((r32["greedy_logits"].double() - rec["greedy_logits"]).abs().max())
        sens = {}
        wrongs = {"dart": ("positions", "pivots_ascending"), "dart-default": (),
                  "visionzip": ("tiles_in_crop_order", "mean_with_target")}[name]
        for wrong in wrongs:
            wr, _, _ = run(dataclasses.replace(r, wrong=wrong))
            d0 = float((wr["greedy_logits"][0] - rec["greedy_logits"][0]).abs().max())
            if not d0 > gs.MIN_SENSITIVITY:
                raise AssertionError(f"{name}: wrong variant {wrong} moves logits by only {d0:.3g}")
            sens[wrong] = {"prefill_row_max_abs_diff": float(f"{d0:.3g}")}
        if r.kind == "dart":
            image_rows = [i for i in rec["prefill_processed"][-1] if m.image_start <= i < m.image_end]
            checks["image_rows_kept_after_layer_K"] = len(image_rows)
        out = {
            "name": name, "spec": spec, "model": "../llava-next-original",
            "image": "../images/" + IMAGE + ".png", "input_ids": ids, "packed_image_rows": n_img, "merged_length": int(mr.embeds.shape[0]),
            "image_start": mr.image_start, "image_end": mr.image_end,
            "greedy_new_tokens": rec["greedy_new_tokens"], "min_top2_gap": round(gap, 6),
            "prefill_processed": rec["prefill_processed"], "prefill_positions": rec["prefill_positions"],
            "prefill_processed_counts": counts,
            "decode_positions": rec["decode_positions"], "kv_lengths": rec["kv_lengths"],
            "decision_margins": {"min_relative_gap_at_ranking_boundaries":
                                 float(f"{min(rec['gaps']):.4g}") if rec["gaps"] else None},
            "float32_max_abs_logit_diff": float(f"{f32d:.3g}"),
            "self_checks": checks, "sensitivity": sens,
            "released_code": {"dart": "ZichenWen1/DART (fork xqy1111111/DART@d6a5af6), LLaVA-1.6 path",
                              "visionzip": "dvlab-research/VisionZip@3151f6d"}[r.kind],
            "generator_versions": {"python": sys.version.split()[0], "torch": torch.__version__},
        }
        if labels is not None:
            out["patch_of_image_row"] = labels
        gg.write_json(os.path.join(OUT, f"{name}.json"), out)
        gg.write_npy(os.path.join(OUT, f"{name}_greedy_logits.npy"), rec["greedy_logits"])
        print(f"[{name}] {spec}: merged {mr.embeds.shape[0]} (dense {m.embeds.shape[0]}); processed per layer "
              f"{counts}; tokens {rec['greedy_new_tokens']} (dense {dense['greedy_new_tokens']}); top-2 gap "
              f"{gap:.4f}; decision gap {min(rec['gaps']) if rec['gaps'] else None}; f32 {f32d:.2e}; {sens}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
