#!/usr/bin/env python3
"""Writes a LLaMA checkpoint of mod4j's bench (HF layout: config.json plus safetensors, one file or an index of
shards) as one GGUF file that llama.cpp loads, so both engines run the same weights (issue #9); with --mmproj, the
CLIP tower and projector of an original-layout LLaVA-1.5 checkpoint as llama.cpp's LLaVA `mmproj` file (issue #26).

    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py python3 to-gguf.py CHECKPOINT_DIR OUT.gguf
    PYTHONPATH=$LLAMA_CPP_DIR/gguf-py python3 to-gguf.py --mmproj [--all-tower-layers] CHECKPOINT_DIR OUT.gguf

Needs numpy and llama.cpp's own gguf-py package (with sentencepiece, which gguf-py imports). Weights keep their
dtype (F32, F16 or BF16); norms are written as F32, as llama.cpp's converter does. A LLaVA checkpoint's projector
is left out of the text model (llava_surgery.py moves it to the mmproj file). With a tokenizer.model beside the
weights, the vocabulary is its pieces, scores and types, padded to vocab_size with [PADn] pieces, as
convert_hf_to_gguf.py's _create_vocab_sentencepiece writes it; without one (the bench checkpoints) it is synthetic:
<unk>, <s>, </s>, the 256 byte tokens, then plain pieces (llama-bench feeds token ids, so only its size matters).

The mmproj file follows examples/llava/convert_image_encoder_to_gguf.py of llama.cpp c392e50 (2025-02-20) with
--llava-projector and --use-f32 for an F32 tower (F16 otherwise, its default): the same keys (clip.has_*,
clip.projector_type mlp, clip.vision.*, OpenAI CLIP's image mean/std, clip.use_gelu false for quick_gelu), its
tensor names (v.blk.N.attn_q, ffn_down for fc1, ffn_up for fc2, ...), the patch convolution and the projector's
matrices always F16, and the tower's last layer dropped (block_count = layers - 1). llama.cpp's clip.cpp at that
commit then runs block_count - 1 layers, one fewer than LLaVA's mm_vision_select_layer -2 (hidden state 23 of 24);
--all-tower-layers keeps every layer so that clip.cpp runs the 23 that LLaVA and mod4j run (the same computation).
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


def sentencepiece_vocab(tokenizer_model: Path, vocab: int):
    """convert_hf_to_gguf.py's _create_vocab_sentencepiece: the model's pieces, then [PADn] up to vocab_size."""
    from sentencepiece import SentencePieceProcessor
    sp = SentencePieceProcessor()
    sp.LoadFromFile(str(tokenizer_model))
    tokens = [f"[PAD{i}]" for i in range(vocab)]
    scores = [-10000.0] * vocab
    types = [gguf.TokenType.UNUSED] * vocab
    for i in range(sp.vocab_size()):
        tokens[i], scores[i] = sp.IdToPiece(i), sp.GetScore(i)
        types[i] = (gguf.TokenType.UNKNOWN if sp.IsUnknown(i) else gguf.TokenType.CONTROL if sp.IsControl(i)
                    else gguf.TokenType.UNUSED if sp.IsUnused(i) else gguf.TokenType.BYTE if sp.IsByte(i)
                    else gguf.TokenType.NORMAL)
    return tokens, scores, types


def float_array(array, dtype: str):
    """A tensor as float32 (BF16 is kept as raw 16-bit words when read)."""
    if dtype == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(np.float32)


def clip_tensor_name(hf_name: str) -> str:
    """get_tensor_name of convert_image_encoder_to_gguf.py, for the names of transformers' CLIPVisionModel."""
    if "mm_projector" in hf_name:
        return hf_name.replace("model.mm_projector", "mm")
    return (hf_name.replace("text_model", "t").replace("vision_model", "v").replace("encoder.layers", "blk")
            .replace("embeddings.", "").replace("_proj", "").replace("self_attn.", "attn_")
            .replace("layer_norm", "ln").replace("layernorm", "ln").replace("mlp.fc1", "ffn_down")
            .replace("mlp.fc2", "ffn_up").replace("embedding", "embd").replace("final", "post")
            .replace("layrnorm", "ln"))


def write_mmproj(checkpoint: Path, out: Path, all_tower_layers: bool):
    config = json.loads((checkpoint / "config.json").read_text())
    tower_dir = checkpoint / config["mm_vision_tower"]
    if not (tower_dir / "config.json").is_file():
        raise SystemExit(f"to-gguf: {tower_dir}: no CLIP tower here (mm_vision_tower names a directory beside the"
                         " model in mod4j's random LLaVA checkpoints)")
    if config.get("mm_projector_type", "linear") != "mlp2x_gelu":
        raise SystemExit(f"to-gguf: {checkpoint}: mm_projector_type {config.get('mm_projector_type')!r}: only"
                         " mlp2x_gelu (the converter's --projector-type mlp) is written")
    v = json.loads((tower_dir / "config.json").read_text())
    tower = list(safetensors_tensors(tower_dir))
    use_f32 = next(dtype for name, dtype, _ in tower if name.endswith("q_proj.weight")) == "F32"
    layers = v["num_hidden_layers"]
    kept_layers = layers if all_tower_layers else layers - 1

    writer = gguf.GGUFWriter(out, "clip")
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_llava_projector", True)
    writer.add_file_type(0 if use_f32 else 1)
    writer.add_name(checkpoint.name)
    writer.add_description("image encoder for LLaVA")
    writer.add_string("clip.projector_type", "mlp")
    writer.add_uint32("clip.vision.image_size", v["image_size"])
    writer.add_uint32("clip.vision.patch_size", v["patch_size"])
    writer.add_uint32("clip.vision.embedding_length", v["hidden_size"])
    writer.add_uint32("clip.vision.feed_forward_length", v["intermediate_size"])
    writer.add_uint32("clip.vision.projection_dim", v["projection_dim"])
    writer.add_uint32("clip.vision.attention.head_count", v["num_attention_heads"])
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", v["layer_norm_eps"])
    writer.add_uint32("clip.vision.block_count", kept_layers)
    # CLIPImageProcessor's defaults for OpenAI CLIP (the converter's defaults too).
    writer.add_array("clip.vision.image_mean", [0.48145466, 0.4578275, 0.40821073])
    writer.add_array("clip.vision.image_std", [0.26862954, 0.26130258, 0.27577711])
    writer.add_bool("clip.use_gelu", v["hidden_act"] == "gelu")

    # The projector first, matrices F16 and biases F32, whatever --use-f32 says (the converter's projector loop).
    for name, dtype, array in safetensors_tensors(checkpoint):
        if name.startswith("model.mm_projector."):
            array = float_array(array, dtype)
            array = array.astype(np.float16) if array.ndim == 2 else array
            writer.add_tensor(clip_tensor_name(name), np.ascontiguousarray(array))
    skipped = {"vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias",
               "vision_model.embeddings.position_ids"}
    for name, dtype, array in tower:
        if name in skipped:
            continue
        if name.startswith("vision_model.encoder.layers.") and int(name.split(".")[3]) >= kept_layers:
            continue
        array = float_array(array, dtype).squeeze()
        if array.ndim == 4:  # the patch convolution: always F16 (ggml's conv_2d kernel)
            array = array.astype(np.float16)
        elif not use_f32 and name.endswith(".weight") and array.ndim == 2:
            array = array.astype(np.float16)
        writer.add_tensor(clip_tensor_name(name), np.ascontiguousarray(array))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()


def main():
    args = sys.argv[1:]
    if args[:1] == ["--mmproj"]:
        all_tower_layers = args[1:2] == ["--all-tower-layers"]
        rest = args[2:] if all_tower_layers else args[1:]
        if len(rest) != 2:
            raise SystemExit(__doc__)
        write_mmproj(Path(rest[0]), Path(rest[1]), all_tower_layers)
        return
    if len(args) != 2:
        raise SystemExit(__doc__)
    checkpoint, out = Path(args[0]), Path(args[1])
    config = json.loads((checkpoint / "config.json").read_text())
    heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads", config["num_attention_heads"])
    hidden, vocab = config["hidden_size"], config["vocab_size"]

    tensors = [t for t in safetensors_tensors(checkpoint) if not t[0].startswith("model.mm_projector.")]
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

    if (checkpoint / "tokenizer.model").is_file():
        tokens, scores, types = sentencepiece_vocab(checkpoint / "tokenizer.model", vocab)
    else:
        tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
        types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
        tokens += [f"\u2581t{i}" for i in range(vocab - len(tokens))]
        types += [gguf.TokenType.NORMAL] * (vocab - len(types))
        scores = [0.0] * vocab
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
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
