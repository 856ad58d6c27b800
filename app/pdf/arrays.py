"""WeasyPrint's font subsetting without a C parser run per document.

WeasyPrint 70 hands HarfBuzz the glyphs to keep as ``ffi.new(f"hb_codepoint_t[{n}]", glyphs)``.
cffi parses each distinct type string with pycparser (about 4 ms) and keeps it,
so every font of every document with another glyph count parses again: 76
parses, about 0.3 s of CPU, in a brochure build of 33 parts. An open array
(``hb_codepoint_t[]``) sized by its initialiser is the same array, and its type
is parsed once per process.
"""
import re

import weasyprint.pdf.fonts

#: ``T[N]``: a one-dimensional C array type of fixed length.
SIZED_ARRAY = re.compile(r"([^\[\]]+)\[(\d+)\]")


class OpenArrays:
    """A cffi ``FFI`` whose ``new("T[N]", items)`` makes ``new("T[]", items)``
    when ``items`` is a list or tuple of N elements (not bytes: a ``char[]``
    from bytes gets a NUL more); everything else is the wrapped FFI's."""

    def __init__(self, ffi):
        self.wrapped = ffi

    def new(self, cdecl, init=None):
        if isinstance(cdecl, str) and isinstance(init, list | tuple):
            sized = SIZED_ARRAY.fullmatch(cdecl)
            if sized and len(init) == int(sized[2]):
                cdecl = f"{sized[1]}[]"
        return self.wrapped.new(cdecl, init)

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


def install() -> None:
    """Give WeasyPrint's font module the :class:`OpenArrays` FFI (once; then a no-op)."""
    if not isinstance(weasyprint.pdf.fonts.ffi, OpenArrays):
        weasyprint.pdf.fonts.ffi = OpenArrays(weasyprint.pdf.fonts.ffi)
