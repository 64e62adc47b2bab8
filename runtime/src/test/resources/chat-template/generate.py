#!/usr/bin/env python3
"""Golden chat-template renderings: every (template, conversation) pair of conversations.json rendered with Python's
jinja2 in the environment HuggingFace transformers renders chat templates in, written to golden.json.

Run with Debian's python3-jinja2 (or any jinja2 >= 3.1):  /usr/bin/python3 generate.py

The environment is transcribed from transformers' src/transformers/utils/chat_template_utils.py
(`_compile_jinja_template`, v4.45 and later): an ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks,
the loopcontrols extension and the AssistantTracker extension (the `{% generation %}` tag, which renders its body),
a `tojson` filter that is json.dumps without HTML escaping, and the globals `raise_exception` and `strftime_now`.
The variables are those of PreTrainedTokenizerBase.apply_chat_template (tokenization_utils_base.py):
`messages`, `tools=None`, `documents=None`, `add_generation_prompt`, plus the tokenizer's special_tokens_map
(`template_kwargs = {**self.special_tokens_map, **kwargs}`).

The two llava-hf templates are copied from openvinotoolkit/openvino.genai, src/cpp/src/tokenizer.cpp (commit
0115b44d3782d546374d38a81eebab81a449c711, `chat_template_fallback_map`), which vendors them byte for byte as
"llava-1.5, llava-v1.6-vicuna (chat_template.json)" and "llava-v1.6-mistral (chat_template.json)" to recognise them;
the C++ escapes are decoded (so `'<image>\\n'` holds a real newline, and the mistral template's `'<\\\\s> '` is
`'<\\s> '`, which renders `<\\s> `, the checkpoint's own typo for `</s>`).
"""
import json
import os
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))


class AssistantTracker(jinja2.ext.Extension):
    # transformers records where {% generation %} output lands; the rendered text is just the body.
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


def main():
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        spec = json.load(f)
    cases = {c["name"]: c for c in spec["cases"]}
    out = []
    for template_file, names in spec["templates"].items():
        with open(os.path.join(HERE, template_file), encoding="utf-8", newline="") as f:
            template = compile_template(f.read())
        for name in names:
            case = cases[name]
            entry = {"template": template_file, "case": name}
            try:
                entry["rendered"] = template.render(messages=case["messages"], tools=None, documents=None,
                                                    add_generation_prompt=case["add_generation_prompt"],
                                                    **spec["special_tokens"])
            except jinja2.exceptions.TemplateError as e:
                entry["error"] = str(e)
            out.append(entry)
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "renderings": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
