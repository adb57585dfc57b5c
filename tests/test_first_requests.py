"""The first request of every registered model's command, built by lm-eval's own code.

`python -m sciner_tasks.models command NAME` is parsed by lm-eval's CLI; its first task is
loaded by lm-eval's TaskManager and its requests built by `Task.build_all_requests` with the
command's --system_instruction and --apply_chat_template, as lm_eval's evaluator builds them.
For a chat-template model the backend's template is replaced by a recorder of the messages it
is handed (the templates live in the models' Hub tokenizers); for a raw-template model the
context string is what the backend tokenizes. Every one is pinned in
tests/golden/first_requests.json (SCINER_WRITE_GOLDEN=1 rewrites it).
"""

from __future__ import annotations

import functools
import json
import os
import shlex
from pathlib import Path

import pytest

from sciner_tasks.models import MODELS, lm_eval_command
from sciner_tasks.names import TASKS_DIR

lm_eval = pytest.importorskip("lm_eval")

GOLDEN = Path(__file__).parent / "golden" / "first_requests.json"


def command_args(name: str):
    from lm_eval._cli.harness import HarnessCLI

    words = shlex.split(lm_eval_command(name))
    return HarnessCLI()._parser.parse_args(["run", *words[1:]])


@functools.cache
def manager():
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False)


def first_task(name: str) -> str:
    """The first task a task or group name runs (groups list their tasks in order)."""
    entry = manager().task_index[name]
    return first_task(entry.cfg["task"][0]) if "group" in entry.cfg else name


def record_messages(chat_history, add_generation_prompt=True) -> str:
    """Stands in for the backend's apply_chat_template: the messages it would render."""
    return json.dumps({"messages": chat_history, "add_generation_prompt": add_generation_prompt})


@functools.cache
def loaded_task(task: str):
    from lm_eval.tasks import get_task_dict

    return get_task_dict([task], manager())[task]


def first_request(name: str) -> dict:
    args = command_args(name)
    tasks = args.tasks if isinstance(args.tasks, str) else ",".join(args.tasks)
    task_name = first_task(tasks.split(",")[0])
    task = loaded_task(task_name)
    chat = bool(getattr(args, "apply_chat_template", False))
    task.build_all_requests(
        limit=1,
        rank=0,
        world_size=1,
        system_instruction=getattr(args, "system_instruction", None),
        apply_chat_template=chat,
        chat_template=record_messages if chat else None,
    )
    instance = task.instances[0]
    context, gen_kwargs = instance.args
    return {
        "task": task_name,
        "chat_template": chat,
        "context": json.loads(context) if chat else context,
        "generation_kwargs": gen_kwargs,
    }


@functools.cache
def first_requests() -> dict:
    return {name: first_request(name) for name in sorted(MODELS)}


def test_every_models_first_request_is_pinned():
    built = first_requests()
    if os.environ.get("SCINER_WRITE_GOLDEN"):
        text = json.dumps(built, indent=1, ensure_ascii=False, sort_keys=True)
        GOLDEN.write_text(text + "\n", encoding="utf-8")
    assert built == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_baichuan2_chat_request_is_its_own_conversation_without_a_template():
    """Baichuan2-Chat's layout (sciner_tasks/formats/templates.py cites its build_chat_input):
    EasyInstruct's system message, `<reserved_106>`, the general prompt, `<reserved_107>`."""
    general = first_requests()["llama2-7b"]["context"]["messages"]
    assert [m["role"] for m in general] == ["system", "user"]
    for name in ("baichuan2-7b", "baichuan2-13b"):
        request = first_requests()[name]
        assert request["task"] == "sciner_scierc_0shot_general_baichuan2"
        assert not request["chat_template"]
        assert request["context"] == (
            f"{general[0]['content']}<reserved_106>{general[1]['content']}<reserved_107>"
        )
        assert request["context"].startswith(
            "You are a helpful assistant.<reserved_106>You are a highly intelligent and "
            "accurate scientific domain Named-entity recognition(NER) system."
        )
        assert request["context"].endswith("\nOutput: <reserved_107>")


def test_chat_models_send_the_system_message_and_the_prompt_as_two_messages():
    for name, spec in MODELS.items():
        request = first_requests()[name]
        assert request["chat_template"] == spec.apply_chat_template, name
        if spec.apply_chat_template:
            messages = request["context"]["messages"]
            assert messages[0] == {"role": "system", "content": "You are a helpful assistant."}
            assert messages[1]["role"] == "user" and len(messages) == 2, name
