"""The model registry's lm_eval commands (`python -m sciner_tasks.models command NAME`)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sciner_tasks.models import MODELS, build_parser, lm_eval_command

README = Path(__file__).resolve().parents[1] / "sciner_tasks" / "README.md"


def parsed(command: str):
    """The command as lm-eval's own CLI parses it (legacy form: `run` inserted)."""
    harness = pytest.importorskip("lm_eval._cli.harness")
    words = shlex.split(command)
    assert words[0] == "lm_eval"
    return harness.HarnessCLI()._parser.parse_args(["run", *words[1:]])


def model_args(args) -> dict[str, str]:
    """lm-eval's parsed --model_args (it types the values), as the strings we wrote."""
    return {key: str(value) for key, value in args.model_args.items()}


LOCAL = sorted(name for name, spec in MODELS.items() if not spec.api)
API = sorted(name for name, spec in MODELS.items() if spec.api)


@pytest.mark.parametrize("name", LOCAL)
@pytest.mark.parametrize("backend", ["hf", "vllm"])
def test_every_local_model_gets_a_command_lm_eval_accepts(name, backend):
    spec = MODELS[name]
    args = parsed(lm_eval_command(name, backend=backend))
    assert args.model == backend
    tasks = args.tasks if isinstance(args.tasks, str) else ",".join(args.tasks)
    assert tasks == f"sciner_{spec.format_name}"
    assert bool(getattr(args, "apply_chat_template", False)) == spec.apply_chat_template
    assert getattr(args, "system_instruction", None) == (
        "You are a helpful assistant." if spec.format_name == "general" else None
    )
    assert args.log_samples
    given = model_args(args)
    assert given.get("trust_remote_code") == ("True" if spec.trust_remote_code else None)
    # hf loads the folder `models path` pins (sciner_tasks.decoding); vLLM the Hub id.
    pinned = f"$(python -m sciner_tasks.models path {name})"
    weights = pinned if backend == "hf" else (spec.lora_base or spec.hub_id)
    if spec.lora_base:
        assert given["pretrained"] == weights
    else:
        assert given == {"pretrained": weights} | ({"dtype": spec.dtype} if spec.dtype else {}) | (
            {"trust_remote_code": "True"} if spec.trust_remote_code else {}
        ) | ({"parallelize": "True"} if backend == "hf" and spec.params_b >= 70 else {}) | (
            {"tensor_parallel_size": "4"} if backend == "vllm" and spec.params_b >= 70 else {}
        ) | ({"enable_prefix_caching": "True"} if backend == "vllm" else {})


def test_the_studys_api_models_run_on_their_api_backends():
    """GPT-4o and Claude 3.5 Sonnet: the general prompt with EasyInstruct's system message,
    through lm-eval's chat API backends, the study's model ids unless --model-id pins another."""
    assert {name: (MODELS[name].hub_id, MODELS[name].api) for name in API} == {
        "gpt-4o": ("gpt-4o-2024-08-06", "openai-chat-completions"),
        "claude-3.5-sonnet": ("claude-3-5-sonnet-20240620", "anthropic-chat-completions"),
    }
    for name in API:
        args = parsed(lm_eval_command(name))
        assert args.model == MODELS[name].api
        assert model_args(args) == {
            "model": MODELS[name].hub_id,
            "num_concurrent": "4",
            "max_retries": "5",
        }
        assert args.tasks == ["sciner_general"] and args.apply_chat_template
        assert args.system_instruction == "You are a helpful assistant."
    pinned = parsed(lm_eval_command("gpt-4o", model_id="gpt-4o-2024-11-20"))
    assert model_args(pinned)["model"] == "gpt-4o-2024-11-20"
    with pytest.raises(ValueError, match="its backend is openai-chat-completions, not vllm"):
        lm_eval_command("gpt-4o", backend="vllm")
    with pytest.raises(ValueError, match="--model-id is for API models"):
        lm_eval_command("uniner", model_id="x")


def test_baichuan2_chat_needs_no_chat_template():
    """Baichuan2-Chat's tokenizer has no chat template (baichuan-inc/Baichuan2 issue 392): its
    commands render Baichuan2's own conversation in the prompt, on both backends."""
    for name in ("baichuan2-7b", "baichuan2-13b"):
        for backend in ("hf", "vllm"):
            args = parsed(lm_eval_command(name, backend=backend))
            assert not getattr(args, "apply_chat_template", False)
            assert getattr(args, "system_instruction", None) is None
            assert args.tasks == ["sciner_general_baichuan2"]


def test_lora_adapters_on_each_backend():
    hf = model_args(parsed(lm_eval_command("iepile-llama2", backend="hf")))
    assert hf == {
        "pretrained": "$(python -m sciner_tasks.models path iepile-llama2)",
        "peft": "zjunlp/llama2-13b-iepile-lora",
        "dtype": "bfloat16",
    }
    vllm = model_args(parsed(lm_eval_command("iepile-baichuan2", backend="vllm")))
    assert vllm == {
        "pretrained": "baichuan-inc/Baichuan2-13B-Chat",
        # lm-eval's vLLM backend loads the adapter from a folder: the shell downloads it.
        "lora_local_path": "$(hf download zjunlp/baichuan2-13b-iepile-lora)",
        "max_lora_rank": "64",
        "dtype": "bfloat16",
        "trust_remote_code": "True",
        "enable_prefix_caching": "True",
    }


def test_70b_models_are_split_over_gpus_by_size_unless_told():
    # The study's 70B models: 140 GB of bf16 weights, four 80 GB GPUs; up to 13B fits one.
    assert {name for name, spec in MODELS.items() if (spec.params_b or 0) >= 70} == {
        "llama2-70b",
        "llama3.1-70b",
    }
    vllm = model_args(parsed(lm_eval_command("llama3.1-70b", data_parallel_size=2)))
    assert vllm == {
        "pretrained": "meta-llama/Llama-3.1-70B-Instruct",
        "tensor_parallel_size": "4",
        "data_parallel_size": "2",
        "enable_prefix_caching": "True",
    }
    forced = model_args(parsed(lm_eval_command("llama2-13b", tensor_parallel_size=2)))
    assert forced["tensor_parallel_size"] == "2"
    single = model_args(parsed(lm_eval_command("llama2-70b", backend="hf", tensor_parallel_size=1)))
    assert "parallelize" not in single
    with pytest.raises(ValueError, match="accelerate launch -m lm_eval"):
        lm_eval_command("llama2-70b", backend="hf", data_parallel_size=2)


def test_tasks_are_datasets_tasks_or_tags_of_the_models_format():
    command = lm_eval_command("uniner", ["scierc", "sciner_wlpc_1shot_uniner"])
    assert (
        "--tasks sciner_scierc_0shot_uniner,sciner_scierc_1shot_uniner,sciner_wlpc_1shot_uniner"
        in (command)
    )
    assert "--tasks sciner " in lm_eval_command("llama3.1-8b", ["sciner"])
    for wrong in ("sciner_scierc_0shot", "sciner", "scierc_uniner"):
        with pytest.raises(ValueError, match="prompt format uniner is evaluated with"):
            lm_eval_command("uniner", [wrong])


def test_the_command_line_prints_it_and_warns_about_remote_code():
    result = subprocess.run(
        [sys.executable, "-m", "sciner_tasks.models", "command", "yayi", "--backend", "hf"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == lm_eval_command("yayi", backend="hf")
    assert "trust_remote_code=True runs the Python code of the Hub repository" in result.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "sciner_tasks.models", "command", "uniner", "--tasks", "sciner"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "not a dataset" in refused.stderr


def test_readme_study_commands_are_the_generated_ones():
    readme = README.read_text(encoding="utf-8")
    pairs = re.findall(
        r"^# python -m sciner_tasks\.models command (.+)\n(lm_eval .+)$", readme, re.M
    )
    assert len(pairs) >= 4
    for arguments, command in pairs:
        args = build_parser().parse_args(["command", *shlex.split(arguments)])
        expected = lm_eval_command(
            args.name,
            args.tasks,
            args.backend,
            args.tensor_parallel_size,
            args.data_parallel_size,
            args.model_id,
        )
        assert command == expected, arguments
