#!/usr/bin/env python3
"""`make bench-gateway`: N concurrent streaming chat requests (default 500) against a stand-in
upstream, once straight to the upstream and once through jitguard-gateway, on 127.0.0.1 only.

The stand-in (asyncio, raw sockets) answers every request with an SSE stream of `--chunks` events,
one every `--interval` seconds; each event's `id` carries the upstream's send time (CLOCK_MONOTONIC,
the same clock the client reads), so the client measures each chunk's delivery latency. Reported,
side by side: time to first chunk and whole-request time (p50/p99), per-chunk latency (p50/p99), the
added latency (gateway minus direct), and the gateway's memory per open stream (RSS with every
stream open minus RSS before, divided by the number of streams). Bounded: every request has a
deadline, the run stops by itself. The stand-in upstream runs in a process of its own (this script
with --serve-upstream), so the clients and the upstream do not share one event loop.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(values: List[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


class Upstream:
    def __init__(self, chunks: int, interval: float) -> None:
        self.chunks = chunks
        self.interval = interval
        self.open_streams = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            self.open_streams += 1
            for i in range(self.chunks):
                await asyncio.sleep(self.interval)
                ev = {"id": f"c{time.monotonic_ns()}", "object": "chat.completion.chunk", "created": 1,
                      "model": "support-llm",
                      "choices": [{"index": 0, "delta": {"content": f"word{i} "}, "finish_reason": None}]}
                data = b"data: " + json.dumps(ev).encode() + b"\n\n"
                writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                await writer.drain()
            data = b"data: [DONE]\n\n"
            writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
            await writer.drain()
            self.open_streams -= 1
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def one_request(port: int, token: str, body: bytes, deadline: float,
                      out: Dict[str, List[float]], started: "Started") -> bool:
    start = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        buf = b""
        first: Optional[float] = None
        done = False
        while not done:
            data = await asyncio.wait_for(reader.read(65536), max(0.1, deadline - time.monotonic()))
            if not data:
                break
            now_ns = time.monotonic_ns()
            buf += data
            while True:
                i = buf.find(b'"id": "c') if b'"id": "c' in buf else buf.find(b'"id":"c')
                if i < 0:
                    break
                j = buf.index(b"c", i + 5) + 1
                k = buf.index(b'"', j)
                sent = int(buf[j:k])
                out["chunk"].append((now_ns - sent) / 1e6)
                if first is None:
                    first = time.monotonic()
                    started.one()
                buf = buf[k:]
            if b"[DONE]" in buf:
                done = True
            buf = buf[-64:] if len(buf) > 4096 else buf
        end = time.monotonic()
        if not done:
            return False
        out["first"].append(((first or end) - start) * 1e3)
        out["total"].append((end - start) * 1e3)
        return True
    finally:
        writer.close()


class Started:
    """Counts the streams that received their first chunk; set once all have (all are open then)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.all = asyncio.Event()

    def one(self) -> None:
        self.count += 1
        if self.count >= self.n:
            self.all.set()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def run_side(name: str, port: int, n: int, token: str, timeout: float,
                   gateway_pid: Optional[int]) -> Dict[str, object]:
    out: Dict[str, List[float]] = {"chunk": [], "first": [], "total": []}
    body = json.dumps({"model": "support-llm", "stream": True,
                       "messages": [{"role": "user", "content": "Summarize ticket 4411"}]}).encode()
    started = Started(n)
    rss_before = rss_kib(gateway_pid) if gateway_pid else 0
    deadline = time.monotonic() + timeout
    tasks = [asyncio.create_task(one_request(port, token, body, deadline, out, started)) for _ in range(n)]
    rss_open = 0
    try:
        await asyncio.wait_for(started.all.wait(), timeout)
        if gateway_pid:
            rss_open = rss_kib(gateway_pid)
    except asyncio.TimeoutError:
        pass
    results = await asyncio.gather(*tasks, return_exceptions=True)
    ok = sum(1 for r in results if r is True)
    res: Dict[str, object] = {"name": name, "ok": ok, "n": n}
    for key in ("first", "total", "chunk"):
        res[key] = (pct(out[key], 50), pct(out[key], 99))
    if gateway_pid:
        res["rss_before_kib"] = rss_before
        res["rss_open_kib"] = rss_open
        res["kib_per_stream"] = (rss_open - rss_before) / n if rss_open else float("nan")
    return res


async def serve_upstream(args: argparse.Namespace) -> int:
    upstream = Upstream(args.chunks, args.interval)
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0, backlog=4096)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    async with server:
        await server.serve_forever()
    return 0


async def wait_for_port(port_file: str) -> int:
    for _ in range(500):
        if os.path.exists(port_file):
            return int(open(port_file).read())
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no port in {port_file}")


async def main_async(args: argparse.Namespace) -> int:
    from jitguard.demo import DemoIdp, write_deployment
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = tempfile.mkdtemp(prefix="jitguard-bench-gateway-")
    idp = DemoIdp()
    write_deployment(workdir, idp)
    token = idp.mint("alice", ["data-scientists"], ttl=3600)
    up_port_file = os.path.join(workdir, "upstream-port")
    up = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-upstream",
                           "--port-file", up_port_file, "--chunks", str(args.chunks),
                           "--interval", str(args.interval)],
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)))
    up_port = await wait_for_port(up_port_file)
    port_file = os.path.join(workdir, "port")
    log = open(os.path.join(workdir, "gateway.log"), "wb")
    gw = subprocess.Popen([args.gateway, "--config", os.path.join(workdir, "jitguard.json"),
                           "--upstream", f"http://127.0.0.1:{up_port}", "--listen", "127.0.0.1:0",
                           "--port-file", port_file, "--dataset", "support-tickets", "--no-access-log",
                           "--threads", str(args.threads)], stdout=log, stderr=subprocess.STDOUT,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)))
    try:
        gw_port = await wait_for_port(port_file)
        # Warm-up (connections, token cache), then the two measured sides.
        await run_side("warmup", gw_port, 20, token, args.timeout, None)
        direct = await run_side("direct", up_port, args.streams, token, args.timeout, None)
        via = await run_side("gateway", gw_port, args.streams, token, args.timeout, gw.pid)
    finally:
        gw.terminate()
        gw.wait(timeout=30)
        log.close()
        up.terminate()
        up.wait(timeout=30)
    print(f"jitguard-gateway bench: {args.streams} concurrent streams, {args.chunks} chunks each, "
          f"one every {args.interval * 1e3:.0f} ms, {args.threads} io threads, loopback")
    print(f"{'':10} {'ok':>9} {'first p50':>10} {'first p99':>10} {'total p50':>10} {'total p99':>10} "
          f"{'chunk p50':>10} {'chunk p99':>10}")
    for r in (direct, via):
        print(f"{r['name']:10} {r['ok']:>4}/{r['n']:<4} {r['first'][0]:>10.2f} {r['first'][1]:>10.2f} "
              f"{r['total'][0]:>10.1f} {r['total'][1]:>10.1f} {r['chunk'][0]:>10.2f} {r['chunk'][1]:>10.2f}")
    print("added (ms): first p50 {:+.2f} p99 {:+.2f}; total p50 {:+.1f} p99 {:+.1f}; chunk p50 {:+.2f} p99 {:+.2f}".format(
        via["first"][0] - direct["first"][0], via["first"][1] - direct["first"][1],
        via["total"][0] - direct["total"][0], via["total"][1] - direct["total"][1],
        via["chunk"][0] - direct["chunk"][0], via["chunk"][1] - direct["chunk"][1]))
    print(f"gateway RSS: {via['rss_before_kib']} KiB before, {via['rss_open_kib']} KiB with all streams open: "
          f"{via['kib_per_stream']:.1f} KiB per open stream")
    return 0 if via["ok"] == args.streams and direct["ok"] == args.streams else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gateway", default=os.path.join(ROOT, "build/release/gateway/jitguard-gateway"))
    p.add_argument("--streams", type=int, default=500)
    p.add_argument("--chunks", type=int, default=20)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port-file", help=argparse.SUPPRESS)
    args = p.parse_args()
    return asyncio.run(serve_upstream(args) if args.serve_upstream else main_async(args))


if __name__ == "__main__":
    sys.exit(main())
