#!/usr/bin/env python3
"""Checks every case of manifest.json (written by generate_image_golden.py's NumPy transcriptions under Debian's
PIL 9.4) against the reference software itself, and writes transformers_check.json.

    LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python loaders/src/test/resources/image/check_with_transformers.py

* processor cases ("processor": true): the class the config's image_processor_type names, transformers'
  CLIPImageProcessor or LlavaImageProcessor (the slow, PIL-based ones), built from the case's preprocessor_config
  fields, called as a llava-hf processor calls it: ``processor(image, return_tensors="np")``;
* the other cases: LLaVA's own ``expand2square`` (llava/mm_utils.py, haotian-liu/LLaVA at
  c121f0432da27facab705978f83c4ada465e46fd, from LLAVA_SRC) with ``tuple(int(x * 255) for x in image_mean)`` when the
  case pads, as ``process_images`` does for ``image_aspect_ratio == 'pad'``, then CLIPImageProcessor.

Inputs are PIL's decoded pixels (decoded/<image>.png, see the generator), so JPEG decoder versions do not matter.
Ran with transformers 4.57.6 and Pillow 12.3 (LLaVA pins transformers 4.37.2, which is not installable here; the
generator's transcriptions follow v4.37.2 and v4.48.0, so agreement here also says these steps did not change).
Raises if any case differs by more than 1e-5.
"""
import gzip
import io
import json
import os
import sys

import numpy as np
import PIL
import transformers
from PIL import Image
from transformers import CLIPImageProcessor, LlavaImageProcessor

HERE = os.path.dirname(os.path.abspath(__file__))
LLAVA_SRC = os.environ.get("LLAVA_SRC", "/tmp/llava-src")
sys.path.insert(0, LLAVA_SRC)
from llava.mm_utils import expand2square  # noqa: E402

PROCESSORS = {"CLIPImageProcessor": CLIPImageProcessor, "LlavaImageProcessor": LlavaImageProcessor}
TOLERANCE = 1e-5


def reference(case):
    cfg = case["config"]
    fields = {k: v for k, v in cfg.items() if k not in ("image_processor_type", "processor_class")}
    image = Image.open(os.path.join(HERE, case["pixels_from"])).convert("RGB")
    if case.get("processor"):
        kind = cfg["image_processor_type"]
        if kind == "CLIPImageProcessor":
            fields.pop("do_pad", None)  # not one of its fields: transformers ignores it (and warns)
        processor = PROCESSORS[kind](**fields)
    else:
        processor = CLIPImageProcessor(**fields)
        if case["pad"]:
            image = expand2square(image, tuple(int(x * 255) for x in processor.image_mean))
    return processor(image, return_tensors="np")["pixel_values"][0]


def main():
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    diffs = {}
    for case in manifest["cases"]:
        out = reference(case)
        with gzip.open(os.path.join(HERE, case["expected"])) as f:
            expected = np.load(io.BytesIO(f.read()))
        assert out.shape == expected.shape, (case["id"], out.shape, expected.shape)
        diffs[case["id"]] = float(np.abs(out.astype(np.float32) - expected).max())
    bad = {k: v for k, v in diffs.items() if v > TOLERANCE}
    assert not bad, bad
    with open(os.path.join(HERE, "transformers_check.json"), "w") as f:
        json.dump({"checker": "check_with_transformers.py", "transformers": transformers.__version__,
                   "pillow": PIL.__version__, "numpy": np.__version__,
                   "llava": "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd",
                   "cases": len(diffs), "max_abs_diff": max(diffs.values()), "max_abs_diff_by_case": diffs},
                  f, indent=1, sort_keys=False)
        f.write("\n")
    print(len(diffs), "cases, max |diff|", max(diffs.values()))


if __name__ == "__main__":
    main()
