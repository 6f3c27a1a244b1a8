"""Streaming PII and secret masking.

A :class:`Masker` is compiled once (entities, style, custom rules, term lists) and is immutable:
share one between threads. Its calls release the GIL while they scan. A stream
(:meth:`Masker.stream`, :func:`mask_stream`, :func:`amask_stream`, :func:`mask_sse`) belongs to one
response; its concatenated output equals :meth:`Masker.mask` of the whole text, however the text
was cut into chunks.

    m = jitguard.Masker()                    # every built-in entity, style "label"
    m.mask("mail bob@example.com")           # 'mail [EMAIL]'
    m.find("mail bob@example.com")           # [Finding(entity='EMAIL', start=5, end=20, rule='email')]
    for out in jitguard.mask_stream(chunks): ...

Offsets of :meth:`Masker.find` are ``str`` indices for ``str`` input and byte offsets for bytes.
A :class:`Finding` never carries the matched text.
"""
from __future__ import annotations

import functools
import json
from typing import (Any, AsyncIterable, AsyncIterator, Callable, Dict, Iterable, Iterator, List,
                    Mapping, NamedTuple, Optional, Tuple, Union)

from . import _core
from .errors import MaskError

__all__ = ["ENTITIES", "Finding", "Masker", "MaskStream", "SseMaskStream", "ResponseMaskStream",
           "mask_stream",
           "amask_stream", "mask_sse", "amask_sse"]

#: Names of the built-in entities, in priority order.
ENTITIES: Tuple[str, ...] = tuple(_core.builtin_entities())

Text = Union[str, bytes, bytearray, memoryview]


class Finding(NamedTuple):
    """One detected value: its entity, where it is, and the rule that found it (never the text)."""

    entity: str
    start: int  #: first index (str input) or byte (bytes input)
    end: int    #: one past the last
    rule: str


def _strings(value: Any, what: str) -> List[str]:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of strings, not a single string")
    out = list(value)
    for item in out:
        if not isinstance(item, str):
            raise TypeError(f"{what} must contain only strings, got {type(item).__name__}")
    return out


def _custom_rules(custom: Optional[Iterable[Mapping[str, Any]]]) -> List[tuple]:
    rules = []
    for i, rule in enumerate(custom or ()):
        if not isinstance(rule, Mapping):
            raise TypeError(f"custom rule #{i} must be a dict with 'name' and 'regex'")
        unknown = set(rule) - {"name", "regex", "validator", "context"}
        if unknown:
            raise MaskError(f"custom rule #{i}: unknown field(s) {sorted(unknown)}", reason="bad_rule",
                            code="invalid_argument")
        name, regex = rule.get("name"), rule.get("regex")
        if not isinstance(name, str) or not isinstance(regex, str):
            raise MaskError(f"custom rule #{i}: 'name' and 'regex' must be strings", reason="bad_rule",
                            code="invalid_argument")
        validator = rule.get("validator") or "none"
        context = rule.get("context") or []
        if isinstance(context, str):
            context = [context]
        rules.append((name, regex, str(validator), _strings(context, f"context of rule {name}")))
    return rules


def _term_lists(terms: Union[None, Mapping[str, Iterable[str]], Iterable[Tuple[str, Iterable[str]]]]
                ) -> List[tuple]:
    if not terms:
        return []
    items = terms.items() if isinstance(terms, Mapping) else terms
    return [(name, _strings(words, f"terms of {name}")) for name, words in items]


class MaskStream:
    """Masks one text that arrives in chunks. ``write`` returns what is safe to emit now.

    ``str`` chunks give ``str`` output, bytes chunks give ``bytes`` (a UTF-8 character may be split
    across bytes chunks). Not thread-safe: one stream per response.
    """

    __slots__ = ("_s", "_str")

    def __init__(self, stream: Any) -> None:
        self._s = stream
        self._str: Optional[bool] = None

    def write(self, chunk: Text) -> Union[str, bytes]:
        if self._str is None and len(chunk):
            self._str = isinstance(chunk, str)
        return self._s.write(chunk)

    def finish(self) -> Union[str, bytes]:
        """Flushes everything still held (masked). The stream can then start a new text."""
        out = self._s.finish(self._str is not False)
        self._str = None
        return out

    @property
    def counts(self) -> Dict[str, int]:
        """Findings emitted so far, per entity."""
        return self._s.counts()

    @property
    def held_bytes(self) -> int:
        """Bytes currently held back (a candidate that may still become a match)."""
        return self._s.held_bytes


class SseMaskStream:
    """Masks a model server's response body (``framing``: Server-Sent Events, NDJSON or one JSON
    document), default-deny over its structure: every string value is masked except the short list
    of structural members (``id``, ``model``, ``role``, ...) when they have their shape; text that
    continues across events (content, reasoning, refusal, tool-call arguments, logprobs tokens) is
    masked as one stream per choice and field; data that is not JSON is masked as text. An event
    over the size cap raises :class:`MaskError` (``sse_event_too_large``) and the stream refuses
    further input. See docs/security.md.
    """

    __slots__ = ("_s",)

    def __init__(self, stream: Any) -> None:
        self._s = stream

    def write(self, chunk: Union[bytes, bytearray, memoryview, str]) -> bytes:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        return self._s.write(chunk)

    def finish(self) -> bytes:
        return self._s.finish()

    @property
    def counts(self) -> Dict[str, int]:
        return self._s.counts()

    @property
    def transcript(self) -> Dict[int, str]:
        """The masked text sent so far per choice index (what an audit record should hold)."""
        return self._s.transcript()


#: The name of the response-body masker for every framing.
ResponseMaskStream = SseMaskStream


class Masker:
    """A compiled masking configuration: immutable, thread-safe, cheap to call.

    Args:
        entities: built-in entities to detect (default: all of :data:`ENTITIES` but
            ``NATIONAL_ID``, ``DATE_OF_BIRTH``, ``CRYPTO_WALLET`` and ``MAC_ADDRESS``, which are off
            unless named).
        style: ``"label"`` (``[EMAIL]``), ``"redact"`` (``*`` per character), ``"partial"`` (keep
            the last four characters) or ``"hash"`` (``[EMAIL:3f9a1c2b]``, keyed HMAC-SHA-256).
        hash_key: key of the ``"hash"`` style (bytes, or str as UTF-8).
        custom: user rules, each ``{"name": ..., "regex": ...}`` (RE2 syntax) with optional
            ``"validator"`` (``"luhn"`` or ``"mod97"``) and ``"context"`` (words one of which must
            occur shortly before a match).
        terms: dictionaries, ``{"PROJECT": ["bluebird", ...]}``: case-insensitive whole words.
        json_keys: :meth:`mask_json` masks the values of these keys whole, at any depth.
        allowlist: values that are never masked.
        max_held_bytes: cap on what a stream may hold back (default 16 KiB); past it the held
            candidate is masked (fail closed).

    Raises:
        MaskError: ``bad_regex`` (naming the rule), ``unknown_entity``, ``empty_config``,
            ``missing_hash_key``, ``bad_rule``, ``bad_option``.
        ConfigError: ``bad_style``, ``bad_validator``.
    """

    __slots__ = ("_m",)

    def __init__(self, entities: Optional[Iterable[str]] = None, *, style: str = "label",
                 hash_key: Union[None, bytes, bytearray, str] = None,
                 custom: Optional[Iterable[Mapping[str, Any]]] = None,
                 terms: Union[None, Mapping[str, Iterable[str]]] = None,
                 json_keys: Optional[Iterable[str]] = None, allowlist: Optional[Iterable[str]] = None,
                 max_held_bytes: Optional[int] = None) -> None:
        if not isinstance(style, str):
            raise TypeError("style must be a str")
        if isinstance(hash_key, str):
            hash_key = hash_key.encode()
        elif hash_key is not None:
            hash_key = bytes(hash_key)
        if max_held_bytes is not None and (isinstance(max_held_bytes, bool) or not isinstance(max_held_bytes, int)
                                           or max_held_bytes < 0):
            raise TypeError("max_held_bytes must be a non-negative int")
        self._m = _core.Masker.create(
            None if entities is None else _strings(entities, "entities"), style, hash_key,
            _custom_rules(custom), _term_lists(terms), _strings(json_keys or (), "json_keys"),
            _strings(allowlist or (), "allowlist"), max_held_bytes)

    def mask(self, text: Text) -> Union[str, bytes]:
        """``text`` with every finding replaced; ``str`` in, ``str`` out; bytes in, bytes out."""
        return self._m.mask(text)

    __call__ = mask

    def mask_with_counts(self, text: Text) -> Tuple[Union[str, bytes], Dict[str, int]]:
        """``(mask(text), {entity: number of findings})``."""
        return self._m.mask_with_counts(text)

    def find(self, text: Text) -> List[Finding]:
        """The findings :meth:`mask` replaces, in order and non-overlapping."""
        return [Finding._make(t) for t in self._m.find(text)]

    def mask_json(self, doc: Any) -> Any:
        """Masks a JSON document: a str/bytes document gives str/bytes (valid JSON of the same
        shape); a dict/list is serialized, masked and parsed back. Invalid JSON raises
        :class:`MaskError` (reason ``invalid_json``)."""
        if isinstance(doc, (str, bytes, bytearray, memoryview)):
            return self._m.mask_json(doc)[0]
        return json.loads(self._m.mask_json(json.dumps(doc))[0])

    def mask_json_with_counts(self, doc: Union[str, bytes]) -> Tuple[Union[str, bytes], Dict[str, int]]:
        return self._m.mask_json(doc)

    def stream(self) -> MaskStream:
        """A new stream over this masker (one per response)."""
        return MaskStream(self._m.stream())

    def sse_stream(self) -> SseMaskStream:
        """A new SSE response masker (one per response); see :class:`SseMaskStream`."""
        return SseMaskStream(self._m.response_stream("sse"))

    def response_stream(self, framing: str = "sse") -> SseMaskStream:
        """A new response-body masker: ``framing`` is ``"sse"``, ``"ndjson"`` or ``"json"`` (the
        whole document comes out at ``finish()``)."""
        return SseMaskStream(self._m.response_stream(framing))

    @property
    def entities(self) -> List[str]:
        """Every entity this masker detects: enabled built-ins, custom rules, term lists."""
        return self._m.entities()

    @property
    def style(self) -> str:
        return self._m.style

    @property
    def max_held_bytes(self) -> int:
        return self._m.max_held_bytes

    def __repr__(self) -> str:
        return f"Masker(entities={self.entities!r}, style={self.style!r})"


@functools.lru_cache(maxsize=1)
def _default_masker() -> Masker:
    return Masker()


def _drain(write: Callable[[Any], Any], finish: Callable[[], Any], chunks: Iterable[Any]) -> Iterator[Any]:
    """Feeds ``chunks`` through ``write`` and yields each non-empty output, then ``finish()``'s.

    ``finish`` runs even when the source raises or the consumer stops early, so a stream that writes
    an audit record on finish always writes it.
    """
    try:
        for chunk in chunks:
            out = write(chunk)
            if out:
                yield out
    finally:
        tail = finish()
    if tail:
        yield tail


async def _adrain(write: Callable[[Any], Any], finish: Callable[[], Any],
                  chunks: Union[AsyncIterable[Any], Iterable[Any]]) -> AsyncIterator[Any]:
    """:func:`_drain` over an async (or plain) iterable."""
    try:
        if hasattr(chunks, "__aiter__"):
            async for chunk in chunks:  # type: ignore[union-attr]
                out = write(chunk)
                if out:
                    yield out
        else:
            for chunk in chunks:  # type: ignore[union-attr]
                out = write(chunk)
                if out:
                    yield out
    finally:
        tail = finish()
    if tail:
        yield tail


def mask_stream(chunks: Iterable[Text], masker: Optional[Masker] = None) -> Iterator[Union[str, bytes]]:
    """Masks a text arriving as an iterable of chunks; yields masked output as soon as it is safe.

    The concatenated output equals ``masker.mask`` of the concatenated input.
    """
    s = (masker or _default_masker()).stream()
    return _drain(s.write, s.finish, chunks)


def amask_stream(chunks: Union[AsyncIterable[Text], Iterable[Text]],
                 masker: Optional[Masker] = None) -> AsyncIterator[Union[str, bytes]]:
    """The async form of :func:`mask_stream`, over an async (or plain) iterable of chunks."""
    s = (masker or _default_masker()).stream()
    return _adrain(s.write, s.finish, chunks)


def mask_sse(byte_chunks: Iterable[Union[bytes, str]], masker: Optional[Masker] = None) -> Iterator[bytes]:
    """Masks an OpenAI-compatible SSE stream (chat/completions ``data:`` events); yields bytes."""
    s = (masker or _default_masker()).sse_stream()
    return _drain(s.write, s.finish, byte_chunks)


def amask_sse(byte_chunks: Union[AsyncIterable[Union[bytes, str]], Iterable[Union[bytes, str]]],
              masker: Optional[Masker] = None) -> AsyncIterator[bytes]:
    """The async form of :func:`mask_sse`."""
    s = (masker or _default_masker()).sse_stream()
    return _adrain(s.write, s.finish, byte_chunks)
