"""Golden distributions for SamplerGoldenTest: transformers' own logits processors, in the order
GenerationMixin._get_logits_processor applies them (repetition penalty, then temperature, top-k, top-p, min-p), on
seeded random logits. Run with the reference environment: /opt/refenv/bin/python generate.py > golden.json
"""
import json

import torch
import transformers
from transformers.generation.logits_process import (LogitsProcessorList, MinPLogitsWarper,
                                                    RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
                                                    TopKLogitsWarper, TopPLogitsWarper)

VOCAB = 64
CASES = [
    # name, temperature (0 = greedy), top_k, top_p, min_p, repetition_penalty, context ids
    ("penalty_only", 0.7, 0, 1.0, 0.0, 1.3, [3, 5, 5, 17, 40, 63]),
    ("min_p_only", 1.0, 0, 1.0, 0.1, 1.0, []),
    ("all_cuts", 0.8, 20, 0.9, 0.05, 1.2, [0, 1, 2, 3, 9, 27, 27, 31]),
    ("encouraging_penalty", 1.3, 0, 1.0, 0.02, 0.8, [7, 8, 9, 10, 11, 12]),
    ("greedy_penalty_moves_argmax", 0.0, 0, 1.0, 0.0, 4.0, None),
]


def main():
    generator = torch.Generator().manual_seed(20261207)
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "cases": []}
    for name, temperature, top_k, top_p, min_p, penalty, context in CASES:
        logits = torch.randn(1, VOCAB, generator=generator) * 2.0
        if context is None:
            # the top two tokens: penalising the first hands the argmax to the second
            context = [int(torch.argmax(logits))]
        processors = LogitsProcessorList()
        if context:
            processors.append(RepetitionPenaltyLogitsProcessor(penalty))
        if temperature > 0:
            processors.append(TemperatureLogitsWarper(temperature))
            if top_k:
                processors.append(TopKLogitsWarper(top_k))
            if top_p < 1.0:
                processors.append(TopPLogitsWarper(top_p))
            if min_p > 0:
                processors.append(MinPLogitsWarper(min_p))
        scores = processors(torch.tensor([context or [0]], dtype=torch.long), logits.clone())
        if temperature > 0:
            probabilities = torch.softmax(scores, dim=-1)[0]
        else:
            probabilities = torch.zeros(VOCAB)
            probabilities[int(torch.argmax(scores))] = 1.0
        out["cases"].append({"name": name, "temperature": temperature, "top_k": top_k, "top_p": top_p,
                             "min_p": min_p, "repetition_penalty": penalty, "context": context,
                             "logits": [float(x) for x in logits[0]],
                             "probabilities": [float(x) for x in probabilities]})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
