//! `--html FILE`: the report as one self-contained HTML page, for people who would rather open
//! a file in a browser, attach it to a CI run or serve it as it is.
//!
//! The page has the text report's tables (records read, events by type and by user, records per
//! partition, the delivery audit, invalid records, samples) and a bar chart per breakdown. It
//! needs nothing else: the style is inline CSS, the charts inline SVG, and there is no script,
//! so it reads the same offline, from a mail attachment or under a strict Content Security
//! Policy. Everything that comes from the topic (user ids, run ids, invalid records' reasons,
//! samples) is escaped: a record can hold any text, markup included.

use std::{collections::BTreeMap, fmt::Write};

use events::{audit::RunReport, stats::share};

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
    let mut page = String::new();
    head(&mut page, &report.topic);
    summary(&mut page, report);
    let by_type = by_count(&report.by_type);
    breakdown(&mut page, "Events by type", "type", &by_type, report.valid);
    let by_user = by_count(&report.by_user);
    breakdown(&mut page, "Events by user", "user", &by_user, report.valid);
    let partitions: Vec<(String, u64)> = report
        .per_partition
        .iter()
        .map(|(partition, count)| (partition.to_string(), *count))
        .collect();
    breakdown(
        &mut page,
        "Records per partition",
        "partition",
        &partitions,
        report.total,
    );
    audit(&mut page, &report.runs);
    invalid_records(&mut page, report);
    samples(&mut page, &report.samples);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// `text` made safe anywhere in an HTML or SVG document: in element content and in quoted
/// attribute values (`&`, `<`, `>`, `"` and `'` as entities).
pub fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
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

/// The document's start: title, style, the page heading.
fn head(page: &mut String, topic: &str) {
    let topic = escape(topic);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Verifier report: topic {topic}</title>\n<style>\n{STYLE}</style>\n</head>\n\
         <body>\n<main>\n<h1>Verifier report: topic {topic}</h1>\n"
    );
}

/// The verdict, then the records read and what the audit found, in one table.
fn summary(page: &mut String, report: &ReportJson) {
    let class = if !report.runs.iter().any(|r| r.finished) {
        "none"
    } else if report.ok {
        "ok"
    } else {
        "loss"
    };
    let _ = writeln!(
        page,
        "<p class=\"verdict {class}\" id=\"verdict\">{}</p>",
        escape(&report.verdict())
    );
    page.push_str("<h2>Records read</h2>\n<table id=\"summary\">\n");
    let rows = [
        ("records read", report.total),
        ("valid", report.valid),
        ("invalid", report.invalid),
        ("unaudited", report.unaudited),
        ("lost (finished runs)", report.lost),
        ("duplicates", report.duplicates),
    ];
    for (name, value) in rows {
        let _ = writeln!(page, "<tr><th>{name}</th><td class=\"n\">{value}</td></tr>");
    }
    page.push_str("</table>\n");
}

/// `counts` sorted as the text report sorts them: largest first, ties by name.
fn by_count(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// One breakdown: its heading, its chart, then its table with each row's share of `total`.
fn breakdown(page: &mut String, title: &str, key: &str, rows: &[(String, u64)], total: u64) {
    let _ = writeln!(page, "<h2>{title}</h2>");
    if rows.is_empty() {
        page.push_str("<p>none</p>\n");
        return;
    }
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(label, count)| Bar {
            label,
            value: *count,
            missing: 0,
        })
        .collect();
    page.push_str(&bar_chart(title, &bars));
    let id = title.to_lowercase().replace(' ', "-");
    let _ = writeln!(
        page,
        "<table id=\"{id}\">\n<tr><th>{key}</th><th class=\"n\">count</th><th class=\"n\">share</th></tr>"
    );
    for (label, count) in rows {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"n\">{count}</td><td class=\"n\">{:.1}%</td></tr>",
            escape(label),
            share(*count, total)
        );
    }
    page.push_str("</table>\n");
}

/// One bar of a chart: what arrived, and what should have but did not (drawn red after it).
struct Bar<'a> {
    label: &'a str,
    value: u64,
    missing: u64,
}

/// A horizontal bar chart in inline SVG: the first [`CHART_BARS`] bars, each with its label
/// and its figure, scaled to the longest.
fn bar_chart(title: &str, bars: &[Bar<'_>]) -> String {
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
    let height = ROW * shown.len() + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 90;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"{}\">\n",
        escape(title)
    );
    for (row, bar) in shown.iter().enumerate() {
        let y = 4 + row * ROW;
        let scale = |n: u64| (n as f64 / longest as f64 * BAR_WIDTH as f64).round() as usize;
        let (filled, missing) = (scale(bar.value), scale(bar.missing));
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{filled}\" height=\"16\" fill=\"#4c8bf5\"/>\
             <rect x=\"{}\" y=\"{y}\" width=\"{missing}\" height=\"16\" fill=\"#e5534b\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            LABEL_WIDTH - 6,
            y + 13,
            escape(&chart_label(bar.label)),
            LABEL_WIDTH + filled,
            LABEL_WIDTH + filled + missing + 4,
            y + 13,
            bar_figure(bar)
        );
    }
    if bars.len() > shown.len() {
        let _ = writeln!(
            svg,
            "<!-- {} more rows in the table -->",
            bars.len() - shown.len()
        );
    }
    svg.push_str("</svg>\n");
    svg
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
fn audit(page: &mut String, runs: &[RunReport]) {
    page.push_str("<h2>Delivery audit</h2>\n");
    if runs.is_empty() {
        page.push_str("<p>no audited records and no manifests</p>\n");
        return;
    }
    let bars: Vec<Bar> = runs
        .iter()
        .map(|run| Bar {
            label: &run.run_id,
            value: run.received,
            missing: run.lost,
        })
        .collect();
    page.push_str(&bar_chart("Events received per run", &bars));
    page.push_str(
        "<table id=\"runs\">\n<tr><th>run_id</th><th class=\"n\">acked</th>\
         <th class=\"n\">received</th><th class=\"n\">lost</th><th class=\"n\">duplicates</th>\
         <th class=\"n\">order</th><th>status</th></tr>\n",
    );
    for run in runs {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&run.run_id),
            run.acked,
            run.received,
            run.lost,
            run.duplicates,
            run.order_violations,
            run_status(run)
        );
    }
    page.push_str("</table>\n");
    for run in runs.iter().filter(|run| !run.lost_ranges.is_empty()) {
        let _ = writeln!(
            page,
            "<p>{} {}: {}</p>",
            escape(&run.run_id),
            lost_label(run),
            escape(&format_ranges(&run.lost_ranges))
        );
    }
}

/// The first invalid records, where they are and why, when there are any.
fn invalid_records(page: &mut String, report: &ReportJson) {
    if report.invalid == 0 {
        return;
    }
    let _ = writeln!(
        page,
        "<h2>Invalid records: {} (first {} shown)</h2>\n<table id=\"invalid\">\n\
         <tr><th class=\"n\">partition</th><th class=\"n\">offset</th><th>reason</th></tr>",
        report.invalid,
        report.invalid_records.len()
    );
    for bad in &report.invalid_records {
        let _ = writeln!(
            page,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            bad.partition,
            bad.offset,
            escape(&bad.reason)
        );
    }
    page.push_str("</table>\n");
}

/// The sample events, each as indented JSON.
fn samples(page: &mut String, samples: &[serde_json::Value]) {
    if samples.is_empty() {
        return;
    }
    page.push_str("<h2>Sample events</h2>\n");
    for sample in samples {
        let json = serde_json::to_string_pretty(sample).expect("JSON values serialise");
        let _ = writeln!(page, "<pre>{}</pre>", escape(&json));
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
            page.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
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
    }

    #[test]
    fn long_labels_are_cut_in_charts_only() {
        let long = "u".repeat(40);
        assert_eq!(chart_label(&long).chars().count(), CHART_LABEL_CHARS);
        assert!(chart_label(&long).ends_with('…'));
        assert_eq!(chart_label("user1"), "user1");
    }
}
