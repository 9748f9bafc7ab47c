#!/usr/bin/env python3
"""Prints criterion's last results as one Markdown table: a row per benchmark group and parameter, a
column per map (criterion's function name), each cell the median time per iteration divided by the
group's throughput elements (so ns per operation when the group sets `Throughput::Elements`) and,
in brackets, the ratio to the reference map's time in the same group and parameter (above 1: slower;
where the reference has no entry with that parameter but exactly one in the group, that one).

Usage: scripts/criterion-table.py [--reference hashbrown] [--dir target/criterion]
                                  [--window MINUTES] [GROUP_REGEX]

Only what criterion wrote for the latest run of each benchmark is read (`new/estimates.json`), so
run the benchmarks you want to compare in one `cargo bench` invocation: ratios across runs taken at
different times on a shared machine mean little. Results written more than `--window` minutes
(default 120) before the newest matching one are left out as stale, and named on stderr: a
filtered run rewrites only the benchmarks it ran.
"""
import argparse
import json
import re
import sys
from pathlib import Path


def per_op_ns(bench_dir: Path):
    estimates = json.loads((bench_dir / "new" / "estimates.json").read_text())
    median = estimates["median"]["point_estimate"]
    benchmark = json.loads((bench_dir / "new" / "benchmark.json").read_text())
    throughput = benchmark.get("throughput") or {}
    elements = throughput.get("Elements") or throughput.get("Bytes") or 1
    return median / elements


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="hashbrown")
    parser.add_argument("--dir", default="target/criterion")
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("groups", nargs="?", default=".*")
    args = parser.parse_args()
    root = Path(args.dir)
    if not root.is_dir():
        sys.exit(f"no criterion results in {root}: run `cargo bench` first")
    wanted = re.compile(args.groups)
    rows = {}  # (group, parameter) -> {function: ns}
    functions = []
    found = []  # (written at, bench dir, benchmark)
    for estimates in sorted(root.glob("**/new/estimates.json")):
        bench_dir = estimates.parent.parent
        benchmark = json.loads((bench_dir / "new" / "benchmark.json").read_text())
        if wanted.search(benchmark["group_id"]):
            found.append((estimates.stat().st_mtime, bench_dir, benchmark))
    newest = max((written for written, _, _ in found), default=0.0)
    for written, bench_dir, benchmark in found:
        group = benchmark["group_id"]
        if newest - written > args.window * 60:
            print(f"stale, left out: {benchmark['full_id']}", file=sys.stderr)
            continue
        function = benchmark.get("function_id") or "-"
        parameter = benchmark.get("value_str") or "-"
        rows.setdefault((group, parameter), {})[function] = per_op_ns(bench_dir)
        if function not in functions:
            functions.append(function)
    if not rows:
        sys.exit(f"no benchmark group matches {args.groups!r}")
    if args.reference in functions:
        functions.remove(args.reference)
        functions.insert(0, args.reference)
    print("| group | n | " + " | ".join(functions) + " |")
    print("|---|---:|" + "---:|" * len(functions))
    group_reference = {}
    for (group, _), cells in rows.items():
        if args.reference in cells:
            group_reference.setdefault(group, []).append(cells[args.reference])
    for (group, parameter), cells in sorted(rows.items(), key=lambda r: (r[0][0], _number(r[0][1]))):
        reference = cells.get(args.reference)
        if reference is None and len(group_reference.get(group, [])) == 1:
            reference = group_reference[group][0]
        out = []
        for function in functions:
            ns = cells.get(function)
            if ns is None:
                out.append("")
            elif reference and function != args.reference:
                out.append(f"{ns:.2f} ({ns / reference:.2f}x)")
            else:
                out.append(f"{ns:.2f}")
        print(f"| {group} | {parameter} | " + " | ".join(out) + " |")


def _number(text):
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


if __name__ == "__main__":
    main()
