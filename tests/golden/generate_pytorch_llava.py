"""Writes golden/llava-original-pytorch/: the llava-original-f32 golden model re-saved the way liuhaotian's LLaVA
checkpoints ship, as PyTorch pickles: torch.save shards with pytorch_model.bin.index.json, mm_projector.bin (the
projector again, as LLaVA's pretraining stage saves it, with different values that must be ignored in favour of the
shards') and the CLIP tower as pytorch_model.bin. The same float32 weights, so the Java test expects the same logits
as the safetensors model, bit for bit. lm_head is saved transposed-in-storage (a non-contiguous view) so that the
strided-copy path runs end to end.

    apt-get install python3-torch && /usr/bin/python3 tests/golden/generate_pytorch_llava.py
"""
import collections, json, os, shutil, struct
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden")
SOURCE = os.path.join(ROOT, "llava-original-f32")
OUT = os.path.join(ROOT, "llava-original-pytorch")


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = collections.OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        data = bytearray(raw[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(data, dtype=torch.float32).reshape(entry["shape"]).clone()
    return out


shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(os.path.join(OUT, "clip-vision-tower"))
weights = read_safetensors(os.path.join(SOURCE, "model.safetensors"))
weights["lm_head.weight"] = weights["lm_head.weight"].t().contiguous().t()
names = list(weights)
half = len(names) // 2
shard_names = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
weight_map = {}
for shard_name, part in zip(shard_names, [names[:half], names[half:]]):
    torch.save(collections.OrderedDict((k, weights[k]) for k in part), os.path.join(OUT, shard_name))
    weight_map.update({k: shard_name for k in part})
with open(os.path.join(OUT, "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": sum(t.numel() * 4 for t in weights.values())}, "weight_map": weight_map}, f,
              indent=2)
projector = {k: torch.zeros_like(v) for k, v in weights.items() if ".mm_projector." in k}
assert projector, "the golden model has no projector tensors"
torch.save(projector, os.path.join(OUT, "mm_projector.bin"))
shutil.copyfile(os.path.join(SOURCE, "config.json"), os.path.join(OUT, "config.json"))

tower = read_safetensors(os.path.join(SOURCE, "clip-vision-tower", "model.safetensors"))
torch.save(tower, os.path.join(OUT, "clip-vision-tower", "pytorch_model.bin"))
for name in ["config.json", "preprocessor_config.json"]:
    shutil.copyfile(os.path.join(SOURCE, "clip-vision-tower", name), os.path.join(OUT, "clip-vision-tower", name))
print("wrote", OUT, sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs), "bytes")
