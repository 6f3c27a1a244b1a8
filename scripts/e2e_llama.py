#!/usr/bin/env python3
"""`make e2e`: jitguard-gateway in front of a real OpenAI-compatible server this project did not write,
llama-cpp-python's server (llama.cpp), serving a tiny llama-architecture GGUF with random weights that
this script writes with the `gguf` package (the answers are gibberish; the wire format is the point).
The official openai SDK is the client. Everything listens on 127.0.0.1 and stops by itself.

    scripts/e2e_llama.py --gateway build/release/gateway/jitguard-gateway --llama-python .venv-e2e/bin/python
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

WRITE_GGUF = r'''
import sys
import numpy as np
import gguf

path = sys.argv[1]
n_vocab_pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
words = ["\u2581the", "\u2581a", "\u2581of", "\u2581and", "\u2581to", "\u2581in", "\u2581is", "\u2581hello",
         "\u2581world", "\u2581ticket", "\u2581refund", "\u2581email", "\u2581user", "\u2581assistant", "\u2581"]
tokens = n_vocab_pieces + words
types = [2, 3, 3] + [6] * 256 + [1] * len(words)  # unknown, control, control, bytes, normal
scores = [0.0] * len(tokens)
n_vocab, n_embd, n_ff, n_layer, n_head = len(tokens), 64, 128, 2, 4
rng = np.random.default_rng(7)
w = gguf.GGUFWriter(path, "llama")
w.add_name("jitguard-e2e-tiny")
w.add_context_length(512)
w.add_embedding_length(n_embd)
w.add_block_count(n_layer)
w.add_feed_forward_length(n_ff)
w.add_head_count(n_head)
w.add_head_count_kv(n_head)
w.add_rope_dimension_count(n_embd // n_head)
w.add_layer_norm_rms_eps(1e-5)
w.add_file_type(0)
w.add_tokenizer_model("llama")
w.add_token_list(tokens)
w.add_token_scores(scores)
w.add_token_types(types)
w.add_bos_token_id(1)
w.add_eos_token_id(2)
w.add_unk_token_id(0)
w.add_chat_template("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }}\n{% endfor %}<|assistant|> ")


def t(*shape):
    return (rng.standard_normal(shape) * 0.02).astype(np.float32)


w.add_tensor("token_embd.weight", t(n_vocab, n_embd))
for i in range(n_layer):
    w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        w.add_tensor(f"blk.{i}.{name}.weight", t(n_embd, n_embd))
    w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor(f"blk.{i}.ffn_gate.weight", t(n_ff, n_embd))
    w.add_tensor(f"blk.{i}.ffn_up.weight", t(n_ff, n_embd))
    w.add_tensor(f"blk.{i}.ffn_down.weight", t(n_embd, n_ff))
w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
w.add_tensor("output.weight", t(n_vocab, n_embd))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True)
    p.add_argument("--llama-python", required=True, help="a python with llama-cpp-python[server] and gguf")
    args = p.parse_args()
    os.environ["JITGUARD_GATEWAY_BIN"] = os.path.abspath(args.gateway)

    import openai
    from jitguard.demo import DemoIdp, write_deployment
    from gateway_support import Gateway

    work = tempfile.mkdtemp(prefix="jitguard-e2e-")
    model = os.path.join(work, "tiny.gguf")
    subprocess.run([args.llama_python, "-c", WRITE_GGUF, model], check=True)
    print(f"e2e: wrote {model} ({os.path.getsize(model)} bytes, random weights)")
    key = "sk-llama-" + os.urandom(8).hex()
    port = free_port()
    log = open(os.path.join(work, "llama.log"), "wb")
    llama = subprocess.Popen([args.llama_python, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
                              "--port", str(port), "--model_alias", "support-llm", "--api_key", key,
                              "--n_ctx", "512", "--n_threads", "2"],
                             stdout=log, stderr=subprocess.STDOUT)
    failures = 0
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", 120)
        print(f"e2e: llama-cpp-python server up on 127.0.0.1:{port} (api key required)")
        idp = DemoIdp()
        write_deployment(work, idp)
        with Gateway(os.path.join(work, "jitguard.json"), f"http://127.0.0.1:{port}", key=key,
                     args=["--dataset", "support-tickets"]) as gw:
            def check(name, ok, detail=""):
                nonlocal failures
                failures += 0 if ok else 1
                print(f"e2e: {'ok  ' if ok else 'FAIL'} {name} {detail}")

            alice = openai.OpenAI(api_key=idp.mint("alice", ["data-scientists"]), base_url=gw.url + "/v1",
                                  max_retries=0, timeout=120)
            models = [m.id for m in alice.models.list()]
            check("/v1/models through the gateway", models == ["support-llm"], str(models))
            r = alice.chat.completions.create(model="support-llm", max_tokens=16,
                                              messages=[{"role": "user", "content": "mail jane.doe@example.com"}])
            check("chat (JSON) answered by llama.cpp", r.choices[0].message is not None and r.object == "chat.completion",
                  repr((r.choices[0].message.content or "")[:40]))
            chunks = list(alice.chat.completions.create(model="support-llm", max_tokens=16, stream=True,
                                                        messages=[{"role": "user", "content": "hello"}]))
            check("chat (SSE) streamed through the masker", len(chunks) > 1 and
                  chunks[-1].choices[0].finish_reason is not None, f"{len(chunks)} chunks")
            c = alice.completions.create(model="support-llm", prompt="the ticket", max_tokens=8)
            check("completions (JSON)", c.object == "text_completion")
            cs = list(alice.completions.create(model="support-llm", prompt="the ticket", max_tokens=8, stream=True))
            check("completions (SSE)", len(cs) >= 1)
            carl = openai.OpenAI(api_key=idp.mint("carl", ["contractors"]), base_url=gw.url + "/v1",
                                 max_retries=0, default_headers={"X-Jitguard-Dataset": "claims"})
            try:
                carl.chat.completions.create(model="support-llm", messages=[{"role": "user", "content": "hi"}])
                check("contractor refused", False)
            except openai.PermissionDeniedError as e:
                check("contractor refused (403)", e.code == "no_permit")
            direct = openai.OpenAI(api_key="wrong", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
            try:
                direct.models.list()
                check("llama server requires its key", False)
            except openai.AuthenticationError:
                check("llama server requires its key (the gateway holds it)", True)
            check("key never in the gateway log", key not in gw.log())
    finally:
        llama.terminate()
        try:
            llama.wait(timeout=20)
        except subprocess.TimeoutExpired:
            llama.kill()
        log.close()
    if failures:
        print(f"e2e: {failures} check(s) failed; logs in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
