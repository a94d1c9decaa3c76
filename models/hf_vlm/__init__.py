"""Vision-language models of the transformers library (LLaVA, LLaVA-NeXT, Qwen2-VL) from local folders, as the
`hf_vlm` adapter on the image text tasks (`adapter`); loading (`loading`) and prompts (`prompts`) are shared with
the ChatPose-style model (models.chatpose)."""
