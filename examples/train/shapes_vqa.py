"""Shapes VQA: a seeded synthetic visual question-answering task whose answers need the image's fine detail.

A scene is a 64x64 picture on a 4x4 grid of 16-pixel cells; 3 to 6 cells hold an object: a coloured square, circle
or triangle, or a coloured digit (a 5x7 bitmap font drawn at twice its size). Questions (short answers):

  colour    What colour is in row R, column C?                 red | green | blue | yellow | white
  shape     What shape is in row R, column C?                  square | circle | triangle
  digit     What digit is in row R, column C?                  0 .. 9
  count     How many red objects are there? / How many circles are there?     0 .. 6
  relation  Is the red square left of the blue circle? / ... above ...        yes | no

Every sample is a pure function of (split, index): the scene's random generator is seeded from both, so the train,
validation and test splits never share a seed. Writing a split:

  /usr/bin/python3 examples/train/shapes_vqa.py --split test --count 500 --out DIR

writes DIR/images/*.png and DIR/questions.jsonl in LLaVA's question format (question_id, image, text) plus
`answer` and `type`, which `mod4j eval --questions DIR/questions.jsonl` grades.
"""
import argparse
import json
import os
import random

from PIL import Image, ImageDraw

IMAGE_SIZE = 64
GRID = 4
CELL = IMAGE_SIZE // GRID
COLOURS = {"red": (220, 50, 40), "green": (40, 190, 70), "blue": (60, 100, 240), "yellow": (235, 215, 40),
           "white": (240, 240, 240)}
SHAPES = ["square", "circle", "triangle"]
QUESTION_TYPES = ["colour", "shape", "digit", "count", "relation"]
# Types training may ask besides the task's (sample's qtype): see make_echo_question, make_locate_question,
# make_cell_question, and count questions that name a colour.
TRAINING_TYPES = QUESTION_TYPES + ["echo", "locate", "cell", "colourcount"]


def check_types(option, types):
    """`types` (names) if each is a TRAINING_TYPES name, else exit with a one-line error naming `option`."""
    unknown = [t for t in types if t not in TRAINING_TYPES]
    if unknown:
        raise SystemExit(f"{option}: unknown question type {unknown[0]!r} (known: {', '.join(TRAINING_TYPES)})")
    return types
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}

# 5x7 bitmap digits, one string of 7 rows of 5 pixels each.
DIGITS = {
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


def rng_for(split, index):
    return random.Random(f"shapes-vqa/{split}/{index}")


def make_scene(rng, min_objects=3, max_objects=6):
    """A list of objects: dict(row, col, kind ('square'|'circle'|'triangle'|'digit'), colour, digit, dx, dy)."""
    cells = rng.sample([(r, c) for r in range(GRID) for c in range(GRID)], rng.randint(min_objects, max_objects))
    digits = rng.randint(1, 2)
    if len(cells) < 3:
        # training's small scenes (a curriculum): not always a digit, so every question type can be asked
        digits = rng.randint(0, len(cells))
    objects = []
    for i, (r, c) in enumerate(cells):
        kind = "digit" if i < digits else rng.choice(SHAPES)
        objects.append({"row": r, "col": c, "kind": kind, "colour": rng.choice(list(COLOURS)),
                        "digit": rng.choice("0123456789") if kind == "digit" else None,
                        "dx": rng.randint(-1, 1), "dy": rng.randint(-1, 1)})
    background = rng.randint(16, 56)
    return {"objects": objects, "background": background}


def draw_scene(scene):
    b = scene["background"]
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (b, b, b))
    draw = ImageDraw.Draw(image)
    for o in scene["objects"]:
        colour = COLOURS[o["colour"]]
        x0 = o["col"] * CELL + 2 + o["dx"]
        y0 = o["row"] * CELL + 2 + o["dy"]
        if o["kind"] == "square":
            draw.rectangle([x0 + 1, y0 + 1, x0 + 10, y0 + 10], fill=colour)
        elif o["kind"] == "circle":
            draw.ellipse([x0, y0, x0 + 11, y0 + 11], fill=colour)
        elif o["kind"] == "triangle":
            draw.polygon([(x0 + 6, y0), (x0, y0 + 11), (x0 + 12, y0 + 11)], fill=colour)
        else:
            for gy, line in enumerate(DIGITS[o["digit"]]):
                for gx, bit in enumerate(line):
                    if bit == "1":
                        px, py = x0 + 1 + 2 * gx, y0 - 1 + 2 * gy
                        draw.rectangle([px, py, px + 1, py + 1], fill=colour)
    return image


CAPTION_REQUEST = "Describe the grid."


def caption(scene):
    """Every cell in reading order, two words each: colour and shape or digit, or 'no object' for an empty cell
    (LLaVA's first stage aligns the image features with captions; this is the task's caption)."""
    cells = {(o["row"], o["col"]): o for o in scene["objects"]}
    words = []
    for r in range(GRID):
        for c in range(GRID):
            o = cells.get((r, c))
            words += ["no", "object"] if o is None else [o["colour"], o["digit"] or o["kind"]]
    return " ".join(words)


def place(o):
    return f"row {o['row'] + 1}, column {o['col'] + 1}"


def describe(o):
    return f"{o['colour']} {o['kind']}"


def make_question(rng, scene, qtype):
    objects = scene["objects"]
    if qtype == "colour":
        o = rng.choice(objects)
        return f"What colour is in {place(o)}?", o["colour"]
    if qtype == "shape":
        o = rng.choice([o for o in objects if o["kind"] != "digit"] or objects)
        if o["kind"] == "digit":
            return None
        return f"What shape is in {place(o)}?", o["kind"]
    if qtype == "digit":
        digits = [o for o in objects if o["kind"] == "digit"]
        if not digits:
            return None
        o = rng.choice(digits)
        return f"What digit is in {place(o)}?", o["digit"]
    if qtype in ("count", "colourcount"):
        if qtype == "colourcount" or rng.random() < 0.5:
            colour = rng.choice(list(COLOURS))
            n = sum(o["colour"] == colour for o in objects)
            return f"How many {colour} objects are there?", str(n)
        shape = rng.choice(SHAPES)
        n = sum(o["kind"] == shape for o in objects)
        return f"How many {shape}s are there?", str(n)
    if qtype == "relation":
        shapes = [o for o in objects if o["kind"] != "digit"]
        unique = [o for o in shapes if sum(describe(p) == describe(o) for p in shapes) == 1]
        if len(unique) < 2:
            return None
        a, b = rng.sample(unique, 2)
        if rng.random() < 0.5 and a["col"] != b["col"]:
            return f"Is the {describe(a)} left of the {describe(b)}?", "yes" if a["col"] < b["col"] else "no"
        if a["row"] != b["row"]:
            return f"Is the {describe(a)} above the {describe(b)}?", "yes" if a["row"] < b["row"] else "no"
        if a["col"] != b["col"]:
            return f"Is the {describe(a)} left of the {describe(b)}?", "yes" if a["col"] < b["col"] else "no"
        return None
    raise ValueError(qtype)


def make_axis_question(rng, scene):
    """Training only (a curriculum on the place): the colour, shape or digit of the only object in a row or a
    column ("What colour is in row 2?"), where that row or column holds exactly one object. One
    coordinate to find is a simpler attention pattern than the row-and-column conjunction the task asks for.
    Uses only the task's words, so the tokenizer is unchanged. None if no row or column holds a single object."""
    lines = [("row", o["row"], o) for o in scene["objects"] if sum(p["row"] == o["row"] for p in scene["objects"]) == 1]
    lines += [("column", o["col"], o) for o in scene["objects"]
              if sum(p["col"] == o["col"] for p in scene["objects"]) == 1]
    if not lines:
        return None
    axis, index, o = rng.choice(lines)
    where = f"{axis} {index + 1}?"
    kind = rng.choice(["colour", "shape"])
    if o["kind"] == "digit":
        return (f"What digit is in {where}", o["digit"]) if kind == "shape" else \
            (f"What colour is in {where}", o["colour"])
    return (f"What shape is in {where}", o["kind"]) if kind == "shape" else \
        (f"What colour is in {where}", o["colour"])


def make_echo_question(rng, scene):
    """Training only: "What column is in row 2, column 4?" -> "4" (or the row). Its answer is in the question, not
    the image: it teaches the answering position to read the place a question names, which every question about a
    place needs before the image can be searched for it. Learnt only from the questions that need both (read the
    place, then find it), neither half gets a gradient until the other exists, and training sat at the prior; with
    this, the reading is learnt on its own. Uses only the task's words, so the tokenizer is unchanged."""
    o = rng.choice(scene["objects"])
    if rng.random() < 0.5:
        return f"What column is in {place(o)}?", str(o["col"] + 1)
    return f"What row is in {place(o)}?", str(o["row"] + 1)


def make_locate_question(rng, scene):
    """Training only: "What column is the red square?" -> "3" (or its row), for a shape whose colour and kind are
    unique in the scene. Half of a relation question: find an object by what it is, read where it is (a relation
    compares two of these). Uses only the task's words, so the tokenizer is unchanged. None if no shape is unique."""
    shapes = [o for o in scene["objects"] if o["kind"] != "digit"]
    unique = [o for o in shapes if sum(describe(p) == describe(o) for p in shapes) == 1]
    if not unique:
        return None
    o = rng.choice(unique)
    if rng.random() < 0.5:
        return f"What column is the {o['colour']} {o['kind']}?", str(o["col"] + 1)
    return f"What row is the {o['colour']} {o['kind']}?", str(o["row"] + 1)


def make_cell_question(rng, scene):
    """Training only: "What is in row 2, column 4?" -> "red square" (or "blue 7"): everything the colour, shape and
    digit questions ask of a place, in one answer. One lookup of the place then serves all three: trained apart, each
    of them formed a lookup of its own, one at a time, and the colour questions' was overwritten while the others
    trained. Uses only the task's words, so the tokenizer is unchanged."""
    o = rng.choice(scene["objects"])
    return f"What is in {place(o)}?", f"{o['colour']} {o['digit'] or o['kind']}"


def sample(split, index, min_objects=3, max_objects=6, qtype=None):
    """(scene, question, answer, type) of sample `index` of `split`; every type equally often. Training may ask
    for simpler scenes too (min_objects < 3), from which recognition is learnt before the places, and for one type
    (`qtype`, the training-only "echo", "locate", "cell" and "colourcount" (the count questions that
    name a colour) included)."""
    rng = rng_for(split, index)
    qtype = qtype or QUESTION_TYPES[index % len(QUESTION_TYPES)]
    while True:
        scene = make_scene(rng, min_objects, max_objects)
        qa = (make_echo_question(rng, scene) if qtype == "echo" else make_locate_question(rng, scene)
              if qtype == "locate" else make_cell_question(rng, scene) if qtype == "cell"
              else make_question(rng, scene, qtype))
        if qa is not None:
            return scene, qa[0], qa[1], qtype


def write_split(split, count, out, start=0):
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    with open(os.path.join(out, "questions.jsonl"), "w") as f:
        for i in range(start, start + count):
            scene, question, answer, qtype = sample(split, i)
            name = f"{split}-{i:05d}.png"
            draw_scene(scene).save(os.path.join(out, "images", name))
            f.write(json.dumps({"question_id": f"{split}-{i:05d}", "image": "images/" + name, "text": question,
                                "answer": answer, "type": qtype}) + "\n")


def vocabulary_text():
    """Every word the task uses, for the tokenizer."""
    words = set()
    for r in range(1, GRID + 1):
        words.update([f"{r},", f"{r}?"])
    words.update(list(COLOURS) + SHAPES + [s + "s" for s in SHAPES] + list("0123456789") + ["yes", "no"])
    words.update(s + "?" for s in SHAPES)
    words.update(CAPTION_REQUEST.split())
    words.update("What colour is the object in row column shape digit How many objects are there there? Is left of"
                 " above".split())
    return sorted(words)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=list(SPLIT_SEEDS), default="test")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    write_split(a.split, a.count, a.out, a.start)
