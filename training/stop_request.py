"""Ctrl-C during training: stop at the next step boundary, on every process at the same step.

Why: a KeyboardInterrupt lands wherever the process happens to be: after a step's dropout
masks were drawn, between two parameter groups of the optimiser step, or (with several
processes) in the all-reduce after the other rank has left. A checkpoint written from there
can hold a half-done step, and with several processes only rank 0 was left to write it, so
the other ranks' dropout generators went unsaved and a resumed run drew other masks.

So the first Ctrl-C only asks to stop. Each step's gradient all-reduce carries every rank's
request (``distributed.average_gradients``), so all ranks learn of it in the same step, finish
that step and stop together; the checkpoint then holds whole steps and every rank's generator,
and ``--resume`` reaches the weights an uninterrupted run reaches. A second Ctrl-C aborts at
once (the old way: rank 0 saves what it has).
"""
from __future__ import annotations

import signal
import sys
import threading


class StopRequest:
    """``asked``: this process got Ctrl-C; ``agreed``: some rank did, as of the last step's
    all-reduce (in one process, the same as ``asked``). Use as a context manager around the
    training loop: inside it the first SIGINT sets ``asked`` and the second raises
    KeyboardInterrupt; outside it, SIGINT is handled as before."""

    def __init__(self, announce: bool = True, sigterm: bool = False):
        self.asked = False
        self.agreed = False
        self._announce = announce
        self._previous = None  # the SIGINT handler to restore; None while not installed
        # SIGTERM (a scheduler's stop, `timeout`, `kill`) asks as Ctrl-C does, in a single training
        # process; the processes of a multi-process run keep SIGTERM's default, since their launcher
        # terminates them with it when another has failed (and passes a SIGTERM it gets on as SIGINT)
        self._sigterm = sigterm
        self._previous_term = None

    def _on_sigint(self, signum, frame) -> None:
        self.asked = True
        signal.signal(signal.SIGINT, self._previous)  # the next Ctrl-C aborts at once
        if self._announce:
            print("\nstopping after this step to save a checkpoint (Ctrl-C again to stop at once)",
                  file=sys.stderr, flush=True)

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.getsignal(signal.SIGINT) or signal.default_int_handler
            signal.signal(signal.SIGINT, self._on_sigint)
            if self._sigterm:
                self._previous_term = signal.getsignal(signal.SIGTERM)
                signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def _on_sigterm(self, signum, frame) -> None:
        if self.asked:  # a second stop signal: at once, as a second Ctrl-C
            raise KeyboardInterrupt
        self.asked = True
        if self._announce:
            print("\nstopping after this step to save a checkpoint (asked by SIGTERM)", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if self._previous_term is not None:
            signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None
