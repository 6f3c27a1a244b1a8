"""Streams: MaskStream, mask_stream, amask_stream, mask_sse. Any chunking == one-shot mask()."""
import itertools
import json
import pathlib
import random
import sys

import pytest

import jitguard
from jitguard import Masker

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from corpus.generate import generate  # noqa: E402

EMAIL = "bob.smith@example.com"


@pytest.fixture(scope="module")
def masker():
    return Masker()


@pytest.fixture(scope="module")
def docs():
    corpus = generate(seed=11, documents=300)
    return [d.text for d in corpus.documents]


def random_cuts(r, n, max_len):
    """Cut points of a sequence of length n into pieces of 0..max_len (empty pieces included)."""
    cuts, pos = [0], 0
    while pos < n:
        pos = min(n, pos + r.choice([0, 1, 1, 2, 3, r.randint(1, max_len)]))
        cuts.append(pos)
    return cuts


def str_chunks(r, text, max_len):
    cuts = random_cuts(r, len(text), max_len)
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


def byte_chunks(r, data, max_len):
    cuts = random_cuts(r, len(data), max_len)
    return [data[a:b] for a, b in zip(cuts, cuts[1:])]


def run_stream(s, chunks):
    out = [s.write(c) for c in chunks]
    out.append(s.finish())
    return out


def test_random_str_chunkings_equal_one_shot(masker, docs):
    r = random.Random(1)
    big = "\n\n".join(docs)
    for text in docs[:150] + [big]:
        expected = masker.mask(text)
        for max_len in (1, 7, 64, 700):
            s = masker.stream()
            out = run_stream(s, str_chunks(r, text, max_len))
            assert all(isinstance(o, str) for o in out)
            assert "".join(out) == expected, (max_len, text[:80])


def test_random_byte_chunkings_split_utf8_and_equal_one_shot(masker, docs):
    r = random.Random(2)
    for text in docs[150:]:
        data = text.encode()
        expected = masker.mask(data)
        for max_len in (1, 5, 64, 1000):
            out = run_stream(masker.stream(), byte_chunks(r, data, max_len))
            assert all(isinstance(o, bytes) for o in out)
            assert b"".join(out) == expected


def test_one_byte_chunks_of_non_ascii_text(masker):
    text = f"Zoë — café ✅ {EMAIL} 東京の担当者 (415) 555-0132 😀 end"
    data = text.encode()
    out = run_stream(masker.stream(), [data[i:i + 1] for i in range(len(data))])
    assert b"".join(out) == masker.mask(data)
    # str chunks of one character: every output piece is a whole str
    out = run_stream(masker.stream(), list(text))
    assert "".join(out) == masker.mask(text)


def test_value_split_across_chunks_is_caught(masker):
    s = masker.stream()
    first = s.write("Contact bob.smith@exa")
    second = s.write("mple.com today")
    tail = s.finish()
    assert first + second + tail == "Contact [EMAIL] today"
    assert "bob" not in first + second + tail


def test_stream_holds_back_only_the_current_word_on_prose(masker):
    s = masker.stream()
    out = s.write("The quick brown fox jumps over the lazy dog and keeps runn")
    assert out.startswith("The quick brown fox jumps over the lazy dog and keeps")
    assert s.held_bytes <= len("runn") + 1
    assert out + s.finish() == "The quick brown fox jumps over the lazy dog and keeps runn"


def test_stream_counts_and_reuse(masker):
    s = masker.stream()
    out = s.write(f"{EMAIL} and (415) 555-0132 and {EMAIL}") + s.finish()
    assert out == "[EMAIL] and [PHONE] and [EMAIL]"
    assert s.counts == {"EMAIL": 2, "PHONE": 1}
    # a finished stream starts a new text
    assert s.write("x ") + s.finish() == "x "
    # an empty stream gives str
    assert masker.stream().finish() == ""


def test_mask_stream_sync_iterator(masker, docs):
    text = docs[0] + "\n" + docs[1]
    chunks = str_chunks(random.Random(3), text, 16)
    out = list(jitguard.mask_stream(iter(chunks), masker=masker))
    assert "".join(out) == masker.mask(text)
    assert all(out)  # no empty pieces
    # default masker; bytes chunks
    out_b = list(jitguard.mask_stream([f"mail {EMAIL[:5]}".encode(), f"{EMAIL[5:]} x".encode()]))
    assert b"".join(out_b) == b"mail [EMAIL] x"


async def test_amask_stream_over_async_and_plain_iterables(masker, docs):
    text = docs[2] + "\n" + docs[3]
    chunks = str_chunks(random.Random(4), text, 9)

    async def agen():
        for c in chunks:
            yield c

    out = [piece async for piece in jitguard.amask_stream(agen(), masker=masker)]
    assert "".join(out) == masker.mask(text)
    out2 = [piece async for piece in jitguard.amask_stream(chunks)]
    assert "".join(out2) == Masker().mask(text)


def test_pem_block_longer_than_the_cap_is_masked_fail_closed():
    m = Masker(max_held_bytes=1024)
    body = "\n".join("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC" + f"{i:013d}" for i in range(100))
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    s = m.stream()
    out = "".join(s.write(pem[i:i + 50]) for i in range(0, len(pem), 50)) + s.finish()
    assert "MIIEvQIBADAN" not in out
    assert s.held_bytes == 0
    assert "MIIEvQIBADAN" not in m.mask(f"key:\n{pem}\ndone")


# --- SSE --------------------------------------------------------------------------------------

def chat_event(content, index=0, finish=None, **extra):
    ev = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
          "model": "gpt-test", "choices": [{"index": index, "delta": {"content": content},
                                            "finish_reason": finish}]}
    ev.update(extra)
    return f"data: {json.dumps(ev)}\n\n".encode()


def parse_sse(data):
    """(per-choice content, other data payloads, saw [DONE])."""
    content, others, done = {}, [], False
    for block in data.decode().split("\n\n"):
        for line in block.split("\n"):
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                done = True
                continue
            ev = json.loads(payload)
            others.append(ev)
            for ch in ev.get("choices", []):
                piece = (ch.get("delta") or {}).get("content") or ch.get("text") or ""
                content[ch["index"]] = content.get(ch["index"], "") + piece
    return content, others, done


def test_sse_email_split_across_two_events(masker):
    events = [chat_event("Contact bob.smith@exa"), chat_event("mple.com for help."),
              chat_event("", finish="stop"), b"data: [DONE]\n\n"]
    out = b"".join(jitguard.mask_sse(events, masker=masker))
    content, evs, done = parse_sse(out)
    assert content[0] == "Contact [EMAIL] for help."
    assert b"bob.smith" not in out and b"mple.com" not in out
    assert done
    assert all(ev["model"] == "gpt-test" and ev["id"] == "chatcmpl-1" for ev in evs)


def test_sse_any_byte_chunking_and_multiple_choices(masker):
    text0 = f"Reach me at {EMAIL} or (415) 555-0132, card 4111 1111 1111 1111."
    text1 = "Server 10.20.30.40 and key AKIAIOSFODNN7EXAMPLE, thanks!"
    events = []
    r = random.Random(5)
    for a, b in itertools.zip_longest(str_chunks(r, text0, 6), str_chunks(r, text1, 6)):
        if a is not None:
            events.append(chat_event(a, 0))
        if b is not None:
            events.append(chat_event(b, 1))
    events.append(b": keep-alive comment\n\n")
    events.append(b"data: [DONE]\n\n")
    stream = b"".join(events)
    for max_len in (1, 3, 40, 4096):
        chunks = byte_chunks(random.Random(max_len), stream, max_len)
        out = b"".join(jitguard.mask_sse(chunks, masker=masker))
        content, _, done = parse_sse(out)
        assert content.get(0, "") == masker.mask(text0)
        assert content.get(1, "") == masker.mask(text1)
        assert done
        assert b": keep-alive comment" in out


def test_sse_completions_text_field(masker):
    ev1 = b'data: {"id":"c1","object":"text_completion","choices":[{"index":0,"text":"ssn 123-45-"}]}\n\n'
    ev2 = b'data: {"id":"c1","object":"text_completion","choices":[{"index":0,"text":"6789 ok"}]}\n\n'
    out = b"".join(jitguard.mask_sse([ev1, ev2, b"data: [DONE]\n\n"], masker=masker))
    content, _, _ = parse_sse(out)
    assert content[0] == "ssn [US_SSN] ok"


def test_sse_data_that_is_not_json_is_masked_as_text(masker):
    s = masker.sse_stream()
    out = s.write(b"data: {not json " + EMAIL.encode() + b" here\n\n") + s.finish()
    # One text stream across non-JSON events: the last word is held until the end.
    assert out == b"data: {not json [EMAIL] \n\ndata: here\n\n"
    assert s.transcript == {0: "{not json [EMAIL] here"}


def test_sse_event_over_the_cap_fails_closed(masker):
    s = masker.sse_stream()
    with pytest.raises(jitguard.MaskError) as e:
        s.write(b"data: " + b"a" * (9 << 20))
    assert e.value.reason == "sse_event_too_large"


def test_ndjson_and_json_framings():
    m = jitguard.Masker()
    s = m.response_stream("ndjson")
    out = s.write(b'{"response":"ssn 123-45-"}\n{"response":"6789 ok"}\n{"done":true}\n') + s.finish()
    assert b"6789" not in out and s.transcript == {0: "ssn [US_SSN] ok"}
    j = m.response_stream("json")
    assert j.write(b'{"choices":[{"index":0,"message":{"content":"mail ' + EMAIL.encode() + b'"}}]}') == b""
    assert EMAIL.encode() not in j.finish()


async def test_amask_sse(masker):
    async def agen():
        yield chat_event("mail bob.smith@exa")
        yield chat_event("mple.com now")
        yield b"data: [DONE]\n\n"

    out = b"".join([piece async for piece in jitguard.amask_sse(agen(), masker=masker)])
    assert parse_sse(out)[0][0] == "mail [EMAIL] now"


def test_non_ascii_custom_values_stream_by_character_and_by_byte():
    m = Masker(entities=[], custom=[{"name": "PERSON", "regex": "Zoë Müller|東京都"}], style="redact")
    text = "Hi Zoë Müller — 東京都 😀 ok"
    expected = "Hi ********** — *** 😀 ok"
    assert m.mask(text) == expected
    assert [text[f.start:f.end] for f in m.find(text)] == ["Zoë Müller", "東京都"]
    assert "".join(run_stream(m.stream(), list(text))) == expected
    data = text.encode()
    assert b"".join(run_stream(m.stream(), [data[i:i + 1] for i in range(len(data))])) == expected.encode()
