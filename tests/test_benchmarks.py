"""The benchmarks still run: a small throughput run by default, whole scripts with
``TRAVELBOT_LONG_TESTS=1``. Their figures are not checked here (see benchmarks/README.md)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.engine import Engine

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
LONG = os.environ.get("TRAVELBOT_LONG_TESTS", "") not in ("", "0")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


async def test_throughput_runs_every_update_through_both_bots(engine: Engine) -> None:
    bench = load("bot_throughput")
    n = 60
    result = await bench.throughput(engine, n, 1, None, n)
    assert result.slow_downs == 0
    for mode in ("sequential", "concurrent"):
        for kind in ("echo", "bot", "memory"):
            (run,) = result.runs[kind, mode]
            assert run.updates == n and run.seconds > 0
            # the echo bot skips the few /commands; travelbot answers every update
            assert run.sends >= (n - 5 if kind == "echo" else n), (kind, mode, run.sends)
    assert bench.engine_alone(engine, n, 1) > 0


@pytest.mark.skipif(not LONG, reason="long variant: TRAVELBOT_LONG_TESTS=1")
def test_bot_throughput_script(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load("bot_throughput")
    assert bench.main(["--updates", "200", "--repeats", "1", "--breakdown"]) == 0
    out = capsys.readouterr().out
    assert "floors:" in out and "start to first answer" in out


@pytest.mark.skipif(not LONG, reason="long variant: TRAVELBOT_LONG_TESTS=1")
def test_engine_latency_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load("engine_latency")
    assert bench.main(["--quick", "--plot", str(tmp_path / "latency.png")]) == 0
    assert "MET" in capsys.readouterr().out


def test_store_reports_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load("store_reports")
    assert bench.main(["--questions", "1500", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "/unanswered" in out and "record during /unanswered" in out and "floor:" in out
