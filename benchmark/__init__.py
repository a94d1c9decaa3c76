"""unipose-bench: the benchmark suite for the seven UniPose pose <-> language tasks.

Importing this package is cheap on purpose: heavy backends (transformers, datasets, smplx) load lazily
where they are used, so `unipose-bench --help` and `import benchmark` stay fast.
"""

__version__ = "0.1.0"
