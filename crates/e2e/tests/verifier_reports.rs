//! End to end: the verifier's report files, `--metrics-file` (Prometheus text for
//! node_exporter's textfile collector) and `--html` (a self-contained page), written by the
//! real binary after a real run and read back the way their readers read them: the metrics by
//! `promtool check metrics` (Prometheus's own linter for the classic text format the textfile
//! collector parses), the page by a headless Chromium ([`e2e::browser`]). Their figures must be
//! the ones of the verifier's `--json` report.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use e2e::{browser, topic::as_strs, topic::record, Finished, Topic};
use rskafka::client::partition::Compression;
use verifier::ReportJson;

/// A folder of this test's own for the files the verifier writes.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(e2e::unique_topic("verifier-reports"));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Runs the verifier on `topic` with `--json` and `extra` flags.
fn verify_with(topic: &Topic, extra: &[&str]) -> Finished {
    let mut args = topic.verifier_args();
    args.extend(extra.iter().map(|a| a.to_string()));
    e2e::run("verifier", &as_strs(&args))
}

/// The samples of a metrics file in the text format: `name{labels}` → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

/// `promtool check metrics < path`: `None` (skipped) without promtool, else its complaints
/// (empty: none) after asserting it accepted the file.
fn promtool_check(path: &Path) -> Option<String> {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        e2e::skip("the promtool check: no `promtool` here (Debian's `prometheus` package)");
        return None;
    };
    let text = std::fs::read(path).expect("the metrics file");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&text)
        .expect("feeding promtool");
    let out = child.wait_with_output().expect("promtool ran");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool refused the file: {said}");
    Some(said)
}

/// Asserts the metrics file holds `report`'s figures, finished between `started` and now.
fn assert_metrics_match(text: &str, report: &ReportJson, started: SystemTime) {
    let found = samples(text);
    let total = |name: &str| {
        found
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(total("verifier_records"), report.total as f64);
    assert_eq!(total("verifier_records_invalid"), report.invalid as f64);
    assert_eq!(total("verifier_records_unaudited"), report.unaudited as f64);
    assert_eq!(total("verifier_verdict"), if report.ok { 1.0 } else { 0.0 });
    for run in &report.runs {
        let series = |name: &str| format!("{name}{{run_id=\"{}\"}}", run.run_id);
        assert_eq!(
            total(&series("verifier_records_duplicated")),
            run.duplicates as f64
        );
        if run.finished {
            assert_eq!(total(&series("verifier_records_lost")), run.lost as f64);
            assert_eq!(total(&series("verifier_records_acked")), run.acked as f64);
        }
    }
    let seconds = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let at = total("verifier_last_run_timestamp_seconds");
    assert!(
        seconds(started) <= at && at <= seconds(SystemTime::now()),
        "{at}"
    );
}

/// Loads the page in headless Chromium and asserts its text shows `report`'s figures; returns
/// that text (`None`: skipped, no Chromium).
fn assert_page_shows(html: &Path, report: &ReportJson) -> Option<String> {
    let dom = browser::dump_dom(&browser::file_url(html), Duration::ZERO)?;
    let text = browser::text_of(&dom);
    let mut expected = vec![
        format!("Verifier report: topic {}", report.topic),
        report.verdict(),
        format!("records read {}", report.total),
        format!("invalid {}", report.invalid),
    ];
    for (kind, count) in &report.by_type {
        expected.push(format!("{kind} {count} "));
    }
    for (user, count) in &report.by_user {
        expected.push(format!("{user} {count} "));
    }
    for (partition, count) in &report.per_partition {
        expected.push(format!("{partition} {count} "));
    }
    for run in &report.runs {
        expected.push(format!(
            "{} {} {} {} {}",
            run.run_id, run.acked, run.received, run.lost, run.duplicates
        ));
    }
    for part in expected {
        assert!(text.contains(&part), "{part:?} in the page's text:\n{text}");
    }
    Some(text)
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn the_metrics_file_and_the_html_page_show_the_json_reports_figures() {
    let topic = Topic::new("reports");
    let produced = topic.produce(&["--count", "500", "--partitions", "3"]);
    assert_eq!(produced.manifest.acked, 500);
    let dir = scratch();
    let (metrics, html) = (dir.join("verifier.prom"), dir.join("report.html"));
    let started = SystemTime::now();
    let out = verify_with(
        &topic,
        &[
            "--metrics-file",
            metrics.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report: ReportJson = out.parse();
    assert_eq!((report.total, report.lost), (500, 0));

    let text = std::fs::read_to_string(&metrics).expect("the metrics file");
    if let Some(complaints) = promtool_check(&metrics) {
        assert_eq!(complaints, "", "promtool check metrics");
    }
    assert_metrics_match(&text, &report, started);
    assert_page_shows(&html, &report);
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs a broker, run `just test`"]
async fn a_loss_still_writes_both_files_and_markup_from_the_topic_stays_text() {
    let topic = Topic::new("reports-loss");
    topic.produce(&["--count", "100", "--partitions", "1"]);
    // A second manifest claims 5 more events than were written: a loss (exit 1).
    let mut manifest = topic.last_manifest().await;
    manifest.acked += 5;
    manifest.sent += 5;
    topic.publish_manifest(&manifest).await;
    // A valid event whose user id is markup, and a record that is not an event.
    let hostile = r#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"<script>document.title='pwned'</script>","event_type":"connexion","session_id":"s1"}"#;
    let partition = topic.partition(&topic.name, 0).await;
    let records = vec![
        record(b"x", hostile.as_bytes(), BTreeMap::new()),
        record(b"x", b"<b>not json</b>", BTreeMap::new()),
    ];
    partition
        .produce(records, Compression::NoCompression)
        .await
        .unwrap();

    let dir = scratch();
    let (metrics, html) = (dir.join("verifier.prom"), dir.join("report.html"));
    let started = SystemTime::now();
    let out = tokio::task::spawn_blocking({
        let (topic, metrics, html) = (topic.clone(), metrics.clone(), html.clone());
        move || {
            verify_with(
                &topic,
                &[
                    "--metrics-file",
                    metrics.to_str().unwrap(),
                    "--html",
                    html.to_str().unwrap(),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(out.code, Some(1), "a loss is exit 1: {}", out.stderr);
    let report: ReportJson = out.parse();
    // Both records without audit headers are unaudited, the invalid one too.
    assert_eq!((report.lost, report.invalid, report.unaudited), (5, 1, 2));

    let text = std::fs::read_to_string(&metrics).expect("the metrics file, despite the loss");
    assert!(text.contains("verifier_verdict 0\n"), "{text}");
    promtool_check(&metrics);
    assert_metrics_match(&text, &report, started);

    let page = std::fs::read_to_string(&html).expect("the page, despite the loss");
    assert!(
        !page.contains("<script"),
        "markup from the topic is escaped"
    );
    if let Some(text) = assert_page_shows(&html, &report) {
        assert!(
            text.contains("<script>document.title='pwned'</script> 1 "),
            "{text}"
        );
        assert!(text.contains("VERDICT: LOSS"));
        assert!(text.contains("lost seqs: 100-104"), "{text}");
        let dom = browser::dump_dom(&browser::file_url(&html), Duration::from_millis(500)).unwrap();
        assert!(!dom.contains("<title>pwned</title>"), "no script ran");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[ignore = "end-to-end: needs a broker, run `just test`"]
fn a_file_that_cannot_be_written_is_one_line_naming_it_and_exit_2() {
    let topic = Topic::new("reports-unwritable");
    topic.produce(&["--count", "10"]);
    let missing = std::env::temp_dir().join(e2e::unique_topic("no-such-folder"));
    for (flag, name) in [
        ("--metrics-file", "verifier.prom"),
        ("--html", "report.html"),
    ] {
        let path = missing.join(name);
        let out = verify_with(&topic, &[flag, path.to_str().unwrap()]);
        let expected = format!(
            "cannot write {flag} {}: No such file or directory",
            path.display()
        );
        out.assert_user_error(flag, &[&expected]);
        assert!(
            !out.stdout.is_empty(),
            "{flag}: the report is printed before"
        );
    }
}
