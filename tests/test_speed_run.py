"""The speed run's own plumbing (the benchmarks it runs take minutes each and are not run
here): it refuses unknown names before running anything, and it keeps a benchmark's
SUMMARY lines, or says that there was none."""

from __future__ import annotations

import io

import pytest

from benchmarks import speed_run


def test_unknown_benchmark_is_refused_before_anything_runs(tmp_path, capsys):
    log = tmp_path / "run.log"
    with pytest.raises(SystemExit) as exc:
        speed_run.main(["--only", "power,fastest", "--log", str(log)])
    assert exc.value.code == 2
    assert "unknown benchmark(s): fastest" in capsys.readouterr().err
    assert not log.exists()


def test_summary_lines_are_kept_and_a_missing_one_is_said(capsys):
    log = io.StringIO()
    # a module that prints a SUMMARY line among others, and one that prints none
    said, code, secs = speed_run.run_one(
        "echo", ["timeit", "-n", "1", "-r", "1", "-s", "print('x'); print('SUMMARY echo: 1 s')",
                 "pass"], log)
    assert code == 0 and secs >= 0
    assert said == "SUMMARY echo: 1 s"
    assert "SUMMARY echo: 1 s" in log.getvalue()
    said, code, _ = speed_run.run_one("silent", ["timeit", "-n", "1", "-r", "1", "pass"], log)
    assert code == 0
    assert said == "SUMMARY silent: no summary line (exit status 0)"
