#!/usr/bin/python3
"""Trains the tiny SentencePiece BPE model mod4j's tests use and writes golden encodings.

Run with Debian's python3-sentencepiece (0.1.97) and python3-protobuf:
    apt-get install -y python3-sentencepiece python3-protobuf
    /usr/bin/python3 loaders/src/test/resources/tokenizer/spm/generate.py

Writes, beside this script:
  tokenizer.model            LLaMA-like settings: bpe, byte_fallback, add_dummy_prefix, no extra-whitespace
                             removal, split_digits, identity normalization, user-defined symbols
  tokenizer-default-ws.model the same corpus with SentencePiece's default remove_extra_whitespaces=True
  golden.json                sp.encode ids and pieces and sp.decode text of each string, for both models;
                             then transformers' slow LlamaTokenizer (v4.37.2) and LLaVA's
                             tokenizer_image_token, emulated below line by line (transformers is not a
                             Debian package), on top of the real SentencePiece processor.

The emulated sections are checked against transformers' real slow LlamaTokenizer (legacy true and false) and LLaVA's
own tokenizer_image_token by check_with_transformers.py (reference environment; result in transformers_check.json).
"""
import io
import json
import os

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

HERE = os.path.dirname(os.path.abspath(__file__))

CORPUS = """\
A chat between a curious user and an artificial intelligence assistant.
The assistant gives helpful, detailed, and polite answers to the user's questions.
USER: What is shown in this image? ASSISTANT: A cat sitting on a red sofa next to a window.
USER: How many people are in the picture? ASSISTANT: There are 3 people standing near the bus.
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun.
Token schedules drop image tokens in deep layers: FastV, PyramidDrop, p-MoD and gamma-MoD.
In 2023 the model was trained on 558128 image-text pairs and 665000 instructions.
def main(): print("hello world")  # code lines have    runs of spaces
Numbers like 3.14159, 2718 and 1000000 are split into digits.
Describe the image in detail. What color is the car? Is there a person in the image?
""" * 20


def train(prefix, remove_extra_whitespaces):
    stream = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS.splitlines()), model_writer=stream,
        model_type="bpe", vocab_size=400, character_coverage=1.0, byte_fallback=True,
        split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=remove_extra_whitespaces,
        normalization_rule_name="identity", allow_whitespace_only_pieces=True,
        user_defined_symbols=["<image>", "[INST]", "USER:"], unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        max_sentence_length=4192, num_threads=1, minloglevel=2)
    data = stream.getvalue()
    with open(os.path.join(HERE, prefix + ".model"), "wb") as f:
        f.write(data)
    return data


STRINGS = [
    "", " ", "  ", "Hello world", "Hello  world", " Hello", "   leading and trailing   ",
    "a\nb", "line one\n\nline two\n", "tab\there", "3.14159 and 2718", "12345678",
    "USER: What is shown in this image? ASSISTANT:", "<image>\nDescribe the image.",
    "text<image>text", "[INST] hi [INST]", "USER:USER:", "emoji 😀 here", "漢字とかな",
    "café déjà vu", "ünïcödé", "mixed 😀漢 🙂", "▁already▁escaped", "The quick brown fox",
    "gamma-MoD", "x", "  two leading", "trailing two  ", "<s>not a control</s>", "<unk>",
    "Q: 1+1=2?", "\n", "a  b   c    d",
]


def sp_golden(sp):
    out = []
    for s in STRINGS:
        ids = sp.encode(s)
        out.append({"text": s, "ids": ids, "pieces": [sp.id_to_piece(i) for i in ids],
                    "decoded": sp.decode(ids)})
    return out


# ---- transformers v4.37.2 LlamaTokenizer (slow), emulated ----

SPIECE_UNDERLINE = "▁"


class SlowLlama:
    """tokenization_llama.py and tokenization_utils.py (tokenize, Trie.split) of v4.37.2, for LLaMA's tokens."""

    def __init__(self, model_bytes, legacy, add_bos=True, add_eos=False):
        self.legacy = legacy
        self.add_bos, self.add_eos = add_bos, add_eos
        self.sp_model = spm.SentencePieceProcessor()
        if legacy:
            self.sp_model.LoadFromSerializedProto(model_bytes)
        else:  # get_spm_processor: add_dummy_prefix switched off
            model = model_pb2.ModelProto.FromString(model_bytes)
            spec = model_pb2.NormalizerSpec()
            spec.add_dummy_prefix = False
            model.normalizer_spec.MergeFrom(spec)
            self.sp_model.LoadFromSerializedProto(model.SerializeToString())
        self.unk_token, self.bos_token, self.eos_token = "<unk>", "<s>", "</s>"
        self.all_special_tokens = [self.bos_token, self.eos_token, self.unk_token]
        self.added = {t: self.sp_model.piece_to_id(t) for t in self.all_special_tokens}

    def unk_token_length(self):
        return len(self.sp_model.encode(str(self.unk_token)))

    def split(self, text):
        # Trie.split for tokens none of which is a prefix of another: leftmost match.
        out, i, start = [], 0, 0
        while i < len(text):
            hit = next((t for t in sorted(self.added, key=len, reverse=True) if text.startswith(t, i)), None)
            if hit is None:
                i += 1
                continue
            if start < i:
                out.append(text[start:i])
            out.append(hit)
            i += len(hit)
            start = i
        if start < len(text):
            out.append(text[start:])
        return out

    def base_tokenize(self, text):
        tokenized = []
        for token in self.split(text):
            if not token:
                continue
            if token in self.added:
                tokenized.append(token)
            else:
                tokenized.extend(self._tokenize(token))
        return tokenized

    def tokenize(self, text):
        if self.legacy or len(text) == 0:
            return self.base_tokenize(text)
        tokens = self.base_tokenize(SPIECE_UNDERLINE + text.replace(SPIECE_UNDERLINE, " "))
        if len(tokens) > 1 and tokens[0] == SPIECE_UNDERLINE and tokens[1] in self.all_special_tokens:
            tokens = tokens[1:]
        return tokens

    def _tokenize(self, text):
        tokens = self.sp_model.encode(text, out_type=str)
        if self.legacy or not text.startswith((SPIECE_UNDERLINE, " ")):
            return tokens
        tokens = self.sp_model.encode(self.unk_token + text, out_type=str)
        return tokens[self.unk_token_length():] if len(tokens) >= self.unk_token_length() else tokens

    def __call__(self, text):
        ids = [self.added[t] if t in self.added else self.sp_model.piece_to_id(t) for t in self.tokenize(text)]
        return ([self.added[self.bos_token]] if self.add_bos else []) + ids + (
            [self.added[self.eos_token]] if self.add_eos else [])


def tokenizer_image_token(prompt, tokenizer, image_token_index=-200):
    """llava/mm_utils.py (LLaVA v1.2.2), verbatim but for tokenizer(...).input_ids → tokenizer(...)."""
    prompt_chunks = [tokenizer(chunk) for chunk in prompt.split('<image>')]

    def insert_separator(X, sep):
        return [ele for sublist in zip(X, [sep] * len(X)) for ele in sublist][:-1]

    input_ids = []
    offset = 0
    if len(prompt_chunks) > 0 and len(prompt_chunks[0]) > 0 and prompt_chunks[0][0] == tokenizer.added["<s>"]:
        offset = 1
        input_ids.append(prompt_chunks[0][0])
    for x in insert_separator(prompt_chunks, [image_token_index] * (offset + 1)):
        input_ids.extend(x[offset:])
    return input_ids


SLOW_STRINGS = STRINGS + [
    "<s>Hello", "Hello</s>", "Hello </s> world", "<s> Hello", "a<s>b", "</s>\nUSER:", " ▁x",
]
PROMPTS = [
    "A chat between a curious user and an artificial intelligence assistant. USER: <image>\nWhat is shown? ASSISTANT:",
    "<image>\nDescribe the image.", "USER: <image> and <image> compare ASSISTANT:", "no image here",
    "<image>", "two<image><image>adjacent",
]


def main():
    llama_like = train("tokenizer", remove_extra_whitespaces=False)
    train("tokenizer-default-ws", remove_extra_whitespaces=True)
    golden = {}
    for name in ["tokenizer", "tokenizer-default-ws"]:
        sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, name + ".model"))
        golden[name + ".model"] = sp_golden(sp)
    for legacy in [True, False]:
        tok = SlowLlama(llama_like, legacy)
        golden["slow legacy=" + str(legacy).lower()] = [{"text": s, "ids": tok(s)} for s in SLOW_STRINGS]
        golden["image prompts legacy=" + str(legacy).lower()] = [
            {"text": p, "ids": tokenizer_image_token(p, tok)} for p in PROMPTS]
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
