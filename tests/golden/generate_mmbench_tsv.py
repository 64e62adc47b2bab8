#!/usr/bin/env python3
"""Golden files for `mod4j eval` on MMBench's TSV: the prompts and answer lines LLaVA's own
llava/eval/model_vqa_mmbench.py writes for a small TSV in MMBench's real format, and the circular score VLMEvalKit's
exact-matching evaluation gives the answers.

LLaVA's script runs for real (pandas.read_table, its option parsing, hint, rotation, conversation template, answer
lines); only the model is replaced: load_pretrained_model returns a stand-in whose tokenizer records the prompt it is
given and whose generate/batch_decode return the next answer of a fixed list; .cuda() is the identity (no GPU here);
shortuuid (answer ids only) is a stand-in.

  /opt/refenv/bin/python tests/golden/generate_mmbench_tsv.py \
      --llava PATH/TO/haotian-liu/LLaVA            (checkout @c121f04, importable: llava/...) \
      --vlmevalkit PATH/TO/open-compass/VLMEvalKit  (checkout @e8e78f0)

Writes tests/src/test/resources/golden/eval-scores/mmbench-tsv/: mmbench_golden.tsv, and per case (the flags
model_vqa_mmbench.py ran with) CASE/answers.jsonl (LLaVA's answer lines), CASE/prompts.json (the conversation
prompts, image token included), CASE/expected.json (VLMEvalKit's circular and vanilla accuracy of those answers).
Deterministic: rerunning gives identical files.
"""
import argparse
import ast
import base64
import importlib.util
import io
import json
import os
import random
import runpy
import string
import sys
import types

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'test', 'resources', 'golden',
                   'eval-scores', 'mmbench-tsv')

CASES = {
    'plain': [],
    'single-pred': ['--single-pred-prompt'],
    'all-rounds': ['--all-rounds', '--single-pred-prompt'],
    'cn': ['--single-pred-prompt', '--lang', 'cn'],
}


def image_base64(seed, fmt):
    from PIL import Image
    img = Image.new('RGB', (24 + seed, 16 + 2 * seed), ((seed * 40) % 256, 90, 200))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return base64.b64encode(buf.getvalue()).decode('ascii')


def write_tsv(path):
    import pandas as pd
    rows = [
        # index, question, hint, A, B, C, D, answer, category, l2-category
        (0, 'What is in the picture?', 'The picture was taken at noon.', 'a cat', 'a dog', 'a bird', 'a fish', 'B',
         'image_scene', 'coarse_perception'),
        (1, 'Which colour dominates?', None, 'red', 'green', 'blue', None, 'C', 'image_style', 'coarse_perception'),
        (2, 'Is the "object" on the left?', 'Look closely.\nThe image is\tcropped.', 'yes', 'no', None, None, 'A',
         'spatial_relationship', 'relation_reasoning'),
        (3, 'How many wheels?', 'nan', '2', '3', '4', '18', 'D', 'object_localization', 'fine-grained_perception'),
        (4, '图中是什么动物？', None, '猫', '狗', '鸟', '鱼', 'A', 'image_scene', 'coarse_perception'),
        (5, 'Which option is none?', 'None', 'first', 'second', 'None', 'fourth', 'B', 'image_topic',
         'coarse_perception'),
        (1000007, 'What is shown?', None, 'a boat', 'a car', 'a house', 'a tree', 'C', 'image_scene',
         'coarse_perception'),
    ]
    data = []
    for k, r in enumerate(rows):
        data.append({'index': r[0], 'question': r[1], 'hint': r[2], 'A': r[3], 'B': r[4], 'C': r[5], 'D': r[6],
                     'answer': r[7], 'category': r[8], 'source': 'golden', 'l2-category': r[9],
                     'comment': None, 'split': 'dev', 'image': image_base64(k, 'PNG' if k % 2 == 0 else 'JPEG')})
    df = pd.DataFrame(data, columns=['index', 'question', 'hint', 'A', 'B', 'C', 'D', 'answer', 'category', 'image',
                                     'source', 'l2-category', 'comment', 'split'])
    df.to_csv(path, sep='\t', index=False)


def run_llava(llava_path, tsv, answers_file, flags, answers):
    """model_vqa_mmbench.eval_model on the TSV with a stand-in model; returns the prompts it built."""
    sys.path.insert(0, llava_path)
    sys.modules.setdefault('shortuuid', types.SimpleNamespace(uuid=lambda: 'golden'))
    import torch
    torch.Tensor.cuda = lambda self, *a, **k: self
    prompts = []

    class Tokenizer:
        def batch_decode(self, ids, skip_special_tokens=True):
            return [answers(prompts[-1])]

    class Model:
        config = types.SimpleNamespace(mm_use_im_start_end=False, image_aspect_ratio='pad')

        def generate(self, input_ids, **kwargs):
            return torch.zeros((1, 1), dtype=torch.long)

    def tokenizer_image_token(prompt, tokenizer, image_token_index, return_tensors=None):
        prompts.append(prompt)
        return torch.zeros(1, dtype=torch.long)

    # The script binds these names when it is run: patched where it imports them from.
    import llava.model.builder
    import llava.mm_utils
    llava.model.builder.load_pretrained_model = lambda path, base, name: (Tokenizer(), Model(), None, 2048)
    llava.mm_utils.tokenizer_image_token = tokenizer_image_token
    llava.mm_utils.process_images = lambda images, processor, config: torch.zeros((1, 3, 2, 2))
    saved = sys.argv
    sys.argv = ['model_vqa_mmbench.py', '--model-path', 'golden-model', '--question-file', tsv, '--answers-file',
                answers_file, '--conv-mode', 'vicuna_v1', '--temperature', '0'] + flags
    try:
        runpy.run_module('llava.eval.model_vqa_mmbench', run_name='__main__')
    finally:
        sys.argv = saved
    return prompts


def vlmevalkit_namespace(vlmevalkit):
    import pandas as pd
    log = types.ModuleType('vlmeval.smp.log')
    log.get_logger = lambda name: __import__('logging').getLogger(name)
    for name in ['vlmeval', 'vlmeval.smp', 'vlmeval.utils']:
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules['vlmeval.smp.log'] = log
    spec = importlib.util.spec_from_file_location('vlmeval.utils.matching_util',
                                                  os.path.join(vlmevalkit, 'vlmeval/utils/matching_util.py'))
    matching = importlib.util.module_from_spec(spec)
    sys.modules['vlmeval.utils.matching_util'] = matching
    spec.loader.exec_module(matching)
    source = open(os.path.join(vlmevalkit, 'vlmeval/dataset/utils/multiple_choice.py')).read()
    wanted = {'build_choices', 'prefetch_answer', 'prefetch_circular_group'}
    namespace = {'pd': pd, 'string': string, 'can_infer': matching.can_infer}
    exec(compile(ast.Module([n for n in ast.parse(source).body
                             if isinstance(n, ast.FunctionDef) and n.name in wanted], []),
                 'multiple_choice.py', 'exec'), namespace)
    return namespace


def score(namespace, tsv, answer_lines):
    """VLMEvalKit's exact-matching circular evaluation; LLaVA's rounds are the rotations (index + 1e6 × round)."""
    import pandas as pd
    table = pd.read_table(tsv)
    rows = []
    for a in answer_lines:
        src = table[table['index'] == a['question_id']].iloc[0]
        n = len(a['options'])
        gold = 'ABCD'.index(src['answer'])
        letters = {c: (a['options'][k] if k < n else None) for k, c in enumerate('ABCD')}
        rows.append({'index': int(a['question_id']) + 1000000 * a['round_id'], **letters,
                     'answer': 'ABCD'[(gold - a['round_id']) % n], 'prediction': a['text']})
    data = pd.DataFrame(rows)
    data['GT'] = data['answer']
    data['g_index'] = [int(x % 1e6) for x in data['index']]
    circular, vanilla, mains = 0, 0, 0
    for _, main in data[data['index'] == data['g_index']].iterrows():
        group = data[data['g_index'] == main['index']]
        result = namespace['prefetch_circular_group'](group, verbose=False)
        circular += result['hit'] if isinstance(result, dict) else 0
        vanilla += (namespace['prefetch_answer'](main) or 'Z') == main['GT']
        mains += 1
    rotated = bool((data['index'] != data['g_index']).any())
    return {'metric': 'circular_accuracy' if rotated else 'accuracy',
            'value': 100.0 * (circular if rotated else vanilla) / mains,
            'details': {'circular_accuracy': 100.0 * circular / mains, 'vanilla_accuracy': 100.0 * vanilla / mains},
            'tolerance': 1e-9}


GOLD = {'What is in the picture?': 'a dog', 'Which colour dominates?': 'blue', 'Is the "object" on the left?': 'yes',
        'How many wheels?': '18', '图中是什么动物？': '猫', 'Which option is none?': 'second', 'What is shown?': 'a house'}


def answer(prompt, rng, pool):
    """The stand-in model: the right letter for the options as shown, 3 times in 4, else one of pool."""
    body = prompt.split('USER: ')[1].rsplit(' ASSISTANT:', 1)[0]
    shown = dict(l.split('. ', 1) for l in body.split('\n') if len(l) > 2 and l[0] in 'ABCD' and l[1] == '.')
    question = next(q for q in GOLD if q in body)
    right = next(c for c, text in shown.items() if text == GOLD[question])
    return right if rng.random() < 0.75 else rng.choice(pool)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--llava', required=True)
    parser.add_argument('--vlmevalkit', required=True)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    tsv = os.path.join(OUT, 'mmbench_golden.tsv')
    write_tsv(tsv)
    namespace = vlmevalkit_namespace(args.vlmevalkit)
    pool = ['A', 'B', 'C', 'D', 'The answer is B.', 'C. a bird', 'I cannot tell.', 'a dog', '(A)', 'D']
    for case, flags in CASES.items():
        rng = random.Random(len(case))
        d = os.path.join(OUT, case)
        os.makedirs(d, exist_ok=True)
        answers_file = os.path.join(d, 'answers.jsonl')
        prompts = run_llava(args.llava, tsv, answers_file, flags, lambda prompt: answer(prompt, rng, pool))
        with open(os.path.join(d, 'flags.json'), 'w') as f:
            json.dump(flags, f)
            f.write('\n')
        with open(os.path.join(d, 'prompts.json'), 'w') as f:
            json.dump(prompts, f, indent=1, ensure_ascii=False)
            f.write('\n')
        lines = [json.loads(l) for l in open(answers_file)]
        with open(os.path.join(d, 'expected.json'), 'w') as f:
            json.dump(score(namespace, tsv, lines), f, indent=1, sort_keys=True)
            f.write('\n')
    import pandas
    with open(os.path.join(OUT, 'versions.json'), 'w') as f:
        json.dump({'pandas': pandas.__version__, 'llava': 'haotian-liu/LLaVA@c121f04',
                   'vlmevalkit': 'open-compass/VLMEvalKit@e8e78f0'}, f)
        f.write('\n')
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
