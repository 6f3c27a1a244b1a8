"""Per-request latency of examples/guarded_server on loopback, with and without TCP_NODELAY.

Starts the real binary twice (--no-tcp-nodelay, then the default TCP_NODELAY) on 127.0.0.1 with a demo
deployment, and times N sequential requests on one keep-alive connection (httpx): GET /healthz (the
server alone) and POST /v1/chat/completions, non-streaming and streaming (the whole jitguard path:
token, policy, grant, request and response masking, audit). The guard's added latency is the chat
median minus the /healthz median. Bounded: N requests per row (default 200), loopback only.

    .venv/bin/python bench/compare/guarded_server_latency.py [--binary build/release/examples/guarded_server/guarded_server] [-n 200]
"""
import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from jitguard.demo import DemoIdp, write_deployment

ROOT = pathlib.Path(__file__).resolve().parents[2]


def start(binary, config, tmp, nodelay):
    port_file = pathlib.Path(tmp) / ("port-nodelay" if nodelay else "port-nagle")
    args = [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file)]
    if not nodelay:
        args.append("--no-tcp-nodelay")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not (port_file.exists() and port_file.read_text().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("guarded_server did not start")
        time.sleep(0.02)
    return proc, f"http://127.0.0.1:{int(port_file.read_text())}"


def timed(n, fn):
    fn()  # warm up the connection
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def measure(url, token, n):
    headers = {"Authorization": "Bearer " + token, "X-Jitguard-Dataset": "support-tickets"}
    rows = {}
    with httpx.Client(timeout=30) as client:
        def health():
            assert client.get(url + "/healthz").status_code == 200

        def chat(stream):
            def go():
                r = client.post(url + "/v1/chat/completions", headers=headers, json={
                    "model": "support-llm", "stream": stream,
                    "messages": [{"role": "user", "content": "Summarize ticket 4411"}]})
                assert r.status_code == 200 and "[EMAIL]" in r.text
            return go

        rows["GET /healthz"] = timed(n, health)
        rows["chat, JSON"] = timed(n, chat(False))
        rows["chat, SSE"] = timed(n, chat(True))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "build/release/examples/guarded_server/guarded_server"))
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        idp = DemoIdp()
        write_deployment(tmp, idp)
        results = {}
        for nodelay in (False, True):
            proc, url = start(args.binary, pathlib.Path(tmp) / "jitguard.json", tmp, nodelay)
            try:
                # A token per run; the demo tokens live 10 minutes.
                results[nodelay] = measure(url, idp.mint("alice", ["data-scientists"]), args.n)
            finally:
                proc.terminate()
                proc.wait(10)
    print(f"guarded_server, {args.n} sequential requests on one keep-alive connection (ms: median / p90)")
    print("| request | Nagle (--no-tcp-nodelay) | TCP_NODELAY | added by the guard (NODELAY, median) |")
    print("|---|---|---|---|")
    base = results[True]["GET /healthz"][0]
    for name in results[True]:
        a, b = results[False][name], results[True][name]
        added = "" if name == "GET /healthz" else f"{b[0] - base:.3f} ms"
        print(f"| {name} | {a[0]:.3f} / {a[1]:.3f} | {b[0]:.3f} / {b[1]:.3f} | {added} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
