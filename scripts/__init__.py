"""Run tooling: `python -m scripts.run` is what `make run` starts."""
