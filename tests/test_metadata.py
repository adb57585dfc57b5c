"""--metadata reaching `load_docs`: bad keys and values stop the run with a message naming
the key, and the model arguments lm-eval merges into the same keyword arguments pass."""

import ast
import re
from pathlib import Path

import pytest

from sciner_tasks import harness, prompting
from sciner_tasks.names import TASKS_DIR

lm_eval = pytest.importorskip("lm_eval")
TASK = ("scierc", "general", "1shot")


def load(**metadata):
    return harness.load_docs(*TASK, **metadata)


def demonstrations(dataset) -> list[list[str]]:
    return list(dataset["test"]["demonstrations"])


def load_through_lm_eval(metadata: dict):
    """The task's documents as lm-eval builds them: --model_args and --metadata merged the
    way its CLI merges them, then the task's own metadata and dataset_kwargs added."""
    from lm_eval.tasks import TaskManager

    model_args = {"pretrained": "SmolLM2-135M-Instruct", "dtype": "float32"}
    manager = TaskManager(
        include_path=str(TASKS_DIR), include_defaults=False, metadata=model_args | metadata
    )
    return manager.load(["sciner_scierc_1shot"])["tasks"]["sciner_scierc_1shot"].dataset


def model_constructor_arguments() -> set[str]:
    """The constructor argument names of every lm-eval model backend, read from its source
    (importing the backends would pull in torch, vLLM, ...)."""
    names = set()
    for source in (Path(lm_eval.__file__).parent / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                names |= {a.arg for a in node.args.args + node.args.kwonlyargs}
    return names


@pytest.mark.parametrize(
    ("key", "meant"), [("sampeler", "sampler"), ("Sampler", "sampler"), ("seeds", "seed")]
)
def test_misspelt_key_is_refused_with_the_key_it_resembles(key, meant):
    message = (
        f"unknown --metadata key {key!r}; did you mean {meant!r}? "
        "sciner reads: sampler (random|knn), seed (integer)"
    )
    with pytest.raises(harness.MetadataError, match=re.escape(message)):
        load(**{key: "knn"})


def test_unknown_key_in_the_sciner_namespace_is_refused():
    message = "unknown --metadata key 'sciner_sampler'; sciner reads: sampler (random|knn)"
    with pytest.raises(harness.MetadataError, match=re.escape(message)):
        load(sciner_sampler="knn")


def test_no_model_argument_of_any_lm_eval_backend_is_taken_for_a_misspelling():
    arguments = model_constructor_arguments() - set(harness.METADATA_KEYS)
    assert {"pretrained", "dtype", "peft", "max_length"} <= arguments
    harness.check_unknown_keys(arguments | {"version", "config_source"})


def test_misspelt_key_stops_the_lm_eval_task_and_model_arguments_pass():
    with pytest.raises(harness.MetadataError, match="did you mean 'sampler'"):
        load_through_lm_eval({"sampeler": "knn"})
    # `seed=-1` in lm-eval's key=value syntax arrives as the float -1.0.
    knn = load_through_lm_eval({"sampler": "knn", "seed": -1.0})
    expected = prompting.build_docs(*TASK, sampler="knn")
    assert demonstrations(knn) == [d["demonstrations"] for d in expected]


@pytest.mark.parametrize(
    ("seed", "shown"), [("abc", "'abc'"), (None, "None"), (True, "True"), (3.5, "3.5")]
)
def test_seed_that_is_no_integer_is_refused_naming_key_and_value(seed, shown):
    with pytest.raises(
        harness.MetadataError, match=re.escape(f"--metadata seed must be an integer, got {shown}")
    ):
        load(seed=seed)


@pytest.mark.parametrize("sampler", ["KNN", "bm25", None])
def test_unknown_sampler_is_refused_naming_key_and_choices(sampler):
    message = f"--metadata sampler must be one of random|knn, got {sampler!r}"
    with pytest.raises(harness.MetadataError, match=re.escape(message)):
        load(sampler=sampler)


def test_seed_written_as_digits_or_an_integral_float_still_seeds():
    from lm_eval._cli.utils import key_val_to_dict

    assert key_val_to_dict("seed=-1") == {"seed": -1.0}  # why integral floats are accepted
    expected = demonstrations(load(seed=-1))
    assert demonstrations(load(seed=-1.0)) == demonstrations(load(seed="-1")) == expected
    assert expected != demonstrations(load())


def test_metadata_cannot_override_the_task_dataset_kwargs():
    """lm-eval calls custom_dataset(**metadata, **dataset_kwargs): a --metadata key that is
    also a dataset_kwarg stops the run in that call, before load_docs runs, so no other
    dataset is evaluated under the task's name."""
    with pytest.raises(TypeError, match="multiple values for keyword argument 'sciner_dataset'"):
        load_through_lm_eval({"sciner_dataset": "wlpc"})
