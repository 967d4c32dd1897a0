"""People table (CSV and HTML) from JSONL reports: posts, bodies, cited documents, dates seen.

    python -m scripts.people_table reports.jsonl [more.jsonl ...] --csv people.csv --html people.html

Each line is a report with `doc_id`/`id`, `entities` and `structure` or `text` (the
structure is computed when missing).
"""
from __future__ import annotations

import argparse
import sys

from model.structure.table import people_table, read_reports, write_csv, write_html


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="vn-ner-people", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", help="JSONL report files")
    ap.add_argument("--csv", help="CSV output path")
    ap.add_argument("--html", help="HTML output path")
    ap.add_argument("--linked-only", action="store_true", help="only people linked to a post")
    args = ap.parse_args(argv)
    if not (args.csv or args.html):
        ap.error("give --csv and/or --html")
    rows = people_table(read_reports(args.reports), linked_only=args.linked_only)
    if args.csv:
        write_csv(rows, args.csv)
    if args.html:
        write_html(rows, args.html)
    print(f"{len(rows)} people -> {', '.join(p for p in (args.csv, args.html) if p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
