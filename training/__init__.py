"""Data, configs and the training loop."""
import datasets as _datasets

_datasets.disable_progress_bars()
