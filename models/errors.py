"""The one error type Slant raises for problems a user can fix.

The CLI turns a ``SlantError`` into a single line on stderr and a non-zero exit
code, so every message must name the problem *and* the fix, e.g.
``"config configs/x.yaml: unknown key 'train.lrr' (did you mean 'train.lr'?)"``.
"""


class SlantError(Exception):
    """A user-facing problem: bad input, bad config, missing model files."""
