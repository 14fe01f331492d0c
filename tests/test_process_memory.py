"""inference.process_memory: the /proc readers behind the Ray workers' and benchmarks' memory figures."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inference.process_memory import children_peak_kb, peak_rss_kb, status_kb

linux_only = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")


@linux_only
def test_status_reads_this_process():
    rss, peak = status_kb("VmRSS"), status_kb("VmHWM")
    assert rss and peak and 0 < rss <= peak <= peak_rss_kb()  # the peak only grows between the reads


def test_unknown_process_or_field_is_none():
    assert status_kb("VmRSS", 2**31 - 1) is None
    assert status_kb("NoSuchField") is None


@linux_only
def test_children_peak_sees_a_child():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        deadline = time.time() + 5
        while children_peak_kb(os.getpid()) <= 1000 and time.time() < deadline:  # until it has started
            time.sleep(0.05)
        assert children_peak_kb(os.getpid()) > 1000  # a Python interpreter: several MB
    finally:
        child.kill()
        child.wait()
    assert children_peak_kb(2**31 - 1) == 0
