#!/usr/bin/env python3
"""Prints the chaos suite's verdicts (one SCENARIO.json per scenario in DIR) as one table, then
each scenario's faults with the group's recovery from each: until it had committed everything
written before the fault (caught up), and until it had committed, on every partition, a record
written after the fault started (first records after it).

usage: chaos_table.py DIR [--json]   (--json: the verdicts as one JSON array instead)
Exit 1 when a scenario's verdict is neither OK nor BROKER (the broker at fault, shown by an anchor:
librdkafka's members through the same faults), or none was recorded. An anchor's own row judges
the broker, not the pipeline.
"""
import json
import pathlib
import sys

ORDER = ["consumers", "consumers-tansu, librdkafka's members", "consumers-tansu", "brokers",
         "crash", "network", "soak"]


def main() -> int:
    directory = pathlib.Path(sys.argv[1])
    verdicts = [json.loads(p.read_text()) for p in directory.glob("*.json")]
    verdicts.sort(key=lambda v: ORDER.index(v["scenario"]) if v["scenario"] in ORDER else 99)
    if "--json" in sys.argv[2:]:
        print(json.dumps(verdicts, indent=2))
    else:
        print_table(verdicts)
    passed = all(v["verdict"] in ("OK", "BROKER") for v in verdicts if not v.get("anchor"))
    return 0 if verdicts and passed else 1


def print_table(verdicts: list) -> None:
    header = ["scenario", "broker", "acked", "received", "lost", "duplicates (outside windows)",
              "rebalances", "recovery max (caught up / first records after)", "verdict"]
    rows = []
    for v in verdicts:
        progress = max(v["first_progress_s"], default=0.0)
        recovery = max(v["recovery_s"], default=0.0)
        rows.append([v["scenario"], v["broker"], str(v["acked"]), str(v["received"]),
                     str(v["lost"]), f'{v["duplicates"]} ({v["duplicates_outside_windows"]})',
                     str(v["rebalances"]), f"{recovery:.1f} s / {progress:.1f} s",
                     v["verdict"] + (" (anchor)" if v.get("anchor") else "")])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for v in verdicts:
        print(f'\n{v["scenario"]}: faults, and the recovery from each (caught up / first records after)')
        recoveries = list(zip(v["recovery_s"], v["first_progress_s"])) + [None] * len(v["faults"])
        for fault, recovery in zip(v["faults"], recoveries):
            print(f"  {fault}" + (f": {recovery[0]:.1f} s / {recovery[1]:.1f} s" if recovery else ""))
        for evidence in v.get("evidence", []):
            print(f"  evidence: {evidence}")
        if v["lost"]:
            ranges = v["lost_ranges"]
            shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges[:10])
            more = f" and {len(ranges) - 10} more ranges" if len(ranges) > 10 else ""
            print(f'  lost seqs: {shown}{more} (of them, missing from the topic itself: {v["lost_by_broker"]})')
        if v.get("duplicates_outside_sample"):
            print(f'  duplicates outside every window: {", ".join(v["duplicates_outside_sample"])}')


if __name__ == "__main__":
    sys.exit(main())
