"""Model adapters. Each is registered lazily in `benchmark.adapters.ADAPTERS`, so importing the suite never
imports a model backend."""
