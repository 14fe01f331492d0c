"""Data, configs, the training loop and evaluation."""
