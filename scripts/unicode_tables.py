#!/usr/bin/env python3
"""Print the Unicode tables used by src/describe/cli_output.rs, as Rust source.

The tables reproduce, for the running Python's `unicodedata` version:
  * WIDE: code points whose `east_asian_width` is W, F or A (awscli's
    `table.get_text_length` counts them as two columns);
  * NON_PRINTABLE: code points for which `str.isprintable()` is false
    (`repr()` escapes them);
  * UPPER_RUNS / UPPER_SPECIAL: `str.upper()` for every code point whose
    uppercase differs from itself.

Usage: python3 scripts/unicode_tables.py > tables.rs.txt, then replace the
block between the `unicode tables` markers in src/describe/cli_output.rs.
"""
import sys
import unicodedata

MAX = 0x110000


def boundaries(pred):
    """Sorted code points where `pred` switches; inside ranges [b[2k], b[2k+1])."""
    out = []
    inside = False
    for cp in range(MAX):
        value = pred(cp)
        if value != inside:
            out.append(cp)
            inside = value
    if inside:
        out.append(MAX)
    return out


def emit_u32_array(name, doc, values):
    print(f"/// {doc}")
    print(f"const {name}: [u32; {len(values)}] = [")
    for v in values:
        print(f"    0x{v:x},")
    print("];")
    print()


def upper_tables():
    single = []
    special = []
    for cp in range(MAX):
        ch = chr(cp)
        up = ch.upper()
        if up == ch:
            continue
        if len(up) == 1:
            single.append((cp, ord(up) - cp))
        else:
            special.append((cp, up))
    runs = []
    for cp, delta in single:
        if runs:
            start, end, stride, d = runs[-1]
            if d == delta:
                if start == end and cp - end in (1, 2):
                    runs[-1] = (start, cp, cp - end, d)
                    continue
                if start != end and cp - end == stride:
                    runs[-1] = (start, cp, stride, d)
                    continue
        runs.append((cp, cp, 1, delta))
    return runs, special


def main():
    version = unicodedata.unidata_version
    print(f"/// Unicode version of the tables below (Python's `unicodedata`).")
    print(f'pub const UNICODE_VERSION: &str = "{version}";')
    print()
    emit_u32_array(
        "WIDE",
        "Ranges `[WIDE[2k], WIDE[2k + 1])` of East Asian Width W, F or A.",
        boundaries(lambda cp: unicodedata.east_asian_width(chr(cp)) in "WFA"),
    )
    emit_u32_array(
        "NON_PRINTABLE",
        "Ranges `[NON_PRINTABLE[2k], NON_PRINTABLE[2k + 1])` that "
        "`str.isprintable()` rejects.",
        boundaries(lambda cp: not chr(cp).isprintable()),
    )
    runs, special = upper_tables()
    print("/// `(first, last, stride, delta)`: `str.upper()` of every `stride`-th code")
    print("/// point from `first` to `last` is that code point plus `delta`.")
    print(f"const UPPER_RUNS: [(u32, u32, u32, i32); {len(runs)}] = [")
    for start, end, stride, delta in runs:
        print(f"    (0x{start:x}, 0x{end:x}, {stride}, {delta}),")
    print("];")
    print()
    print("/// Code points whose `str.upper()` is more than one character.")
    print(f"const UPPER_SPECIAL: [(char, &str); {len(special)}] = [")
    for cp, up in special:
        esc = "".join(f"\\u{{{ord(c):x}}}" for c in up)
        print(f"    ('\\u{{{cp:x}}}', \"{esc}\"),")
    print("];")


if __name__ == "__main__":
    sys.exit(main())
