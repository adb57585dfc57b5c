"""One decoding per row, whatever the backend (sciner_tasks/decoding.py): per registered model,
the settings lm-eval's hf backend decodes with (the model's generation_config.json updated with
the task's keys, by transformers' own GenerationConfig) equal those of its vLLM backend (the
task's keys over vLLM's defaults), once hf loads the folder `models path NAME` makes."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from sciner_tasks import models
from sciner_tasks.decoding import (
    GREEDY_SETTINGS,
    hf_decoding,
    pin_generation_config,
    pinned_generation_config,
    vllm_decoding,
)
from sciner_tasks.models import MODELS
from sciner_tasks.names import TASKS_DIR, task_yaml

pytest.importorskip("lm_eval")
pytest.importorskip("transformers")

LOCAL = sorted(name for name, spec in MODELS.items() if not spec.api)

# Baichuan2-7B-Chat and Baichuan2-13B-Chat generation_config.json (the base of the IEPile
# Baichuan2 LoRA too), as transformers prints it when loading a Baichuan2-Chat checkpoint and
# as Baichuan2's own generation code sets it: sampling, repetition_penalty 1.05, and 2048 new
# tokens, which on hf would replace every task's budget. The Hub is not reachable here; the
# other models' files could not be read, so they are checked against HOSTILE below.
BAICHUAN2_CHAT = {
    "assistant_token_id": 196,
    "bos_token_id": 1,
    "do_sample": True,
    "eos_token_id": 2,
    "max_new_tokens": 2048,
    "pad_token_id": 0,
    "repetition_penalty": 1.05,
    "temperature": 0.3,
    "top_k": 5,
    "top_p": 0.85,
    "user_token_id": 195,
}
# A generation_config.json that sets every greedy-relevant key to something other than
# neutral: what any model's file could hold.
HOSTILE = {
    "bos_token_id": 1,
    "eos_token_id": 2,
    "do_sample": True,
    "temperature": 0.7,
    "max_new_tokens": 2048,
    "repetition_penalty": 1.3,
    "no_repeat_ngram_size": 3,
    "encoder_repetition_penalty": 1.2,
    "num_beams": 4,
    "min_new_tokens": 5,
    "min_length": 7,
    "bad_words_ids": [[5]],
    "suppress_tokens": [6],
    "begin_suppress_tokens": [7],
    "forced_eos_token_id": 2,
    "sequence_bias": [[[8], -1.0]],
}


def first_task_kwargs(format_name: str) -> dict:
    """generation_kwargs of the format's SciERC 0-shot task, as its YAML writes them."""
    path = task_yaml("scierc", "0shot", format_name)
    return yaml.safe_load(path.read_text(encoding="utf-8"))["generation_kwargs"]


def test_hostile_sets_every_greedy_setting():
    assert set(GREEDY_SETTINGS) - {"penalty_alpha", "forced_bos_token_id"} <= set(HOSTILE)


@pytest.mark.parametrize("name", LOCAL)
@pytest.mark.parametrize("published", [BAICHUAN2_CHAT, HOSTILE], ids=["baichuan2", "hostile"])
def test_hf_and_vllm_decode_alike_from_the_pinned_folder(name, published):
    kwargs = first_task_kwargs(MODELS[name].format_name)
    vllm = vllm_decoding(kwargs)
    assert vllm["greedy"] and vllm["new_tokens"] == kwargs["max_gen_toks"]
    assert hf_decoding(pinned_generation_config(published), kwargs) == vllm


def test_without_the_pin_hf_would_decode_otherwise():
    """What the pin prevents, for the study's Baichuan2 row: 2048 new tokens instead of the
    task's budget. repetition_penalty 1.05 is pinned to 1.0 in the task, so only the budget
    differs; from HOSTILE, every setting the task leaves unset."""
    kwargs = first_task_kwargs(MODELS["baichuan2-7b"].format_name)
    hf, vllm = hf_decoding(BAICHUAN2_CHAT, kwargs), vllm_decoding(kwargs)
    assert {k for k in hf if hf[k] != vllm[k]} == {"new_tokens"}
    assert (hf["new_tokens"], vllm["new_tokens"]) == (2048, kwargs["max_gen_toks"])
    hostile = hf_decoding(HOSTILE, kwargs)
    assert {k for k in hostile if hostile[k] != vllm[k]} == set(GREEDY_SETTINGS) - {
        "repetition_penalty",  # the task pins it
        "penalty_alpha",
        "forced_bos_token_id",
    } | {"new_tokens"}


def test_vllm_refuses_keys_its_sampling_params_do_not_take():
    with pytest.raises(TypeError, match="no_repeat_ngram_size"):
        vllm_decoding({"until": [], "do_sample": False, "no_repeat_ngram_size": 3})


def baichuan2_like_folder(smollm2, tmp_path):
    """The embedded SmolLM2 with Baichuan2-Chat's decoding settings in its generation_config."""
    folder = tmp_path / "Baichuan2-7B-Chat"
    shutil.copytree(smollm2, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config |= {k: v for k, v in BAICHUAN2_CHAT.items() if not k.endswith("token_id")}
    config["max_new_tokens"] = 40
    (folder / "generation_config.json").write_text(json.dumps(config))
    return folder


def test_pinned_folder_links_the_weights_and_keeps_token_ids(smollm2, tmp_path):
    from transformers import GenerationConfig

    source = baichuan2_like_folder(smollm2, tmp_path)
    pinned = pin_generation_config(source, tmp_path / "pinned" / "Baichuan2-7B-Chat")
    assert (pinned / "model.safetensors").resolve() == (source / "model.safetensors").resolve()
    config = GenerationConfig.from_pretrained(pinned)
    assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (1, 2, 2)
    assert config.max_new_tokens is None and config.repetition_penalty in (None, 1.0)
    assert not config.do_sample
    assert not (tmp_path / "pinned" / "Baichuan2-7B-Chat.partial").exists()


def generated_tokens(folder, tmp_path, smollm2) -> int:
    """New tokens lm-eval's hf backend generated for the first SciERC sentence, budget 8."""
    import lm_eval
    from transformers import AutoTokenizer

    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={folder},dtype=float32",
        tasks=["sciner_scierc_0shot"],
        limit=1,
        gen_kwargs="max_gen_toks=8",
        apply_chat_template=True,
        task_manager=lm_eval.tasks.TaskManager(include_path=str(TASKS_DIR)),
        log_samples=True,
        bootstrap_iters=0,
        device="cpu",
    )
    output = results["samples"]["sciner_scierc_0shot"][0]["resps"][0][0]
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    return len(tokenizer(output, add_special_tokens=False)["input_ids"])


def test_lm_eval_hf_keeps_the_budget_only_from_the_pinned_folder(smollm2, tmp_path):
    """A real run: lm-eval's hf backend on a model whose generation_config says 40 new tokens
    writes past the task's budget of 8; from the pinned folder it stops at 8, as vLLM does."""
    source = baichuan2_like_folder(smollm2, tmp_path)
    assert generated_tokens(source, tmp_path, smollm2) > 8
    pinned = pin_generation_config(source, tmp_path / "pinned" / source.name)
    assert generated_tokens(pinned, tmp_path, smollm2) <= 8


def test_path_pins_a_hub_snapshot_from_the_cache(smollm2, tmp_path, monkeypatch):
    """`models path baichuan2-7b` through huggingface_hub's own snapshot_download, offline,
    from a Hugging Face cache laid out as the Hub client lays it out."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    repo = cache / "models--baichuan-inc--Baichuan2-7B-Chat"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(baichuan2_like_folder(smollm2, tmp_path), snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("SCINER_MODELS_HOME", str(tmp_path / "models"))
    path = models.local_path("baichuan2-7b")
    assert path == tmp_path / "models" / "pinned" / "baichuan-inc" / "Baichuan2-7B-Chat"
    assert json.loads((path / "generation_config.json").read_text()) == {
        "bos_token_id": 1,
        "eos_token_id": 2,
        "pad_token_id": 2,
    }
    with pytest.raises(ValueError, match="API model"):
        models.local_path("gpt-4o")
