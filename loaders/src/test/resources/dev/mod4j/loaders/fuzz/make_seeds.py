"""Writes the small real-format seed inputs of the loaders fuzz targets (run from this directory).

The seeds are committed; rerun only to regenerate them. Crash reproducers that Jazzer writes next to them
(crash-*) are regression inputs and are kept by hand, not by this script.
"""
import json, os, struct, shutil
import numpy as np

def st(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data

def put(d, name, content):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())

S = "SafetensorsFuzzTestsInputs/"
f32 = np.arange(6, dtype="<f4").tobytes()
put(S + "openSafetensors", "f32_2x3", st({"w": ("F32", [2, 3], f32)}, {"format": "pt"}))
put(S + "openSafetensors", "mixed", st({"a": ("F16", [2], np.ones(2, "<f2").tobytes()),
                                        "b": ("BF16", [1, 2], b"\x80\x3f\x00\x40"),
                                        "c": ("I64", [1], struct.pack("<q", 7)),
                                        "s": ("F32", [], struct.pack("<f", 1.5))}))
put(S + "openSafetensors", "empty_header", st({}))
put(S + "openSafetensors", "zero_size", st({"z": ("F32", [0, 4], b"")}))

index = {"metadata": {"total_size": 24},
         "weight_map": {"w": "model-00001-of-00001.safetensors"}}
put(S + "openIndex", "index", json.dumps(index))
put(S + "openIndex", "index_missing_tensor", json.dumps({"weight_map": {"w": "model-00001-of-00001.safetensors",
                                                                       "x": "model-00001-of-00001.safetensors"}}))
put(S + "openIndex", "index_other_shard", json.dumps({"weight_map": {"w": "other.safetensors"}}))

C = "ConfigFuzzTestsInputs/loadConfig"
golden = "../../../../../../../../tests/src/test/resources/golden/"
for model in ["llama-gqa-f32", "llama-tied-rope-f32", "llava-hf-f32", "llava-original-f32", "schedules/model-pmod"]:
    src = os.path.join(golden, model, "config.json")
    if os.path.exists(src):
        os.makedirs(C, exist_ok=True)
        shutil.copy(src, os.path.join(C, model.replace("/", "_") + ".json"))

T = "TokenizerFuzzTestsInputs/"
tok = "../../../../tokenizer/llama-mini/"
os.makedirs(T + "loadTokenizer", exist_ok=True)
shutil.copy(tok + "tokenizer.json", T + "loadTokenizer/llama_mini.json")
put(T + "loadTokenizer", "minimal_bpe", json.dumps({"version": "1.0", "added_tokens": [
    {"id": 0, "content": "<unk>", "special": True, "single_word": False, "lstrip": False, "rstrip": False,
     "normalized": False}],
    "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": False, "fuse_unk": True,
              "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3}, "merges": ["a b"]}}))
for i, text in enumerate(["Hello world", "  leading spaces\tand\ttabs\n", "<s>special</s> tokens",
                          "émoji 🦙 and 中文", "\u0000\uffff"]):
    put(T + "encodeDecode", f"text{i}", text)
put(T + "decodeIds", "ids", struct.pack(">" + "i" * 6, 1, 15043, 3186, 2, 0, 5))

N = "NpyFuzzTestsInputs/readNpy"
import io
for name, arr in {"f32_2x3": np.arange(6, dtype="<f4").reshape(2, 3), "f16": np.ones(3, "<f2"),
                  "f64_scalar": np.array(2.5, "<f8"), "fortran": np.asfortranarray(np.ones((2, 2), "<f4")),
                  "big_endian": np.arange(4, dtype=">f4"), "empty": np.zeros((0, 3), "<f4")}.items():
    b = io.BytesIO(); np.save(b, arr); put(N, name, b.getvalue())
b = io.BytesIO(); np.lib.format.write_array(b, np.ones(2, "<f4"), version=(2, 0)); put(N, "v2", b.getvalue())

I = "ImageFuzzTestsInputs/decodeImage"
imgs = "../../../../image/inputs/"
os.makedirs(I, exist_ok=True)
for f in sorted(os.listdir(imgs)):
    if os.path.getsize(imgs + f) < 8000:
        shutil.copy(imgs + f, os.path.join(I, f))

# SentencePiece tokenizer.model: the tiny trained model, cut short, and with its first length lying (2^31).
SP = "SentencePieceFuzzTestsInputs/loadModel"
with open("../../../../tokenizer/spm/tokenizer.model", "rb") as f:
    good = f.read()
put(SP, "tiny-bpe", good)
put(SP, "truncated-1000", good[:1000])
skip = 1
while good[skip] & 0x80:
    skip += 1
put(SP, "lying-length", b"\x0a\x80\x80\x80\x80\x08" + good[skip + 1:skip + 200])
