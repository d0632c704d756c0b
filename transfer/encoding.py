"""Reading a file's bytes as text, whatever the old tool wrote: UTF-8 with or without a BOM,
UTF-16 (with a BOM, or without one when every other byte is NUL), else Windows-1252 (what
Excel on Windows saves as "CSV")."""

import codecs
from typing import IO


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Never raises: Windows-1252 reads any byte but five, which become
    U+FFFD and are reported by the caller as a character it could not read."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def sniff_encoding(handle: IO[bytes]) -> str:
    """The encoding `decode` would read the file in `handle` with, found without holding the
    file (UTF-8 is checked block by block); the file is left at its start."""
    start = handle.read(4000)
    handle.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(start) >= 4 and start[1::2].count(0) > len(start) // 4:
        return "utf-16-le"
    if len(start) >= 4 and start[0::2].count(0) > len(start) // 4:
        return "utf-16-be"
    checker = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in iter(lambda: handle.read(1 << 20), b""):
            checker.decode(block)
        checker.decode(b"", final=True)
    except UnicodeDecodeError:
        return "windows-1252"
    finally:
        handle.seek(0)
    return "utf-8"
