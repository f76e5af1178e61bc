"""Response bodies the credential scrubber can read, whatever their `Content-Encoding`.

The scrubber masks the real credential in the bytes it sees; inside a gzip stream those
bytes are not the credential's, so a compressed echo would pass unmasked. The proxy asks
every upstream for `Accept-Encoding: identity`, and an upstream that compresses anyway is
decompressed here (gzip, deflate, and br when the `brotli` module is installed) before the
scrubber runs; the agent gets the plain body without `Content-Encoding`. Any other coding
cannot be scanned, so the body is refused (`UnscannableEncoding`), never passed through.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

IDENTITY = "identity"
_OUT_LIMIT = 256 * 1024  # bytes of decoded output produced per step (a zip bomb streams)


class UnscannableEncoding(ValueError):
    """A `Content-Encoding` the proxy cannot decode, so cannot scan for the credential."""


def codings(header: str | None) -> list[str]:
    """The codings of a `Content-Encoding` value in the order they were applied."""
    if not header:
        return []
    found = [c.strip().lower() for c in header.split(",")]
    return [c for c in found if c and c != IDENTITY]


class Decoder:
    """Undoes a response's codings chunk by chunk (last applied, first undone)."""

    def __init__(self, applied: list[str]) -> None:
        self._steps = [_step(coding) for coding in reversed(applied)]

    def feed(self, chunk: bytes) -> bytes:
        for step in self._steps:
            chunk = step.feed(chunk)
        return chunk

    def flush(self) -> bytes:
        out = b""
        for step in self._steps:
            out = step.feed(out) + step.flush()
        return out


def decoder_for(header: str | None, transfer: str | None = None) -> Decoder | None:
    """A decoder for a `Content-Encoding` value and the codings of `Transfer-Encoding`
    besides `chunked` (which the HTTP client undoes itself, and nothing else: a
    `Transfer-Encoding: gzip, chunked` body arrives compressed), None when the body is not
    encoded; raises `UnscannableEncoding` for a coding the proxy cannot undo."""
    applied = codings(header) + [c for c in codings(transfer) if c != "chunked"]
    if not applied:
        return None
    for coding in applied:
        if coding not in _decoders():
            raise UnscannableEncoding(coding)
    return Decoder(applied)


class _ZlibStep:
    """gzip or zlib-wrapped deflate; raw deflate when the zlib header is missing (servers
    send either under the name `deflate`)."""

    def __init__(self, wbits: int, raw_fallback: bool) -> None:
        self._wbits = wbits
        self._object: Any = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def feed(self, chunk: bytes) -> bytes:
        if not chunk:
            return b""
        try:
            out = self._drain(chunk)
        except zlib.error:
            if not self._raw_fallback or self._started:
                raise
            self._wbits = -zlib.MAX_WBITS
            self._object = zlib.decompressobj(self._wbits)
            out = self._drain(chunk)
        self._started = True
        return out

    def _drain(self, chunk: bytes) -> bytes:
        parts = [self._object.decompress(chunk, _OUT_LIMIT)]
        while True:
            if self._object.unconsumed_tail:
                parts.append(self._object.decompress(self._object.unconsumed_tail, _OUT_LIMIT))
            elif self._object.eof and self._object.unused_data:
                # gzip allows several members one after another: each is read
                rest = self._object.unused_data
                self._object = zlib.decompressobj(self._wbits)
                parts.append(self._object.decompress(rest, _OUT_LIMIT))
            else:
                return b"".join(parts)

    def flush(self) -> bytes:
        return bytes(self._object.flush())


class _BrotliStep:
    def __init__(self) -> None:
        import brotli  # optional: only when an upstream insists on br

        self._object = brotli.Decompressor()

    def feed(self, chunk: bytes) -> bytes:
        return bytes(self._object.process(chunk)) if chunk else b""

    def flush(self) -> bytes:
        return b""


def _decoders() -> dict[str, Callable[[], Any]]:
    found: dict[str, Callable[[], Any]] = {
        "gzip": lambda: _ZlibStep(16 + zlib.MAX_WBITS, raw_fallback=False),
        "x-gzip": lambda: _ZlibStep(16 + zlib.MAX_WBITS, raw_fallback=False),
        "deflate": lambda: _ZlibStep(zlib.MAX_WBITS, raw_fallback=True),
    }
    try:
        import brotli  # noqa: F401
    except ImportError:
        return found
    found["br"] = _BrotliStep
    return found


def _step(coding: str) -> Any:
    return _decoders()[coding]()
