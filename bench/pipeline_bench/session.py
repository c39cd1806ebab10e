"""One run of the bench: its settings and the measurements the sections record.

The sections share the run's counts, its time stamp (every topic and group name carries it, so
that a run never reads another's), and one dict of measurements, `results`: key (`ROW.CLIENT`,
e.g. `producer.ours`, `consumer.librdkafka`) → one dict per run. `stats.summarise` turns them
into medians and ratios. Each section logs its start with the load average (kept for the report:
the machine is shared) and each measurement as it is recorded, on stderr.

With a baseline build (`--baseline-bin-dir`), every run of our binaries is made twice, once per
build, back to back, the order alternating from one run to the next (`builds`): the baseline's
measurements go under `ROW.baseline`.
"""
import sys
from datetime import datetime, timezone

from .machine import loadavg


def interleaved(i, first, second):
    """`(first, second)` for even `i`, `(second, first)` for odd: two sides measured back to back
    in alternating order, so that a drifting load weighs on both alike."""
    return (first, second) if i % 2 == 0 else (second, first)


class Session:
    """The settings of one run and the measurements recorded so far."""

    def __init__(self, runs, count, latency_count, sections, baseline=None):
        self.runs = runs
        self.count = count
        self.latency_count = latency_count
        #: Runs of the slow or long rows (kafka-python-ng, latency): at most 3.
        self.few = min(runs, 3)
        self.sections = sections
        #: The directory of the baseline build's binaries, or None.
        self.baseline = baseline
        self.stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        self.results = {}
        self.loads = []

    def builds(self, i):
        """The builds of our binaries that run `i` measures, as (side, bin_dir): ("ours", None),
        the binaries of --bin-dir; with a baseline also ("baseline", its directory), in an order
        that alternates with `i`."""
        ours = ("ours", None)
        if self.baseline is None:
            return (ours,)
        return interleaved(i, ours, ("baseline", self.baseline))

    def section(self, name):
        """Logs the start of a section, with the load average then."""
        self.loads.append(loadavg())
        print(f"--- {name} (load average {self.loads[-1]:.2f})", file=sys.stderr, flush=True)

    def record(self, key, value, events=None):
        """Keeps one measurement; with `events`, also the process's CPU (user + sys) per
        million events."""
        if events and value.get("cpu_s") is not None:
            value["cpu_s_per_million"] = value["cpu_s"] / events * 1e6
        self.results.setdefault(key, []).append(value)
        shown = {k: (round(v) if isinstance(v, float) and v > 100 else
                     round(v, 2) if isinstance(v, float) else v)
                 for k, v in value.items() if k in ("events_per_s", "peak_rss_kb",
                                                     "steady_rss_kb", "latency",
                                                     "cpu_s_per_million", "scrapes",
                                                     "scrape_failures")}
        print(f"  {key}: {shown}", file=sys.stderr, flush=True)
