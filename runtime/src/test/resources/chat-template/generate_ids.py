#!/usr/bin/env python3
"""Golden input ids of chat-template prompts from transformers itself: a llava-hf processor's
``apply_chat_template(conversation, add_generation_prompt=True, tokenize=True)`` with each llava-hf template of this
folder over the llama-mini fast tokenizer (loaders/src/test/resources/tokenizer/llama-mini, ``<image>`` = 600),
written to ids_golden.json.

    /opt/refenv/bin/python runtime/src/test/resources/chat-template/generate_ids.py

The conversation is what a llava-hf user passes (the model cards' usage): one user turn whose content is an
``{"type": "image"}`` part per image followed by the text part; a prompt that types ``<image>`` itself is one text
part. The processor is transformers' LlavaProcessor (slow CLIPImageProcessor, unused: no images are passed, so
``<image>`` stays one token, as mod4j's encoder leaves it for the model to expand). ProcessorMixin.apply_chat_template
adds special tokens (bos) unless the rendering starts with bos_token; the tokenizer's own apply_chat_template would
not add them at all (recorded as ``tokenizer_apply_chat_template_ids`` for contrast). Ran with transformers 4.57.6.
"""
import json
import os

import tokenizers
import transformers
from transformers import AutoTokenizer, CLIPImageProcessor, LlavaProcessor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
TOKENIZER = os.path.join(REPO, "loaders", "src", "test", "resources", "tokenizer", "llama-mini")

PROMPTS = [
    {"prompt": "What is shown in this image?", "images": 1},
    {"prompt": "Describe both pictures.", "images": 2},
    {"prompt": "Hello there, no picture.", "images": 0},
    {"prompt": "Compare <image> with <image> please", "images": 2},
]


def conversation(prompt, images):
    typed = prompt.count("<image>") > 0
    content = [] if typed else [{"type": "image"} for _ in range(images)]
    content.append({"type": "text", "text": prompt})
    return [{"role": "user", "content": content}]


def main():
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)
    out = []
    for template_file in ("llava-1.5-7b-hf.jinja", "llava-v1.6-mistral-7b-hf.jinja"):
        with open(os.path.join(HERE, template_file), encoding="utf-8", newline="") as f:
            template = f.read()
        processor = LlavaProcessor(image_processor=CLIPImageProcessor(), tokenizer=tokenizer, chat_template=template,
                                   patch_size=14, vision_feature_select_strategy="default", image_token="<image>")
        for p in PROMPTS:
            conv = conversation(p["prompt"], p["images"])
            rendered = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
            ids = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=True)[0]
            plain = tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=True,
                                                  chat_template=template)
            out.append({"template": template_file, **p, "rendered": rendered, "input_ids": list(ids),
                        "tokenizer_apply_chat_template_ids": list(plain)})
    with open(os.path.join(HERE, "ids_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "generate_ids.py", "transformers": transformers.__version__,
                   "tokenizers": tokenizers.__version__, "tokenizer": "llama-mini (tokenizer.json, <image> = 600)",
                   "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
