"""Command line for rubric authors (no app, no database needed).

    python -m qualitymark.rubrics validate criteria/            # every rubric; exit 1 on errors
    python -m qualitymark.rubrics diff OLD.yaml NEW.yaml        # what changed in meaning
    python -m qualitymark.rubrics schema [--check] [FILE]       # (re)write or check the JSON Schema
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .diff import diff_rubrics
from .loader import load_rubric, validate_paths
from .schema import SCHEMA_FILE, schema_text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qualitymark.rubrics", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check rubric files or folders")
    validate.add_argument("paths", nargs="+", type=Path)
    diff = commands.add_parser("diff", help="show what changed between two rubric files")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    schema = commands.add_parser("schema", help="write the JSON Schema for editors")
    schema.add_argument("file", nargs="?", type=Path, default=SCHEMA_FILE)
    schema.add_argument("--check", action="store_true", help="only check the file is up to date")
    args = parser.parse_args(argv)

    if args.command == "validate":
        failed = False
        for result in validate_paths(args.paths):
            print("\n".join(result.report()))
            failed = failed or not result.ok
        return 1 if failed else 0

    if args.command == "diff":
        old, new = load_rubric(args.old), load_rubric(args.new)
        if not (old.ok and new.ok):
            for result in (old, new):
                if not result.ok:
                    print("\n".join(result.report()), file=sys.stderr)
            return 1
        assert old.rubric is not None and new.rubric is not None
        print(diff_rubrics(old.rubric, new.rubric))
        return 0

    if args.check:
        current = args.file.read_text(encoding="utf-8") if args.file.exists() else ""
        if current != schema_text():
            print(f"{args.file} is out of date: run python -m qualitymark.rubrics schema {args.file}", file=sys.stderr)
            return 1
        return 0
    args.file.write_text(schema_text(), encoding="utf-8")
    print(args.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
