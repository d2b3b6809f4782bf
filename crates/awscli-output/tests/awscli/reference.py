#!/usr/bin/env python3
"""Print what awscli's TextFormatter / TableFormatter print for a JSON value.

The value read is the response *after* --query, as the formatters see it in
`aws <service> <op> --query ... --output text|table`.

Usage:
    reference.py text < value.json
    reference.py table TITLE WIDTH < value.json
    reference.py --serve

With --serve, each request is one line of JSON on stdin:
    {"mode": "text" | "table", "value": ..., "title": "...", "width": 80}
and each answer is a line "STATUS LENGTH" followed by LENGTH bytes of UTF-8
output, where STATUS is "ok" or "raised:<ExceptionName>" (awscli raised while
formatting; the bytes are what it had written to stdout by then).

How the formatters are driven, as the CLI does it:
  * args is a namespace with color='off' and a `query` whose `search()`
    returns the value: the formatters apply --query themselves, after removing
    `ResponseMetadata` from the raw response (a dict). Passing query=None would
    run that removal on the value itself, which fails on null/numbers and
    strips a top-level "ResponseMetadata" key the CLI would print.
  * the table's terminal width, which MultiTable reads from the terminal with
    an ioctl (80 when stdout is not a terminal), is overridden with WIDTH.
"""
import argparse
import io
import json
import sys

from awscli.formatter import TableFormatter, TextFormatter


class FixedQuery:
    """Stands for the compiled --query expression: yields the given value."""

    def __init__(self, value):
        self.value = value

    def search(self, data):
        return self.value


def render(mode, value, title="DescribeImages", width=80):
    """Return (output, exception name or None)."""
    args = argparse.Namespace(query=FixedQuery(value), color="off")
    if mode == "text":
        formatter = TextFormatter(args)
    elif mode == "table":
        formatter = TableFormatter(args)
        formatter.table._terminal_width = width
    else:
        raise ValueError("unknown mode %r" % mode)
    raw_response = {"ResponseMetadata": {"RequestId": "reference"}}
    stream = io.StringIO()
    try:
        formatter(title, raw_response, stream)
    except Exception as exc:  # the CLI reports it on stderr, exit 255
        return stream.getvalue(), type(exc).__name__
    return stream.getvalue(), None


def serve():
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line.decode("utf-8"))
        output, raised = render(
            request["mode"],
            request["value"],
            request.get("title", "DescribeImages"),
            request.get("width", 80),
        )
        data = output.encode("utf-8")
        status = "ok" if raised is None else "raised:" + raised
        stdout.write(b"%s %d\n" % (status.encode("ascii"), len(data)))
        stdout.write(data)
        stdout.flush()


def main(argv):
    if argv[1:] == ["--serve"]:
        serve()
        return 0
    if len(argv) == 2 and argv[1] == "text":
        mode, title, width = "text", "DescribeImages", 80
    elif len(argv) == 4 and argv[1] == "table":
        mode, title, width = "table", argv[2], int(argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    value = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    output, raised = render(mode, value, title, width)
    sys.stdout.buffer.write(output.encode("utf-8"))
    if raised is not None:
        sys.stderr.write("awscli raised %s\n" % raised)
        return 255
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
