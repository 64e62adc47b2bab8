"""Trains the dense tiny LLaVA on Shapes VQA from scratch (CPU, fixed seeds) and writes it in the llava-hf layout.

    /usr/bin/python3 examples/train/train_dense.py --out DIR [--steps 3000] [--threads 2]

Every step is a batch of scenes from the train split, each a conversation of 1 to 4 questions about its image
(LLaVA's multi-turn instruction format: "USER: <image>\\nq1 ASSISTANT: a1</s>USER: q2 ASSISTANT: a2</s>..."), the
loss on the answer tokens and their </s> only, as LLaVA's instruction tuning computes it. The first turn is exactly
the single-question prompt that `mod4j eval` builds with the checkpoint's chat template.
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

import shapes_vqa as sv
import tiny_llava as tl

IGNORE = -100


def conversation(tok, split, index, rng, image_tokens, max_turns, caption_share=0.0, min_objects=3, max_objects=6,
                 axis_share=0.0, question_loss=False, echo_share=0.0, types=None):
    """One training sample; with probability caption_share its first turn asks for the grid's caption; its first
    question is of one of `types` (all the task's, and with probability echo_share an echo question, if None); each
    later turn is, with probability axis_share, a question on a single row or column (shapes_vqa.make_axis_question)."""
    if types:
        qtype = rng.choice(types)
    else:
        qtype = "echo" if rng.random() < echo_share else None
    scene, q, a, _ = sv.sample(split, index, min_objects, max_objects, qtype)
    if rng.random() < caption_share:
        q, a = sv.CAPTION_REQUEST, sv.caption(scene)
    ids = tok.prompt_ids(q, image_tokens)
    labels = [IGNORE] * len(ids)
    if question_loss:
        after_image = ids.index(tok.image_id) + image_tokens
        labels[after_image:] = ids[after_image:]
    ans = tok.answer_ids(a) + [tl.EOS]
    ids, labels = ids + ans, labels + ans
    for _ in range(max_turns - 1):
        draw = rng.random()
        if draw < axis_share:
            qa = sv.make_axis_question(rng, scene)
        elif draw < axis_share + echo_share:
            qa = sv.make_echo_question(rng, scene)
        else:
            qa = sv.make_question(rng, scene, rng.choice(sv.QUESTION_TYPES))
        if qa is None:
            continue
        turn = tok.turn_ids(qa[0])
        ans = tok.answer_ids(qa[1]) + [tl.EOS]
        ids += turn + ans
        labels += (turn if question_loss else [IGNORE] * len(turn)) + ans
    return scene, ids, labels


def batch(tok, split, indices, rng, image_tokens, max_turns, caption_share=0.0, min_objects=3, max_objects=6,
          axis_share=0.0, question_loss=False, echo_share=0.0, types=None):
    scenes, seqs, labs = [], [], []
    for i in indices:
        scene, ids, labels = conversation(tok, split, i, rng, image_tokens, max_turns, caption_share, min_objects,
                                          max_objects, axis_share, question_loss, echo_share, types)
        scenes.append(scene)
        seqs.append(ids)
        labs.append(labels)
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), tl.EOS, dtype=torch.long)
    labels = torch.full((len(seqs), n), IGNORE, dtype=torch.long)
    for b, (s, l) in enumerate(zip(seqs, labs)):
        ids[b, :len(s)] = torch.tensor(s)
        # labels[t] is the token at t, predicted from position t-1
        labels[b, :len(l)] = torch.tensor(l)
    pixels = torch.stack([tl.pixel_values(sv.draw_scene(sc)) for sc in scenes])
    return ids, labels, pixels


def targets(labels):
    """The rows whose next token is an answer token, and those tokens (row t predicts token t+1)."""
    rows = torch.zeros_like(labels, dtype=torch.bool)
    rows[:, :-1] = labels[:, 1:] != IGNORE
    return rows, labels[:, 1:][labels[:, 1:] != IGNORE]


@torch.no_grad()
def first_token_accuracy(model, tok, split, count, forward=None):
    """Share of `split`'s first `count` questions whose first answer token is right (answers are one token),
    per question type; prompts right-padded and read at their last position."""
    forward = forward or model
    model.eval()
    right, total = {}, {}
    for start in range(0, count, 50):
        items = [sv.sample(split, i) for i in range(start, min(count, start + 50))]
        prompts = [tok.prompt_ids(q, model.s.image_tokens) for _, q, _, _ in items]
        n = max(map(len, prompts))
        ids = torch.full((len(items), n), tl.EOS, dtype=torch.long)
        for b, p in enumerate(prompts):
            ids[b, :len(p)] = torch.tensor(p)
        pixels = torch.stack([tl.pixel_values(sv.draw_scene(sc)) for sc, _, _, _ in items])
        logits = forward(ids, pixels)
        for b, (_, _, a, t) in enumerate(items):
            ok = int(logits[b, len(prompts[b]) - 1].argmax()) == tok.answer_ids(a)[0]
            right[t] = right.get(t, 0) + ok
            total[t] = total.get(t, 0) + 1
    model.train()
    return sum(right.values()) / sum(total.values()), {t: right[t] / total[t] for t in total}


def train(model, tok, steps, batch_size, lr, log, max_turns=8, seed=0, step_hook=None, forward=None,
          extra_loss=None, val_every=100, on_val=None, warmup=100, caption_share=0.0,
          min_objects=3, schedule="rsqrt", val_count=250, curriculum=(), axis_share=0.0, axis_until=0,
          question_loss=False, echo_share=0.0, type_stages=()):
    """`curriculum`: (steps, max_objects) stages, e.g. ((150, 2), (300, 4)): scenes of at most 2 objects for the
    first 150 steps, then at most 4 until step 300, then the task's 6 — what an object looks like is learnt on
    scenes where the place hardly matters, then where it is. `axis_share`: the share of later turns asking about a
    single row or column until step `axis_until` (0: the whole run)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and p.requires_grad]
    other = [p for n, p in model.named_parameters() if p.dim() < 2 and p.requires_grad]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98))
    forward = forward or model
    start = time.time()
    index = seed * 10_000_000
    for step in range(steps):
        if schedule == "cosine":
            # linear warm-up, then cosine decay to a tenth of the peak at the last step
            f = (step + 1) / warmup if step < warmup else \
                0.1 + 0.45 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        else:
            # linear warm-up, then inverse square root: the schedule does not depend on the run's length, so a run
            # stopped after N steps is the run `--steps N` makes
            f = min((step + 1) / warmup, math.sqrt(warmup / (step + 1)))
        for g in opt.param_groups:
            g["lr"] = lr * f
        if step_hook:
            step_hook(step, steps)
        max_objects = next((m for until, m in curriculum if step < until), 6)
        ids, labels, pixels = batch(tok, "train", range(index, index + batch_size), rng, model.s.image_tokens,
                                    max_turns, caption_share, min(min_objects, max_objects), max_objects,
                                    axis_share if not axis_until or step < axis_until else 0.0, question_loss, echo_share,
                                    next((t for until, t in type_stages if step < until), None))
        index += batch_size
        rows, target = targets(labels)
        loss = F.cross_entropy(forward(ids, pixels, rows), target)
        total = loss + (extra_loss() if extra_loss else 0)
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == steps - 1:
            log(f"step {step} loss {loss.item():.4f} lr {lr * f:.2e} {time.time() - start:.0f}s")
        if (step + 1) % val_every == 0 or step == steps - 1:
            acc, per = first_token_accuracy(model, tok, "val", val_count, forward)
            log(f"  val accuracy {acc:.3f} " + " ".join(f"{t}={v:.2f}" for t, v in per.items()))
            if on_val:
                on_val(step, acc, time.time() - start)
    return time.time() - start


def type_stages(spec):
    """--type-stages STEPS:TYPE+TYPE,... as [(steps, [types])], or exit with a one-line error."""
    stages = []
    for stage in filter(None, spec.split(",")):
        steps, _, types = stage.partition(":")
        if not steps.isdigit() or not types:
            raise SystemExit(f"--type-stages: stage {stage!r} is not STEPS:TYPE+TYPE...")
        stages.append((int(steps), sv.check_types("--type-stages", types.split("+"))))
    return stages


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--caption-share", type=float, default=0.5)
    p.add_argument("--min-objects", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--layers", type=int, default=4, help="decoder layers; with --init-from, more than the checkpoint's "
                   "adds layers on top that start as the identity (zeroed output projections)")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, help="default: width / heads (a wider head carries more of what an "
                   "attended patch holds: colour, kind and digit)")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--schedule", choices=["rsqrt", "cosine"], default="rsqrt")
    p.add_argument("--val-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--curriculum", default="", help="stages STEPS:MAX_OBJECTS,..., e.g. 150:2,300:4")
    p.add_argument("--axis-share", type=float, default=0.0,
                   help="share of later turns asking about a single row or column (a curriculum on the place)")
    p.add_argument("--axis-until", type=int, default=0, help="last step with axis questions (0: all)")
    p.add_argument("--vit-positions", choices=["normal", "sincos"], default="normal",
                   help="initial ViT position embeddings: N(0, 0.02) as CLIP, or 2-D sine-cosine as MAE")
    p.add_argument("--sincos-scale", type=float, default=0.3)
    p.add_argument("--vision-layers", type=int, default=3)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--echo-share", type=float, default=0.0,
                   help="share of later turns asking for the row or column the question names (shapes_vqa.make_echo_question)")
    p.add_argument("--type-stages", default="",
                   help="question types of the first steps, e.g. 1500:colour+echo,3000:colour+shape+digit+echo "
                        "(then every type); a type named twice is asked twice as often; besides the task's types, the "
                        "training-only echo, locate, cell and colourcount (shapes_vqa.sample)")
    p.add_argument("--train-projector", action="store_true",
                   help="with a projector pretrained beside the tower (--vision-from): train it on, instead of "
                        "keeping it frozen")
    p.add_argument("--init-from", help="a checkpoint this script wrote: training continues from its weights (the "
                   "optimizer and the learning-rate schedule start afresh)")
    p.add_argument("--turns", type=int, default=8, help="questions per conversation (one image)")
    p.add_argument("--question-loss", action="store_true",
                   help="the loss on the questions' tokens too, not only on the answers (see the README)")
    p.add_argument("--vision-from", help="a tower pretrain_vision.py wrote (its state dict), loaded and kept frozen "
                   "as LLaVA keeps CLIP's")
    a = p.parse_args()
    curriculum = [tuple(map(int, stage.split(":"))) for stage in a.curriculum.split(",") if stage]
    stages = type_stages(a.type_stages)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1234)
    tok = tl.task_tokenizer()
    model = tl.TinyLlava(tl.Shape(tok.size, tok.image_id, layers=a.layers, d=a.width, heads=a.heads,
                                  kv_heads=a.kv_heads, mlp=a.width * 5 // 2,
                                  vd=a.width, vmlp=a.width * 2, vlayers=a.vision_layers,
                                  rope_theta=a.rope_theta, head_dim=a.head_dim))
    if a.vit_positions == "sincos":
        tl.init_sincos_positions(model, a.sincos_scale)
    if a.vision_from:
        pretrained = torch.load(a.vision_from)
        if "vision_tower" not in pretrained:  # a tower alone (the first pretrain_vision.py files)
            pretrained = {"vision_tower": pretrained}
        model.vision_tower.load_state_dict(pretrained["vision_tower"])
        model.vision_tower.requires_grad_(False)
        if "multi_modal_projector" in pretrained:
            model.multi_modal_projector.load_state_dict(pretrained["multi_modal_projector"])
            model.multi_modal_projector.requires_grad_(a.train_projector)
    if a.init_from:
        trained, _, _, _ = tl.load_checkpoint(a.init_from)
        grown = len(model.layers) - len(trained.layers)
        if grown < 0 or trained.s.d != model.s.d:
            raise SystemExit(f"--init-from {a.init_from}: {len(trained.layers)} layers of width {trained.s.d}; "
                             f"this run has {a.layers} of width {a.width} (layers may only be added)")
        model.load_state_dict(trained.state_dict(), strict=grown == 0)
        # Added decoder layers (depth up-scaling) go last with zeroed output projections: each starts as the
        # identity on the residual stream, so the grown model answers as the trained one did and training goes on
        # from there with more layers for the questions that need more hops (relations, counts).
        with torch.no_grad():
            for layer in model.layers[len(trained.layers):]:
                layer.self_attn.o_proj.weight.zero_()
                layer.mlp.down_proj.weight.zero_()
    print("parameters", sum(p.numel() for p in model.parameters()), flush=True)

    def save(step, accuracy, seconds):
        # written at every validation, so an interrupted run leaves its latest model behind
        tl.save_checkpoint(model, tok, a.out)
        with open(os.path.join(a.out, "training.json"), "w") as f:
            json.dump({"script": "examples/train/train_dense.py", "steps": a.steps, "steps_done": step + 1,
                       "batch": a.batch, "lr": a.lr, "warmup": a.warmup, "schedule": a.schedule,
                       "width": a.width, "layers": a.layers, "heads": a.heads, "kv_heads": a.kv_heads, "head_dim": a.head_dim,
                       "seed": a.seed, "curriculum": a.curriculum,
                       "caption_share": a.caption_share,
                       "axis_share": a.axis_share, "axis_until": a.axis_until, "vit_positions": a.vit_positions,
                       "sincos_scale": a.sincos_scale,
                       "vision_layers": a.vision_layers, "rope_theta": a.rope_theta, "question_loss": a.question_loss, "train_projector": a.train_projector, "init_from": a.init_from and os.path.basename(a.init_from.rstrip("/")),
                       "continued_from": a.init_from and os.path.exists(os.path.join(a.init_from, "training.json"))
                       and json.load(open(os.path.join(a.init_from, "training.json"))), "type_stages": a.type_stages, "turns": a.turns, "echo_share": a.echo_share, "vision_from": a.vision_from and os.path.basename(a.vision_from),
                       "vision_pretraining": a.vision_from and os.path.exists(a.vision_from + ".json")
                       and json.load(open(a.vision_from + ".json")),
                       "min_objects": a.min_objects, "threads": a.threads, "train_seconds": round(seconds),
                       "val_first_token_accuracy": round(accuracy, 4), "torch": torch.__version__}, f, indent=2)
            f.write("\n")

    seconds = train(model, tok, a.steps, a.batch, a.lr, lambda m: print(m, flush=True), on_val=save,
                    caption_share=a.caption_share, min_objects=a.min_objects, warmup=a.warmup,
                    schedule=a.schedule, val_every=a.val_every, seed=a.seed, curriculum=curriculum,
                    axis_share=a.axis_share, axis_until=a.axis_until, question_loss=a.question_loss, echo_share=a.echo_share,
                    max_turns=a.turns,
                    type_stages=stages)
    print(f"trained in {seconds:.0f}s; wrote {a.out}", flush=True)


if __name__ == "__main__":
    main()
