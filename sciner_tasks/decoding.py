"""One decoding per row, whatever the backend: what decides a greedy generation on lm-eval's hf
and vLLM backends, and the model folder that makes the two agree.

lm-eval 0.4.13's vLLM backend builds vLLM's SamplingParams from the task's generation_kwargs
alone (lm_eval/models/vllm_causallms.py: `modify_gen_kwargs`, then `SamplingParams(max_tokens=
budget, stop=until, **rest)`), and vLLM reads a model's generation_config.json only for requests
sent without SamplingParams (vllm/entrypoints/llm.py, `LLM.generate`). Its hf backend passes the
same keys to transformers (lm_eval/models/huggingface.py `_model_generate`: do_sample False,
max_length = prompt + budget), whose `generate` starts from the model's generation_config.json:
every key the task leaves unset keeps the file's value, and a `max_new_tokens` in the file wins
over lm-eval's max_length (transformers GenerationMixin._prepare_generated_length), so the budget
is no longer the task's. A task cannot set max_new_tokens: lm-eval folds it into its budget
(lm_eval/models/utils.py `normalize_gen_kwargs`).

So the hf command loads the weights from a folder whose generation_config.json keeps only token
ids (`pin_generation_config`; `python -m sciner_tasks.models path NAME` makes it): transformers'
defaults then hold for every key, and for each key a greedy generation depends on they are
vLLM's defaults (`hf_decoding`, `vllm_decoding`; tests/test_decoding.py compares them per model).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The keys of generation_config.json that name tokens rather than decide decoding: kept, so
# generation stops at the model's own end of sequence (vLLM reads eos_token_id there too).
TOKEN_KEYS = (
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "decoder_start_token_id",
    "user_token_id",  # Baichuan2's chat markers, read by its remote code
    "assistant_token_id",
)

# What a greedy generation depends on besides the prompt and its budget: transformers'
# GenerationConfig attribute -> its neutral value, which is vLLM's SamplingParams default where
# vLLM has the setting. vLLM has no
# n-gram blocking, beam search in SamplingParams or encoder penalty: their neutral values.
# (vllm/sampling_params.py: repetition_penalty 1.0, min_tokens 0.)
GREEDY_SETTINGS = {
    "repetition_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "encoder_repetition_penalty": 1.0,
    "num_beams": 1,
    "penalty_alpha": None,
    "min_new_tokens": None,
    "min_length": 0,
    "bad_words_ids": None,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "sequence_bias": None,
}


def pinned_generation_config(published: Mapping[str, Any]) -> dict[str, Any]:
    """A generation_config.json's token ids and nothing else."""
    return {key: published[key] for key in TOKEN_KEYS if key in published}


def pin_generation_config(snapshot: Path, out: Path) -> Path:
    """`out`: every file of the model folder `snapshot` linked, except generation_config.json,
    written with its token ids only (from config.json where the folder has none). A folder
    that exists is complete (written under another name, then renamed)."""
    if (out / "generation_config.json").is_file():
        return out
    source = snapshot / "generation_config.json"
    if not source.is_file():
        source = snapshot / "config.json"
    published = json.loads(source.read_text(encoding="utf-8"))
    partial = out.with_name(out.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    for entry in snapshot.iterdir():
        link = partial / entry.name
        if entry.name != "generation_config.json" and not link.exists():
            link.symlink_to(entry.resolve())
    (partial / "generation_config.json").write_text(
        json.dumps(pinned_generation_config(published), indent=2) + "\n", encoding="utf-8"
    )
    partial.rename(out)
    return out


def lm_eval_kwargs(gen_kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The task's generation_kwargs as lm-eval hands them to a backend (normalize_gen_kwargs,
    shared by both), and the budget it takes out of them."""
    from lm_eval.models.utils import normalize_gen_kwargs

    kwargs = dict(normalize_gen_kwargs(dict(gen_kwargs)))
    kwargs.pop("until", None)
    return kwargs, int(kwargs.pop("max_gen_toks"))


def hf_decoding(generation_config: Mapping[str, Any], gen_kwargs: Mapping[str, Any]) -> dict:
    """What transformers decodes with under lm-eval's hf backend: the model's
    generation_config updated with what `_model_generate` passes."""
    from transformers import GenerationConfig

    kwargs, budget = lm_eval_kwargs(gen_kwargs)
    greedy = kwargs.get("do_sample") is False
    if greedy and kwargs.get("temperature") == 0.0:
        kwargs.pop("temperature")  # _model_generate leaves greedy decoding to do_sample
    config = GenerationConfig.from_dict(dict(generation_config))
    config.update(**kwargs)
    # Unset (None in transformers 5) means the neutral value: that logits processor is off.
    settings = {
        key: neutral if getattr(config, key, None) is None else getattr(config, key)
        for key, neutral in GREEDY_SETTINGS.items()
    }
    new_tokens = config.max_new_tokens if config.max_new_tokens is not None else budget
    return {"greedy": not config.do_sample, "new_tokens": new_tokens} | settings


def vllm_decoding(gen_kwargs: Mapping[str, Any]) -> dict:
    """What vLLM decodes with under lm-eval's vLLM backend (modify_gen_kwargs): SamplingParams
    from the task's keys, vLLM's defaults elsewhere. A key SamplingParams does not take is an
    error, as vLLM raises one."""
    kwargs, budget = lm_eval_kwargs(gen_kwargs)
    kwargs.pop("do_sample", None)
    greedy = float(kwargs.pop("temperature", 1.0)) == 0.0
    unknown = set(kwargs) - {"repetition_penalty", "top_p", "top_k", "min_p", "seed"}
    if unknown:
        raise TypeError(f"vLLM's SamplingParams takes no {sorted(unknown)}")
    settings = GREEDY_SETTINGS | {"repetition_penalty": kwargs.get("repetition_penalty", 1.0)}
    return {"greedy": greedy, "new_tokens": budget} | settings
