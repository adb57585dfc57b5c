"""The accelerate configs for multi-GPU LoRA (training/recipes/accelerate/), read the way
`accelerate launch --config_file` reads them, down to the FSDP and DeepSpeed plugins the
Trainer gets. No GPU and no deepspeed needed; the runs themselves need GPUs (accelerate enables
FSDP and DeepSpeed only on accelerator devices): training/README.md, "Past one GPU"."""

import os
from pathlib import Path
from unittest import mock

import pytest

pytest.importorskip("accelerate")
from accelerate.commands.config.config_args import load_config_from_file  # noqa: E402
from accelerate.commands.launch import _validate_launch_command, launch_command_parser  # noqa: E402
from accelerate.utils import DeepSpeedPlugin, DistributedType, FullyShardedDataParallelPlugin  # noqa: E402
from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "recipes" / "accelerate"
FSDP = CONFIGS / "fsdp_lora.yaml"
ZERO3 = CONFIGS / "deepspeed_zero3_lora.yaml"


def launch_env(config: Path) -> dict[str, str]:
    """The environment `accelerate launch --config_file CONFIG -m training.sft` gives each
    process (accelerate's launch_command, without starting anything)."""
    args = launch_command_parser().parse_args(["--config_file", str(config), "-m", "training.sft"])
    args, defaults, mixed_precision_from_config = _validate_launch_command(args)
    if args.use_deepspeed:
        fields = list(defaults.deepspeed_config) + ["mixed_precision"] * mixed_precision_from_config
        args.deepspeed_fields_from_accelerate_config = ",".join(fields)
        return prepare_deepspeed_cmd_env(args)[1]
    return prepare_multi_gpu_env(args)


def test_every_config_loads_with_accelerates_loader():
    configs = sorted(CONFIGS.glob("*.yaml"))
    assert configs == [ZERO3, FSDP]
    for path in configs:
        config = load_config_from_file(str(path))  # refuses unknown keys
        assert (config.num_processes, config.mixed_precision, config.use_cpu) == (8, "bf16", False)
        assert path.read_text(encoding="utf-8").startswith("# ")  # the why-header


def test_fsdp_plugin_shards_fully_by_decoder_layer_and_checkpoints_sharded():
    from torch.distributed.fsdp import StateDictType
    from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy
    from transformers import AutoModelForCausalLM, LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaDecoderLayer

    assert load_config_from_file(str(FSDP)).distributed_type == DistributedType.FSDP
    env = launch_env(FSDP)
    assert env["ACCELERATE_USE_FSDP"] == "true"
    with mock.patch.dict(os.environ, env):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2
    assert plugin.reshard_after_forward is True  # FULL_SHARD
    assert plugin.state_dict_type == StateDictType.SHARDED_STATE_DICT
    assert plugin.cpu_ram_efficient_loading is True
    assert plugin.activation_checkpointing is False
    assert plugin.auto_wrap_policy is transformer_auto_wrap_policy
    # The wrapped class comes from the model itself (Llama, like the study's 70B bases).
    tiny = LlamaConfig(
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        vocab_size=16,
    )
    plugin.set_auto_wrap_policy(AutoModelForCausalLM.from_config(tiny))
    assert plugin.auto_wrap_policy.keywords["transformer_layer_cls"] == {LlamaDecoderLayer}


def test_zero3_plugin_partitions_and_saves_a_whole_16_bit_adapter():
    assert load_config_from_file(str(ZERO3)).distributed_type == DistributedType.DEEPSPEED
    env = launch_env(ZERO3)
    assert env["ACCELERATE_USE_DEEPSPEED"] == "true"
    with mock.patch.dict(os.environ, env):
        plugin = DeepSpeedPlugin()
    assert plugin.zero_stage == 3
    assert plugin.zero3_init_flag is True
    zero = plugin.deepspeed_config["zero_optimization"]
    assert zero["stage3_gather_16bit_weights_on_model_save"] is True
    assert zero["offload_param"]["device"] == zero["offload_optimizer"]["device"] == "none"
