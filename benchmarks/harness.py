"""The benchmark harness later benchmarks reuse: start servers, drive HTTP load, print tables.

Load comes from `wrk` (Debian package `wrk`) when it is installed: written in C, it leaves the
servers most of the machine. Without it, a fallback driver in this process (asyncio + httpx)
runs instead, which saturates well before a fast server does: the table says which one ran.
Servers are subprocesses on 127.0.0.1; every load is bounded in time. Figures depend on the
machine and on what else it is doing: compare targets measured in the same run, never numbers
from different runs or machines.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("OFAIR_RESULT %d %d %d %.4f %.4f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(argv: Sequence[str], ready_url: str, *, timeout: float = 90, env: dict | None = None):
    """Run a server subprocess until the block ends; wait until `ready_url` answers. Its
    output goes to a temporary file, never a pipe: a pipe nobody reads fills with the server's
    request log after a few hundred requests (64 KB) and then blocks the server."""
    with tempfile.TemporaryFile(mode="w+") as log:
        yield from _served(argv, ready_url, timeout, env, log)


def _served(argv: Sequence[str], ready_url: str, timeout: float, env: dict | None, log):
    process = subprocess.Popen(list(argv), env={**os.environ, **(env or {})},
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{argv} exited: {log.read()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{ready_url} not ready after {timeout} s")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python-httpx"


def load(name: str, url: str, *, concurrency: int = 16, seconds: float = 10.0) -> LoadResult:
    """GET `url` from `concurrency` connections for `seconds`."""
    if generator() == "wrk":
        return _load_wrk(name, url, concurrency=concurrency, seconds=seconds)
    return _load_httpx(name, url, concurrency=concurrency, seconds=seconds)


def _load_wrk(name: str, url: str, *, concurrency: int, seconds: float) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", script.name, url], capture_output=True, text=True, check=True,
            timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in output.splitlines() if x.startswith("OFAIR_RESULT"))
    requests, errors, micros, p50, p99 = line.split()[1:]
    return LoadResult(name, int(requests) - int(errors), int(errors), int(micros) / 1e6,
                      float(p50), float(p99))


def _load_httpx(name: str, url: str, *, concurrency: int, seconds: float) -> LoadResult:
    async def drive() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        stop_at = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < stop_at:
                    started = time.perf_counter()
                    try:
                        ok = (await client.get(url)).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    if ok:
                        latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        errors += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors

    started = time.perf_counter()
    latencies, errors = asyncio.run(drive())
    elapsed = time.perf_counter() - started
    return LoadResult(name, len(latencies), errors, elapsed, percentile(latencies, 50),
                      percentile(latencies, 99))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def print_rounds_table(title: str, rounds: dict[str, list[LoadResult]], *,
                       baseline: str | None = None) -> None:
    """One row per target: medians across rounds of req/s, p50 and p99, the req/s range,
    and the ratio of the median req/s to `baseline`'s."""
    def med(results: list[LoadResult], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results)

    base = med(rounds[baseline], "throughput") if baseline in rounds else None
    print(f"\n{title}")
    print(f"load generator: {generator()}; cores: {os.cpu_count()}; python "
          f"{sys.version.split()[0]}; medians of {max(map(len, rounds.values()))} rounds")
    header = (f"{'target':30} {'requests':>9} {'errors':>6} {'req/s':>8} {'req/s range':>15} "
              f"{'p50 ms':>7} {'p99 ms':>7}")
    if base:
        header += f" {'vs baseline':>11}"
    print(header)
    print("-" * len(header))
    for name, results in rounds.items():
        rates = [r.throughput for r in results]
        row = (f"{name:30} {sum(r.requests for r in results):>9} "
               f"{sum(r.errors for r in results):>6} {med(results, 'throughput'):>8.1f} "
               f"{f'{min(rates):.0f}–{max(rates):.0f}':>15} {med(results, 'p50_ms'):>7.2f} "
               f"{med(results, 'p99_ms'):>7.2f}")
        if base:
            row += f" {med(results, 'throughput') / base:>11.2f}"
        print(row)
