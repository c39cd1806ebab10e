//! End to end: what the services tell about themselves while they run. With
//! `--log-format json`, every line they write on stderr is one JSON object a log collector can
//! read, the final error line included.

use e2e::{topic::as_strs, Topic};
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
