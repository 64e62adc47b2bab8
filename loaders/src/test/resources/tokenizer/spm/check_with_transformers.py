#!/usr/bin/env python3
"""Checks golden.json's slow-tokenizer sections (written by generate.py's line-by-line emulation of transformers
v4.37.2, which Debian does not package) against the reference software itself, and writes transformers_check.json.

    LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python loaders/src/test/resources/tokenizer/spm/check_with_transformers.py

For legacy true and false: tokenizer.model with a tokenizer_config.json saying LlamaTokenizer and that legacy,
loaded as LLaVA's builder loads a tokenizer (``AutoTokenizer.from_pretrained(dir, use_fast=False)``, llava/model/
builder.py): every "slow legacy=..." string through ``tokenizer(text).input_ids`` and every "image prompts
legacy=..." prompt through LLaVA's own ``tokenizer_image_token`` (llava/mm_utils.py, haotian-liu/LLaVA at
c121f0432da27facab705978f83c4ada465e46fd, from LLAVA_SRC). Ran with transformers 4.57.6 (LLaVA pins 4.37.2, which
is not installable here). Raises on the first difference.
"""
import json
import os
import shutil
import sys
import tempfile

import sentencepiece
import transformers
from transformers import AutoTokenizer, LlamaTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LLAVA_SRC", "/tmp/llava-src"))
from llava.mm_utils import tokenizer_image_token  # noqa: E402


def slow_tokenizer(work, legacy):
    d = os.path.join(work, f"legacy-{legacy}")
    os.makedirs(d)
    shutil.copy(os.path.join(HERE, "tokenizer.model"), d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "legacy": legacy, "add_bos_token": True,
                   "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, f)
    tok = AutoTokenizer.from_pretrained(d, use_fast=False)
    assert type(tok) is LlamaTokenizer and tok.legacy is legacy, (type(tok), tok.legacy)
    return tok


def main():
    golden = json.load(open(os.path.join(HERE, "golden.json"), encoding="utf-8"))
    work = tempfile.mkdtemp()
    counts = {}
    try:
        for legacy in (True, False):
            tok = slow_tokenizer(work, legacy)
            key = "legacy=" + str(legacy).lower()
            for e in golden["slow " + key]:
                ids = tok(e["text"]).input_ids
                assert ids == e["ids"], (key, e["text"], ids, e["ids"])
            for e in golden["image prompts " + key]:
                ids = tokenizer_image_token(e["text"], tok)
                assert ids == e["ids"], (key, e["text"], ids, e["ids"])
            counts["slow " + key] = len(golden["slow " + key])
            counts["image prompts " + key] = len(golden["image prompts " + key])
    finally:
        shutil.rmtree(work)
    with open(os.path.join(HERE, "transformers_check.json"), "w") as f:
        json.dump({"checker": "check_with_transformers.py", "transformers": transformers.__version__,
                   "sentencepiece": sentencepiece.__version__,
                   "llava": "haotian-liu/LLaVA@c121f0432da27facab705978f83c4ada465e46fd",
                   "equal_entries": counts}, f, indent=1)
        f.write("\n")
    print("equal:", counts)


if __name__ == "__main__":
    main()
