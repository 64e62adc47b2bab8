"""Golden multi-turn prompts for ConversationPromptGoldenTest: LLaVA's own Conversation.get_prompt() as its cli.py
fills it (the image token and a newline before the first message, then USER/ASSISTANT messages, the last one None).

Run with the reference environment and LLaVA's code (haotian-liu/LLaVA c121f0432da27facab705978f83c4ada465e46fd):
  LLAVA_SRC=/tmp/llava-src /opt/refenv/bin/python generate.py > golden.json
"""
import json
import os
import sys

sys.path.insert(0, os.environ["LLAVA_SRC"])
from llava.conversation import conv_templates  # noqa: E402

CONVERSATIONS = [
    {"name": "one turn with an image", "turns": [["What is in the picture?", 1, None]]},
    {"name": "one turn, text only", "turns": [["Say hello.", 0, None]]},
    {"name": "three turns, image first", "turns": [
        ["What is in the picture?", 1, "A cat on a sofa."],
        ["What colour is it?", 0, "Orange, with white paws."],
        ["Is it asleep?", 0, None]]},
]


def main():
    out = {"llava_commit": "c121f0432da27facab705978f83c4ada465e46fd", "cases": []}
    for template in ["vicuna_v1", "mistral_instruct"]:
        for c in CONVERSATIONS:
            conv = conv_templates[template].copy()
            for user, images, answer in c["turns"]:
                conv.append_message(conv.roles[0], "<image>\n" * images + user)
                conv.append_message(conv.roles[1], answer)
            out["cases"].append({"template": template, "name": c["name"], "turns": c["turns"],
                                 "prompt": conv.get_prompt()})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
