#!/usr/bin/env python3
"""Golden references for the token-reduction methods DART, DivPrune and VisionZip.

Each reference is a transcription in PyTorch of the method's released code (no upstream code is imported or
copied into the repository; the functions below restate it line by line):

* DART, ZichenWen1/DART at 5a19452 (read through its fork xqy1111111/DART),
  ``llava/model/language_model/modeling_llama_self.py``: ``DART.forward`` (the prune before layer K, with
  ``last_layer_state = self.norm(layer_outputs[0])`` and ``any_states = layer_outputs[-2]``, the key states that its
  ``LlamaSdpaAttention`` returns: after RoPE and ``repeat_kv``) and ``DART.get_retained_image_token``;
  positions ``keep_indexs`` (original), decoding at the original numbering.
* DivPrune, vbdi/divprune at 799e2d9, ``LLaVA/llava/model/llava_arch.py``: ``pairwise_cosine_similarity``,
  ``DivPrune`` and the ``LAYER_INDEX=0`` branch of ``prepare_inputs_labels_for_multimodal``; positions come from
  the pruned attention mask (compact 0..n'-1, decoding at n', n'+1, ...).
* VisionZip, dvlab-research/VisionZip at 3151f6d, ``visionzip/clip_encoder.py`` (``CLIPVisionTower_VisionZip.
  forward``) and ``visionzip/utils.py`` (``CLIPAttention_forward``: attention probabilities and the head-mean of the
  raw keys, the "metric", of the second-to-last layer): dominant + contextual rows replace the image before the
  projector; the prompt is then an ordinary (shorter) one.

The decoder itself is the float64 textbook LLaMA of generate_golden.py / generate_schedule_golden.py (layer by
layer with per-layer KV caches), on the ``model-gmod`` LLaVA of the schedule goldens (its router is unused here).
Writes ``tests/src/test/resources/golden/schedules/{dart,divprune,visionzip}.json`` and ``*_greedy_logits.npy`` in the format
of the other schedule goldens (read by ScheduleGoldenTest), plus
``runtime/src/test/resources/dev/mod4j/runtime/schedule/python_set_order.json`` (CPython's iteration order of small
int sets, which DART's pivot loop follows; read by PythonSetOrderTest).

Run from the repository root, after generate_schedule_golden.py:

    /usr/bin/python3 tests/golden/generate_reduction_golden.py

Requirements: Debian python3-torch, python3-numpy, python3-pil.  Deterministic.  Fails if a self-check fails.
"""

from __future__ import annotations

import math
import os
import random
import sys
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as gg            # noqa: E402  (sets torch threads = 1)
import generate_llava_golden as gl     # noqa: E402
import generate_schedule_golden as gs   # noqa: E402

MAX_NEW_TOKENS = gs.MAX_NEW_TOKENS
MODEL = "model-gmod"
CASES = [  # (file-safe name, spec)
    ("dart", "dart:layer=2;keep=32"),
    ("divprune", "divprune:ratio=0.25"),
    ("visionzip", "visionzip:dominant=10;contextual=6"),
]
MIN_DECISION_GAP = 1e-4                  # relative margin at every ranking boundary


@dataclass(frozen=True)
class Reduction:
    kind: str                            # dart | divprune
    spec: str
    layer: int = 2                       # DART: K
    keep: int = 128                      # DART: max_num_trunction
    pivot_image: int = 4
    pivot_text: int = 4
    ratio: float = 0.098                 # DivPrune: SUBSET_RATIO
    dominant: int = 54                   # VisionZip
    contextual: int = 10
    next_retain: bool = False            # DART on LLaVA-NeXT: keep is retain_token_num_for_llava_next
    wrong: str = ""                      # plausible mistakes (sensitivity)


def parse(spec: str, wrong: str = "") -> Reduction:
    kind, _, rest = spec.partition(":")
    kv = dict(p.split("=", 1) for p in rest.split(";")) if rest else {}
    if kind == "dart":
        pi, pt = (int(t) for t in kv.get("pivots", "4,4").split(","))
        return Reduction("dart", spec, layer=int(kv.get("layer", 2)), keep=int(kv.get("keep", 128)),
                         pivot_image=pi, pivot_text=pt, wrong=wrong)
    if kind == "divprune":
        return Reduction("divprune", spec, ratio=float(kv.get("ratio", 0.098)), wrong=wrong)
    if kind == "visionzip":
        return Reduction("visionzip", spec, dominant=int(kv.get("dominant", 54)),
                         contextual=int(kv.get("contextual", 10)), wrong=wrong)
    raise ValueError(spec)


# --------------------------------------------------------------------------
# DART: get_retained_image_token, restated
# --------------------------------------------------------------------------

def dart_retained(r: Reduction, last_layer_state: torch.Tensor, any_states: torch.Tensor,
                  image_token_start_index: int, image_token_length: int, gaps: list) -> torch.Tensor:
    """last_layer_state [1, N, d] (after the final norm), any_states [1, H, N, hd] (layer K-1's keys after RoPE
    and repeat_kv).  Returns the retained image indices (unsorted, as the released code)."""
    MAX_NUM_TRUNCTION = r.keep
    pivot_image_token, pivot_text_token = r.pivot_image, r.pivot_text
    TOKEN_TOPK = math.ceil(MAX_NUM_TRUNCTION // (pivot_image_token + pivot_text_token))
    if r.next_retain:                    # the config.text_length (LLaVA-1.6) branch
        retain_token_num_for_llava_next = min(r.keep, image_token_length - pivot_image_token)
        TOKEN_TOPK = int(retain_token_num_for_llava_next // (pivot_image_token + pivot_text_token))
    any_states = any_states.permute(0, 2, 1, 3).reshape(any_states.shape[0], any_states.shape[2], -1)
    k_states_image_token = any_states[0][image_token_start_index:image_token_start_index + image_token_length, :]
    k_states_query_token = any_states[0][image_token_start_index + image_token_length:, :]
    k_states_image_token_L1_norm = torch.norm(k_states_image_token, p=1, dim=-1)
    k_states_query_token_L1_norm = torch.norm(k_states_query_token, p=1, dim=-1)
    gaps.append(boundary_gap(k_states_image_token_L1_norm, pivot_image_token))
    gaps.append(boundary_gap(k_states_query_token_L1_norm, pivot_text_token))
    image_indices = (k_states_image_token_L1_norm.topk(pivot_image_token).indices
                     + image_token_start_index).tolist()
    query_indices = (k_states_query_token_L1_norm.topk(pivot_text_token).indices
                     + image_token_start_index + image_token_length).tolist()
    indices_set = set(image_indices + query_indices)
    valid_indices = set(range(image_token_start_index, image_token_start_index + image_token_length)) \
        - set(image_indices)
    valid_indices_list = list(valid_indices)
    pivots = list(indices_set)
    if r.wrong == "pivots_ascending":
        pivots = sorted(pivots)
    for item in pivots:
        valid_vectors = last_layer_state[0][valid_indices_list, :]
        cos_sim = -torch.nn.functional.cosine_similarity(last_layer_state[0][item, :], valid_vectors, dim=-1)
        gaps.append(boundary_gap(cos_sim, TOKEN_TOPK))
        top_k_indices = cos_sim.topk(TOKEN_TOPK).indices
        top_k_real_indices = [valid_indices_list[i] for i in top_k_indices]
        indices_set.update(top_k_real_indices)
        valid_indices.difference_update(top_k_real_indices)
        valid_indices_list = list(valid_indices)
    indices_set.difference_update(query_indices)
    return torch.tensor(list(indices_set))


# --------------------------------------------------------------------------
# DivPrune: pairwise_cosine_similarity + DivPrune, restated
# --------------------------------------------------------------------------

def pairwise_cosine_similarity(matrix: torch.Tensor) -> torch.Tensor:
    norm_matrix = matrix / matrix.norm(dim=1, keepdim=True)
    return torch.mm(norm_matrix, norm_matrix.t())


def divprune(visual_feature_vectors: torch.Tensor, image_feature_length: int, threshold_ratio: float,
             gaps: list) -> torch.Tensor:
    threshold_terms = int(round(threshold_ratio * image_feature_length))
    cosine_matrix = 1.0 - pairwise_cosine_similarity(visual_feature_vectors)
    s = torch.empty(threshold_terms, dtype=torch.long)
    for i in range(threshold_terms):
        if i == 0:
            m2 = cosine_matrix
        else:
            m2 = torch.index_select(cosine_matrix, 0, torch.index_select(s, 0, torch.arange(0, i)))
        if i == 0:
            scores = torch.topk(m2, 2, dim=0, largest=False).values[1, :]
        else:
            scores = torch.min(m2, dim=0).values
        gaps.append(boundary_gap(scores, 1))
        s[i] = torch.argmax(scores)
    return s


def boundary_gap(scores: torch.Tensor, k: int) -> Optional[float]:
    """Relative gap between the k-th and (k+1)-th largest score (None if all are taken)."""
    v = torch.sort(scores, descending=True).values
    if not 0 < k < len(v):
        return None
    return float((v[k - 1] - v[k]) / v[k - 1].abs())


# --------------------------------------------------------------------------
# VisionZip: CLIPAttention_forward + CLIPVisionTower_VisionZip.forward, restated
# --------------------------------------------------------------------------

def clip_layer_visionzip(x: torch.Tensor, w, i: int, vcfg) -> tuple:
    """One CLIP encoder layer as VisionZip patches it: also returns the attention probabilities [1, H, T, T] and
    ``raw_key_states.mean(1)`` [1, T, hd] (k_proj output, before any scaling, averaged over heads)."""
    p = f"{gl.V}encoder.layers.{i}."
    T, H = x.shape[0], vcfg.num_attention_heads
    hd = vcfg.hidden_size // H

    def lin(t, name):
        return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

    n = gl.layer_norm(x, w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], vcfg.layer_norm_eps)
    query_states = lin(n, "self_attn.q_proj") * hd ** -0.5
    key_states = lin(n, "self_attn.k_proj").view(1, T, H, hd).transpose(1, 2)
    raw_key_states = key_states.clone()
    value_states = lin(n, "self_attn.v_proj").view(1, T, H, hd).transpose(1, 2)
    q = query_states.view(1, T, H, hd).transpose(1, 2)
    attn_weights = torch.softmax(q @ key_states.transpose(2, 3), dim=-1)            # [1, H, T, T]
    a = (attn_weights @ value_states).transpose(1, 2).reshape(T, H * hd)
    x = x + lin(a, "self_attn.out_proj")
    n = gl.layer_norm(x, w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], vcfg.layer_norm_eps)
    x = x + lin(gl.quick_gelu(lin(n, "mlp.fc1")), "mlp.fc2")
    return x, attn_weights, raw_key_states.mean(1)


def visionzip_features(pv: torch.Tensor, w, vcfg, r: Reduction, gaps: list, with_indices: bool = False):
    """hidden_states_save [dominant + contextual, h] for one image (batch 1); with_indices: also all_indices[0]
    (the class token's 0, then the top-k patch indices + 1 in top-k order)."""
    x = gl.clip_embeddings(pv, w, vcfg)
    x = gl.layer_norm(x, w[gl.V + "pre_layrnorm.weight"], w[gl.V + "pre_layrnorm.bias"], vcfg.layer_norm_eps)
    hidden, attentions, metric = [x], [], None
    L = vcfg.num_hidden_layers
    for i in range(L):
        x, att, m = clip_layer_visionzip(x, w, i, vcfg)
        hidden.append(x)
        attentions.append(att)
        if i == L - 2:                     # utils.apply_info: r is 1 only at the second-to-last layer
            metric = m
    attn_weights = attentions[-2]
    hidden_states = hidden[-2][None]       # [1, T, h], class token included
    dominant_num = r.dominant - 1          # main.visionzip: apply_info(..., dominant_num=dominant-1)
    contextual_num = r.contextual
    if r.wrong == "dominant_by_last_layer":
        attn_weights = attentions[-1]
    ## Dominant Visual Tokens
    cls_idx = 0
    cls_attention = attn_weights[:, :, cls_idx, cls_idx + 1:]
    cls_attention_sum = cls_attention.sum(dim=1)
    gaps.append(boundary_gap(cls_attention_sum[0], dominant_num))
    topk_indices = cls_attention_sum.topk(dominant_num, dim=1).indices + 1
    all_indices = torch.cat([torch.zeros((hidden_states.shape[0], 1), dtype=topk_indices.dtype), topk_indices], dim=1)
    mask = torch.ones_like(hidden_states[:, :, 0], dtype=torch.bool).scatter_(1, all_indices, False)
    dominant_tokens = hidden_states.masked_select(~mask.unsqueeze(-1)).view(
        hidden_states.shape[0], dominant_num + 1, hidden_states.shape[2])
    ### Filter
    metric_filtered = metric[mask].view(hidden_states.shape[0], hidden_states.shape[1] - (dominant_num + 1),
                                        metric.shape[2])
    hidden_states_filtered = hidden_states.masked_select(mask.unsqueeze(-1)).view(
        hidden_states.shape[0], hidden_states.shape[1] - (dominant_num + 1), hidden_states.shape[2])
    metric_normalized = metric_filtered / metric_filtered.norm(dim=-1, keepdim=True)
    ## Contextual Visual Tokens
    step = max(1, metric_normalized.shape[1] // contextual_num)
    target_indices = torch.arange(0, metric_normalized.shape[1], step)[:contextual_num]
    target_tokens = metric_normalized[:, target_indices, :]
    tokens_to_merge = metric_normalized[:, ~torch.isin(torch.arange(metric_normalized.shape[1]), target_indices), :]
    similarity = torch.bmm(tokens_to_merge, target_tokens.transpose(1, 2))
    for row in similarity[0]:
        gaps.append(boundary_gap(row, 1))
    assign_one_hot = torch.zeros(tokens_to_merge.shape[0], tokens_to_merge.shape[1], contextual_num,
                                 dtype=hidden_states_filtered.dtype)
    assign_one_hot.scatter_(2, similarity.argmax(dim=2).unsqueeze(-1), 1)
    counts = assign_one_hot.sum(dim=1).clamp(min=1).unsqueeze(-1)
    hidden_to_merge = hidden_states_filtered[:, ~torch.isin(torch.arange(hidden_states_filtered.shape[1]),
                                                            target_indices), :]
    aggregated_hidden = torch.bmm(assign_one_hot.transpose(1, 2), hidden_to_merge) / counts
    target_hidden = hidden_states_filtered[:, target_indices, :]
    contextual_tokens = target_hidden + aggregated_hidden
    if r.wrong == "mean_with_target":
        contextual_tokens = (target_hidden + aggregated_hidden * counts) / (counts + 1)
    hidden_states_save = torch.cat([dominant_tokens, contextual_tokens], dim=1)
    if with_indices:
        return hidden_states_save[0], all_indices[0]
    return hidden_states_save[0]


def visionzip_model(m: gs.Model, w, ids, pv: torch.Tensor, vcfg, r: Reduction, gaps: list) -> gs.Model:
    """The decoder's model with the image replaced by the projected VisionZip rows (LLaVA's own merge)."""
    feats = visionzip_features(pv, w, vcfg, r, gaps)
    rows = gl.projector(feats, w)
    emb, start = gl.merge(ids, gl.ORIGINAL_IMAGE_TOKEN, rows, w["model.embed_tokens.weight"])
    return gs.Model(m.cfg, m.w, emb, start, rows.shape[0])


# --------------------------------------------------------------------------
# The forward: prefill with the method's cut, then greedy decoding
# --------------------------------------------------------------------------

def run(m: gs.Model, r: Reduction) -> dict:
    cfg, L = m.cfg, m.cfg.num_hidden_layers
    H, KV = cfg.num_attention_heads, cfg.num_key_value_heads
    T = m.embeds.shape[0]
    X = m.embeds.clone()
    caches = [gs.LayerCache() for _ in range(L)]
    alive = list(range(T))               # rows (sequence indices) in the stream
    positions = list(range(T))
    gaps: list = []

    def final_norm(x):
        return gg.rms_norm(x, m.w["model.norm.weight"], cfg.rms_norm_eps)

    if r.kind == "divprune":
        # new_input_embeds[0][SYS_TOKEN_LEN:SYS_TOKEN_LEN+img_feature_len]: the image rows (found from the prompt
        # here instead of the hard-coded 35)
        sel = divprune(X[m.image_start:m.image_end], m.n_img, r.ratio, gaps) + m.image_start
        keep_indexs = torch.cat((torch.arange(m.image_start), sel, torch.arange(m.image_end, T))).sort().values
        alive = keep_indexs.tolist()
        # generate() passes no position_ids: HF numbers the pruned sequence 0..n'-1
        positions = list(alive) if r.wrong == "positions" else list(range(len(alive)))

    processed, layer_positions = [], []
    for l in range(L):
        if r.kind == "dart" and l == r.layer:
            last_layer_state = final_norm(X[alive])[None]
            any_states = caches[l - 1].k.repeat_interleave(H // KV, dim=0)[None]    # repeat_kv
            assert caches[l - 1].pos == list(range(T))
            retained = dart_retained(r, last_layer_state, any_states, m.image_start, m.n_img, gaps)
            keep_indexs = torch.cat((torch.arange(m.image_start), retained,
                                     torch.arange(m.image_end, T))).sort().values
            alive = keep_indexs.tolist()
            positions = list(range(len(alive))) if r.wrong == "positions" else list(alive)
        a, f = gs.layer_on_rows(X[alive], positions, m.lw(l), cfg, caches[l])
        X[alive] = a + f
        processed.append(list(alive))
        layer_positions.append(list(positions))

    def logits_of(x):
        return final_norm(x) @ gg.lm_head_weight(m.w, cfg).T

    kv_after_prefill = [len(c) for c in caches]
    rows = [logits_of(X[T - 1])]
    tokens = [int(torch.argmax(rows[0]))]
    E = m.w["model.embed_tokens.weight"]
    dec_proc, dec_pos = [], []
    for step in range(1, MAX_NEW_TOKENS):
        t = T + step - 1
        x = E[tokens[-1]][None, :].clone()
        poss = []
        for l in range(L):
            if r.kind == "divprune" and r.wrong != "positions":
                pos = len(caches[l])         # attention mask of n' + step ones
            else:
                pos = t                      # the unpruned attention mask's cumsum
            a, f = gs.layer_on_rows(x, [pos], m.lw(l), cfg, caches[l])
            x = a + f
            poss.append(pos)
        dec_proc.append(list(range(L)))
        dec_pos.append(poss)
        row = logits_of(x[0])
        rows.append(row)
        tokens.append(int(torch.argmax(row)))
    return {"greedy_new_tokens": tokens, "greedy_logits": torch.stack(rows),
            "prefill_processed": processed, "prefill_positions": layer_positions,
            "decode_processed": dec_proc, "decode_positions": dec_pos,
            "kv_lengths": {"after_prefill": kv_after_prefill, "after_decode": [len(c) for c in caches]},
            "gaps": [g for g in gaps if g is not None]}


def python_set_order_cases() -> list:
    """list(set(xs)) for random lists of distinct small ints, as DART builds its pivot set."""
    rng = random.Random(2727)
    cases = []
    for n in (1, 4, 5, 8, 8, 8, 8, 12, 20, 33):
        xs = rng.sample(range(2000), n)
        cases.append({"insert": xs, "iterate": list(set(xs))})
    for xs in ([611 + i for i in range(4)] + [35, 99, 163, 227], list(range(70, 76)) + [6, 38]):
        cases.append({"insert": xs, "iterate": list(set(xs))})
    return cases


NOTES = {
    "dart": "DART (ZichenWen1/DART@5a19452 modeling_llama_self.py): before 0-based layer K, pivots = top "
            "pivot_image image rows + top pivot_text rows after the image by L1 norm of layer K-1's keys (after RoPE "
            "and repeat_kv); per pivot, in list(set(pivot indices)) order, keep the keep//(pivots) remaining image "
            "rows with the largest -cos to it on model.norm(layer K-1 output); image pivots kept; other image rows "
            "dropped for layers >= K; original positions (keep_indexs), decoding at the original numbering.",
    "divprune": "DivPrune (vbdi/divprune@799e2d9 llava_arch.py): on the image rows of the input embeddings, "
                "distance 1 - cos; first pick argmax of the column-wise second-smallest distance, then argmax of "
                "the min distance to the picked rows; int(round(ratio*N_v)) rows; the rest never enter the "
                "decoder; positions 0..n'-1, decoding at n' + step.",
    "visionzip": "VisionZip (dvlab-research/VisionZip@3151f6d clip_encoder.py, utils.py): at the tower's "
                 "second-to-last layer, dominant = class token + the dominant-1 patches with the largest class-token "
                 "attention summed over heads (token order); contextual = targets every step-th of the rest, the "
                 "others assigned by head-mean key cosine, target + mean(assigned); projected, they replace the "
                 "image; the prompt (merged_length) is then run densely at positions 0..n-1.",
}


def main() -> int:
    _, golden, _, canon, pv_np = gs.load_base()
    ids = golden["input_ids"]
    spec_d, canon_d, gamma_d, _, _ = gs.load_model_dir(MODEL)
    for k, v in canon.items():
        assert torch.equal(canon_d[k], v), f"{MODEL}: {k} differs from the base case"
    pv64 = torch.from_numpy(pv_np).double()
    m64 = gs.make_model(spec_d, canon_d, ids, pv64, torch.float64)
    m32 = gs.make_model(spec_d, canon_d, ids, torch.from_numpy(pv_np), torch.float32)
    T = m64.embeds.shape[0]
    L = m64.cfg.num_hidden_layers
    dense = gs.run_schedule(m64, gs.parse_spec("dense"))

    vcfg = spec_d.vcfg
    w64 = {k: v.to(torch.float64) for k, v in canon_d.items()}
    w32 = {k: v.to(torch.float32) for k, v in canon_d.items()}

    def model_for(r: Reduction, m: gs.Model, w, pv, gaps: list) -> gs.Model:
        return visionzip_model(m, w, ids, pv, vcfg, r, gaps) if r.kind == "visionzip" else m

    def run_reduction(r: Reduction, m: gs.Model, w, pv) -> Tuple[dict, gs.Model]:
        gaps: list = []
        mm = model_for(r, m, w, pv, gaps)
        rec = run(mm, r)
        rec["gaps"] += [g for g in gaps if g is not None]
        return rec, mm

    for name, spec in CASES:
        r = parse(spec)
        rec, mr = run_reduction(r, m64, w64, pv64)
        gap = gg.check_rows(list(rec["greedy_logits"]), name)
        if not gap > gg.MIN_TOP2_GAP:
            raise AssertionError(f"{name}: greedy top-2 gap {gap:.3g}")
        if not min(rec["gaps"]) > MIN_DECISION_GAP:
            raise AssertionError(f"{name}: a ranking boundary is within {min(rec['gaps']):.3g}")
        checks = {}
        # (1) the KV-cache run equals a full masked recompute (generate_schedule_golden's path B)
        sched = gs.Sched("reduction", spec)
        dmax = max(float((gs.recompute_masked(mr, sched, rec, s) - rec["greedy_logits"][s]).abs().max())
                   for s in range(MAX_NEW_TOKENS))
        if not dmax < gg.SELF_CHECK_TOL:
            raise AssertionError(f"SELF-CHECK FAILED ({name}): cache vs masked recompute {dmax:.3e}")
        checks["kv_cache_vs_masked_full_recompute_max_abs_diff"] = float(f"{dmax:.3g}")
        # (2) float32 makes the same decisions and tokens
        r32, _ = run_reduction(r, m32, w32, torch.from_numpy(pv_np))
        for key in ("greedy_new_tokens", "prefill_processed", "prefill_positions", "decode_positions"):
            if r32[key] != rec[key]:
                raise AssertionError(f"SELF-CHECK FAILED ({name}): float32 run differs in {key}")
        f32d = float((r32["greedy_logits"].double() - rec["greedy_logits"]).abs().max())
        checks["float32_same_tokens_and_sets"] = True
        # (3) keeping every image row gives the dense run exactly
        # (DART: 4 image pivots and no text pivot pick the 60 other image rows, 15 each)
        if r.kind != "visionzip":
            full = parse("divprune:ratio=1") if r.kind == "divprune" else parse(
                f"dart:layer={r.layer};keep={m64.n_img - 4};pivots=4,0")
            fr = run(m64, full)
            same = torch.equal(fr["greedy_logits"], dense["greedy_logits"]) if r.kind == "dart" else \
                float((fr["greedy_logits"] - dense["greedy_logits"]).abs().max()) < 1e-12
            if not same:
                raise AssertionError(f"SELF-CHECK FAILED ({name}): keeping every image row is not dense")
            checks["keeping_every_image_row_equals_dense"] = full.spec
        # (4) plausible mistakes move the result
        sens = {}
        wrongs = {"dart": ("positions", "pivots_ascending"), "divprune": ("positions",),
                  "visionzip": ("mean_with_target", "dominant_by_last_layer")}[r.kind]
        for wrong in wrongs:
            wr, _ = run_reduction(parse(spec, wrong), m64, w64, pv64)
            d0 = float((wr["greedy_logits"][0] - rec["greedy_logits"][0]).abs().max())
            if not d0 > gs.MIN_SENSITIVITY:
                raise AssertionError(f"{name}: wrong variant {wrong} moves logits by only {d0:.3g}")
            sens[wrong] = {"prefill_row_max_abs_diff": float(f"{d0:.3g}"),
                           "same_kept_rows": wr["prefill_processed"] == rec["prefill_processed"]}
        counts = [len(p) for p in rec["prefill_processed"]]
        out = {
            "name": name, "spec": spec, "model": MODEL, "base_case": gs.BASE_CASE,
            "pixel_values": f"../{gs.BASE_CASE}/pixel_values.npy", "image": f"../{gs.BASE_CASE}/image.png",
            "input_ids": ids, "merged_length": mr.embeds.shape[0], "image_start": mr.image_start,
            "image_end": mr.image_end,
            "max_new_tokens": MAX_NEW_TOKENS, "greedy_new_tokens": rec["greedy_new_tokens"],
            "min_top2_gap": round(gap, 6),
            "prefill_processed": rec["prefill_processed"], "prefill_positions": rec["prefill_positions"],
            "prefill_processed_counts": counts,
            "decode_processed": rec["decode_processed"], "decode_positions": rec["decode_positions"],
            "kv_lengths": rec["kv_lengths"],
            "decision_margins": {"min_relative_gap_at_ranking_boundaries": float(f"{min(rec['gaps']):.4g}")},
            "float32_max_abs_logit_diff": float(f"{f32d:.3g}"),
            "self_checks": checks, "sensitivity": sens,
            "released_code": {"dart": "ZichenWen1/DART@5a19452 (fork xqy1111111/DART)",
                              "divprune": "vbdi/divprune@799e2d9",
                              "visionzip": "dvlab-research/VisionZip@3151f6d"}[r.kind],
            "generator_versions": {"python": sys.version.split()[0], "torch": torch.__version__},
            "notes": NOTES[r.kind],
        }
        gg.write_json(os.path.join(gs.SCHED_DIR, f"{name}.json"), out)
        gg.write_npy(os.path.join(gs.SCHED_DIR, f"{name}_greedy_logits.npy"), rec["greedy_logits"])
        print(f"[{name}] {spec}: processed per layer {counts}; tokens {rec['greedy_new_tokens']}; "
              f"min top-2 gap {gap:.4f}; min decision gap {min(rec['gaps']):.3g}; f32 |d| {f32d:.2e}; "
              f"recompute |d| {dmax:.2e}; sensitivity {sens}")
    runtime_resources = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "runtime", "src",
                                     "test", "resources", "dev", "mod4j", "runtime", "schedule")
    os.makedirs(runtime_resources, exist_ok=True)
    gg.write_json(os.path.join(runtime_resources, "python_set_order.json"),
                  {"python": sys.version.split()[0], "cases": python_set_order_cases()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
