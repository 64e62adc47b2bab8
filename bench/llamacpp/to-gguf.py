#!/usr/bin/env python3
"""Writes a LLaMA checkpoint of mod4j's bench (HF layout: config.json plus safetensors, one file or an index of
shards) as one GGUF file that llama.cpp loads, so both engines run the same weights (issue #9).

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py python3 to-gguf.py CHECKPOINT_DIR OUT.gguf

Needs numpy and llama.cpp's own gguf-py package (with sentencepiece, which gguf-py imports). Weights keep their
dtype (F32, F16 or BF16); norms are written as F32, as llama.cpp's converter does. The bench checkpoints have no
tokenizer, so the vocabulary written here is synthetic: <unk>, <s>, </s>, the 256 byte tokens, then plain pieces.
llama-bench feeds token ids, never text, so only the vocabulary's size matters to it.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}  # BF16 kept as raw 16-bit words
GGML_TYPES = {"F32": gguf.GGMLQuantizationType.F32, "F16": gguf.GGMLQuantizationType.F16,
              "BF16": gguf.GGMLQuantizationType.BF16}
FILE_TYPES = {"F32": gguf.LlamaFileType.ALL_F32, "F16": gguf.LlamaFileType.MOSTLY_F16,
              "BF16": gguf.LlamaFileType.MOSTLY_BF16}


def safetensors_tensors(checkpoint: Path):
    """(name, dtype string, array view) for every tensor, memory-mapped, in file order."""
    index = checkpoint / "model.safetensors.index.json"
    files = (sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists()
             else ["model.safetensors"])
    for file in files:
        path = checkpoint / file
        with open(path, "rb") as f:
            header_len = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(header_len))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            array = data[begin:end].view(SAFETENSORS_DTYPES[info["dtype"]]).reshape(info["shape"])
            yield name, info["dtype"], array


def rotary_pairs_interleaved(weight, heads: int):
    """HF stores each head's q/k rows as two rotary halves; llama.cpp's LLaMA rope pairs adjacent rows."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def gguf_name(hf_name: str) -> str:
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if hf_name in fixed:
        return fixed[hf_name]
    parts = hf_name.split(".")  # model.layers.N.<module>.<proj>.weight
    if parts[:2] != ["model", "layers"]:
        raise SystemExit(f"to-gguf: unexpected tensor '{hf_name}'")
    layer, module = parts[2], ".".join(parts[3:])
    per_layer = {"self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
                 "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
                 "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
                 "mlp.down_proj.weight": "ffn_down.weight", "input_layernorm.weight": "attn_norm.weight",
                 "post_attention_layernorm.weight": "ffn_norm.weight"}
    if module not in per_layer:
        raise SystemExit(f"to-gguf: unexpected tensor '{hf_name}'")
    return f"blk.{layer}.{per_layer[module]}"


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    checkpoint, out = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((checkpoint / "config.json").read_text())
    heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads", config["num_attention_heads"])
    hidden, vocab = config["hidden_size"], config["vocab_size"]

    tensors = list(safetensors_tensors(checkpoint))
    weight_dtype = next(dtype for name, dtype, _ in tensors if name.endswith("q_proj.weight"))

    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name(checkpoint.name)
    writer.add_context_length(config.get("max_position_embeddings", 2048))
    writer.add_embedding_length(hidden)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(config.get("rope_theta", 10000.0))
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-5))
    writer.add_vocab_size(vocab)
    writer.add_file_type(FILE_TYPES[weight_dtype])

    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
    tokens += [f"\u2581t{i}" for i in range(vocab - len(tokens))]
    types += [gguf.TokenType.NORMAL] * (vocab - len(types))
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * vocab)
    writer.add_token_types(types)
    writer.add_bos_token_id(config.get("bos_token_id", 1))
    writer.add_eos_token_id(config.get("eos_token_id", 2))
    writer.add_unk_token_id(0)

    for name, dtype, array in tensors:
        if name.endswith("q_proj.weight"):
            array = rotary_pairs_interleaved(array, heads)
        elif name.endswith("k_proj.weight"):
            array = rotary_pairs_interleaved(array, kv_heads)
        if array.ndim == 1:  # norms: F32, as llama.cpp's own converter writes them
            if dtype == "BF16":
                array = (array.astype(np.uint32) << 16).view(np.float32)
            array, dtype = np.ascontiguousarray(array, dtype=np.float32), "F32"
        writer.add_tensor(gguf_name(name), array, raw_shape=array.shape, raw_dtype=GGML_TYPES[dtype])

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()


if __name__ == "__main__":
    try:
        main()
    except KeyError as e:
        raise SystemExit(f"to-gguf: {sys.argv[1]}: a required field is missing from config.json or a header: {e}")
    except (OSError, ValueError) as e:  # missing or unreadable file, malformed JSON or header
        raise SystemExit(f"to-gguf: {sys.argv[1]}: {type(e).__name__}: {e}")
