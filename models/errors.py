"""The one error type Slant raises for problems a user can fix.

The CLI turns a ``SlantError`` into a single line on stderr and a non-zero exit
code, so every message must name the problem *and* the fix, e.g.
``"config configs/x.yaml: unknown key 'train.lrr' (did you mean 'train.lr'?)"``.
"""


import sys


class SlantError(Exception):
    """A user-facing problem: bad input, bad config, missing model files."""


class ModelUnavailable(SlantError):
    """A model the run needs for every input cannot load (the NER package is not installed, a
    stance folder's weights are broken): a run stops at the first such error instead of failing
    each input in turn after its framing pass."""


class Interrupted(SlantError):
    """Ctrl-C after the work so far was saved; the message says how to resume (exit code 130)."""


def say(level: str, message: str) -> None:
    """One unwrapped ``slant: LEVEL: message`` line on stderr per problem, so scripts can grep it."""
    print(f"slant: {level}: {message}", file=sys.stderr, flush=True)
