"""UniPose (Li et al., CVPR 2025), the suite's reference model: a pose tokenizer, a language model with pose tokens,
mixed attention with pose queries, a visual processor, and its four training stages (`models.unipose.stages`)."""
