#!/usr/bin/env python3
"""Prints the chaos suite's verdicts (one SCENARIO.json per scenario in DIR) as one table, then
each scenario's faults with the time the group took to catch up with each.

usage: chaos_table.py DIR [--json]   (--json: the verdicts as one JSON array instead)
Exit 1 when a scenario's verdict is not OK, or none was recorded.
"""
import json
import pathlib
import sys

ORDER = ["consumers", "brokers", "crash", "network", "soak"]


def main() -> int:
    directory = pathlib.Path(sys.argv[1])
    verdicts = [json.loads(p.read_text()) for p in directory.glob("*.json")]
    verdicts.sort(key=lambda v: ORDER.index(v["scenario"]) if v["scenario"] in ORDER else 99)
    if "--json" in sys.argv[2:]:
        print(json.dumps(verdicts, indent=2))
    else:
        print_table(verdicts)
    return 0 if verdicts and all(v["verdict"] == "OK" for v in verdicts) else 1


def print_table(verdicts: list) -> None:
    header = ["scenario", "broker", "acked", "received", "lost", "duplicates (outside windows)",
              "rebalances", "recovery max", "verdict"]
    rows = []
    for v in verdicts:
        recovery = max(v["recovery_s"], default=0.0)
        rows.append([v["scenario"], v["broker"], str(v["acked"]), str(v["received"]),
                     str(v["lost"]), f'{v["duplicates"]} ({v["duplicates_outside_windows"]})',
                     str(v["rebalances"]), f"{recovery:.1f} s", v["verdict"]])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for v in verdicts:
        print(f'\n{v["scenario"]}: faults, and the time until everything acked before each was committed')
        recoveries = v["recovery_s"] + [None] * len(v["faults"])
        for fault, recovery in zip(v["faults"], recoveries):
            print(f"  {fault}" + (f": {recovery:.1f} s" if recovery is not None else ""))
        if v["lost"]:
            print(f'  lost seqs: {v["lost_ranges"]} (of them, missing from the topic itself: {v["lost_by_broker"]})')


if __name__ == "__main__":
    sys.exit(main())
