#!/usr/bin/env python3
"""Q8_0 golden blocks for Q8_0Test: llama.cpp's quantization of a few rows of float32 weights.

The expected blocks come from gguf-py (llama.cpp's own Python package, gguf 0.19.0), whose Q8_0.quantize_blocks is
"bit-exact" with quantize_row_q8_0_ref in ggml/src/ggml-quants.c; the script checks them against a transcription of
that C function too. Rows hold the cases that matter: ties (x/d = k + 0.5, rounded away from zero), an all-zero
block, scales that are f16 subnormals or round to f16 zero, huge and tiny magnitudes, and random normal weights.

    /opt/refenv/bin/pip install --index-url file:///opt/pypi/simple gguf   # once
    /opt/refenv/bin/python runtime/src/test/resources/q8_0/generate.py

Writes input.f32 (rows x 128 float32, little-endian) and expected.q8_0 (llama.cpp's blocks: f16 d, 32 int8).
"""
import os

import numpy as np
from gguf import quants, GGMLQuantizationType

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = 128


def reference_row(x: np.ndarray) -> bytes:
    """quantize_row_q8_0_ref, transcribed: float arithmetic as C does it, roundf = half away from zero."""
    out = bytearray()
    for b in range(0, len(x), 32):
        block = x[b:b + 32].astype(np.float32)
        amax = np.float32(0)
        for v in block:
            amax = max(amax, np.float32(abs(v)))
        d = np.float32(amax / np.float32(127))
        inv = np.float32(1) / d if d != 0 else np.float32(0)
        out += np.float16(d).tobytes()
        for v in block:
            x0 = float(np.float32(v * inv))
            q = int(np.floor(abs(x0) + 0.5)) * (1 if x0 >= 0 else -1)
            out += np.int8(q).tobytes()
    return bytes(out)


def main() -> None:
    rng = np.random.default_rng(8)
    rows = []
    ties = np.zeros(COLUMNS, np.float32)
    ties[0] = 127  # amax 127: d = 1, so x/d = x
    ties[1:8] = [2.5, -2.5, 0.5, -0.5, 126.5, -126.5, 1.5]
    ties[32:64] = 0  # an all-zero block
    ties[64] = -254  # d = 2: halves at odd x
    ties[65:70] = [3, -3, 5, -1, 253]
    ties[96:128] = rng.standard_normal(32).astype(np.float32)
    rows.append(ties)
    rows.append(rng.standard_normal(COLUMNS).astype(np.float32) * np.float32(0.02))  # a checkpoint's scale
    rows.append(rng.standard_normal(COLUMNS).astype(np.float32) * np.float32(1e4))
    small = rng.standard_normal(COLUMNS).astype(np.float32)
    small[0:32] *= np.float32(1e-6)   # d an f16 subnormal
    small[32:64] *= np.float32(1e-12)  # d rounds to f16 zero, 1/d does not
    small[64:96] *= np.float32(65000)  # near f16's largest
    rows.append(small)
    bf16 = (rng.standard_normal(COLUMNS).astype(np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)
    rows.append(bf16)
    x = np.stack(rows).astype(np.float32)

    blocks = quants.quantize(x, GGMLQuantizationType.Q8_0)
    expected = blocks.tobytes()
    transcribed = b"".join(reference_row(r) for r in x)
    assert expected == transcribed, "gguf-py and the transcribed reference disagree"
    with open(os.path.join(HERE, "input.f32"), "wb") as f:
        f.write(x.astype("<f4").tobytes())
    with open(os.path.join(HERE, "expected.q8_0"), "wb") as f:
        f.write(expected)
    print(f"{x.shape[0]} rows x {COLUMNS}: {len(expected)} bytes of blocks")


if __name__ == "__main__":
    main()
