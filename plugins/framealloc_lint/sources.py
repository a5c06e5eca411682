"""Reading source files the way Python does, and only when they are regular files.

A file is decoded with :func:`tokenize.open` semantics: a UTF-8 byte-order mark or a PEP 263
coding line (``# -*- coding: latin-1 -*-``) chooses the encoding, UTF-8 otherwise, and line
endings are normalised to ``\\n``. FIFOs, devices and sockets are never read (reading a FIFO
blocks forever; ``/dev/zero`` never ends): the file is opened without blocking and checked
with ``fstat`` before a byte is read.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize
from pathlib import Path

__all__ = ["NotRegularFileError", "SourceError", "decode_source", "file_kind", "read_source"]

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)  # fmt: skip


class SourceError(Exception):
    """A source file that cannot be read or decoded.

    Attributes:
        lineno: Line of a decoding problem (a bad coding line), when known.
    """

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno


class NotRegularFileError(SourceError):
    """The path names a FIFO, device, socket or directory, which is never read."""


def file_kind(mode: int) -> str:
    """A human name for a non-regular file mode (``"a FIFO"``), ``"a regular file"`` otherwise."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def decode_source(data: bytes) -> str:
    """Decode source bytes as Python does (BOM, PEP 263 coding line, universal newlines).

    Raises:
        SourceError: An unknown or contradictory encoding, or bytes invalid in it.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        raise SourceError(str(err.msg if hasattr(err, "msg") else err), err.lineno) from None
    try:
        with io.TextIOWrapper(io.BytesIO(data), encoding, line_buffering=True) as text:
            return text.read()
    except (UnicodeDecodeError, LookupError) as err:
        raise SourceError(f"cannot decode as {encoding}: {err}") from None


def read_source(path: Path) -> str:
    """The text of a regular file, decoded as Python decodes source.

    Raises:
        NotRegularFileError: ``path`` is a FIFO, device, socket or directory (nothing is read).
        SourceError: The file cannot be opened, read or decoded.
    """
    try:
        fd = os.open(path, _FLAGS)
    except OSError as err:
        raise SourceError(f"cannot read file: {err.strerror or err}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(f"not a regular file ({file_kind(mode)}): not read")
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as err:
        raise SourceError(f"cannot read file: {err.strerror or err}") from None
    finally:
        os.close(fd)
    return decode_source(b"".join(chunks))
