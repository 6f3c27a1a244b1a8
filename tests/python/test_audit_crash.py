"""Crash test from Python: SIGKILL a writer process at random moments; with fsync="always" every
write that returned (the child prints its checkpoint after each one) is in the log, which verifies."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import jitguard

KEY = "crash-key-thirty-two-bytes-long!"

CHILD = r"""
import sys, jitguard
sink = jitguard.FileAuditSink(sys.argv[1], hmac_key=sys.argv[2], fsync="always", mask=False, max_file_bytes=8192)
i = 0
while True:
    sink.write({"type": "inference.response", "i": i, "response": "x" * (i % 300)})
    sys.stdout.write(str(sink.checkpoint()) + "\n")
    sys.stdout.flush()
    i += 1
"""


def test_sigkill_loses_no_acknowledged_record(tmp_path):
    path = str(tmp_path / "audit.log")
    rng = random.Random(7)
    acked = None
    for _ in range(10):
        child = subprocess.Popen([sys.executable, "-c", CHILD, path, KEY], stdout=subprocess.PIPE)
        # Wait for the first ack so every round writes something, then kill at a random moment.
        first = child.stdout.readline()
        assert first, "the writer did not start"
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        out = first + child.stdout.read()
        child.wait()
        acks = out.decode().split("\n")
        complete = [a for a in acks[:-1] if a]  # the part after the last newline may be cut
        if complete:
            acked = jitguard.AuditCheckpoint.parse(complete[-1])
        r = jitguard.verify_audit_log(path, KEY, checkpoint=acked)
        assert r.ok, (r.reason, r.first_bad)
        assert r.records >= acked.records
    assert acked.records > 0
