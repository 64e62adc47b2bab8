#!/usr/bin/env python3
"""ARank golden (γ-MoD, docs/methods.md §3.2) for the tiny LLaVA-HR of generate_llava_hr_golden.py, computed by
γ-MoD's own ``compute_attention_rank`` on the stage-1 (alignment) model.

γ-MoD computes ARank on its stage-1 checkpoint (``Gamma-MoD-llava-hr-7b-stage1``): the dense LLaVA-HR, whose class
is ``LlavaLlamaForCausalLM`` of gamma_mod/model/language_model/llava_llama.py (model_type ``llava``, no ``mod``
settings, no router tensors). Its ``forward`` runs the LLaMA decoder with ``output_attentions`` and hands every
layer's ``attentions[layer][0]`` ([heads, N, N]) to ``compute_attention_rank`` of the same file (causal mask,
diagonal set to 0, ``.float()``, ``torch.linalg.matrix_rank``, mean over heads). Here:

* the function is taken from Yaxin9Luo/Gamma-MOD (``git show HEAD:gamma_mod/model/language_model/llava_llama.py``,
  the commit is recorded in the output) and run unchanged but for one added ``return head_ranks`` (the released
  function only prints the head mean; the per-head ranks are what the test compares);
* the decoder is transformers' ``LlamaForCausalLM`` (which that class extends) with eager attention, in float64, on
  the weights of ``llava-hr/model/pytorch_model.bin`` without its router tensors: the stage-1 model;
* the prompt rows: ``golden.json``'s input ids with the image rows (``vision_features.npy``, the released tower's
  output, through the checkpoint's mlp2x_gelu projector) in place of the -200 token.

Writes, without touching any other golden file, ``llava-hr/model-stage1/`` (config.json as the stage-1 model has
it, the tower's clip-vision-tower/config.json, model.safetensors without routers) and ``llava-hr/arank.json``.
The proposed MoD layers are recorded under mod4j's rule (docs/methods.md §3.2: the round(F · L) lowest-ARank
layers, ties by layer index, for F = 0.875 and 0.75) and under γ-MoD's released ``arank_mod`` rule (all layers but 0, 1, 2 and L-1).

    /opt/refenv/bin/python tests/golden/generate_llava_hr_arank_golden.py
"""

import ast
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate_golden as gg  # noqa: E402

CASE = os.path.join(gg.OUT_ROOT, "llava-hr")
GIT = ["git", "--git-dir=/work/.mirror/Yaxin9Luo+Gamma-MOD/repo"]
SOURCE = "gamma_mod/model/language_model/llava_llama.py"
# mod4j arank's default (28 of 32 layers, as released) and 3 of 4, the tiny model's mod_layers_idx count.
MOD_FRACTIONS = (0.875, 0.75)


def released_compute_attention_rank():
    """γ-MoD's compute_attention_rank, from the released file, with ``return head_ranks`` appended."""
    text = subprocess.run(GIT + ["show", "HEAD:" + SOURCE], capture_output=True, text=True, check=True).stdout
    fn = next(n for n in ast.parse(text).body
              if isinstance(n, ast.FunctionDef) and n.name == "compute_attention_rank")
    fn.body.append(ast.Return(value=ast.Name(id="head_ranks", ctx=ast.Load())))
    module = ast.fix_missing_locations(ast.Module(body=[fn], type_ignores=[]))
    scope = {"torch": torch}
    exec(compile(module, SOURCE, "exec"), scope)
    return scope["compute_attention_rank"]


def main() -> int:
    from transformers import LlamaConfig, LlamaForCausalLM

    golden = json.load(open(os.path.join(CASE, "golden.json")))
    config = json.load(open(os.path.join(CASE, "model", "config.json")))
    state = torch.load(os.path.join(CASE, "model", "pytorch_model.bin"), map_location="cpu", weights_only=True)
    stage1 = {k: v for k, v in state.items() if not k.endswith("router.weight")}
    assert len(stage1) == len(state) - len(golden["mod_layers"])

    # The stage-1 model directory: the dense LLaVA-HR as γ-MoD's stage-1 checkpoint is (LlavaConfig, no "mod").
    out_dir = os.path.join(CASE, "model-stage1")
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    shutil.copytree(os.path.join(CASE, "model", "clip-vision-tower"), os.path.join(out_dir, "clip-vision-tower"))
    stage1_config = {k: v for k, v in config.items() if k != "mod"}
    stage1_config.update({"architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava"})
    gg.write_json(os.path.join(out_dir, "config.json"), stage1_config)
    gg.write_safetensors(os.path.join(out_dir, "model.safetensors"), dict(sorted(stage1.items())))

    llama = LlamaForCausalLM(LlamaConfig(**{k: config[k] for k in (
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "hidden_act", "rope_theta",
        "bos_token_id", "eos_token_id", "tie_word_embeddings")}, attn_implementation="eager"))
    missing, _ = llama.load_state_dict({k: v for k, v in stage1.items() if not k.startswith(("model.vision_tower",
                                                                                              "model.mm_projector"))},
                                       strict=False)
    assert not missing, missing
    llama = llama.double().eval()

    p = {k: v.double() for k, v in stage1.items() if k.startswith("model.mm_projector")}
    features = torch.from_numpy(np.load(os.path.join(CASE, "vision_features.npy"))).double()
    image_rows = torch.nn.functional.gelu(features @ p["model.mm_projector.0.weight"].T
                                          + p["model.mm_projector.0.bias"])
    image_rows = image_rows @ p["model.mm_projector.2.weight"].T + p["model.mm_projector.2.bias"]
    ids = golden["input_ids"]
    s = ids.index(-200)
    emb = llama.model.embed_tokens.weight.detach()
    embeds = torch.cat([emb[torch.tensor(ids[:s])], image_rows, emb[torch.tensor(ids[s + 1:])]])
    assert embeds.shape[0] == golden["merged_length"]

    compute_attention_rank = released_compute_attention_rank()
    with torch.no_grad():
        attentions = llama.model(inputs_embeds=embeds[None], output_attentions=True, use_cache=False).attentions
    layers = []
    for layer, attn in enumerate(attentions):
        head_ranks = [int(r) for r in compute_attention_rank(attn[0], layer)]
        layers.append({"layer": layer, "head_ranks": head_ranks, "arank": sum(head_ranks) / len(head_ranks)})

    n_layers = config["num_hidden_layers"]

    def proposed(fraction):
        count = int(math.floor(fraction * n_layers + 0.5))   # Java's Math.round
        lowest = sorted(sorted(range(n_layers), key=lambda l: (layers[l]["arank"], l))[:count])
        return {"mod_fraction": fraction, "spec": "gmod:layers=" + ",".join(map(str, lowest))}

    out = {
        "model": "model-stage1", "input_ids": ids, "image": golden["image"], "sequence_length": embeds.shape[0],
        "layers": layers,
        "proposed": [proposed(f) for f in MOD_FRACTIONS],
        "released_arank_mod": [l for l in range(n_layers) if l not in {0, 1, 2, n_layers - 1}],
        "metadata": {
            "generator": "tests/golden/generate_llava_hr_arank_golden.py",
            "gamma_mod_source": SOURCE,
            "gamma_mod_commit": subprocess.run(GIT + ["rev-parse", "HEAD"], capture_output=True,
                                               text=True).stdout.strip(),
            "torch": torch.__version__,
        },
    }
    gg.write_json(os.path.join(CASE, "arank.json"), out)
    print([l["head_ranks"] for l in layers], [p["spec"] for p in out["proposed"]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
