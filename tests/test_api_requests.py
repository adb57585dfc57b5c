"""The request bodies lm-eval's chat API backends send for the sciner tasks, checked against the
OpenAI Chat Completions and Anthropic Messages request schemas (sciner_tasks/README.md, "API
models (GPT-4, Claude)").

lm-eval hands each request the task's generation_kwargs unchanged (lm_eval/api/task.py deep-copies
config.generation_kwargs) and the backend's `_create_payload` turns them into the body:
`LocalChatCompletion` and `OpenAIChatCompletion` in lm_eval/models/openai_completions.py,
`AnthropicChat` in lm_eval/models/anthropic_llms.py. It translates until, do_sample, temperature
and max_gen_toks and copies every other key into the body as is, so a task key the API does not
know reaches the API. Nothing leaves this machine: the backends are built as the lm_eval CLI
builds them, with no tokenizer, and the one test that goes through `generate_until` replaces
`requests.post`.
"""

import copy
import json

import pytest
import yaml

from sciner_tasks.formats import FORMATS
from sciner_tasks.names import GENERAL_FORMAT, TASKS_DIR

lm_eval = pytest.importorskip("lm_eval")
# TemplateAPI.__init__ (lm_eval/models/api_models.py) refuses to build any API backend unless
# aiohttp, tenacity, requests and tqdm are installed: lm-eval's `api` extra.
pytest.importorskip("tenacity", reason="the API backends need lm-eval's extra: lm_eval[api]")

from lm_eval.api.instance import Instance  # noqa: E402
from lm_eval.api.registry import get_model  # noqa: E402
from lm_eval.config.task import TaskConfig  # noqa: E402

# The --model and --model_args of the README's commands. The local server's URL is never
# contacted: with tokenizer_backend=None (the chat backends' default) nothing is fetched.
BACKENDS = {
    "openai-chat-completions": "model=gpt-4-0613",
    "local-chat-completions": (
        "model=Qwen/Qwen2.5-7B-Instruct,base_url=http://127.0.0.1:8000/v1/chat/completions,"
        "num_concurrent=8,max_retries=3,tokenized_requests=False"
    ),
    "anthropic-chat-completions": "model=claude-3-5-sonnet-20240620",
}
OPENAI_STYLE = ("openai-chat-completions", "local-chat-completions")

# The top-level keys of the Chat Completions request body in OpenAI's API reference (the
# openai SDK's chat CompletionCreateParams; `stream` is the streaming variant's).
OPENAI_KEYS = {
    "messages", "model", "audio", "frequency_penalty", "function_call", "functions",
    "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata", "modalities",
    "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
    "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop",
    "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
    "top_p", "user", "verbosity", "web_search_options",
}  # fmt: skip
# The Messages API's keys as documented while Claude 3.5 Sonnet was current (anthropic SDK
# 0.x MessageCreateParams; SDK 1.0 and later no longer list temperature, top_k and top_p).
ANTHROPIC_KEYS = {
    "model", "messages", "max_tokens", "container", "mcp_servers", "metadata", "service_tier",
    "stop_sequences", "stream", "system", "temperature", "thinking", "tool_choice", "tools",
    "top_k", "top_p",
}  # fmt: skip
OPENAI_MAX_STOP = 4  # "Up to 4 sequences where the API will stop generating further tokens."
# The smallest output cap of the study's API models: claude-3-5-sonnet-20240620 returns at most
# 4096 tokens (8192 only behind a beta header); gpt-4-0613 allows 8192 with the prompt.
MAX_OUTPUT_TOKENS = 4096

SYSTEM = FORMATS[GENERAL_FORMAT].system  # EasyInstruct's, sent with --system_instruction
# What lm-eval's fewshot_context builds for a 0-shot task (num_fewshot is 0 in every sciner task;
# the demonstration is inside the prompt) before the backend's apply_chat_template.
CHAT = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "...\nInput: We train a CRF.\nOutput: "},
]


def task_generation_kwargs() -> dict[str, tuple[str, dict]]:
    """Every generated task: its format and generation_kwargs as lm-eval's TaskConfig holds them
    (its __post_init__ normalises them). The leaf YAMLs carry generation_kwargs themselves and
    no !function tag, so plain yaml reads them without importing the harness."""
    tasks = {}
    for path in sorted(TASKS_DIR.glob("*/sciner_*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        config = TaskConfig(
            task=raw["task"],
            output_type="generate_until",
            generation_kwargs=raw["generation_kwargs"],
        )
        tasks[raw["task"]] = (raw["dataset_kwargs"]["sciner_format"], config.generation_kwargs)
    return tasks


TASKS = task_generation_kwargs()
GENERAL_TASKS = sorted(name for name, (fmt, _) in TASKS.items() if fmt == GENERAL_FORMAT)
OTHER_TASKS = sorted(name for name, (fmt, _) in TASKS.items() if fmt != GENERAL_FORMAT)


def backend(name: str, model_args: str | None = None):
    """The backend as lm_eval's evaluator builds it from --model and --model_args."""
    return get_model(name).create_from_arg_string(
        model_args or BACKENDS[name], {"batch_size": 1, "max_batch_size": None, "device": None}
    )


def body(lm, gen_kwargs: dict, eos_from_model: bool = True) -> dict:
    """The body lm-eval sends for one chat request. model_call (num_concurrent=1) passes
    eos=lm.eos_string, None without a tokenizer; amodel_call (num_concurrent>1) passes none, so
    the backend's own default applies ("<|endoftext|>" for OpenAI, "\\n\\nHuman:" for Anthropic)."""
    messages = lm.create_message([lm.apply_chat_template(copy.deepcopy(CHAT))])
    eos = {"eos": lm.eos_string} if eos_from_model else {}
    return lm._create_payload(
        messages, generate=True, gen_kwargs=copy.deepcopy(gen_kwargs), seed=lm._seed, **eos
    )


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def openai_errors(request: dict) -> list[str]:
    """Why OpenAI's Chat Completions endpoint would refuse `request` (empty: it would not)."""
    errors = [f"undocumented key {key!r}" for key in sorted(set(request) - OPENAI_KEYS)]
    if not request.get("model"):
        errors.append("model missing")
    messages = request.get("messages")
    if not messages or not all(
        m.get("role") in ("system", "developer", "user", "assistant")
        and isinstance(m.get("content"), str)
        for m in messages
    ):
        errors.append(f"messages not a list of role/content dicts: {messages!r}")
    for key in ("max_tokens", "max_completion_tokens"):
        if key in request and not is_positive_int(request[key]):
            errors.append(f"{key} not a positive int: {request[key]!r}")
        elif key in request and request[key] > MAX_OUTPUT_TOKENS:
            errors.append(f"{key} {request[key]} over {MAX_OUTPUT_TOKENS}")
    if "temperature" in request and not (
        is_number(request["temperature"]) and 0 <= request["temperature"] <= 2
    ):
        errors.append(f"temperature not in [0, 2]: {request['temperature']!r}")
    if "stop" in request:
        stop = request["stop"]
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or len(stops) > OPENAI_MAX_STOP:
            errors.append(f"stop not a string or a list of at most 4: {stop!r}")
        elif not all(isinstance(s, str) and s for s in stops):
            errors.append(f"stop has an empty or non-string entry: {stop!r}")
    if "seed" in request and not isinstance(request["seed"], int):
        errors.append(f"seed not an int: {request['seed']!r}")
    return errors


def anthropic_errors(request: dict) -> list[str]:
    """Why Anthropic's Messages endpoint would refuse `request` (empty: it would not)."""
    errors = [f"undocumented key {key!r}" for key in sorted(set(request) - ANTHROPIC_KEYS)]
    if not request.get("model"):
        errors.append("model missing")
    if not is_positive_int(request.get("max_tokens")):
        errors.append(f"max_tokens (required) not a positive int: {request.get('max_tokens')!r}")
    elif request["max_tokens"] > MAX_OUTPUT_TOKENS:
        errors.append(f"max_tokens {request['max_tokens']} over {MAX_OUTPUT_TOKENS}")
    # The system message is the top-level `system`; turns are user/assistant text blocks.
    messages = request.get("messages")
    if not messages or messages[0].get("role") != "user":
        errors.append(f"messages must start with a user turn: {messages!r}")
    elif not all(
        m.get("role") in ("user", "assistant")
        and all(b.get("type") == "text" and isinstance(b.get("text"), str) for b in m["content"])
        for m in messages
    ):
        errors.append(f"messages not user/assistant text blocks: {messages!r}")
    if "system" in request and not isinstance(request["system"], str):
        errors.append(f"system not a string: {request['system']!r}")
    if "temperature" in request and not (
        is_number(request["temperature"]) and 0 <= request["temperature"] <= 1
    ):
        errors.append(f"temperature not in [0, 1]: {request['temperature']!r}")
    if "stop_sequences" in request:
        stops = request["stop_sequences"]
        # lm-eval drops whitespace-only stops itself: the API refuses them.
        if not isinstance(stops, list) or not all(isinstance(s, str) and s.strip() for s in stops):
            errors.append(f"stop_sequences not a list of non-blank strings: {stops!r}")
    return errors


def schema_errors(backend_name: str, request: dict) -> list[str]:
    if backend_name in OPENAI_STYLE:
        return openai_errors(request)
    return anthropic_errors(request)


def sent_stops(backend_name: str, request: dict) -> list[str]:
    return request.get("stop" if backend_name in OPENAI_STYLE else "stop_sequences", [])


@pytest.mark.parametrize("eos_from_model", [True, False], ids=["sequential", "concurrent"])
@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_general_tasks_send_valid_requests(backend_name, eos_from_model):
    """Every general-format task, through each chat backend and both of lm-eval's request
    paths: a body the API accepts, greedy, with the task's budget and every one of its stop
    sequences (OpenAI-style backends keep only the first 4 and Anthropic's drops blank ones,
    both silently, so a lost stop would pass the schema but change the task)."""
    assert len(GENERAL_TASKS) == 20, GENERAL_TASKS
    lm = backend(backend_name)
    for name in GENERAL_TASKS:
        gen_kwargs = TASKS[name][1]
        request = body(lm, gen_kwargs, eos_from_model)
        assert schema_errors(backend_name, request) == [], (name, request)
        assert request["temperature"] == 0, name
        tokens = request.get("max_completion_tokens", request.get("max_tokens"))
        assert tokens == gen_kwargs["max_gen_toks"], name
        assert set(gen_kwargs["until"]) <= set(sent_stops(backend_name, request)), name


def test_the_generate_until_path_posts_the_same_body(monkeypatch):
    """The sequential path end to end: generate_until -> model_call -> requests.post sends
    exactly what `body` builds, so the checks above look at what would be sent."""
    import lm_eval.models.api_models as api_models

    class Response:
        ok = True

        def raise_for_status(self):
            pass

        def json(self):
            return {"choices": [{"index": 0, "message": {"content": "[]"}}]}

    posted = []

    def post(url, json, headers, **kwargs):
        posted.append((url, json))
        return Response()

    monkeypatch.setattr(api_models.requests, "post", post)
    monkeypatch.setenv("OPENAI_API_KEY", "not-used")
    lm = backend("openai-chat-completions")
    gen_kwargs = TASKS["sciner_scierc_0shot"][1]
    context = lm.apply_chat_template(copy.deepcopy(CHAT))
    request = Instance("generate_until", {}, (context, copy.deepcopy(gen_kwargs)), 0)
    assert lm.generate_until([request]) == ["[]"]
    assert posted == [("https://api.openai.com/v1/chat/completions", body(lm, gen_kwargs))]


@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_chat_backends_need_apply_chat_template(backend_name):
    """Without --apply_chat_template the context is a plain string: each chat backend stops
    before sending anything."""
    lm = backend(backend_name)
    prompt = lm.create_message([CHAT[-1]["content"]])
    with pytest.raises((AssertionError, AttributeError)):
        lm._create_payload(prompt, generate=True, gen_kwargs=dict(TASKS["sciner_scierc_0shot"][1]))


@pytest.mark.parametrize("backend_name", list(BACKENDS))
def test_ie_formats_are_for_local_models_only(backend_name):
    """The UniNER, IEPile and Baichuan2-Chat tasks pin repetition_penalty 1.0 (the protocols),
    which lm-eval copies into the body: neither OpenAI nor Anthropic documents that key, so both
    APIs refuse these tasks; vLLM's OpenAI-compatible server accepts it. YAYI-UIE's tasks pass
    the schema but are raw Baichuan2 conversation strings, made for no chat template."""
    lm = backend(backend_name)
    refused = {}
    for name in OTHER_TASKS:
        errors = schema_errors(backend_name, body(lm, TASKS[name][1]))
        if errors:
            refused[name] = errors
    expected = {
        name: ["undocumented key 'repetition_penalty'"]
        for name in OTHER_TASKS
        if TASKS[name][0] in ("general_baichuan2", "uniner", "iepile", "iepile_baichuan2")
    }
    assert len(expected) == 80
    assert refused == expected


def test_openai_reasoning_names_lose_stop_and_greedy_decoding():
    """lm-eval sends no `stop` and temperature 1 for any OpenAI model name containing "o1",
    "o3", "o4" or "5" (OpenAIChatCompletion._create_payload), e.g. gpt-3.5-turbo or
    gpt-4o-2024-05-13: such runs are neither greedy nor stopped at the task's stop sequence."""
    gen_kwargs = TASKS["sciner_scierc_0shot"][1]
    for model in ("gpt-3.5-turbo", "gpt-4o-2024-05-13", "o1-mini"):
        request = body(backend("openai-chat-completions", f"model={model}"), gen_kwargs)
        assert "stop" not in request and request["temperature"] == 1, model
    for model in ("gpt-4-0613", "gpt-4o-2024-08-06"):
        request = body(backend("openai-chat-completions", f"model={model}"), gen_kwargs)
        assert request["stop"] and request["temperature"] == 0, model


def test_the_checks_refuse_bad_requests():
    """The checks can fail: each broken body is refused with the reason named."""
    lm = backend("openai-chat-completions")
    good = body(lm, TASKS["sciner_scierc_0shot"][1])
    assert openai_errors(good) == []
    bad = {
        "stop": ["a", "b", "c", "d", "e"],
        "temperature": 2.5,
        "max_completion_tokens": 0,
        "repetition_penalty": 1.0,
    }
    for key, value in bad.items():
        errors = openai_errors({**good, key: value})
        assert len(errors) == 1 and key in errors[0], (key, errors)
    assert openai_errors({**good, "stop": ["\nInput:", ""]})

    claude = body(backend("anthropic-chat-completions"), TASKS["sciner_scierc_0shot"][1])
    assert anthropic_errors(claude) == []
    assert "system" in claude and claude["messages"][0]["role"] == "user"
    for key, value in {"temperature": 1.5, "stop_sequences": [None], "max_tokens": 5000}.items():
        errors = anthropic_errors({**claude, key: value})
        assert len(errors) == 1 and key in errors[0], (key, errors)
    assert anthropic_errors({k: v for k, v in claude.items() if k != "max_tokens"})
    assert anthropic_errors({**claude, "stop": ["\nInput:"]}) == ["undocumented key 'stop'"]


def test_a_fifth_stop_sequence_would_be_caught():
    """A task with 5 stop sequences: OpenAI-style backends send only the first 4, and the
    general-task test above fails on the one lost."""
    gen_kwargs = {**TASKS["sciner_scierc_0shot"][1], "until": ["\nInput:", "A", "B", "C", "D"]}
    request = body(backend("local-chat-completions"), gen_kwargs)
    assert openai_errors(request) == []  # truncated to 4, so the schema alone is satisfied
    assert not set(gen_kwargs["until"]) <= set(sent_stops("local-chat-completions", request))
    assert json.dumps(request)  # the body is plain JSON, as requests.post(json=...) needs
