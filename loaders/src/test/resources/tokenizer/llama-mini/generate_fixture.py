#!/usr/bin/python3
"""Builds the llama-mini test fixture: a tiny LLaMA-style tokenizer in the real HF formats.

Run from this folder with Debian's python3 and its `python3-sentencepiece` package
(apt-get install python3-sentencepiece); nothing else is needed:

    /usr/bin/python3 generate_fixture.py

It
  1. trains a SentencePiece BPE model on corpus.txt with the options LLaMA's tokenizer.model
     was trained with (byte fallback, digits split, identity normalization, dummy prefix,
     <unk>=0 <s>=1 </s>=2, whitespace kept as is);
  2. converts it to tokenizer.json the way transformers' LlamaConverter (legacy=True) does:
     the vocab in SentencePiece id order, the merges recovered from the vocab and sorted by the
     score of the merged piece, the LLaMA-2 normalizer/decoder/post-processor, <unk>/<s>/</s>
     as special added tokens, and <image> appended as LLaVA-1.5 does;
  3. writes tokenizer_config.json like llava-1.5's;
  4. writes golden.json: SentencePiece's own ids for a list of test strings. SentencePiece is
     the reference implementation the HF conversion reproduces, so these ids are truth that
     does not come from the Java code under test. Strings containing <image> are encoded as
     HF does: each text piece between special tokens separately (each gets the dummy prefix).
"""

import json
import os
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_SIZE = 600

# The strings golden.json records SentencePiece's ids for. "{image}" marks where the
# <image> special token goes.
GOLDEN_TEXTS = [
    "",
    "the",
    "The cat is sitting on the table.",
    "Hello world",
    " leading space",
    "  two leading spaces",
    "trailing space ",
    "multiple   spaces   inside",
    "line one\nline two\n\nline four",
    "\ttab\tseparated\t",
    "Numbers: 12345 and 3.14159",
    "USER: What is in this picture? ASSISTANT: A dog on a sofa.",
    "café naïve résumé",
    "Emoji 😀 and 🐈 cats",
    "中文字符",
    "日本語のテキスト",
    "Mixed: ascii, Ελληνικά, русский, עברית, العربية",
    "combining e\u0301 and a\u0308",
    "control \u0001\u0007\u001b chars",
    "\u00a0non-breaking\u2003em space",
    "a",
    " ",
    "\n",
    "▁already▁has▁metaspace",
    "The vision encoder turns the picture into a sequence of patches.",
    "{image}",
    "USER: {image}\nWhat is this? ASSISTANT:",
    "{image}{image} two images",
    "before {image} after",
    " {image} ",
]


def train(model_prefix):
    spm.SentencePieceTrainer.train(
        input=os.path.join(HERE, "corpus.txt"),
        model_prefix=model_prefix,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        character_coverage=1.0,
        byte_fallback=True,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        remove_extra_whitespaces=False,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        minloglevel=2,
    )


def extract_merges(sp):
    """transformers' SentencePieceExtractor: every split of a piece into two vocab pieces is a
    merge; merges are ordered by the score of the merged piece (highest first), ties by the
    ids of the left and right halves."""
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for piece, piece_id in vocab.items():
        local = []
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                local.append((left, right, sp.get_score(piece_id)))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)
    return vocab, [f"{left} {right}" for left, right, _ in merges]


def added_token(token_id, content):
    return {
        "id": token_id,
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def tokenizer_json(vocab, merges):
    image_id = len(vocab)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            added_token(0, "<unk>"),
            added_token(1, "<s>"),
            added_token(2, "</s>"),
            added_token(image_id, "<image>"),
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
            ],
        },
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<s>", "type_id": 1}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        # Llama-2's file predates "ignore_merges", so it is left out here too.
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "vocab": vocab,
            "merges": merges,
        },
    }


def tokenizer_config():
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": False,
                      "normalized": False, "rstrip": False, "single_word": False},
        "clean_up_tokenization_spaces": False,
        "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": False,
                      "normalized": False, "rstrip": False, "single_word": False},
        "legacy": True,
        "model_max_length": 1000000000000000019884624838656,
        "pad_token": None,
        "padding_side": "right",
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>",
        "chat_template": "{% for message in messages %}{{ message['content'] }}{% endfor %}",
    }


def golden(sp, image_id):
    cases = []
    for text in GOLDEN_TEXTS:
        ids = []
        for i, part in enumerate(text.split("{image}")):
            if i > 0:
                ids.append(image_id)
            ids.extend(sp.encode(part))
        cases.append({"text": text.replace("{image}", "<image>"), "ids": ids})
    return {"image_id": image_id, "cases": cases}


def write_json(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "llama-mini")
        train(prefix)
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    vocab, merges = extract_merges(sp)
    write_json("tokenizer.json", tokenizer_json(vocab, merges))
    write_json("tokenizer_config.json", tokenizer_config())
    write_json("golden.json", golden(sp, len(vocab)))
    print(f"vocab {len(vocab)} pieces, {len(merges)} merges, sentencepiece {spm.__version__}")


if __name__ == "__main__":
    main()
