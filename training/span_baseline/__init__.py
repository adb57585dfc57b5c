"""Span-based NER baseline (PURE entity model style) scored with the sciner scorer.

    python -m training.span_baseline --encoder PATH --dataset scierc
    python -m training.span_baseline --encoder PATH --dataset scierc --max_steps 30 --limit_train 64

The model follows the entity model of Zhong & Chen 2021 (PURE, "A Frustratingly Easy Approach
for Entity and Relation Extraction"), without its cross-sentence context window: the sentence
is encoded once; every span of at most `--max_span_width` word tokens (`Sentence.tokens`) is
represented as [hidden state of the first subword of its first word; hidden state of the last
subword of its last word; a learned width embedding] and classified by a two-layer MLP into
{no entity} + the dataset's types with cross-entropy. Spans are classified independently, so
nested and overlapping gold entities are learnable and every span predicted as an entity is
kept (no overlap resolution: the gold data nests, e.g. SciERC has 61 / 7 / 20 nested entities).

Modules: `features` (sentence -> subwords, candidate spans, labels), `model` (encoder + span
head, collator, save / load), `evaluation` (predictions -> `sciner_tasks.scoring`),
`arguments` (every setting, with its default), `train` (`transformers.Trainer`), `results`
(lm-eval's writer), `__main__` (the command line, `HfArgumentParser`).

Choices (PURE's unless said otherwise):

* Width limit: 8 words (PURE's SciERC setting). Gold entities that are longer, that lose a
  word to truncation at `--max_length` subwords, whose boundary word has no subword (a
  character the tokenizer drops) or that share their span with a gold entity of another type
  (one label per span) can never be predicted. They are counted per split, logged and written
  to the results file, and they stay in the gold of the evaluation: they cost recall.
* Optimisation: the Trainer's linear warm-up over the first 10 % of the steps
  (`--warmup_steps 0.1`) and linear decay to 0, AdamW without weight decay. The encoder
  learns at `--learning_rate` (the study's 1e-5); the span head (width embedding + MLP),
  which starts from random, at `--head_lr` (PURE's task_learning_rate, 5e-4).
  `--head_lr 1e-5` gives a single learning rate.
* Loss: mean cross-entropy over all enumerated spans of the batch (PURE sums; with Adam the
  scale hardly matters).
* Selection: the epoch with the best strict dev F1 (the project's scorer) is kept
  (`load_best_model_at_end`), evaluated on test and saved (PURE's protocol). Ties keep the
  earlier epoch.
* Scores: predicted spans become (type, text) pairs, each once per sentence, and go through
  `sciner_tasks.scoring` as the leaderboard re-scores logged samples, so `f1` is the strict
  (type, string) micro-F1 of the LLM tasks. The offset-level span F1 (exact start, end and
  type) is reported beside it, for information.

Outputs in `--output_dir` (default `runs/span_baseline/<dataset>`):

* `model/`: the fine-tuned encoder and its tokenizer (`save_pretrained`) plus `span_head.pt`,
  one torch file with the head's state dict and everything needed to rebuild it (labels, width
  limit, sizes); `model.load_span_model(dir)` reads it back.
* `results_<timestamp>.json` and `samples_span_baseline_<dataset>_<timestamp>.jsonl`, written
  by lm-eval's `EvaluationTracker` (task `span_baseline_<dataset>`, the sciner tasks' metrics),
  so the leaderboard reads them like any lm-eval run; the results' `span_baseline` key holds
  what lm-eval has no place for: per-type counts, span-level F1, coverage, the Trainer's log.
* `checkpoint-*/`: the Trainer's checkpoints (the best epoch's and the last one's weights).
"""
