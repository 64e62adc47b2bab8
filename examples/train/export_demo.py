"""Checks a trained checkpoint in PyTorch and exports what mod4j's demo and tests use.

    /usr/bin/python3 examples/train/export_demo.py --model DIR [--test-count 500]

1. Test accuracy of PyTorch's own forward (greedy, full recomputation each step) on the test split, per question
   type, from the checkpoint's stored BF16 weights: DIR/pytorch-test-accuracy.json.
2. The golden file of the Java test: for the first test questions, the prompt ids (chat template tokenized as the
   llava-hf processor does, <image> expanded) and PyTorch's greedy ids, with the images:
   tests/src/test/resources/golden/shapes-llava/.
3. The checkpoint into the demo's resources, with its sha256 and the commands that made it:
   api/src/main/resources/dev/mod4j/api/demo/shapes-llava/, with the first test questions for the demo; with
   --pmod / --gmod, the MoD fine-tunes beside it (shapes-llava-pmod/, shapes-llava-gmod/).
"""
import argparse
import hashlib
import json
import os
import shutil

import torch

import shapes_vqa as sv
import tiny_llava as tl

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GOLDEN = os.path.join(ROOT, "tests", "src", "test", "resources", "golden", "shapes-llava")
RESOURCES = os.path.join(ROOT, "api", "src", "main", "resources", "dev", "mod4j", "api", "demo", "shapes-llava")
CHECKPOINT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                    "preprocessor_config.json", "special_tokens_map.json"]
GOLDEN_COUNT = 20  # the demo's questions: the first 20 of the test split


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def answer(model, tok, scene, question):
    ids = tok.prompt_ids(question, model.s.image_tokens)
    out = model.greedy(ids, tl.pixel_values(sv.draw_scene(scene)), max_new_tokens=4)
    return ids, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--test-count", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--pmod", help="the p-MoD fine-tune (train_mod.py --method pmod), copied beside the dense model")
    p.add_argument("--gmod", help="the γ-MoD fine-tune (train_mod.py --method gmod), copied beside the dense model")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, tok, cfg, _ = tl.load_checkpoint(a.model)
    model.eval()

    right, total = {}, {}
    golden = []
    for i in range(a.test_count):
        scene, q, ans, qtype = sv.sample("test", i)
        ids, out = answer(model, tok, scene, q)
        text = tok.decode(out)
        right[qtype] = right.get(qtype, 0) + (text == ans)
        total[qtype] = total.get(qtype, 0) + 1
        if i < GOLDEN_COUNT:
            golden.append({"question_id": f"test-{i:05d}", "image": f"images/test-{i:05d}.png", "text": q,
                           "answer": ans, "type": qtype, "prompt_ids": [x for x in ids],
                           "greedy_ids": out, "greedy_text": text})
    accuracy = {"test_questions": a.test_count, "accuracy": sum(right.values()) / a.test_count,
                "per_type": {t: right[t] / total[t] for t in sorted(total)}}
    print(json.dumps(accuracy, indent=2))
    with open(os.path.join(a.model, "pytorch-test-accuracy.json"), "w") as f:
        json.dump(accuracy, f, indent=2)
        f.write("\n")

    shutil.rmtree(GOLDEN, ignore_errors=True)
    os.makedirs(os.path.join(GOLDEN, "images"))
    for g in golden:
        sv.draw_scene(sv.sample("test", int(g["question_id"][5:]))[0]).save(os.path.join(GOLDEN, g["image"]))
    right_golden = sum(g["greedy_text"] == g["answer"] for g in golden)
    with open(os.path.join(GOLDEN, "golden.json"), "w") as f:
        json.dump({"generator": "examples/train/export_demo.py", "model_sha256": sha256(
            os.path.join(a.model, "model.safetensors")), "image_token_index": tok.image_id, "eos_token_id": tl.EOS,
            "max_new_tokens": 4, "pytorch_correct": right_golden, "samples": golden}, f, indent=1)
        f.write("\n")

    os.makedirs(RESOURCES, exist_ok=True)
    for name in CHECKPOINT_FILES:
        shutil.copyfile(os.path.join(a.model, name), os.path.join(RESOURCES, name))
    demo = os.path.join(RESOURCES, "demo-questions")
    shutil.rmtree(demo, ignore_errors=True)
    sv.write_split("test", GOLDEN_COUNT, demo)
    training = json.load(open(os.path.join(a.model, "training.json")))
    with open(os.path.join(RESOURCES, "SHA256SUMS"), "w") as f:
        for name in CHECKPOINT_FILES:
            f.write(f"{sha256(os.path.join(RESOURCES, name))}  {name}\n")
    with open(os.path.join(RESOURCES, "training.json"), "w") as f:
        json.dump({**training, "pytorch_test_accuracy": accuracy}, f, indent=2)
        f.write("\n")
    for name, source in [("shapes-llava-pmod", a.pmod), ("shapes-llava-gmod", a.gmod)]:
        if source:
            copy_fine_tune(source, os.path.join(os.path.dirname(RESOURCES), name))


def copy_fine_tune(source, target):
    """A MoD fine-tune into the demo's resources, with its sha256 sums and training.json (no questions: the dense
    model's slice serves all three)."""
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    for name in CHECKPOINT_FILES + ["training.json"]:
        shutil.copyfile(os.path.join(source, name), os.path.join(target, name))
    with open(os.path.join(target, "SHA256SUMS"), "w") as f:
        for name in CHECKPOINT_FILES:
            f.write(f"{sha256(os.path.join(target, name))}  {name}\n")


if __name__ == "__main__":
    main()
