"""Writes the PyTorch checkpoint fixtures of PyTorchFileTest (run with Debian's python3-torch, from this directory).

    apt-get install python3-torch && /usr/bin/python3 generate_pytorch_golden.py

Every checkpoint is written by torch.save itself; next to each, <name>.expected.safetensors holds the same tensors,
made contiguous, in the same dtypes (written by the small writer below), which the Java test compares byte for byte.
malformed/ holds one file per way a checkpoint can be broken; the fuzz target's seeds are copies of a few of these.
Deterministic: rerunning gives the same bytes, except malformed/legacy.pt (the legacy format names storages by
Python object ids).
"""
import collections, io, json, os, pickle, shutil, struct, zipfile
import torch

torch.manual_seed(0)
ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, data = {}, b""
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def save(name, tensors, **kwargs):
    torch.save(tensors, name, **kwargs)
    write_safetensors(name + ".expected.safetensors", {k: v for k, v in tensors.items() if isinstance(v, torch.Tensor)})


def views(dtype):
    """Shared storages, non-zero storage offsets, a transposed and a column view, a scalar, an empty tensor."""
    base = torch.randn(24).to(dtype)
    matrix = torch.randn(3, 5).to(dtype)
    sd = collections.OrderedDict()
    sd["first"] = base[:6].view(2, 3)          # storage offset 0
    sd["second"] = base[6:18].view(3, 2, 2)    # same storage, offset 6
    sd["tail"] = base[18:]                     # same storage, offset 18
    sd["matrix"] = matrix
    sd["transposed"] = matrix.t()              # strides (1, 5): copied into row-major order
    sd["column"] = matrix[:, 2]                # offset 2, stride 5
    sd["row"] = matrix[1]                      # offset 5, contiguous
    sd["scalar"] = torch.tensor(2.5).to(dtype)
    sd["empty"] = torch.zeros(0, 4).to(dtype)
    return sd


for dtype, tag in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
    save(tag + ".pt", views(dtype))

# A state dict as nn.Module.state_dict() returns it (OrderedDict with _metadata, set by BUILD), with an int64 buffer
# and an nn.Parameter (torch._utils._rebuild_parameter).
module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
module.register_buffer("position_ids", torch.arange(5).unsqueeze(0))
state = module.state_dict()
state["param"] = torch.nn.Parameter(torch.randn(2, 2))
save("module.pt", state)

# HuggingFace's sharded layout, as LLaVA's original checkpoints ship it, plus its pickled training arguments
# (not weights: must not be opened) and mm_projector.bin (adds only what the shards lack).
os.makedirs("sharded", exist_ok=True)
shard1 = collections.OrderedDict(a=torch.randn(2, 3), b=torch.randn(4).half())
shard2 = collections.OrderedDict(c=torch.randn(3, 2).bfloat16(), projector=torch.randn(2, 2))
names = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
for shard, name in zip([shard1, shard2], names):
    torch.save(shard, os.path.join("sharded", name))
with open("sharded/pytorch_model.bin.index.json", "w") as f:
    json.dump({"metadata": {"total_size": 0},
               "weight_map": {**{k: names[0] for k in shard1}, **{k: names[1] for k in shard2}}}, f, indent=2)
torch.save({"projector": torch.zeros(2, 2), "projector_extra": torch.ones(3)}, "sharded/mm_projector.bin")
import argparse
torch.save(argparse.Namespace(learning_rate=1e-3), "sharded/training_args.bin")
write_safetensors("sharded.expected.safetensors",
                  {**shard1, **shard2, "projector_extra": torch.ones(3)})

# Malformed files: each must give a one-line CheckpointFormatException.
os.makedirs("malformed", exist_ok=True)
good = torch.randn(2, 3)
torch.save({"w": good, "run": os.system}, "malformed/foreign_global.pt")
torch.save({"w": good}, "malformed/legacy.pt", _use_new_zipfile_serialization=False)
buffer = io.BytesIO()
torch.save({"w": good}, buffer)
valid = buffer.getvalue()
with open("malformed/truncated.pt", "wb") as f:
    f.write(valid[:len(valid) * 2 // 3])
with zipfile.ZipFile(io.BytesIO(valid)) as src, zipfile.ZipFile("malformed/deflated.pt", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(info.filename),
                     compress_type=zipfile.ZIP_DEFLATED)


class FakeStorage:
    """Stands for a storage in a hand-made pickle; persistent_id says what it claims to be."""
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class LyingPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def hand_made(path, state, storages):
    """A zip laid out as torch.save lays it out, with a pickle and storage bytes of our choosing."""
    pkl = io.BytesIO()
    LyingPickler(pkl, protocol=2).dump(state)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        def put(name, data):
            z.writestr(zipfile.ZipInfo("archive/" + name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        put("data.pkl", pkl.getvalue())
        put("byteorder", b"little")
        for key, raw in storages.items():
            put("data/" + key, raw)
        put("version", b"3\n")


eight = struct.pack("<8f", *range(8))
hand_made("malformed/out_of_bounds.pt", {"w": FakeTensor(FakeStorage("0", 8), 0, (4, 4), (4, 1))}, {"0": eight})
hand_made("malformed/offset_out_of_bounds.pt", {"w": FakeTensor(FakeStorage("0", 8), 6, (2, 2), (2, 1))}, {"0": eight})
hand_made("malformed/lying_size.pt", {"w": FakeTensor(FakeStorage("0", 1000), 0, (2, 2), (2, 1))}, {"0": eight})
hand_made("malformed/missing_storage.pt", {"w": FakeTensor(FakeStorage("7", 8), 0, (2, 2), (2, 1))}, {"0": eight})
hand_made("valid_hand_made.pt", {"w": FakeTensor(FakeStorage("0", 8), 2, (2, 3), (3, 1))}, {"0": eight})

# Fuzz seeds: small valid checkpoints and every broken one.
seeds = "../dev/mod4j/loaders/fuzz/PyTorchFuzzTestsInputs/openPyTorch"
os.makedirs(seeds, exist_ok=True)
for name in ["f16.pt", "module.pt", "valid_hand_made.pt"] + sorted("malformed/" + f for f in os.listdir("malformed")):
    shutil.copyfile(name, os.path.join(seeds, os.path.basename(name)))
print("total bytes:", sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(".") for f in fs))
