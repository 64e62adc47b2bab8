#!/usr/bin/env python3
"""Golden renderings and input ids of whole conversations (system message, several turns, images in any user turn),
each made by the software of the checkpoint layout, written to conversation_ids_golden.json.

    LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python runtime/src/test/resources/chat-template/generate_conversation_ids.py

- llava-hf layout: transformers' ``LlavaProcessor.apply_chat_template(messages, add_generation_prompt=True,
  tokenize=True)`` with the whole messages list, for each llava-hf template of this folder, over the llama-mini fast
  tokenizer (loaders/src/test/resources/tokenizer/llama-mini, ``<image>`` = 600), as generate_ids.py does for one
  turn. A template that raises (the mistral template takes no system message in a content-less form) is recorded
  with its error.
- original layout: LLaVA's own ``conv_templates[name].copy()`` (llava/conversation.py, haotian-liu/LLaVA at
  c121f0432da27facab705978f83c4ada465e46fd, from LLAVA_SRC), its ``system`` replaced by the conversation's system
  message when there is one, every turn through ``append_message``, then ``append_message(roles[1], None)`` and
  ``get_prompt()`` as LLaVA's cli.py and eval scripts do; the ids are LLaVA's ``tokenizer_image_token`` over
  transformers' slow LlamaTokenizer on loaders' spm/tokenizer.model (legacy true and false, as LLaVA's builder loads
  it: ``AutoTokenizer.from_pretrained(dir, use_fast=False)``). A user turn's message text is what LLaVA's scripts
  pass for an image question, ``DEFAULT_IMAGE_TOKEN + '\\n' + text`` per image before the text; an image after text
  is an ``<image>`` marker in place; text parts are joined by newlines (mod4j's documented mapping of content parts
  onto LLaVA's string messages).
Ran with transformers 4.57.6 (recorded below).
"""
import json
import os
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer, CLIPImageProcessor, LlamaTokenizer, LlavaProcessor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
LLAMA_MINI = os.path.join(REPO, "loaders", "src", "test", "resources", "tokenizer", "llama-mini")
SPM_MODEL = os.path.join(REPO, "loaders", "src", "test", "resources", "tokenizer", "spm", "tokenizer.model")
LLAVA_SRC = os.environ.get("LLAVA_SRC", "/tmp/llava-src")
sys.path.insert(0, LLAVA_SRC)
from llava.conversation import conv_templates  # noqa: E402
from llava.mm_utils import tokenizer_image_token  # noqa: E402

IMAGE = {"type": "image"}


def text(t):
    return {"type": "text", "text": t}


def msg(role, *parts):
    return {"role": role, "content": list(parts)}


CONVERSATIONS = [
    {"name": "one user message", "messages": [msg("user", IMAGE, text("What is shown in this image?"))]},
    {"name": "system and two turns", "messages": [
        msg("system", text("You are a terse assistant.")),
        msg("user", IMAGE, text("What is in the picture?")),
        msg("assistant", text("A cat on a sofa.")),
        msg("user", text("What colour is the cat?"))]},
    {"name": "image in the second turn", "messages": [
        msg("user", text("Hello there.")),
        msg("assistant", text("Hi! How can I help?")),
        msg("user", IMAGE, text("Describe this image."))]},
    {"name": "two images then one more", "messages": [
        msg("user", IMAGE, IMAGE, text("Which one is bigger?")),
        msg("assistant", text("The left one.")),
        msg("user", IMAGE, text("And this one?"))]},
    {"name": "three turns with system, text only", "messages": [
        msg("system", text("Answer in one word.")),
        msg("user", text("Is the sky blue?")),
        msg("assistant", text("Yes.")),
        msg("user", text("Is grass red?")),
        msg("assistant", text("No.")),
        msg("user", text("Is snow white?"))]},
    {"name": "image after text", "messages": [msg("user", text("Describe"), IMAGE, text("in detail."))]},
]

HF_TEMPLATES = ("llava-1.5-7b-hf.jinja", "llava-v1.6-mistral-7b-hf.jinja")
LLAVA_TEMPLATES = ("vicuna_v1", "llava_v1", "mistral_instruct")


def llava_message(content):
    """Content parts → LLaVA's message string (see the module docstring)."""
    pieces, images_first, seen_text = [], 0, False
    for part in content:
        if part["type"] == "text":
            seen_text = True
            pieces.append(part["text"])
        elif seen_text:
            pieces.append("<image>")
        else:
            images_first += 1
    return "<image>\n" * images_first + "\n".join(pieces)


def llava_prompt(template, messages):
    conv = conv_templates[template].copy()
    turns = messages
    if messages[0]["role"] == "system":
        conv.system = "\n".join(p["text"] for p in messages[0]["content"])
        turns = messages[1:]
    for m in turns:
        conv.append_message(conv.roles[0] if m["role"] == "user" else conv.roles[1], llava_message(m["content"]))
    conv.append_message(conv.roles[1], None)
    return conv.get_prompt()


def slow_tokenizer(work, legacy):
    d = os.path.join(work, f"legacy-{legacy}")
    os.makedirs(d)
    shutil.copy(SPM_MODEL, d)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "legacy": legacy, "add_bos_token": True,
                   "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, f)
    tok = AutoTokenizer.from_pretrained(d, use_fast=False)
    assert type(tok) is LlamaTokenizer and tok.legacy is legacy, (type(tok), tok.legacy)
    return tok


def main():
    out = []
    fast = AutoTokenizer.from_pretrained(LLAMA_MINI)
    for template_file in HF_TEMPLATES:
        with open(os.path.join(HERE, template_file), encoding="utf-8", newline="") as f:
            template = f.read()
        processor = LlavaProcessor(image_processor=CLIPImageProcessor(), tokenizer=fast, chat_template=template,
                                   patch_size=14, vision_feature_select_strategy="default", image_token="<image>")
        for c in CONVERSATIONS:
            entry = {"format": "chat", "template": template_file, "conversation": c["name"]}
            try:
                entry["rendered"] = processor.apply_chat_template(c["messages"], add_generation_prompt=True,
                                                                  tokenize=False)
                entry["input_ids"] = list(processor.apply_chat_template(c["messages"], add_generation_prompt=True,
                                                                        tokenize=True)[0])
            except Exception as e:  # jinja2's TemplateError from raise_exception
                entry["error"] = str(e)
            out.append(entry)
    work = tempfile.mkdtemp()
    try:
        for legacy in (False, True):
            slow = slow_tokenizer(work, legacy)
            for template in LLAVA_TEMPLATES:
                for c in CONVERSATIONS:
                    rendered = llava_prompt(template, c["messages"])
                    out.append({"format": template, "legacy": legacy, "conversation": c["name"],
                                "rendered": rendered, "input_ids": tokenizer_image_token(rendered, slow)})
    finally:
        shutil.rmtree(work)
    with open(os.path.join(HERE, "conversation_ids_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "generate_conversation_ids.py", "transformers": transformers.__version__,
                   "tokenizers": tokenizers.__version__,
                   "llava": "haotian-liu/LLaVA c121f0432da27facab705978f83c4ada465e46fd llava/conversation.py",
                   "llava_image_token_index": -200,
                   "tokenizers_used": {"chat": "llama-mini (tokenizer.json, <image> = 600)",
                                       "original": "spm/tokenizer.model, slow LlamaTokenizer"},
                   "conversations": CONVERSATIONS, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
