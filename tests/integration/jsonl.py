#!/usr/bin/env python3
"""Reads faultline event logs (one JSON object per line) for the integration tests.

  jsonl.py check FILE...
      every line of every FILE is a JSON object with an "event" key; prints the number of lines.
      Exit 1, naming the file and line, when one is not.
  jsonl.py fields [--where KEY=VALUE]... FILE... -- KEY...
      one line per event that matches every --where (values compared as text; "null" matches
      JSON null), the KEYs' values separated by tabs ("-" when absent, "null" for null).
  jsonl.py count [--where KEY=VALUE]... FILE...
      the number of events that match.
"""
import json
import sys


def load(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for num, line in enumerate(f, 1):
                yield path, num, line


def text(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse(paths):
    for path, num, line in load(paths):
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit(f"{path}:{num}: not JSON ({e}): {line.rstrip()}")
        if not isinstance(obj, dict) or "event" not in obj:
            sys.exit(f"{path}:{num}: not an event object: {line.rstrip()}")
        yield obj


def split_where(args):
    wheres, rest = [], []
    it = iter(args)
    for a in it:
        if a == "--where":
            k, _, v = next(it).partition("=")
            wheres.append((k, v))
        else:
            rest.append(a)
    return wheres, rest


def matches(obj, wheres):
    return all(k in obj and text(obj[k]) == v for k, v in wheres)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "check":
        n = 0
        for path, num, line in load(args):
            if not line.endswith("\n"):
                sys.exit(f"{path}:{num}: line not terminated by a newline")
            try:
                obj = json.loads(line)
            except ValueError as e:
                sys.exit(f"{path}:{num}: not JSON ({e}): {line.rstrip()}")
            if not isinstance(obj, dict) or "event" not in obj:
                sys.exit(f"{path}:{num}: not an event object: {line.rstrip()}")
            n += 1
        print(n)
    elif cmd == "fields":
        wheres, rest = split_where(args)
        if "--" not in rest:
            sys.exit("fields: missing -- before the keys")
        i = rest.index("--")
        paths, keys = rest[:i], rest[i + 1:]
        for obj in parse(paths):
            if matches(obj, wheres):
                print("\t".join(text(obj[k]) if k in obj else "-" for k in keys))
    elif cmd == "count":
        wheres, paths = split_where(args)
        print(sum(1 for obj in parse(paths) if matches(obj, wheres)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
