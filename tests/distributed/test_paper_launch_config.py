"""The paper preset's multi-GPU set-up: the accelerate config file (DeepSpeed ZeRO-2, bf16) read by accelerate's own
config classes, and gradient checkpointing switched on by the preset in the language model it trains."""

from pathlib import Path

from accelerate.commands.config.config_args import ClusterConfig
from accelerate.utils import DistributedType

import models.unipose
from models.unipose.presets import get_preset
from models.unipose.stages import use_gradient_checkpointing

CONFIG = Path(models.unipose.__file__).with_name("accelerate_zero2.yaml")


def test_the_zero2_config_parses_as_a_deepspeed_bf16_launch():
    config = ClusterConfig.from_yaml_file(CONFIG)
    assert config.distributed_type == DistributedType.DEEPSPEED
    assert config.deepspeed_config["zero_stage"] == 2 and config.mixed_precision == "bf16"
    assert not config.use_cpu and config.num_processes > 1
    # the clipping DeepSpeed applies is the loop's (train_stage's max_grad_norm, 1.0)
    assert config.deepspeed_config["gradient_clipping"] == 1.0
    assert get_preset("paper").mixed_precision == config.mixed_precision


def test_the_paper_preset_turns_gradient_checkpointing_on():
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    assert get_preset("paper").gradient_checkpointing and not get_preset("tiny").gradient_checkpointing
    # the tiny and smoke presets' cache keys are those of before the field existed
    assert "gradient_checkpointing" not in get_preset("tiny").to_dict()
    for preset, expected in (("tiny", False), ("paper", True)):
        lm = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                          num_attention_heads=2, num_key_value_heads=2))
        lm = get_peft_model(lm, LoraConfig(r=2, target_modules=["q_proj"]))
        use_gradient_checkpointing(lm, get_preset(preset))
        assert lm.get_base_model().is_activation_checkpointing is expected
