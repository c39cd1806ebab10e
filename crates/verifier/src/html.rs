//! `--html FILE`: the report as one self-contained HTML page, for people who would rather open
//! a file in a browser, attach it to a CI run or serve it as it is.
//!
//! The page has the text report's tables (records read, events by type and by user, records per
//! partition, the delivery audit, invalid records, samples) and a bar chart per breakdown. It
//! needs nothing else: the style is inline CSS, the charts inline SVG, and there is no script,
//! so it reads the same offline, from a mail attachment or under a strict Content Security
//! Policy.
//!
//! Each part is a [`maud`] template, checked when the crate compiles. A template escapes every
//! value it interpolates (`&`, `<`, `>` and `"`, and attributes are always double-quoted), so
//! what comes from the topic (user ids, run ids, invalid records' reasons, samples) shows as
//! text whatever it holds, markup included; only the fixed style sheet and an SVG comment are
//! written as they are ([`PreEscaped`]).

use std::collections::BTreeMap;

use events::{audit::RunReport, stats::share};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::{
    report::{format_ranges, lost_label, run_status},
    ReportJson,
};

/// Bars drawn per chart at most; the table below it has every row.
const CHART_BARS: usize = 20;
/// Characters of a label shown in a chart; the table has the whole label.
const CHART_LABEL_CHARS: usize = 24;

/// The whole page for `report`.
pub fn render(report: &ReportJson) -> String {
    let partitions: Vec<(String, u64)> = report
        .per_partition
        .iter()
        .map(|(partition, count)| (partition.to_string(), *count))
        .collect();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Verifier report: topic " (report.topic) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { "Verifier report: topic " (report.topic) }
                    (summary(report))
                    (breakdown("Events by type", "type", &by_count(&report.by_type), report.valid))
                    (breakdown("Events by user", "user", &by_count(&report.by_user), report.valid))
                    (breakdown("Records per partition", "partition", &partitions, report.total))
                    (audit(&report.runs))
                    (invalid_records(report))
                    (samples(&report.samples))
                }
            }
        }
    };
    page.into_string()
}

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:960px;margin:0 auto;padding:16px 24px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.15em;margin:1.4em 0 .5em}
table{border-collapse:collapse;background:#fff;margin:.3em 0}
th,td{border:1px solid #d0d7de;padding:3px 10px;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600}
.ok{background:#dafbe1;border:1px solid #4ac26b}.loss{background:#ffebe9;border:1px solid #ff8182}
.none{background:#fff8c5;border:1px solid #d4a72c}
pre{background:#fff;border:1px solid #d0d7de;padding:8px;overflow-x:auto}
svg{display:block;background:#fff;border:1px solid #d0d7de;margin:.5em 0}
";

/// The verdict, then the records read and what the audit found, in one table.
fn summary(report: &ReportJson) -> Markup {
    let class = if !report.runs.iter().any(|r| r.finished) {
        "none"
    } else if report.ok {
        "ok"
    } else {
        "loss"
    };
    let rows = [
        ("records read", report.total),
        ("valid", report.valid),
        ("invalid", report.invalid),
        ("unaudited", report.unaudited),
        ("lost (finished runs)", report.lost),
        ("duplicates", report.duplicates),
    ];
    html! {
        p.verdict.(class) #verdict { (report.verdict()) }
        h2 { "Records read" }
        table #summary {
            @for (name, value) in rows {
                tr { th { (name) } td.n { (value) } }
            }
        }
    }
}

/// `counts` sorted as the text report sorts them: largest first, ties by name.
fn by_count(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// One breakdown: its heading, its chart, then its table with each row's share of `total`.
fn breakdown(title: &str, key: &str, rows: &[(String, u64)], total: u64) -> Markup {
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(label, count)| Bar {
            label,
            value: *count,
            missing: 0,
        })
        .collect();
    let id = title.to_lowercase().replace(' ', "-");
    html! {
        h2 { (title) }
        @if rows.is_empty() {
            p { "none" }
        } @else {
            (bar_chart(title, &bars))
            table id=(id) {
                tr { th { (key) } th.n { "count" } th.n { "share" } }
                @for (label, count) in rows {
                    tr {
                        td { (label) }
                        td.n { (count) }
                        td.n { (format!("{:.1}%", share(*count, total))) }
                    }
                }
            }
        }
    }
}

/// One bar of a chart: what arrived, and what should have but did not (drawn red after it).
struct Bar<'a> {
    label: &'a str,
    value: u64,
    missing: u64,
}

/// A horizontal bar chart in inline SVG: the first [`CHART_BARS`] bars, each with its label
/// and its figure, scaled to the longest. SVG elements are closed explicitly (`<rect></rect>`):
/// in an HTML page a `<rect>` left open would hold the next one.
fn bar_chart(title: &str, bars: &[Bar<'_>]) -> Markup {
    const LABEL_WIDTH: usize = 230;
    const BAR_WIDTH: usize = 520;
    const ROW: usize = 22;
    let shown = &bars[..bars.len().min(CHART_BARS)];
    let longest = shown
        .iter()
        .map(|b| b.value + b.missing)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |n: u64| (n as f64 / longest as f64 * BAR_WIDTH as f64).round() as usize;
    let height = ROW * shown.len() + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 90;
    let more = bars.len() - shown.len();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height) role="img"
            aria-label=(title) {
            @for (row, bar) in shown.iter().enumerate() {
                @let y = 4 + row * ROW;
                @let (filled, missing) = (scale(bar.value), scale(bar.missing));
                text x=(LABEL_WIDTH - 6) y=(y + 13) text-anchor="end" font-size="13" {
                    (chart_label(bar.label))
                }
                rect x=(LABEL_WIDTH) y=(y) width=(filled) height="16" fill="#4c8bf5" {}
                rect x=(LABEL_WIDTH + filled) y=(y) width=(missing) height="16" fill="#e5534b" {}
                text x=(LABEL_WIDTH + filled + missing + 4) y=(y + 13) font-size="12" {
                    (bar_figure(bar))
                }
            }
            @if more > 0 {
                (PreEscaped(format!("<!-- {more} more rows in the table -->")))
            }
        }
    }
}

/// A label cut to [`CHART_LABEL_CHARS`] characters, with `…` when cut.
fn chart_label(label: &str) -> String {
    if label.chars().count() <= CHART_LABEL_CHARS {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(CHART_LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The figure written after a bar: its value, and what is missing when something is.
fn bar_figure(bar: &Bar<'_>) -> String {
    if bar.missing == 0 {
        bar.value.to_string()
    } else {
        format!("{} (lost {})", bar.value, bar.missing)
    }
}

/// The delivery audit: a chart of what each run's events became, then the table of the text
/// report with each run's lost seqs.
fn audit(runs: &[RunReport]) -> Markup {
    let bars: Vec<Bar> = runs
        .iter()
        .map(|run| Bar {
            label: &run.run_id,
            value: run.received,
            missing: run.lost,
        })
        .collect();
    html! {
        h2 { "Delivery audit" }
        @if runs.is_empty() {
            p { "no audited records and no manifests" }
        } @else {
            (bar_chart("Events received per run", &bars))
            table #runs {
                tr {
                    th { "run_id" }
                    th.n { "acked" }
                    th.n { "received" }
                    th.n { "lost" }
                    th.n { "duplicates" }
                    th.n { "order" }
                    th { "status" }
                }
                @for run in runs {
                    tr {
                        td { (run.run_id) }
                        td.n { (run.acked) }
                        td.n { (run.received) }
                        td.n { (run.lost) }
                        td.n { (run.duplicates) }
                        td.n { (run.order_violations) }
                        td { (run_status(run)) }
                    }
                }
            }
            @for run in runs.iter().filter(|run| !run.lost_ranges.is_empty()) {
                p { (run.run_id) " " (lost_label(run)) ": " (format_ranges(&run.lost_ranges)) }
            }
        }
    }
}

/// The first invalid records, where they are and why, when there are any.
fn invalid_records(report: &ReportJson) -> Markup {
    html! {
        @if report.invalid > 0 {
            h2 {
                "Invalid records: " (report.invalid)
                " (first " (report.invalid_records.len()) " shown)"
            }
            table #invalid {
                tr { th.n { "partition" } th.n { "offset" } th { "reason" } }
                @for bad in &report.invalid_records {
                    tr { td.n { (bad.partition) } td.n { (bad.offset) } td { (bad.reason) } }
                }
            }
        }
    }
}

/// The sample events, each as indented JSON.
fn samples(samples: &[serde_json::Value]) -> Markup {
    html! {
        @if !samples.is_empty() {
            h2 { "Sample events" }
            @for sample in samples {
                pre { (serde_json::to_string_pretty(sample).expect("JSON values serialise")) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> ReportJson {
        ReportJson {
            topic: "evenements".into(),
            total: 7,
            valid: 6,
            invalid: 1,
            unaudited: 0,
            by_type: [("achat".to_string(), 4), ("recherche".to_string(), 2)].into(),
            by_user: [
                ("<script>alert('x')</script>".to_string(), 5),
                ("user1".to_string(), 1),
            ]
            .into(),
            per_partition: [(0, 3), (1, 4)].into(),
            samples: vec![serde_json::json!({"user_id": "</pre><b>bold</b>"})],
            invalid_records: vec![crate::scan::InvalidRecord {
                partition: 1,
                offset: 9,
                reason: "not JSON: <img src=x>".into(),
            }],
            runs: vec![RunReport {
                run_id: "run-\"1\"".into(),
                finished: true,
                acked: 8,
                received: 6,
                lost: 2,
                lost_ranges: vec![[3, 4]],
                duplicates: 0,
                order_violations: 0,
                complete: false,
            }],
            lost: 2,
            duplicates: 0,
            ok: false,
        }
    }

    #[test]
    fn text_from_the_topic_is_escaped() {
        let page = render(&report());
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
            "{page}"
        );
        assert!(!page.contains("<img"));
        assert!(!page.contains("</pre><b>"));
        assert!(page.contains("run-&quot;1&quot;"));
    }

    #[test]
    fn the_page_needs_nothing_else() {
        let page = render(&report());
        for external in ["src=\"", "href=", "<script", "<link", "url("] {
            assert!(!page.contains(external), "{external} in the page");
        }
    }

    #[test]
    fn the_page_has_the_tables_verdict_and_a_chart_per_breakdown() {
        let page = render(&report());
        assert!(page.contains("VERDICT: LOSS: 75.00% of acknowledged events received (6/8)"));
        for id in [
            "summary",
            "events-by-type",
            "events-by-user",
            "records-per-partition",
            "runs",
            "invalid",
        ] {
            assert!(page.contains(&format!("<table id=\"{id}\">")), "table {id}");
        }
        assert_eq!(
            page.matches("<svg ").count(),
            4,
            "type, user, partition, runs"
        );
        assert!(page.contains("<td>achat</td><td class=\"n\">4</td><td class=\"n\">66.7%</td>"));
        assert!(page.contains("lost seqs: 3-4"));
        assert_eq!(
            page.matches("<rect ").count(),
            page.matches("</rect>").count(),
            "every SVG element closed"
        );
    }

    #[test]
    fn long_labels_are_cut_in_charts_only() {
        let long = "u".repeat(40);
        assert_eq!(chart_label(&long).chars().count(), CHART_LABEL_CHARS);
        assert!(chart_label(&long).ends_with('…'));
        assert_eq!(chart_label("user1"), "user1");
    }
}
