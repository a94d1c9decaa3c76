"""OpenAI-compatible chat APIs: a model adapter for the image text tasks (`adapter`), the -R text refiner
(`refiner`) and the HTTP client they share (`client`)."""
