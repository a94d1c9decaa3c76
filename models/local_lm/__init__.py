"""A local instruction language model (transformers; a Hugging Face folder or a GGUF file such as SmolLM2's) as the
-R text refiner (`refiner`)."""
