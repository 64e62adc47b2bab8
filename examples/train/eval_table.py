"""The experiment's table and chart in one command: the Shapes VQA test split answered by mod4j under every schedule
(dense, FastV and PyramidDrop at several ratios on the dense model, p-MoD and γ-MoD on their fine-tuned models),
accuracy per schedule and per question type next to the prefill multiply-adds relative to dense and the KV-cache
bytes, plus an accuracy-against-compute chart (SVG).

    /usr/bin/python3 examples/train/eval_table.py --out DIR [--count 500] [--models DIR]

--models is the directory holding shapes-llava/, shapes-llava-pmod/ and shapes-llava-gmod/ (default: the demo's
resources). Writes DIR/test/ (the split), DIR/answers-*/ (mod4j eval's answer files; rerunning resumes),
DIR/table.md and DIR/accuracy-vs-flops.svg, and prints the table. A toy task: the numbers say how the schedules
behave on it, not on real images.
"""
import argparse
import json
import os
import subprocess

import shapes_vqa as sv

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RESOURCES = os.path.join(ROOT, "api", "src", "main", "resources", "dev", "mod4j", "api", "demo")
DENSE_SCHEDULES = ["dense", "fastv:k=1;r=0.5", "fastv:k=1;r=0.75", "fastv:k=2;r=0.5", "fastv:k=2;r=0.75",
                   "pdrop:layers=1,2,3;ratios=0.5,0.25,0.125", "pdrop:layers=2;ratios=0.25",
                   "pdrop:layers=1,2,3;ratios=0.75,0.5,0.25"]
VARIANTS = [("shapes-llava", DENSE_SCHEDULES), ("shapes-llava-pmod", ["dense", "pmod"]),
            ("shapes-llava-gmod", ["dense", "gmod:skip=0.5", "gmod"])]


def normalize(text):
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--models", default=RESOURCES)
    p.add_argument("--mod4j", default=os.path.join(ROOT, "bin", "mod4j"))
    a = p.parse_args()
    test = os.path.join(a.out, "test")
    if not os.path.exists(os.path.join(test, "questions.jsonl")):
        sv.write_split("test", a.count, test)
    questions = {q["question_id"]: q for q in map(json.loads, open(os.path.join(test, "questions.jsonl")))}
    rows = []
    dense_macs = dense_kv = None
    for name, schedules in VARIANTS:
        model = os.path.join(a.models, name)
        if not os.path.exists(os.path.join(model, "config.json")):
            print(f"skipping {name}: not in {a.models}")
            continue
        for schedule in schedules:
            if name != "shapes-llava" and schedule == "dense":
                continue  # the variant's own dense run would only check that its weights still answer densely
            # one answers folder per schedule: eval names its files after the spec spelled out in full
            # ("pmod" -> "pmod:decay=shiftedcos;..."), so the folder says which schedule they are
            answers = os.path.join(a.out, "answers-" + name, "".join(c if c.isalnum() else "_" for c in schedule))
            subprocess.run([a.mod4j, "eval", "--model", model, "--questions", os.path.join(test, "questions.jsonl"),
                            "--schedules", schedule, "--answers-out", answers, "--max-new-tokens", "4",
                            "--progress", "never", "--threads", "1"], check=True, stdout=subprocess.DEVNULL)
            files = [f for f in os.listdir(answers) if f.startswith("answers-") and f.endswith(".jsonl")]
            lines = [json.loads(l) for l in open(os.path.join(answers, files[0]))]
            right, total = {}, {}
            macs = kv = 0
            for l in lines:
                q = questions[l["question_id"]]
                t = q["type"]
                right[t] = right.get(t, 0) + (normalize(l["text"]) == normalize(q["answer"]))
                total[t] = total.get(t, 0) + 1
                macs += l["metadata"]["prefill_macs"]
                kv += l["metadata"]["kv_cache_bytes"]
            if name == "shapes-llava" and schedule == "dense":
                dense_macs, dense_kv = macs, kv
            rows.append({"model": name, "schedule": schedule, "accuracy": sum(right.values()) / len(lines),
                         "per_type": {t: right[t] / total[t] for t in sv.QUESTION_TYPES},
                         "macs_ratio": macs / dense_macs, "kv_bytes": kv / len(lines), "kv_ratio": kv / dense_kv})
    header = ("| model | schedule | accuracy | " + " | ".join(sv.QUESTION_TYPES)
              + " | prefill MACs / dense | KV bytes (ratio) |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for r in rows:
        lines.append(f"| {r['model']} | `{r['schedule']}` | {100 * r['accuracy']:.1f}% | "
                     + " | ".join(f"{100 * r['per_type'][t]:.0f}%" for t in sv.QUESTION_TYPES)
                     + f" | {r['macs_ratio']:.2f} | {r['kv_bytes'] / 1024:.1f} KiB ({r['kv_ratio']:.2f}) |")
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(f"Shapes VQA test split, {len(questions)} questions (a toy task), answered by mod4j.\n\n{table}\n")
    with open(os.path.join(a.out, "table.json"), "w") as f:
        json.dump(rows, f, indent=2)
    with open(os.path.join(a.out, "accuracy-vs-flops.svg"), "w") as f:
        f.write(chart(rows))


def chart(rows):
    """Accuracy against prefill multiply-adds relative to dense, one dot per schedule."""
    w, h, left, bottom, top, right = 640, 400, 60, 50, 20, 200
    lo = min(0.5, min(r["accuracy"] for r in rows) - 0.05)
    x = lambda v: left + v * (w - left - right)
    y = lambda v: top + (1 - (v - lo) / (1 - lo)) * (h - top - bottom)
    colours = {"dense": "#000", "fastv": "#1f77b4", "pdrop": "#2ca02c", "pmod": "#d62728", "gmod": "#9467bd"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
           f'font-size="11">', f'<rect width="{w}" height="{h}" fill="#fff"/>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="#000"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="#000"/>',
           f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">prefill multiply-adds / dense'
           f'</text>', f'<text x="14" y="{(top + h - bottom) / 2}" transform="rotate(-90 14 {(top + h - bottom) / 2})"'
           f' text-anchor="middle">accuracy (Shapes VQA test, toy task)</text>']
    for i in range(0, 11, 2):
        v = i / 10
        out.append(f'<text x="{x(v)}" y="{h - bottom + 15}" text-anchor="middle">{v:.1f}</text>')
    steps = 5
    for i in range(steps + 1):
        v = lo + (1 - lo) * i / steps
        out.append(f'<text x="{left - 6}" y="{y(v) + 4}" text-anchor="end">{100 * v:.0f}%</text>')
    for i, r in enumerate(rows):
        c = colours.get(r["schedule"].split(":")[0], "#555")
        out.append(f'<circle cx="{x(r["macs_ratio"]):.1f}" cy="{y(r["accuracy"]):.1f}" r="4" fill="{c}"/>')
        out.append(f'<text x="{w - right + 10}" y="{top + 14 * i + 4}" fill="{c}">{r["schedule"]} '
                   f'({100 * r["accuracy"]:.0f}%, {r["macs_ratio"]:.2f})</text>')
    out.append("</svg>\n")
    return "\n".join(out)


if __name__ == "__main__":
    main()
