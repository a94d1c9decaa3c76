"""Running adapters on tasks: response cache, response validation, the evaluation loop and its results."""
