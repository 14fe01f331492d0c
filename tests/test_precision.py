""""auto" precision: bf16 only where the CPU has it and a measured matmul says it pays."""
import models.precision as precision


def _reset():
    precision.bf16_pays.cache_clear()


def test_no_bf16_instructions_means_fp32_without_measuring(monkeypatch):
    _reset()
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(precision, "_matmul_seconds", lambda dtype: (_ for _ in ()).throw(AssertionError("measured")))
    assert precision.bf16_pays() is False and precision.use_bf16("auto") is False
    assert precision.use_bf16("on") is True
    _reset()


def test_bf16_instructions_that_run_slower_than_fp32_mean_fp32(monkeypatch):
    """The Intel Xeon case: AVX512-BF16 in /proc/cpuinfo, bf16 matmuls 1.6-1.9x slower."""
    _reset()
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    times = {precision.torch.bfloat16: 7.2e-3, precision.torch.float32: 4.6e-3}
    monkeypatch.setattr(precision, "_matmul_seconds", lambda dtype: times[dtype])
    assert precision.bf16_pays() is False and precision.use_bf16("auto") is False
    _reset()
    times[precision.torch.bfloat16] = 2.5e-3  # the EPYC case: bf16 clearly faster
    assert precision.bf16_pays() is True and precision.use_bf16("auto") is True
    _reset()
    times[precision.torch.bfloat16] = 4.4e-3  # within the margin: not worth its drift
    assert precision.bf16_pays() is False
    _reset()


def test_the_measurement_runs_both_dtypes():
    for dtype in (precision.torch.float32, precision.torch.bfloat16):
        assert 0 < precision._matmul_seconds(dtype, rows=8, width=16, out=32) < 1.0


def test_the_measurement_restores_the_thread_count():
    before = precision.torch.get_num_threads()
    precision._matmul_seconds(precision.torch.float32, rows=8, width=16, out=32)
    assert precision.torch.get_num_threads() == before
