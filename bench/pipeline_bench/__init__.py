"""The runner of `just bench`, split by concern.

`just bench` (bench/run.sh, then bench/run.py or `python -m pipeline_bench` from bench/) measures
our producer, consumer and verifier against librdkafka and kafka-python-ng on the same local
brokers, in one run, and writes bench/results/latest.json plus a markdown table. The modules, in
the order a run goes through them:

- `config`: paths (the repository, the binaries, the anchors, results and logs) and the fixed
  settings every section shares (tansu's port and fetch wait, the latency rate, the mock count).
- `cli`: the options (--quick, --runs, --count, --only, --out, --bin-dir, --baseline-bin-dir)
  and the run from start to results files.
- `session`: one run's settings and its measurements, as the sections record them.
- `process`: a measured child process (wall time, CPU, peak and current RSS, its log).
- `scrape`: a Prometheus-like scraper of a service's /metrics (the metrics section).
- `brokers`: fresh brokers (tansu in memory, librdkafka's mock cluster), topics and datasets.
- `clients`: one measured run of our producer, consumer or verifier, or of an anchor script.
- `sections`: the benchmark sections (producer, consumer, verifier, zstd, latency, mock,
  metrics), each a sequence of runs recorded into the session.
- `stats`: medians, ratios and targets of the recorded runs (the JSON's `summary`).
- `machine`: what the figures were measured on (CPU, memory, versions, load average).
- `report`: the markdown tables printed and written next to the JSON.
"""
