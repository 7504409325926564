"""`GET /api/v1/health` throughput and latency, against a bare ASGI app doing the same query.

    python -m benchmarks.bench_health [--seconds 10] [--concurrency 16] [--rounds 3]

Both servers run under uvicorn (one worker each) on 127.0.0.1 against the same database; the
rounds alternate between them so drift on the machine hits both alike. The last column is the
API's throughput as a fraction of the bare app's: the price of FastAPI, validation, the error
envelope and the service layer on this endpoint.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.harness import LoadResult, free_port, load, print_rounds_table, server
from ofair_app.db import bootstrap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="per target per round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    bootstrap.upgrade()
    api_port, bare_port = free_port(), free_port()
    api_cmd = [sys.executable, "-m", "ofair_app", "api", "--port", str(api_port)]
    bare_cmd = [sys.executable, "-m", "uvicorn", "benchmarks.bare_health_app:app",
                "--port", str(bare_port), "--log-level", "warning", "--no-access-log"]
    api_url = f"http://127.0.0.1:{api_port}/api/v1/health"
    bare_url = f"http://127.0.0.1:{bare_port}/"

    targets = {"bare ASGI + same query": bare_url, "OFAIR API /api/v1/health": api_url}
    rounds: dict[str, list[LoadResult]] = {name: [] for name in targets}
    with server(api_cmd, api_url), server(bare_cmd, bare_url):
        for url in (api_url, bare_url):  # warm pools and caches
            load("warmup", url, concurrency=args.concurrency, seconds=2)
        for index in range(args.rounds):
            for name, url in targets.items():
                result = load(name, url, concurrency=args.concurrency, seconds=args.seconds)
                rounds[name].append(result)
                print(f"round {index + 1} {name:28} {result.throughput:8.1f} req/s "
                      f"p50 {result.p50_ms:6.2f} ms p99 {result.p99_ms:7.2f} ms", flush=True)

    print_rounds_table(f"GET /api/v1/health: {args.concurrency} concurrent connections, "
                       f"{args.rounds} x {args.seconds:.0f} s per target", rounds,
                       baseline="bare ASGI + same query")
    return 0


if __name__ == "__main__":
    sys.exit(main())
