"""Entity-level scoring of generated NER output: the one scorer of tasks, training and leaderboard.

A prediction is a (type, entity string) pair, which is all an LLM's answer gives us; a gold
entity is a character span (`sciner_tasks.data.schema.Entity`, or a dict with the same keys as a
Hub row has). None of the reference implementations (UniNER, IEPile, EasyInstruct) grounds
generated strings to offsets, so the primary metric compares exact (type, string) pairs:

* gold: a sentence's gold is the set of its (type, string) pairs: an entity mentioned twice
  with the same type counts once (`gold_spans`), as in UniNER's and IEPile's scorers
  (universal-ner src/eval/evaluate.py runs the gold answer through its de-duplicating parser;
  IEPile de-duplicates labels in convert/processer/ner_processer.py `filter_lable`).
* strict: per sentence, the multiset intersection of predicted and gold (type, string) pairs is
  the true positives (a repeated prediction matches one gold pair; the repeats are false
  positives), fp = predictions - tp, fn = gold - tp; counts are summed over the corpus (micro
  average). Predictions are counted as the format's parser returns them: UniNER's parser
  de-duplicates its answers, the others do not (IEPile's scorer counts repeats too).
* normalised: the same after UniNER's answer normalisation of the strings (`normalise`), gold
  de-duplicated after normalising; types are compared as-is.
* per type: the strict counts restricted to each type.
* error classes and hallucinations: diagnostics, see `classify_predictions` and
  `count_hallucinated`.

Everything a corpus score needs is an integer count per sentence (a mean of per-document F1
would not be micro-F1). `tally` counts a whole corpus in one linear pass: a sentence's gold is a
set of pairs, so its true positives are one set intersection; the error classes, which need
offsets, are counted apart (`count_errors`). `score_corpus` gives every corpus figure;
`score_sentence` and `aggregate` are the same for one sentence and for sums of them, and
`bootstrap_f1_stderr` resamples the per-sentence counts.

The package, one module per concern: `records` (spans, counts, scores, normalisation),
`counting` (`tally`, `group_by_sentence`), `errors` (error classes and the scores built with
them) and `bootstrap`; every name is importable from `sciner_tasks.scoring`.
"""

from .bootstrap import BOOTSTRAP_ITERATIONS, BOOTSTRAP_SEED, bootstrap_f1_stderr, micro_f1
from .counting import (
    SentencePredictions,
    Tally,
    count_hallucinated,
    gold_spans,
    group_by_sentence,
    tally,
)
from .errors import (
    Classification,
    aggregate,
    classify_predictions,
    count_errors,
    score_corpus,
    score_sentence,
    sum_errors,
)
from .records import (
    CORRECT,
    SPURIOUS,
    WRONG_BOUNDARY,
    WRONG_TYPE,
    CorpusScore,
    Counts,
    EntityLike,
    ErrorCounts,
    GoldEntity,
    Pair,
    SentenceScore,
    Span,
    count_matches,
    normalise,
    normalise_all,
)

__all__ = [
    "BOOTSTRAP_ITERATIONS",
    "BOOTSTRAP_SEED",
    "CORRECT",
    "SPURIOUS",
    "WRONG_BOUNDARY",
    "WRONG_TYPE",
    "Classification",
    "CorpusScore",
    "Counts",
    "EntityLike",
    "ErrorCounts",
    "GoldEntity",
    "Pair",
    "SentencePredictions",
    "SentenceScore",
    "Span",
    "Tally",
    "aggregate",
    "bootstrap_f1_stderr",
    "classify_predictions",
    "count_errors",
    "count_hallucinated",
    "count_matches",
    "gold_spans",
    "group_by_sentence",
    "micro_f1",
    "normalise",
    "normalise_all",
    "score_corpus",
    "score_sentence",
    "sum_errors",
    "tally",
]
