#!/usr/bin/env python3
"""Golden reference for SparseVLM (ICML 2025), restated in PyTorch from its released code.

Gumpest/SparseVLMs at 26a5f48 with USE_VERSION unset (the SparseVLM v1.5 rule; SparseVLM+ is USE_VERSION=2_0),
read from ``llava/model/language_model/``:

* ``modelling_sparse_llama.py`` ``LlamaDynamicvitModel.forward``: text raters chosen once on the input embeddings
  (``m_v_t = (v_t @ t_t.T).softmax(2).mean(1)``, raters ``m_v_t > m_v_t.mean()``); at each layer of
  ``pruning_loc`` the layer runs on every row (and caches every row); its attention probabilities (``attn_logits``
  of ``LlamaDynamicvitSdpaAttention``: causal softmax of q.k/sqrt(hd) after RoPE) score the image rows; the kept
  rows, the merged cluster rows after them, then the text go on; ``position_ids[:, :n']`` (compact); in decoding
  the SDPA layer replaces the position by ``past_key_value.get_usable_length`` (the layer's cache length).
* ``score.py`` ``attn_postprocess_topk``: mean over heads, rows of the raters, columns of the image, mean over the
  raters; top ``min(keep, v_token_num - 1)``.
* ``utils.py`` ``cluster_and_merge`` (DPC-KNN), without its 1e-6 tie-breaking noise (every decision here has a
  margin far above it; checked).

No upstream code is imported or copied.  The decoder is the float64 textbook LLaMA of generate_golden.py /
generate_schedule_golden.py on the ``model-gmod`` LLaVA of the schedule goldens (its router unused).  Merged rows
are written with their cluster centre's sequence index, as mod4j's trace names them.

Writes tests/src/test/resources/golden/schedules/sparsevlm.json and sparsevlm_greedy_logits.npy (read by
ScheduleGoldenTest).  Run from the repository root, after generate_schedule_golden.py:

    /usr/bin/python3 tests/golden/generate_sparsevlm_golden.py

Requirements: Debian python3-torch, python3-numpy.  Deterministic.  Fails if a self-check fails.
"""

from __future__ import annotations

import math
import os
import sys
from typing import List

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_golden as gg            # noqa: E402  (sets torch threads = 1)
import generate_schedule_golden as gs   # noqa: E402
import generate_reduction_golden as gr  # noqa: E402

MAX_NEW_TOKENS = gs.MAX_NEW_TOKENS
MODEL = "model-gmod"
NAME = "sparsevlm"
SPEC = "sparsevlm:layers=1,2,4;keep=20,10,5"
LAYERS, KEEP = [1, 2, 4], [20, 10, 5]
MIN_DECISION_GAP = 1e-4


def gap_above(values: torch.Tensor, threshold: float) -> float:
    """Smallest relative distance of the values from a threshold they are compared with."""
    return float(((values - threshold).abs() / abs(threshold)).min())


def attention_probabilities(x: torch.Tensor, pos: List[int], lw, cfg) -> torch.Tensor:
    """The layer's causal softmax probabilities [H, n, n] on its input rows x (LN1, q/k, RoPE at pos)."""
    n = x.shape[0]
    H, KV, hd = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    h = gg.rms_norm(x, lw["input_layernorm.weight"], cfg.rms_norm_eps)
    q = (h @ lw["self_attn.q_proj.weight"].T).view(n, H, hd).transpose(0, 1)
    k = (h @ lw["self_attn.k_proj.weight"].T).view(n, KV, hd).transpose(0, 1)
    cos, sin = gg.rope_cos_sin(torch.tensor(pos, dtype=torch.int64), cfg, dtype=x.dtype)
    q, k = gg.rope(q, cos, sin), gg.rope(k, cos, sin)
    k = k.repeat_interleave(H // KV, dim=0)                       # repeat_kv
    scores = q @ k.transpose(1, 2) / math.sqrt(hd)
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    return torch.softmax(scores.masked_fill(~causal[None], float("-inf")), dim=-1)


def cluster_and_merge(x: torch.Tensor, cluster_num: int, gaps: list):
    """utils.cluster_and_merge for batch 1, x [N, C]: (merged [cluster_num, C], index_down)."""
    N, C = x.shape
    dist_matrix = (x[:, None, :] - x[None, :, :]).norm(dim=-1, p=2) / (C ** 0.5)
    dist_nearest, _ = torch.topk(dist_matrix, k=cluster_num, dim=-1, largest=False)
    density = (-(dist_nearest ** 2).mean(dim=-1)).exp()
    # The released code adds rand * 1e-6 here to break ties; the margin checks show none is needed, except with
    # one cluster: k = 1 nearest is the row itself, every density is 1 and the noise alone picks the centre. The
    # merged row (the mean of all) does not depend on it; only its name does: mod4j (and this reference) name
    # it by the first row, the one with the highest score.
    if cluster_num == 1:
        merged = x.sum(0, keepdim=True) * (1.0 / (N + 1e-6))
        return merged, torch.tensor([0])
    # Mutual nearest neighbours have exactly equal densities (k = 2): the released noise makes one of the two the
    # denser at random (so the densest pair's centre is either). mod4j (and this reference) let the earlier row
    # (the higher-scored one) win; the case is only used if letting the later row win gives the same clusters, so
    # that the noise changes at most which member names a cluster, never what is merged.
    ds = torch.unique(density)
    if ds.shape[0] > 1:
        gaps.append(float(((ds[1:] - ds[:-1]) / ds[1:]).min()))
    dist_max = dist_matrix.max()
    rows = torch.arange(N)
    tied = density[None, :] == density[:, None]

    def clusters(earlier_wins: bool):
        before = rows[None, :] < rows[:, None] if earlier_wins else rows[None, :] > rows[:, None]
        mask = ((density[None, :] > density[:, None]) | (tied & before)).to(x.dtype)   # mask[i, j]: j denser
        dist, _ = (dist_matrix * mask + dist_max * (1 - mask)).min(dim=-1)
        score = dist * density
        _, index_down = torch.topk(score, k=cluster_num)
        centre_dist = dist_matrix[index_down]                      # index_points: [cluster_num, N]
        idx_cluster = centre_dist.argmin(dim=0)
        idx_cluster[index_down] = torch.arange(cluster_num)
        return score, index_down, centre_dist, idx_cluster

    score, index_down, centre_dist, idx_cluster = clusters(True)
    if not torch.equal(clusters(False)[3], idx_cluster):
        raise AssertionError("the clusters depend on how equal densities are ordered")
    gaps.append(gr.boundary_gap(score, cluster_num))
    two = torch.topk(centre_dist, 2, dim=0, largest=False).values
    gaps.append(float(((two[1] - two[0]) / two[1]).min()))
    all_weight = torch.zeros(cluster_num, 1, dtype=x.dtype).index_add_(0, idx_cluster, torch.ones(N, 1, dtype=x.dtype))
    all_weight = all_weight + 1e-6
    norm_weight = 1.0 / all_weight[idx_cluster]
    merged = torch.zeros(cluster_num, C, dtype=x.dtype).index_add_(0, idx_cluster, x * norm_weight)
    return merged, index_down


def run(m: gs.Model, wrong: str = "") -> dict:
    cfg, L = m.cfg, m.cfg.num_hidden_layers
    T = m.embeds.shape[0]
    X = m.embeds.clone()
    seq = list(range(T))                       # the token each current row stands for
    caches = [gs.LayerCache() for _ in range(L)]
    gaps: list = []
    v_token_start, v_token_num = m.image_start, m.n_img
    text_token_start = v_token_start + v_token_num
    # Select Text Raters (SparseVLM 3.2)
    v_t, t_t = X[v_token_start:text_token_start], X[text_token_start:]
    m_v_t = (v_t @ t_t.T).softmax(1).mean(0)
    gaps.append(gap_above(m_v_t, float(m_v_t.mean())))
    t_token_idx = torch.where(m_v_t > m_v_t.mean())[0]
    if wrong == "all_raters":
        t_token_idx = torch.arange(t_t.shape[0])
    raters = t_token_idx.tolist()
    processed, layer_positions, merged_log = [], [], []
    for l in range(L):
        pos = list(range(X.shape[0]))
        processed.append(list(seq))
        layer_positions.append(pos)
        if l in LAYERS:
            attn = attention_probabilities(X, pos, m.lw(l), cfg)
        a, f = gs.layer_on_rows(X, pos, m.lw(l), cfg, caches[l])
        out = a + f
        if l not in LAYERS:
            X = out
            continue
        # attn_postprocess_topk
        rel = attn.mean(0)[t_token_idx + text_token_start][:, v_token_start:v_token_start + v_token_num].mean(0)
        k = min(KEEP[LAYERS.index(l)], v_token_num - 1)
        gaps.append(gr.boundary_gap(rel, k))
        keep_mask = torch.zeros(v_token_num, dtype=torch.bool)
        keep_mask[torch.topk(rel, k).indices] = True
        kept = torch.where(keep_mask)[0]
        pruned = torch.where(~keep_mask)[0]
        select = list(range(v_token_start)) + (kept + v_token_start).tolist() + list(range(text_token_start, X.shape[0]))
        if wrong == "no_merge":
            X = out[select]
            seq = [seq[i] for i in select]
            v_token_num = k
        else:
            n1 = int(pruned.shape[0] * 0.3) + 1
            stage1 = rel[pruned]
            gaps.append(gr.boundary_gap(stage1, n1))
            stage2 = pruned[stage1.topk(n1).indices]                  # image-relative, by descending score
            cluster_num = int(stage2.shape[0] / 10) + 1
            merged, index_down = cluster_and_merge(out[stage2 + v_token_start], cluster_num, gaps)
            centres = [seq[int(stage2[i]) + v_token_start] for i in index_down.tolist()]
            head = select[:v_token_start + k]
            tail = select[v_token_start + k:]
            X = torch.cat([out[head], merged, out[tail]])
            seq = [seq[i] for i in head] + centres + [seq[i] for i in tail]
            merged_log.append({"layer": l, "kept_image_rows": k, "recycled": n1, "clusters": cluster_num,
                               "centre_sequence_indices": centres})
            v_token_num = k + cluster_num
        text_token_start = v_token_start + v_token_num

    def logits_of(x):
        return gg.rms_norm(x, m.w["model.norm.weight"], cfg.rms_norm_eps) @ gg.lm_head_weight(m.w, cfg).T

    kv_after_prefill = [len(c) for c in caches]
    rows = [logits_of(X[-1])]
    tokens = [int(torch.argmax(rows[0]))]
    E = m.w["model.embed_tokens.weight"]
    dec_proc, dec_pos = [], []
    for step in range(1, MAX_NEW_TOKENS):
        x = E[tokens[-1]][None, :].clone()
        poss = []
        for l in range(L):
            p = len(caches[l])                  # position_ids = get_usable_length (the layer's cache length)
            a, f = gs.layer_on_rows(x, [p], m.lw(l), cfg, caches[l])
            x = a + f
            poss.append(p)
        dec_proc.append(list(range(L)))
        dec_pos.append(poss)
        row = logits_of(x[0])
        rows.append(row)
        tokens.append(int(torch.argmax(row)))
    return {"greedy_new_tokens": tokens, "greedy_logits": torch.stack(rows), "raters": raters,
            "prefill_processed": processed, "prefill_positions": layer_positions, "merges": merged_log,
            "decode_processed": dec_proc, "decode_positions": dec_pos,
            "kv_lengths": {"after_prefill": kv_after_prefill, "after_decode": [len(c) for c in caches]},
            "gaps": [g for g in gaps if g is not None]}


def main() -> int:
    _, golden, _, canon, pv_np = gs.load_base()
    ids = golden["input_ids"]
    spec_d, canon_d, _, _, _ = gs.load_model_dir(MODEL)
    for k, v in canon.items():
        assert torch.equal(canon_d[k], v), f"{MODEL}: {k} differs from the base case"
    m64 = gs.make_model(spec_d, canon_d, ids, torch.from_numpy(pv_np).double(), torch.float64)
    m32 = gs.make_model(spec_d, canon_d, ids, torch.from_numpy(pv_np), torch.float32)
    rec = run(m64)
    gap = gg.check_rows(list(rec["greedy_logits"]), NAME)
    if not gap > gg.MIN_TOP2_GAP:
        raise AssertionError(f"greedy top-2 gap {gap:.3g}")
    if not min(rec["gaps"]) > MIN_DECISION_GAP:
        raise AssertionError(f"a decision boundary is within {min(rec['gaps']):.3g}")
    checks = {}
    # (1) float32 makes the same decisions and tokens
    r32 = run(m32)
    for key in ("greedy_new_tokens", "prefill_processed", "prefill_positions", "decode_positions", "raters"):
        if r32[key] != rec[key]:
            raise AssertionError(f"SELF-CHECK FAILED: float32 run differs in {key}")
    f32d = float((r32["greedy_logits"].double() - rec["greedy_logits"]).abs().max())
    checks["float32_same_tokens_and_sets"] = True
    # (2) the layer's attention probabilities here equal the schedule goldens' last-row attention (FastV's score)
    pos = list(range(m64.embeds.shape[0]))
    a = attention_probabilities(m64.embeds, pos, m64.lw(0), m64.cfg).mean(0)[-1]
    b = gs.last_row_attention(m64.embeds, pos, m64.lw(0), m64.cfg)
    if not float((a - b).abs().max()) < 1e-12:
        raise AssertionError("SELF-CHECK FAILED: attention probabilities differ from last_row_attention")
    checks["attention_equals_last_row_attention"] = True
    # (3) plausible mistakes move the result
    sens = {}
    for wrong in ("no_merge", "all_raters"):
        wr = run(m64, wrong)
        d0 = float((wr["greedy_logits"][0] - rec["greedy_logits"][0]).abs().max())
        if not d0 > gs.MIN_SENSITIVITY:
            raise AssertionError(f"wrong variant {wrong} moves logits by only {d0:.3g}")
        sens[wrong] = {"prefill_row_max_abs_diff": float(f"{d0:.3g}"),
                       "same_processed_rows": wr["prefill_processed"] == rec["prefill_processed"]}
    counts = [len(p) for p in rec["prefill_processed"]]
    out = {
        "name": NAME, "spec": SPEC, "model": MODEL, "base_case": gs.BASE_CASE,
        "pixel_values": f"../{gs.BASE_CASE}/pixel_values.npy", "image": f"../{gs.BASE_CASE}/image.png",
        "input_ids": ids, "merged_length": m64.embeds.shape[0], "image_start": m64.image_start,
        "image_end": m64.image_end, "max_new_tokens": MAX_NEW_TOKENS,
        "greedy_new_tokens": rec["greedy_new_tokens"], "min_top2_gap": round(gap, 6),
        "raters_after_image": rec["raters"], "merges": rec["merges"],
        "prefill_processed": rec["prefill_processed"], "prefill_positions": rec["prefill_positions"],
        "prefill_processed_counts": counts,
        "decode_processed": rec["decode_processed"], "decode_positions": rec["decode_positions"],
        "kv_lengths": rec["kv_lengths"],
        "decision_margins": {"min_relative_gap_at_decision_boundaries": float(f"{min(rec['gaps']):.4g}")},
        "float32_max_abs_logit_diff": float(f"{f32d:.3g}"),
        "self_checks": checks, "sensitivity": sens,
        "released_code": "Gumpest/SparseVLMs@26a5f48 (USE_VERSION unset: SparseVLM v1.5)",
        "generator_versions": {"python": sys.version.split()[0], "torch": torch.__version__},
        "notes": "SparseVLM: raters = text rows after the image whose image-averaged softmax of image.text dot "
                 "products on the input embeddings exceeds the mean; after each pruning layer (run on all rows, "
                 "all cached) keep the top min(keep, N_v-1) image rows by the raters' head-mean attention in that "
                 "layer; the int(0.3 n)+1 best pruned rows are clustered (DPC-KNN, int(m/10)+1 clusters) on the "
                 "layer output and their means (sum/(count+1e-6)) follow the kept rows; compact positions; decoding "
                 "at each layer's cache length. Merged rows carry their centre's sequence index.",
    }
    gg.write_json(os.path.join(gs.SCHED_DIR, f"{NAME}.json"), out)
    gg.write_npy(os.path.join(gs.SCHED_DIR, f"{NAME}_greedy_logits.npy"), rec["greedy_logits"])
    print(f"[{NAME}] {SPEC}: processed per layer {counts}; raters {rec['raters']}; merges {rec['merges']}; "
          f"tokens {rec['greedy_new_tokens']}; min top-2 gap {gap:.4f}; min decision gap {min(rec['gaps']):.3g}; "
          f"f32 |d| {f32d:.2e}; sensitivity {sens}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
