#!/usr/bin/env python3
"""Golden numbers for mod4j's benchmark scorers, computed by the benchmarks' own scoring code.

Writes small hand-made files in each benchmark's real format (questions, LLaVA answer lines, annotations) and the
numbers the official scripts print for them, under tests/src/test/resources/golden/eval-scores/<benchmark>/.
The official code is not part of mod4j: pass where you fetched it.

  /opt/refenv/bin/python tests/golden/generate_eval_scores.py \
      --llava PATH/TO/haotian-liu/LLaVA            (checkout @c121f04: llava/eval/*.py, scripts/*.py) \
      --mme-eval-tool PATH/TO/eval_tool            (MME's calculation.py: BradyFU/Awesome-Multimodal-Large-Language-
                                                    Models, branch Evaluation @dd29509, tools/eval_tool.zip) \
      --mme-convert PATH/TO/convert_answer_to_mme.py  (LLaVA's eval.zip, playground/data/eval/MME) \
      --vlmevalkit PATH/TO/open-compass/VLMEvalKit  (checkout @e8e78f0)

Needs numpy, tqdm, scikit-learn (MME) and pandas (MMBench). Deterministic: rerunning gives identical files.
"""
import argparse
import ast
import importlib.util
import io
import json
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import types
from contextlib import redirect_stdout

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'test', 'resources', 'golden',
                   'eval-scores')


def write_jsonl(path, rows):
    with open(path, 'w') as f:
        for r in rows:
            f.write(json.dumps(r) + '\n')


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write('\n')


def answer_line(qid, prompt, text):
    return {'question_id': qid, 'prompt': prompt, 'text': text, 'answer_id': 'a-%s' % qid, 'model_id': 'golden',
            'metadata': {}}


def case_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    return d


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def expected(d, metric, value, details, tolerance=1e-9):
    write_json(os.path.join(d, 'expected.json'), {'metric': metric, 'value': value, 'details': details,
                                                  'tolerance': tolerance})


# ---------------------------------------------------------------- POPE: llava/eval/eval_pope.py
def pope(llava):
    d = case_dir('pope')
    rng = random.Random(1)
    pool = ['Yes', 'No', 'Yes, there is a dog in the image.', 'No, there is not.', 'There is no dog.', 'yes', 'no.',
            'Not really', 'I think so', 'No\nThere is', 'It is not clear. No', 'Nope', 'NO', 'yes, no doubt']
    questions, answers = [], []
    os.makedirs(os.path.join(d, 'coco'), exist_ok=True)
    qid = 0
    for split in ['adversarial', 'popular', 'random']:
        labels = []
        for k in range(10):
            qid += 1
            text = 'Is there a %s in the image?' % ['dog', 'car', 'person', 'cup'][k % 4]
            label = 'yes' if (k + len(split)) % 2 == 0 else 'no'
            questions.append({'question_id': qid, 'image': 'COCO_val2014_%012d.jpg' % qid, 'text': text,
                              'category': split})
            labels.append({'question_id': k + 1, 'image': 'COCO_val2014_%012d.jpg' % qid, 'text': text,
                           'label': label})
            answers.append(answer_line(qid, text, rng.choice(pool)))
        write_jsonl(os.path.join(d, 'coco', 'coco_pope_%s.json' % split), labels)
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    out = subprocess.run([sys.executable, os.path.join(llava, 'llava/eval/eval_pope.py'), '--annotation-dir',
                          os.path.join(d, 'coco'), '--question-file', os.path.join(d, 'questions.jsonl'),
                          '--result-file', os.path.join(d, 'answers.jsonl')], check=True, capture_output=True,
                         text=True).stdout
    details, f1s, accs = {}, [], []
    for block in out.split('Category: ')[1:]:
        split = block.split(',')[0]
        lines = block.splitlines()
        tp, fp, tn, fn = (int(x) for x in lines[2].split())
        num = {k: float(re.search(k + r': (\S+)', block).group(1))
               for k in ['Accuracy', 'Precision', 'Recall', 'F1 score', 'Yes ratio']}
        for k, name in [('Accuracy', 'accuracy'), ('Precision', 'precision'), ('Recall', 'recall'),
                        ('F1 score', 'f1'), ('Yes ratio', 'yes_ratio')]:
            details[split + '.' + name] = 100 * num[k]
        details.update({split + '.tp': tp, split + '.fp': fp, split + '.tn': tn, split + '.fn': fn})
        f1s.append(num['F1 score'])
        accs.append(num['Accuracy'])
    details['accuracy'] = 100 * sum(accs) / len(accs)
    expected(d, 'f1', 100 * sum(f1s) / len(f1s), details)


# ---------------------------------------------------------------- MME: convert_answer_to_mme.py + calculation.py
def mme(eval_tool, convert):
    d = case_dir('mme')
    rng = random.Random(2)
    pool = ['Yes', 'No', 'yes, it is', 'No.', 'Nope', "I don't know", 'YES', 'no way', 'Maybe yes',
            'The answer is yes', 'Yes.', 'n']
    nested = {'artwork', 'celebrity', 'landmark', 'posters', 'scene'}
    tasks = ["existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark", "artwork", "OCR",
             "commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning"]
    root = os.path.join(d, 'MME_Benchmark_release_version')
    questions, answers = [], []
    for t, task in enumerate(tasks):
        task_dir = os.path.join(root, task)
        qa_dir = os.path.join(task_dir, 'questions_answers_YN') if task in nested else task_dir
        os.makedirs(qa_dir, exist_ok=True)
        if task in nested:
            os.makedirs(os.path.join(task_dir, 'images'), exist_ok=True)
        for image in range(3):
            stem = '%05d' % (100 * t + image)
            q1 = 'Is there a %s in this image? Please answer yes or no.' % task
            q2 = 'Is this picture number %d?' % image
            gt1, gt2 = ('Yes', 'No') if image % 2 == 0 else ('No', 'Yes')
            if task in nested:  # an empty stand-in for the image: the folder must exist (git keeps no empty ones)
                open(os.path.join(task_dir, 'images', stem + '.jpg'), 'w').close()
            with open(os.path.join(qa_dir, stem + '.txt'), 'w') as f:
                f.write('%s\t%s\n%s  Please answer yes or no.\t%s\n' % (q1, gt1, q2, gt2))
            for k, q in enumerate([q1, q2]):
                qid = '%s/%s.jpg' % (task, stem)
                text = q + '\nAnswer the question using a single word or phrase.'
                questions.append({'question_id': qid, 'image': qid, 'text': text, 'category': task})
                # calculation.py's sklearn calls fail on a task without one plain yes/no answer: the first is one
                pred = rng.choice(['Yes', 'No']) if image == 0 and k == 0 else rng.choice(pool)
                answers.append(answer_line(qid, text, pred))
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    with tempfile.TemporaryDirectory() as work:
        os.symlink(root, os.path.join(work, 'MME_Benchmark_release_version'))
        os.makedirs(os.path.join(work, 'answers'))
        write_jsonl(os.path.join(work, 'answers', 'golden.jsonl'), answers)
        subprocess.run([sys.executable, convert, '--experiment', 'golden'], cwd=work, check=True)
        out = subprocess.run([sys.executable, os.path.join(eval_tool, 'calculation.py'), '--results_dir',
                              os.path.join(work, 'eval_tool', 'answers', 'golden')], check=True, capture_output=True,
                             text=True).stdout
    totals = [float(x) for x in re.findall(r'total score: (\S+)', out)]
    details = {m.group(1): float(m.group(2)) for m in re.finditer(r'\t (\S+)  score: (\S+)', out)}
    details['cognition'] = totals[1]
    expected(d, 'perception', totals[0], details)


# ---------------------------------------------------------------- GQA: scripts/convert_gqa_for_eval.py + exact match
def gqa(llava):
    d = case_dir('gqa')
    cases = [('yes', 'Yes.'), ('no', 'no'), ('cat', 'The cat.'), ('left', 'Left..'), ('table', 'table'),
             ('white', 'White'), ('man', 'man.'), ('wood', 'wooden'), ('right', 'right'), ('blue', 'blue ')]
    questions, answers, truth = [], [], {}
    for i, (gold, text) in enumerate(cases):
        qid = str(201307251 + i)
        questions.append({'question_id': qid, 'image': 'n%d.jpg' % i,
                          'text': 'What is it?\nAnswer the question using a single word or phrase.'})
        truth[qid] = {'answer': gold, 'imageId': 'n%d' % i}
        answers.append(answer_line(qid, questions[-1]['text'], text))
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    write_json(os.path.join(d, 'testdev_balanced_questions.json'), truth)
    with tempfile.TemporaryDirectory() as work:
        dst = os.path.join(work, 'predictions.json')
        subprocess.run([sys.executable, os.path.join(llava, 'scripts/convert_gqa_for_eval.py'), '--src',
                        os.path.join(d, 'answers.jsonl'), '--dst', dst], check=True)
        predictions = json.load(open(dst))
    # GQA's eval.py: a question is right when the prediction equals its answer.
    correct = sum(1 for p in predictions if p['prediction'] == truth[p['questionId']]['answer'])
    expected(d, 'accuracy', 100.0 * correct / len(questions), {'correct': correct})


# ---------------------------------------------------------------- TextVQA: eval_textvqa.py + m4c_evaluator.py
def m4c(llava):
    for name in ['llava', 'llava.eval']:
        sys.modules.setdefault(name, types.ModuleType(name))
    return load_module('llava.eval.m4c_evaluator', os.path.join(llava, 'llava/eval/m4c_evaluator.py'))


VQA_ANSWERS = [
    ['nike'] * 6 + ['Nike.', 'nike shoes', 'adidas', 'NIKE'],
    ['two', '2', '2', 'two', 'two people', '2', '3', 'two', '2', 'both'],
    ['coca-cola', 'coca cola', 'coke', 'Coca-Cola', 'coca cola', 'coke', 'coca-cola', 'pepsi', 'coca cola', 'coke'],
    ["don't walk", 'dont walk', 'do not walk', "don't walk", 'dont walk', 'stop', "don't walk", 'walk', 'dont walk',
     'dont walk'],
    ['3.5', '3.5', '3,5', '35', '3.5', '3.50', '3.5', 'three and a half', '3.5', '3.5'],
    ['the red one', 'red', 'red', 'a red one', 'red', 'red one', 'red', 'red', 'crimson', 'red'],
    ['1,000', '1000', '1,000', '1000', 'one thousand', '1,000', '1000', '1000', '1,000', '1000'],
    ['yes'] * 2 + ['no'] * 8,
]
VQA_PREDICTIONS = ['Nike', 'Two', 'coke', 'walk', 'three and a half', 'Red.', 'one thousand', 'Yes']


def textvqa(llava):
    d = case_dir('textvqa')
    evaluator = m4c(llava)
    questions, answers, data = [], [], []
    for i, (gts, pred) in enumerate(zip(VQA_ANSWERS, VQA_PREDICTIONS)):
        image_id = '%016x' % (0x3a8ae2ef43b90100 + i)
        question = 'What is written on sign %d?' % i
        if i % 3 == 2:
            text = 'Reference OCR token: NIKE, STOP, %d\n%s\nAnswer the question using a single word or phrase.' % (
                i, question)
        else:
            text = question + '\nAnswer the question using a single word or phrase.'
        questions.append({'question_id': image_id, 'image': image_id + '.jpg', 'text': text})
        data.append({'image_id': image_id, 'question': question.upper() if i == 1 else question, 'answers': gts,
                     'question_id': 34602 + i})
        answers.append(answer_line(image_id, text, pred))
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    write_json(os.path.join(d, 'TextVQA_0.5.1_val.json'), {'dataset_name': 'textvqa', 'data': data})
    # eval_textvqa.py's eval_single, run on the files, with its evaluator's full-precision number.
    script = load_module('eval_textvqa', os.path.join(llava, 'llava/eval/eval_textvqa.py'))
    with redirect_stdout(io.StringIO()) as printed:
        script.eval_single(os.path.join(d, 'TextVQA_0.5.1_val.json'), os.path.join(d, 'answers.jsonl'))
    annotations = {(a['image_id'], a['question'].lower()): a for a in data}
    pred_list = [{'pred_answer': r['text'],
                  'gt_answers': annotations[(r['question_id'], script.prompt_processor(r['prompt']))]['answers']}
                 for r in answers]
    accuracy = evaluator.TextVQAAccuracyEvaluator().eval_pred_list(pred_list)
    assert 'Accuracy: {:.2f}%'.format(100. * accuracy) in printed.getvalue(), printed.getvalue()
    expected(d, 'accuracy', 100 * accuracy, {})


def vqav2(llava):
    d = case_dir('vqav2')
    evaluator = m4c(llava)
    questions, answers, annotations = [], [], []
    for i, (gts, pred) in enumerate(zip(VQA_ANSWERS, VQA_PREDICTIONS)):
        qid = 262148000 + i
        text = 'What is it?\nAnswer the question using a single word or phrase.'
        questions.append({'question_id': qid, 'image': 'COCO_val2014_%012d.jpg' % i, 'text': text})
        annotations.append({'question_id': qid, 'answers': [{'answer': a, 'answer_id': j + 1}
                                                            for j, a in enumerate(gts)]})
        answers.append(answer_line(qid, text, pred))
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    write_json(os.path.join(d, 'v2_mscoco_val2014_annotations.json'), {'annotations': annotations})
    accuracy = evaluator.TextVQAAccuracyEvaluator().eval_pred_list(
        [{'pred_answer': p, 'gt_answers': g} for g, p in zip(VQA_ANSWERS, VQA_PREDICTIONS)])
    expected(d, 'accuracy', 100 * accuracy, {})
    # The normaliser alone, on strings that exercise each of its rules.
    samples = ['Two', 'The Cat.', "dont", '3.5', '1,000', 'a/b', 'x - y', '(red)', 'Yes!', "it's", 'None',
               'ten dogs', 'well... ok', 'e.g. this', 'don\'t walk', '  spaced\tout\n', 'a;b', 'hi?', '..1.2.',
               'x' + '. ' * 40 + 'y']
    processor = evaluator.EvalAIAnswerProcessor()
    write_json(os.path.join(d, 'normalized.json'), [[s, processor(s)] for s in samples])


# ---------------------------------------------------------------- ScienceQA: llava/eval/eval_science_qa.py
def scienceqa(llava):
    d = case_dir('scienceqa')
    pool = ['A', 'B', 'C. ', 'B. a cat', 'The answer is C.', 'The answer is A. The answer is B.', 'E', '(A)', 'D',
            'C', 'The answer is B', 'A.']
    rng = random.Random(4)
    problems, split, questions, answers = {}, [], [], []
    for i in range(16):
        pid = str(4 + 7 * i)
        choices = ['x%d' % c for c in range(2 + i % 3)]
        problems[pid] = {'question': 'Which?', 'choices': choices, 'answer': i % len(choices),
                         'image': 'image.png' if i % 4 != 3 else None, 'split': 'test'}
        split.append(pid)
        text = 'Which?\nContext: none\nA. x0\nB. x1'
        image = problems[pid]['image']
        questions.append({'question_id': pid, 'image': pid + '/image.png', 'text': text} if image else
                         {'question_id': pid, 'text': text})
        if i != 5:  # one problem left unanswered: the script counts it wrong
            answers.append(answer_line(pid, ('<image>\n' + text) if image else text, rng.choice(pool)))
    os.makedirs(os.path.join(d, 'data'), exist_ok=True)
    write_json(os.path.join(d, 'data', 'problems.json'), problems)
    write_json(os.path.join(d, 'data', 'pid_splits.json'), {'test': split, 'train': []})
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, os.path.join(llava, 'llava/eval/eval_science_qa.py'), '--base-dir',
                        os.path.join(d, 'data'), '--result-file', os.path.join(d, 'answers.jsonl'), '--output-file',
                        os.path.join(work, 'out.json'), '--output-result', os.path.join(work, 'result.json')],
                       check=True, capture_output=True)
        results = json.load(open(os.path.join(work, 'out.json')))
        summary = json.load(open(os.path.join(work, 'result.json')))
    img_correct = len([x for x in results['correct'] if x['is_multimodal']])
    img_total = img_correct + len([x for x in results['incorrect'] if x['is_multimodal']])
    expected(d, 'img_accuracy', img_correct / img_total * 100,
             {'accuracy': summary['acc'], 'correct': summary['correct'], 'img_total': img_total})


# ---------------------------------------------------------------- SEED-Bench: scripts/convert_seed_for_submission.py
def seed(llava):
    d = case_dir('seed')
    types_ = {'Scene Understanding': 1, 'Instance Identity': 2, 'Instance Attributes': 3, 'Action Recognition': 10}
    pool = ['A', 'B', 'C', 'D', 'A.', 'b', 'B ']
    rng = random.Random(5)
    data_questions, questions, answers = [], [], []
    for i in range(20):
        type_id = [1, 2, 3][i % 3] if i < 16 else 10
        qid = str(101669 + 3 * i)
        gold = 'ABCD'[i % 4]
        data_questions.append({'question_id': qid, 'question': 'Q%d?' % i, 'choice_a': 'a', 'choice_b': 'b',
                               'choice_c': 'c', 'choice_d': 'd', 'answer': gold, 'question_type_id': type_id,
                               'data_type': 'image' if i < 16 else 'video', 'data_id': '%d.jpg' % i})
        questions.append({'question_id': qid, 'image': '%d.jpg' % i, 'text': 'Q%d?\nA. a\nB. b\nC. c\nD. d' % i})
        if i != 7:
            text = gold if rng.random() < 0.5 else rng.choice(pool)
            # LLaVA's seed question file has integer ids; the script looks them up with int(question_id)
            answers.append(answer_line(int(qid), questions[-1]['text'], text))
    write_json(os.path.join(d, 'SEED-Bench.json'), {'question_type': types_, 'questions': data_questions})
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    script = load_module('convert_seed', os.path.join(llava, 'scripts/convert_seed_for_submission.py'))
    script.data = json.load(open(os.path.join(d, 'SEED-Bench.json')))
    script.ques_type_id_to_name = {i: n for n, i in script.data['question_type'].items()}
    printed = io.StringIO()
    with redirect_stdout(printed):
        script.eval_single(os.path.join(d, 'answers.jsonl'))
        script.eval_single(os.path.join(d, 'answers.jsonl'), eval_only_type='image')
        script.eval_single(os.path.join(d, 'answers.jsonl'), eval_only_type='video')
    out = printed.getvalue()
    details = {m.group(1): float(m.group(2)) for m in re.finditer(r'^(.+?): (\S+)%$', out, re.M)}
    details = {('total' if k == 'Total accuracy' else k.replace(' accuracy', '') if k.endswith(' accuracy')
                else k): v for k, v in details.items()}
    # the script prints two decimals
    expected(d, 'image', details['image'], details, tolerance=0.005)


# ---------------------------------------------------------------- MMBench: VLMEvalKit exact-matching circular eval
def mmbench(vlmevalkit):
    import pandas as pd
    d = case_dir('mmbench')
    log = types.ModuleType('vlmeval.smp.log')
    log.get_logger = lambda name: __import__('logging').getLogger(name)
    for name in ['vlmeval', 'vlmeval.smp', 'vlmeval.utils']:
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules['vlmeval.smp.log'] = log
    matching = load_module('vlmeval.utils.matching_util', os.path.join(vlmevalkit, 'vlmeval/utils/matching_util.py'))
    # build_choices, prefetch_answer and prefetch_circular_group, taken from multiple_choice.py as written
    source = open(os.path.join(vlmevalkit, 'vlmeval/dataset/utils/multiple_choice.py')).read()
    wanted = {'build_choices', 'prefetch_answer', 'prefetch_circular_group'}
    tree = ast.parse(source)
    namespace = {'pd': pd, 'string': string, 'can_infer': matching.can_infer}
    exec(compile(ast.Module([n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted], []),
                 'multiple_choice.py', 'exec'), namespace)
    options = [['a cat', 'a dog', 'a bird', 'a fish'], ['red', 'green', 'blue', None], ['yes', 'no', None, None],
               ['left', 'right', 'up', 'down'], ['one', 'two', 'three', 'four'], ['car', 'bus', 'train', 'plane']]
    pool = ['A', 'B.', 'The answer is C', '(D) a dog', 'I think it is A or B', 'a bird', 'Z', 'C',
            "Sorry, I can't help with images of people yet.", 'The correct answer is **B**.', 'green', 'B', 'A',
            'It is (A), clearly', 'D']
    rng = random.Random(6)
    rows, questions, answers = [], [], []
    for g, opts in enumerate(options):
        real = [o for o in opts if o is not None]
        gold = g % len(real)
        rotations = len(real) if g % 3 != 2 else 1
        for r in range(rotations):
            index = g + 1000000 * r
            rotated = real[r:] + real[:r]
            letters = {c: (rotated[k] if k < len(rotated) else None) for k, c in enumerate('ABCD')}
            answer = 'ABCD'[rotated.index(real[gold])]
            right = answer if r % 2 == 0 else None
            text = right if right is not None and rng.random() < 0.6 else rng.choice(pool)
            row = {'index': index, 'question': 'What is shown?', **letters, 'answer': answer, 'prediction': text,
                   'category': 'coarse_perception'}
            rows.append(row)
            questions.append({'question_id': index, 'image': '%d.jpg' % g, 'text': 'What is shown?\n' + '\n'.join(
                '%s. %s' % (c, v) for c, v in letters.items() if v is not None), **letters, 'answer': answer})
            answers.append(answer_line(index, questions[-1]['text'], text))
    write_jsonl(os.path.join(d, 'questions.jsonl'), questions)
    write_jsonl(os.path.join(d, 'answers.jsonl'), answers)
    data = pd.DataFrame(rows)
    data['GT'] = data['answer']
    data['g_index'] = [int(x % 1e6) for x in data['index']]
    circular, vanilla, mains = 0, 0, 0
    for _, main in data[data['index'] == data['g_index']].iterrows():
        group = data[data['g_index'] == main['index']]
        result = namespace['prefetch_circular_group'](group, verbose=False)
        # mcq_circular_eval with model=None: an unresolved group (None) counts as a miss
        circular += result['hit'] if isinstance(result, dict) else 0
        # extract_answer_from_item with model=None: can_infer, else 'Z'
        vanilla += (namespace['prefetch_answer'](main) or 'Z') == main['GT']
        mains += 1
    expected(d, 'circular_accuracy', 100.0 * circular / mains,
             {'circular_accuracy': 100.0 * circular / mains, 'vanilla_accuracy': 100.0 * vanilla / mains})
    cases = [[p, {c: v for c, v in zip('ABCD', o) if v is not None}] for p in pool for o in options[:3]]
    write_json(os.path.join(d, 'inferred.json'),
               [[p, c, matching.can_infer(p, dict(c)) or None] for p, c in cases])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--llava', required=True)
    parser.add_argument('--mme-eval-tool', required=True)
    parser.add_argument('--mme-convert', required=True)
    parser.add_argument('--vlmevalkit', required=True)
    args = parser.parse_args()
    pope(args.llava)
    mme(args.mme_eval_tool, args.mme_convert)
    gqa(args.llava)
    textvqa(args.llava)
    vqav2(args.llava)
    scienceqa(args.llava)
    seed(args.llava)
    mmbench(args.vlmevalkit)
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
