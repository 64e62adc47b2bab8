#!/usr/bin/env python3
"""Golden references for the token-reduction methods DART and DivPrune.

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

The decoder itself is the float64 textbook LLaMA of generate_golden.py / generate_schedule_golden.py (layer by
layer with per-layer KV caches), on the ``model-gmod`` LLaVA of the schedule goldens (its router is unused here).
Writes ``tests/src/test/resources/golden/schedules/{dart,divprune}.json`` and ``*_greedy_logits.npy`` in the format
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
from typing import List, Optional

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as gg            # noqa: E402  (sets torch threads = 1)
import generate_schedule_golden as gs   # noqa: E402

MAX_NEW_TOKENS = gs.MAX_NEW_TOKENS
MODEL = "model-gmod"
CASES = [  # (file-safe name, spec)
    ("dart", "dart:layer=2;keep=32"),
    ("divprune", "divprune:ratio=0.25"),
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

    for name, spec in CASES:
        r = parse(spec)
        rec = run(m64, r)
        gap = gg.check_rows(list(rec["greedy_logits"]), name)
        if not gap > gg.MIN_TOP2_GAP:
            raise AssertionError(f"{name}: greedy top-2 gap {gap:.3g}")
        if not min(rec["gaps"]) > MIN_DECISION_GAP:
            raise AssertionError(f"{name}: a ranking boundary is within {min(rec['gaps']):.3g}")
        checks = {}
        # (1) the KV-cache run equals a full masked recompute (generate_schedule_golden's path B)
        sched = gs.Sched("reduction", spec)
        dmax = max(float((gs.recompute_masked(m64, sched, rec, s) - rec["greedy_logits"][s]).abs().max())
                   for s in range(MAX_NEW_TOKENS))
        if not dmax < gg.SELF_CHECK_TOL:
            raise AssertionError(f"SELF-CHECK FAILED ({name}): cache vs masked recompute {dmax:.3e}")
        checks["kv_cache_vs_masked_full_recompute_max_abs_diff"] = float(f"{dmax:.3g}")
        # (2) float32 makes the same decisions and tokens
        r32 = run(m32, r)
        for key in ("greedy_new_tokens", "prefill_processed", "prefill_positions", "decode_positions"):
            if r32[key] != rec[key]:
                raise AssertionError(f"SELF-CHECK FAILED ({name}): float32 run differs in {key}")
        f32d = float((r32["greedy_logits"].double() - rec["greedy_logits"]).abs().max())
        checks["float32_same_tokens_and_sets"] = True
        # (3) keeping every image row gives the dense run exactly
        # (DART: 4 image pivots and no text pivot pick the 60 other image rows, 15 each)
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
        for wrong in (("positions", "pivots_ascending") if r.kind == "dart" else ("positions",)):
            wr = run(m64, parse(spec, wrong))
            d0 = float((wr["greedy_logits"][0] - rec["greedy_logits"][0]).abs().max())
            if not d0 > gs.MIN_SENSITIVITY:
                raise AssertionError(f"{name}: wrong variant {wrong} moves logits by only {d0:.3g}")
            sens[wrong] = {"prefill_row_max_abs_diff": float(f"{d0:.3g}"),
                           "same_kept_rows": wr["prefill_processed"] == rec["prefill_processed"]}
        counts = [len(p) for p in rec["prefill_processed"]]
        out = {
            "name": name, "spec": spec, "model": MODEL, "base_case": gs.BASE_CASE,
            "pixel_values": f"../{gs.BASE_CASE}/pixel_values.npy", "image": f"../{gs.BASE_CASE}/image.png",
            "input_ids": ids, "merged_length": T, "image_start": m64.image_start, "image_end": m64.image_end,
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
                              "divprune": "vbdi/divprune@799e2d9"}[r.kind],
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
