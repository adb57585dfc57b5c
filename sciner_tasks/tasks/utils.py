"""The functions the task templates name (`!function utils.<name>`): the documents, the
per-document results and one aggregation per metric (harness.AGGREGATIONS,
UPSTREAM_AGGREGATIONS; a test checks the list). The prompt and the target are the documents'
own fields, named in the template.

lm-eval loads this file by path, not as a package module: only absolute imports work."""

from sciner_tasks.harness import (  # noqa: F401
    f1,
    f1_stderr,
    f1_unseen,
    f1_unseen_stderr,
    hallucination_rate,
    load_docs,
    normalised_f1,
    parse_failure_rate,
    precision,
    process_results,
    recall,
    upstream_f1,
)
