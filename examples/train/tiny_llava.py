"""A miniature LLaVA-1.5 in plain PyTorch (CLIP-style ViT, mlp2x_gelu projector, LLaMA decoder with GQA), its
byte-fallback BPE tokenizer, and the llava-hf checkpoint files mod4j reads (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json, preprocessor_config.json).

The modules follow transformers' CLIPVisionModel, LlavaMultiModalProjector and LlamaForCausalLM (eager attention,
rotate_half RoPE, RMSNorm in float32) and keep their tensor names, so the state dict is a llava-hf state dict.
Runs on Debian's python3-torch 1.13 (no transformers, tokenizers or safetensors packages needed).
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import shapes_vqa

# ---------------------------------------------------------------------------------------------------------------------
# Tokenizer: a LLaMA-style (SentencePiece-converted) tokenizer.json: Prepend/Replace "▁" normalizer, no
# pre-tokenizer, BPE with byte fallback. Its vocabulary: the special tokens, the 256 byte tokens, every character
# of the task's text, and one piece per word ("▁" + word), reached by merging left to right.

SPACE = "\u2581"
UNK, BOS, EOS = 0, 1, 2
IMAGE_TOKEN = "<image>"
# The llava-hf chat template of llava-hf/llava-1.5-7b-hf ("USER: <image>\n{question} ASSISTANT:").
CHAT_TEMPLATE = ("{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
                 "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', "
                 "'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] "
                 "!= 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
                 "{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | "
                 "selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}"
                 "{% endgeneration %}{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}"
                 "{{ 'ASSISTANT:' }}{% endif %}")


def normalize(segment):
    return SPACE + segment.replace(" ", SPACE)


def chunks(normalized):
    out, cur = [], ""
    for ch in normalized:
        if ch == SPACE and cur:
            out.append(cur)
            cur = ""
        cur += ch
    if cur:
        out.append(cur)
    return out


class Tokenizer:
    @staticmethod
    def read(path):
        """The tokenizer a checkpoint carries (its tokenizer.json), whatever words it was built from."""
        j = json.load(open(path, encoding="utf-8"))
        t = Tokenizer.__new__(Tokenizer)
        t.vocab = dict(j["model"]["vocab"])
        for added in j["added_tokens"]:
            t.vocab[added["content"]] = added["id"]
        t.merges = [tuple(m.split(" ")) for m in j["model"]["merges"]]
        t.image_id = t.vocab[IMAGE_TOKEN]
        t.size = len(t.vocab)
        t.rank = {m: i for i, m in enumerate(t.merges)}
        t.id_to_piece = {i: p for p, i in t.vocab.items()}
        return t

    def __init__(self, words):
        corpus = [normalize("USER: "), normalize("\n" + " ".join(words) + " ASSISTANT:")]
        corpus += [normalize(w) for w in words]
        pieces = sorted({c for chunk in corpus for c in chunks(chunk)} | {SPACE + "\n" + w for w in words})
        self.vocab = {"<unk>": UNK, "<s>": BOS, "</s>": EOS}
        for b in range(256):
            self.vocab[f"<0x{b:02X}>"] = len(self.vocab)
        chars = sorted({c for p in pieces for c in p})
        for c in chars:
            self.vocab.setdefault(c, len(self.vocab))
        self.merges = []
        for p in pieces:
            for i in range(2, len(p) + 1):
                if p[:i] not in self.vocab:
                    self.vocab[p[:i]] = len(self.vocab)
                    self.merges.append((p[:i - 1], p[i - 1]))
        self.image_id = len(self.vocab)
        self.vocab[IMAGE_TOKEN] = self.image_id
        self.size = len(self.vocab)
        self.rank = {m: i for i, m in enumerate(self.merges)}
        self.id_to_piece = {i: p for p, i in self.vocab.items()}

    def bpe(self, word):
        symbols = list(word)
        while len(symbols) > 1:
            best = min(range(len(symbols) - 1), key=lambda i: self.rank.get((symbols[i], symbols[i + 1]), 1 << 30))
            if (symbols[best], symbols[best + 1]) not in self.rank:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        ids = []
        for s in symbols:
            if s in self.vocab:
                ids.append(self.vocab[s])
            else:
                ids.extend(self.vocab[f"<0x{b:02X}>"] for b in s.encode("utf-8"))
        return ids

    def encode_segment(self, text):
        return self.bpe(normalize(text))

    def decode(self, ids):
        out = b""
        for i in ids:
            p = self.id_to_piece[i]
            if p.startswith("<0x") and len(p) == 6:
                out += bytes([int(p[3:5], 16)])
            elif i in (UNK, BOS, EOS) or p == IMAGE_TOKEN:
                continue
            else:
                out += p.replace(SPACE, " ").encode("utf-8")
        text = out.decode("utf-8", errors="replace")
        return text[1:] if text.startswith(" ") else text

    def prompt_ids(self, question, image_tokens):
        """bos + USER: <image>\\n{question} ASSISTANT: as llava-hf's processor tokenizes the chat template's text
        (each segment between special tokens normalized on its own), <image> expanded to the image's rows."""
        return ([BOS] + self.encode_segment("USER: ") + [self.image_id] * image_tokens
                + self.encode_segment("\n" + question + " ASSISTANT:"))

    def turn_ids(self, question):
        """A later turn of a conversation (after a previous answer's </s>): USER: {question} ASSISTANT:"""
        return self.encode_segment("USER: " + question + " ASSISTANT:")

    def answer_ids(self, answer):
        return self.encode_segment(answer)

    def tokenizer_json(self):
        special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                                "normalized": False, "special": True}
        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [special(UNK, "<unk>"), special(BOS, "<s>"), special(EOS, "</s>"),
                             special(self.image_id, IMAGE_TOKEN)],
            "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": SPACE},
                                                               {"type": "Replace", "pattern": {"String": " "},
                                                                "content": SPACE}]},
            "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "<s>", "type_id": 1}},
                                        {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                      "vocab": {p: i for p, i in sorted(self.vocab.items(), key=lambda e: e[1]) if p != IMAGE_TOKEN},
                      "merges": [a + " " + b for a, b in self.merges]},
        }

    def tokenizer_config(self):
        token = lambda c: {"__type": "AddedToken", "content": c, "lstrip": False, "normalized": False,
                           "rstrip": False, "single_word": False}
        return {"add_bos_token": True, "add_eos_token": False, "bos_token": token("<s>"), "eos_token": token("</s>"),
                "unk_token": token("<unk>"), "pad_token": None, "clean_up_tokenization_spaces": False,
                "legacy": True, "model_max_length": 256, "padding_side": "left", "processor_class": "LlavaProcessor",
                "tokenizer_class": "LlamaTokenizer", "chat_template": CHAT_TEMPLATE}


def task_tokenizer():
    return Tokenizer(shapes_vqa.vocabulary_text() + ["USER:", "ASSISTANT:"])


# ---------------------------------------------------------------------------------------------------------------------
# The model.

class Shape:
    def __init__(self, vocab_size, image_token_index, d=64, layers=4, heads=4, kv_heads=2, mlp=160, vd=64,
                 vlayers=3, vheads=4, vmlp=128, image=shapes_vqa.IMAGE_SIZE, patch=8, rope_theta=10000.0,
                 head_dim=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.head_dim = head_dim or d // heads
        self.image_tokens = (image // patch) ** 2

    def config_json(self):
        return {
            "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava",
            "image_token_index": self.image_token_index, "image_seq_length": self.image_tokens,
            "projector_hidden_act": "gelu", "vision_feature_layer": -2,
            "vision_feature_select_strategy": "default", "tie_word_embeddings": False, "torch_dtype": "bfloat16",
            "text_config": {"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                            "vocab_size": self.vocab_size, "hidden_size": self.d,
                            "intermediate_size": self.mlp, "num_hidden_layers": self.layers,
                            "num_attention_heads": self.heads, "num_key_value_heads": self.kv_heads,
                            "head_dim": self.head_dim, "hidden_act": "silu", "max_position_embeddings": 256,
                            "rms_norm_eps": 1e-5, "rope_theta": self.rope_theta, "rope_scaling": None,
                            "bos_token_id": BOS, "eos_token_id": EOS, "tie_word_embeddings": False,
                            "torch_dtype": "bfloat16"},
            "vision_config": {"model_type": "clip_vision_model", "hidden_size": self.vd,
                              "intermediate_size": self.vmlp, "num_hidden_layers": self.vlayers,
                              "num_attention_heads": self.vheads, "num_channels": 3, "image_size": self.image,
                              "patch_size": self.patch, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
                              "projection_dim": self.vd},
        }


def preprocessor_config(shape):
    return {"image_processor_type": "CLIPImageProcessor", "processor_class": "LlavaProcessor",
            "do_resize": True, "size": {"shortest_edge": shape.image}, "resample": 3,
            "do_center_crop": True, "crop_size": {"height": shape.image, "width": shape.image},
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
            "do_convert_rgb": True}


MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)


def pixel_values(image):
    """CLIPImageProcessor on an image already at the tower's size (resize and crop are the identity there):
    uint8 -> float32 * (1/255), then (x - mean) / std, as transformers computes it in float32."""
    a = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1).float()
    return (a * np.float32(1 / 255) - MEAN) / STD


class ClipLayer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.heads = s.vheads
        self.layer_norm1 = nn.LayerNorm(s.vd, eps=1e-5)
        self.layer_norm2 = nn.LayerNorm(s.vd, eps=1e-5)
        self.self_attn = nn.Module()
        for n in ["q_proj", "k_proj", "v_proj", "out_proj"]:
            setattr(self.self_attn, n, nn.Linear(s.vd, s.vd))
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(s.vd, s.vmlp)
        self.mlp.fc2 = nn.Linear(s.vmlp, s.vd)

    def forward(self, x):
        b, n, d = x.shape
        hd = d // self.heads
        h = self.layer_norm1(x)
        a = self.self_attn
        q = (a.q_proj(h) * hd ** -0.5).view(b, n, self.heads, hd).transpose(1, 2)
        k = a.k_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        v = a.v_proj(h).view(b, n, self.heads, hd).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
        x = x + a.out_proj(att.transpose(1, 2).reshape(b, n, d))
        f = self.mlp.fc1(self.layer_norm2(x))
        f = f * torch.sigmoid(1.702 * f)  # quick_gelu
        return x + self.mlp.fc2(f)


class ClipVision(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.class_embedding = nn.Parameter(torch.randn(s.vd) * 0.02)
        self.embeddings.patch_embedding = nn.Conv2d(3, s.vd, s.patch, s.patch, bias=False)
        self.embeddings.position_embedding = nn.Embedding(s.image_tokens + 1, s.vd)
        self.pre_layrnorm = nn.LayerNorm(s.vd, eps=1e-5)
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList([ClipLayer(s) for _ in range(s.vlayers)])
        self.post_layernorm = nn.LayerNorm(s.vd, eps=1e-5)

    def features(self, pixels, layer=-2):
        """hidden_states[layer] of CLIPVisionModel (index 0: the embeddings after pre_layrnorm), CLS dropped."""
        e = self.embeddings
        p = e.patch_embedding(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([e.class_embedding.expand(p.shape[0], 1, -1), p], dim=1) + e.position_embedding.weight
        x = self.pre_layrnorm(x)
        n = len(self.encoder.layers) + 1 + layer
        for l in self.encoder.layers[:n]:
            x = l(x)
        return x[:, 1:]


def init_sincos_positions(model, scale):
    """Starts the ViT's (learned) position embeddings at a 2-D sine-cosine table, as MAE does
    (facebookresearch/mae, util/pos_embed.py, get_2d_sincos_pos_embed: half the channels encode the row, half the
    column, sin and cos at frequencies 1/10000^(k/(D/4)); the CLS row zero). The parameter stays learned and the
    architecture unchanged; a patch's row and column are then readable from its features from the first step,
    which the question's "row R, column C" has to be matched against."""
    e = model.vision_tower.vision_model.embeddings
    d = e.position_embedding.weight.shape[1]
    side = model.s.image // model.s.patch
    omega = 1.0 / 10000 ** (torch.arange(d // 4, dtype=torch.float64) / (d // 4))

    def axis(coord):
        f = coord.double()[:, None] * omega[None]
        return torch.cat([f.sin(), f.cos()], dim=1)

    index = torch.arange(side * side)
    table = torch.cat([axis(index // side), axis(index % side)], dim=1)
    with torch.no_grad():
        e.position_embedding.weight[0].zero_()
        e.position_embedding.weight[1:] = (scale * table).float()


def rms_norm(x, w, eps=1e-5):
    xf = x.float()
    return w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def rope(x, pos, theta=10000.0):
    """x [b, heads, n, hd], pos [b, n] (any integer positions)."""
    hd = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    f = pos.float()[..., None] * inv
    emb = torch.cat([f, f], dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]
    return x * cos + rotate_half(x) * sin


class LlamaLayer(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.input_layernorm = nn.Module()
        self.input_layernorm.weight = nn.Parameter(torch.ones(s.d))
        self.post_attention_layernorm = nn.Module()
        self.post_attention_layernorm.weight = nn.Parameter(torch.ones(s.d))
        self.self_attn = nn.Module()
        self.self_attn.q_proj = nn.Linear(s.d, s.heads * s.head_dim, bias=False)
        self.self_attn.k_proj = nn.Linear(s.d, s.kv_heads * s.head_dim, bias=False)
        self.self_attn.v_proj = nn.Linear(s.d, s.kv_heads * s.head_dim, bias=False)
        self.self_attn.o_proj = nn.Linear(s.heads * s.head_dim, s.d, bias=False)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(s.d, s.mlp, bias=False)
        self.mlp.up_proj = nn.Linear(s.d, s.mlp, bias=False)
        self.mlp.down_proj = nn.Linear(s.mlp, s.d, bias=False)

    def attention(self, x, pos, mask):
        """x [b, n, d]; pos [b, n]; mask [b, 1, n, n] bool (True: may attend). Returns attn output (no residual)."""
        s, a = self.s, self.self_attn
        b, n, _ = x.shape
        h = rms_norm(x, self.input_layernorm.weight)
        q = rope(a.q_proj(h).view(b, n, s.heads, s.head_dim).transpose(1, 2), pos, s.rope_theta)
        k = rope(a.k_proj(h).view(b, n, s.kv_heads, s.head_dim).transpose(1, 2), pos, s.rope_theta)
        v = a.v_proj(h).view(b, n, s.kv_heads, s.head_dim).transpose(1, 2)
        rep = s.heads // s.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(s.head_dim)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        att = torch.softmax(scores.float(), dim=-1) @ v
        return a.o_proj(att.transpose(1, 2).reshape(b, n, s.heads * s.head_dim))

    def feed_forward(self, a):
        h = rms_norm(a, self.post_attention_layernorm.weight)
        m = self.mlp
        return m.down_proj(F.silu(m.gate_proj(h)) * m.up_proj(h))

    def forward(self, x, pos, mask):
        a = x + self.attention(x, pos, mask)
        return a + self.feed_forward(a)


class TinyLlava(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s
        self.vision_tower = nn.Module()
        self.vision_tower.vision_model = ClipVision(s)
        self.multi_modal_projector = nn.Module()
        self.multi_modal_projector.linear_1 = nn.Linear(s.vd, s.d)
        self.multi_modal_projector.linear_2 = nn.Linear(s.d, s.d)
        self.language_model = nn.Module()
        lm = self.language_model
        lm.model = nn.Module()
        lm.model.embed_tokens = nn.Embedding(s.vocab_size, s.d)
        lm.model.layers = nn.ModuleList([LlamaLayer(s) for _ in range(s.layers)])
        lm.model.norm = nn.Module()
        lm.model.norm.weight = nn.Parameter(torch.ones(s.d))
        lm.lm_head = nn.Linear(s.d, s.vocab_size, bias=False)
        for name, p in self.named_parameters():
            # CLIP's and LLaMA's initializer_range 0.02 (position embeddings too, as CLIPPreTrainedModel
            # initializes them): with nn.Embedding's N(0, 1) the positions drown the patches' colours
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
            if name.endswith("bias") and "norm" not in name:
                # Linear biases start at 0, as transformers' _init_weights sets them (CLIP, LLaVA's projector).
                # PyTorch's default U(±1/√fan_in) made the projector's output 99.7% one vector shared by all 64
                # image tokens (7% patch-specific after RMSNorm, 43% with zero biases): the decoder barely saw
                # which patch was which, and training sat at the answer prior.
                nn.init.zeros_(p)
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * s.layers))

    @property
    def layers(self):
        return self.language_model.model.layers

    def image_features(self, pixels):
        f = self.vision_tower.vision_model.features(pixels, -2)
        p = self.multi_modal_projector
        return p.linear_2(F.gelu(p.linear_1(f)))

    def embed(self, ids, pixels):
        """Token embeddings with the image rows (ids == image_token_index) replaced by the projected features."""
        e = self.language_model.model.embed_tokens(ids.clamp(max=self.s.vocab_size - 1))
        feats = self.image_features(pixels)
        is_image = ids == self.s.image_token_index
        e = e.clone()
        e[is_image] = feats.reshape(-1, feats.shape[-1])
        return e

    def logits(self, x):
        return self.language_model.lm_head(rms_norm(x, self.language_model.model.norm.weight))

    def forward(self, ids, pixels, rows=None):
        """Logits [b, n, vocab]; with `rows` (a bool mask [b, n]) only those rows' logits, [count, vocab]."""
        x = self.embed(ids, pixels)
        b, n = ids.shape
        pos = torch.arange(n).expand(b, n)
        mask = torch.ones(n, n, dtype=torch.bool).tril()[None, None].expand(b, 1, n, n)
        for layer in self.layers:
            x = layer(x, pos, mask)
        return self.logits(x if rows is None else x[rows])

    @torch.no_grad()
    def greedy(self, ids, pixels, max_new_tokens=4):
        """Greedy continuation of one prompt (recomputed in full each step: the reference, not a fast path)."""
        ids = list(ids)
        out = []
        for _ in range(max_new_tokens):
            logits = self.forward(torch.tensor([ids + out]), pixels[None])[0, -1]
            t = int(logits.argmax())
            out.append(t)
            if t == EOS:
                break
        return out


# ---------------------------------------------------------------------------------------------------------------------
# Checkpoint files.

def bf16(t):
    return t.detach().float().to(torch.bfloat16).float()


def write_safetensors(path, tensors, dtype="BF16"):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().float().contiguous()
        raw = (t.to(torch.bfloat16).view(torch.int16).numpy().tobytes() if dtype == "BF16"
               else t.numpy().astype("<f4").tobytes())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        data = bytearray(raw[8 + n + a:8 + n + b])
        if e["dtype"] == "BF16":
            t = torch.frombuffer(data, dtype=torch.int16).view(torch.bfloat16).float()
        else:
            t = torch.frombuffer(data, dtype=torch.float32).clone()
        out[name] = t.reshape(e["shape"])
    return out


def save_checkpoint(model, tok, out, extra_config=None, tensors=None):
    """The llava-hf directory of `model` (weights rounded to BF16). `tensors` replaces the state dict (MoD layouts)."""
    os.makedirs(out, exist_ok=True)
    state = tensors if tensors is not None else dict(model.state_dict())
    write_safetensors(os.path.join(out, "model.safetensors"), state)
    config = model.s.config_json()
    config.update(extra_config or {})
    for name, obj in [("config.json", config), ("tokenizer.json", tok.tokenizer_json()),
                      ("tokenizer_config.json", tok.tokenizer_config()),
                      ("preprocessor_config.json", preprocessor_config(model.s)),
                      ("special_tokens_map.json", {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})]:
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")


def load_checkpoint(path):
    """(model with the stored BF16 weights as float32, tokenizer) from a directory save_checkpoint wrote."""
    tok = Tokenizer.read(os.path.join(path, "tokenizer.json"))
    cfg = json.load(open(os.path.join(path, "config.json")))
    t, v = cfg["text_config"], cfg["vision_config"]
    s = Shape(t["vocab_size"], cfg["image_token_index"], t["hidden_size"], t["num_hidden_layers"],
              t["num_attention_heads"], t["num_key_value_heads"], t["intermediate_size"], v["hidden_size"],
              v["num_hidden_layers"], v["num_attention_heads"], v["intermediate_size"], v["image_size"],
              v["patch_size"], t.get("rope_theta", 10000.0), t.get("head_dim"))
    model = TinyLlava(s)
    state = read_safetensors(os.path.join(path, "model.safetensors"))
    model.load_state_dict({k: w for k, w in state.items() if k in model.state_dict()})
    return model, tok, cfg, state
