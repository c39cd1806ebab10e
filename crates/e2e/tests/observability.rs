//! End to end: what the services tell about themselves while they run. With
//! `--log-format json`, every line they write on stderr is one JSON object a log collector can
//! read, the final error line included. With `--http`, the producer and the consumer serve
//! their metrics and probes while they run, and the metrics agree with their summaries, as
//! read by a real Prometheus server too (Debian's package).

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use consumer::Summary as MemberSummary;
use e2e::{prometheus::Prometheus, topic::as_strs, Topic};
use producer::Summary;
use serde_json::Value;

/// Every stderr line of a run parsed as a JSON object; panics, naming the line, on any other.
fn json_lines(what: &str, stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: a line that is not JSON ({e}): {line}"));
            assert!(
                value["timestamp"].is_string() && value["level"].is_string(),
                "{what}: no timestamp or level in {line}"
            );
            value
        })
        .collect()
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn json_logs_are_one_object_per_line_from_every_service() {
    let topic = Topic::new("logs-json");
    let json = ["--log-format", "json"];
    let producer = e2e::run(
        "producer",
        &as_strs(&topic.producer_args(&[&["--count", "20", "--rate", "0"], &json[..]].concat())),
    );
    assert_eq!(producer.code, Some(0), "producer: {}", producer.stderr);
    let lines = json_lines("producer", &producer.stderr);
    assert!(
        lines.iter().any(|l| l["message"] == "producing"),
        "the producer's start is logged: {lines:?}"
    );

    let verifier = e2e::run(
        "verifier",
        &as_strs(&[topic.verifier_args(), json.map(String::from).to_vec()].concat()),
    );
    assert_eq!(verifier.code, Some(0), "verifier: {}", verifier.stderr);
    json_lines("verifier", &verifier.stderr);

    let consumer = e2e::run(
        "consumer",
        &[
            "--brokers",
            &topic.bootstrap(),
            "--topic",
            &topic.name,
            "--group-id",
            "",
            "--log-format",
            "json",
        ],
    );
    assert_eq!(consumer.code, Some(2), "consumer: {}", consumer.stderr);
    let lines = json_lines("consumer", &consumer.stderr);
    let last = lines.last().expect("an error line");
    assert_eq!(last["level"], "ERROR", "{last}");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.contains("group id")),
        "{last}"
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_producer_serves_metrics_and_probes_while_it_runs() {
    let topic = Topic::new("metrics-producer");
    let args = topic.producer_args(&["--count", "0", "--rate", "100", "--http", "127.0.0.1:0"]);
    let producer = e2e::spawn(e2e::binary("producer"), &as_strs(&args));
    let address = served_address(&producer);
    assert_eq!(e2e::http_get(&address, "/healthz").0, 200);
    wait_until_ready(&address);
    std::thread::sleep(Duration::from_secs(2));
    let (status, text) = e2e::http_get(&address, "/metrics");
    assert_eq!(status, 200, "{text}");
    let metrics = samples(&text);
    e2e::terminate(&producer);
    let out = e2e::wait(producer, Duration::from_secs(30));
    assert_eq!(out.code, Some(0), "producer: {}", out.stderr);
    let summary: Summary = out.parse();

    let acked = metrics["producer_records_acked_total"];
    let sent = metrics["producer_records_sent_total"];
    assert!(
        acked > 0.0,
        "events were acknowledged before the scrape: {text}"
    );
    assert!(sent >= acked, "sent {sent} >= acked {acked}");
    assert!(
        acked <= summary.manifest.acked as f64,
        "scraped {acked} acked, then the summary said {}",
        summary.manifest.acked
    );
    assert_eq!(metrics["producer_records_failed_total"], 0.0);
    assert!(
        metrics["producer_request_latency_seconds_count"] > 0.0,
        "{text}"
    );
    assert!(
        text.ends_with("# EOF\n"),
        "OpenMetrics ends with # EOF: {text}"
    );
}

/// The address a service logged it serves HTTP on (`--http 127.0.0.1:0` picks a free port).
fn served_address(child: &std::process::Child) -> String {
    let started = Instant::now();
    loop {
        let log = e2e::stderr_so_far(child);
        if let Some(line) = log.lines().find(|l| l.contains("serving HTTP")) {
            let address = line
                .split("address=")
                .nth(1)
                .expect("address= in the log line");
            return address
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no `serving HTTP` line: {log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `/readyz` answers 200.
fn wait_until_ready(address: &str) {
    let started = Instant::now();
    while e2e::http_get(address, "/readyz").0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(20), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The samples of a metrics text: `name` or `name{labels}` → value. Every line must be a
/// comment or a sample.
fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a sample value: {line}"));
        samples.insert(name.to_string(), value);
    }
    samples
}

/// A consumer serving `--http` on a free port, in a group of its own, printing its summary as
/// JSON; and the address it serves.
fn consumer_serving_http(topic: &Topic) -> (std::process::Child, String) {
    let consumer = e2e::spawn(
        e2e::binary("consumer"),
        &[
            "--brokers",
            &topic.bootstrap(),
            "--topic",
            &topic.name,
            "--group-id",
            &e2e::unique_topic("metrics"),
            "--json",
            "--fetch-max-wait",
            "10ms",
            "--http",
            "127.0.0.1:0",
        ],
    );
    let address = served_address(&consumer);
    (consumer, address)
}

/// Scrapes `/metrics` until the consumer counted `acked` events; its samples then.
fn wait_until_consumed(address: &str, acked: u64) -> BTreeMap<String, f64> {
    let started = Instant::now();
    loop {
        let (status, text) = e2e::http_get(address, "/metrics");
        assert_eq!(status, 200, "{text}");
        let metrics = samples(&text);
        let consumed: f64 = metrics
            .iter()
            .filter(|(name, _)| name.starts_with("consumer_records_consumed_total{"))
            .map(|(_, value)| value)
            .sum();
        if consumed >= acked as f64 {
            return metrics;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "consumed {consumed} of {acked}: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Stops the consumer and reads its summary.
fn stop_consumer(consumer: std::process::Child) -> MemberSummary {
    e2e::terminate(&consumer);
    let out = e2e::wait(consumer, Duration::from_secs(30));
    assert_eq!(out.code, Some(0), "consumer: {}", out.stderr);
    out.parse()
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_consumer_serves_metrics_that_agree_with_its_summary() {
    let topic = Topic::new("metrics-consumer");
    let produced = topic.produce(&["--count", "60"]);
    let (consumer, address) = consumer_serving_http(&topic);
    let prometheus = Prometheus::scraping(&[&address]);
    assert_eq!(e2e::http_get(&address, "/healthz").0, 200);
    wait_until_ready(&address);
    let metrics = wait_until_consumed(&address, produced.manifest.acked);
    // What Prometheus itself read from the consumer, through its query API.
    let scraped = prometheus.map(|prometheus| {
        prometheus.wait_for(
            "consumer_records_consumed_total",
            Duration::from_secs(30),
            |series| series.iter().map(|(_, v)| v).sum::<f64>() >= produced.manifest.acked as f64,
        )
    });
    let summary = stop_consumer(consumer);

    for (labels, value) in scraped.unwrap_or_default() {
        let event_type = labels["event_type"].as_str().expect("an event_type label");
        assert_eq!(
            Some(&(value as u64)),
            summary.by_type.get(event_type),
            "Prometheus read {value} {event_type}"
        );
    }

    for (event_type, count) in &summary.by_type {
        let name = format!("consumer_records_consumed_total{{event_type=\"{event_type}\"}}");
        assert_eq!(metrics.get(&name), Some(&(*count as f64)), "{name}");
    }
    for (user, count) in &summary.by_user {
        let name = format!("consumer_records_consumed_by_user_total{{user_id=\"{user}\"}}");
        assert_eq!(metrics.get(&name), Some(&(*count as f64)), "{name}");
    }
    assert_eq!(
        metrics["pipeline_end_to_end_latency_seconds_count"],
        summary.valid as f64 + summary.invalid as f64,
        "one latency per record"
    );
    assert_eq!(
        metrics["pipeline_end_to_end_latency_seconds_bucket{le=\"+Inf\"}"],
        metrics["pipeline_end_to_end_latency_seconds_count"]
    );
    assert_eq!(metrics["consumer_commit_failures_total"], 0.0);
    assert_eq!(metrics["consumer_heartbeat_failures_total"], 0.0);
    assert_eq!(metrics["consumer_records_invalid_total"], 0.0);
    assert_eq!(metrics["consumer_records_lag_max"], 0.0);
    assert_eq!(
        metrics["consumer_assigned_partitions"],
        summary.partitions.len() as f64
    );
    assert_eq!(
        metrics["consumer_generation"],
        f64::from(summary.generation.expect("a generation"))
    );
    assert_eq!(
        metrics["consumer_rebalances_total"],
        f64::from(summary.rebalances)
    );
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_dashboard_shows_the_live_numbers_in_a_browser() {
    let topic = Topic::new("dashboard");
    let produced = topic.produce(&["--count", "120"]);
    let (consumer, address) = consumer_serving_http(&topic);
    wait_until_consumed(&address, produced.manifest.acked);
    let url = format!("http://{address}/");
    // The first load, as a browser without scripts gets it: the numbers are in the text.
    let (status, first_load) = e2e::http_get(&address, "/");
    assert_eq!(status, 200, "{first_load}");
    // In Chromium, after its script swapped the live section in at least once.
    let dom = e2e::browser::dump_dom(&url, Duration::from_secs(3));
    let screenshot = std::env::temp_dir().join(format!("{}.png", e2e::unique_topic("dashboard")));
    let shot = e2e::browser::screenshot(&url, &screenshot, (1100, 1250));
    if shot.is_some() {
        let png = std::fs::read(&screenshot).expect("the screenshot");
        assert!(
            png.starts_with(b"\x89PNG"),
            "a PNG at {}",
            screenshot.display()
        );
        let _ = std::fs::remove_file(&screenshot);
    }
    let summary = stop_consumer(consumer);

    let mut pages = vec![("the first load", first_load)];
    if let Some(dom) = dom {
        assert!(
            dom.contains("data-refreshed="),
            "the script swapped the live section in: {dom}"
        );
        pages.push(("Chromium's DOM", dom));
    }
    for (what, html) in pages {
        let text = e2e::browser::text_of(&html);
        let consumed = format!("consumed {}", summary.consumed);
        assert!(text.contains(&consumed), "{what} shows {consumed}: {text}");
        let generation = format!("generation {}", summary.generation.expect("a generation"));
        assert!(text.contains(&generation), "{what}: {generation}: {text}");
        for (event_type, count) in &summary.by_type {
            let row = format!("{event_type} {count} ");
            assert!(text.contains(&row), "{what} shows {row}: {text}");
        }
        for (user, count) in &summary.by_user {
            let row = format!("{user} {count} ");
            assert!(text.contains(&row), "{what} shows {row}: {text}");
        }
    }
}
