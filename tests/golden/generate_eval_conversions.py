#!/usr/bin/env python3
"""Golden files for the inputs of GQA's and MME's own evaluation tools, as LLaVA's scripts convert the answers:
runs LLaVA's scripts/convert_gqa_for_eval.py and convert_answer_to_mme.py (LLaVA's eval.zip,
playground/data/eval/MME) on the answers of generate_eval_scores.py's gqa/ and mme/ cases and writes their output to
gqa/tool-inputs/testdev_balanced_predictions.json and mme/tool-inputs/TASK.txt.

  /opt/refenv/bin/python tests/golden/generate_eval_conversions.py \
      --llava PATH/TO/haotian-liu/LLaVA  (checkout @c121f04) --mme-convert PATH/TO/convert_answer_to_mme.py

Deterministic: rerunning gives identical files.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'test', 'resources', 'golden',
                      'eval-scores')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--llava', required=True)
    parser.add_argument('--mme-convert', required=True)
    args = parser.parse_args()

    gqa = os.path.join(GOLDEN, 'gqa')
    out = os.path.join(gqa, 'tool-inputs')
    os.makedirs(out, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(args.llava, 'scripts/convert_gqa_for_eval.py'), '--src',
                    os.path.join(gqa, 'answers.jsonl'), '--dst', os.path.join(out, 'testdev_balanced_predictions.json')],
                   check=True)

    # convert_answer_to_mme.py works in MME's folder: MME_Benchmark_release_version/, answers/EXPERIMENT.jsonl,
    # and writes eval_tool/answers/EXPERIMENT/TASK.txt.
    mme = os.path.join(GOLDEN, 'mme')
    with tempfile.TemporaryDirectory() as work:
        os.symlink(os.path.join(mme, 'MME_Benchmark_release_version'),
                   os.path.join(work, 'MME_Benchmark_release_version'))
        os.makedirs(os.path.join(work, 'answers'))
        shutil.copy(os.path.join(mme, 'answers.jsonl'), os.path.join(work, 'answers', 'golden.jsonl'))
        subprocess.run([sys.executable, os.path.abspath(args.mme_convert), '--experiment', 'golden'], cwd=work,
                       check=True)
        out = os.path.join(mme, 'tool-inputs')
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(os.path.join(work, 'eval_tool', 'answers', 'golden'), out)
    print('wrote', os.path.join(gqa, 'tool-inputs'), os.path.join(mme, 'tool-inputs'))


if __name__ == '__main__':
    main()
