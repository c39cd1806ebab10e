//! The dashboard's HTML: the whole page, and its live section alone (what the script fetches
//! every second). Everything read from the topic (user ids) is escaped.

use std::{collections::BTreeMap, fmt::Write, time::Duration};

use events::stats::share;
use html_escape::encode_text as escape;

use super::{chart, Board, GroupView, PartitionRow, View};

/// The window of the headline rate.
const RECENT: Duration = Duration::from_secs(10);

/// The window of the rates by type.
const LAST_MINUTE: Duration = Duration::from_secs(60);

/// Users listed at most; the rest are summed up in one line.
const USERS_SHOWN: usize = 50;

/// The stylesheet, inline.
const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;color:#222}\
h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin:1.2em 0 .4em}\
.member{color:#555;margin:.2em 0 1em}.cards{display:flex;flex-wrap:wrap;gap:.6em}\
.card{border:1px solid #ddd;border-radius:6px;padding:.5em .9em;min-width:8em}\
.card b{display:block;font-size:1.5em}table{border-collapse:collapse;min-width:22em}\
td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}\
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em}\
.columns{display:flex;flex-wrap:wrap;gap:2em}#status{color:#080}.offline #status{color:#b00}\
footer{margin-top:2em;color:#777;font-size:.9em}svg{width:100%;max-width:720px;height:auto}";

/// Fetches the live section every second and swaps it in; says so when the consumer is gone.
const SCRIPT: &str = "const live=document.getElementById('live'),status=document.getElementById('status');\
let refreshed=0;async function refresh(){try{const answer=await fetch('live',{cache:'no-store'});\
if(!answer.ok)throw new Error('HTTP '+answer.status);live.innerHTML=await answer.text();\
live.dataset.refreshed=String(++refreshed);document.body.classList.remove('offline');status.textContent='live';}\
catch(error){document.body.classList.add('offline');status.textContent='disconnected ('+error.message+'): retrying';}}\
setInterval(refresh,1000);";

/// The whole page: the live section as of now, and the script that keeps it current.
pub fn full(board: &Board) -> String {
    let group = board
        .view
        .as_ref()
        .map_or(String::new(), |view| escape(&view.group_id).into_owned());
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Consumer {group} · dashboard</title><noscript><meta http-equiv="refresh" content="5"></noscript>
<style>{STYLE}</style></head><body>
<main id="live">{}</main>
<footer><span id="status">as of the page load</span> · <a href="metrics">/metrics</a> · <a href="healthz">/healthz</a> · <a href="readyz">/readyz</a></footer>
<script>{SCRIPT}</script></body></html>
"#,
        live(board)
    )
}

/// The live section: who the member is, the headline numbers, the chart and the tables.
pub fn live(board: &Board) -> String {
    let Some(view) = &board.view else {
        return "<h1>Consumer</h1><p class=\"member\">Starting: not in a group yet.</p>".into();
    };
    let (rate, _) = board.rates(RECENT);
    let (_, rates_by_type) = board.rates(LAST_MINUTE);
    let types: Vec<String> = view.by_type.keys().cloned().collect();
    let mut html = String::new();
    heading(&mut html, view);
    cards(&mut html, view, rate);
    let _ = write!(
        html,
        "<h2>Events per second by type, last 5 minutes</h2>{}",
        chart::render(board, &types)
    );
    group_section(&mut html, board.group.as_ref());
    html.push_str("<div class=\"columns\">");
    type_table(&mut html, &view.by_type, &rates_by_type);
    user_table(&mut html, &view.by_user);
    partition_table(&mut html, &view.partitions);
    html.push_str("</div>");
    html
}

/// The group, the member and its generation.
fn heading(html: &mut String, view: &View) {
    let generation = match view.generation {
        Some(id) => format!("generation {id}"),
        None => "joining the group".into(),
    };
    let _ = write!(
        html,
        "<h1>Consumer group <code>{}</code></h1><p class=\"member\">member <code>{}</code> · {generation} · {} rebalance(s) · as of {}</p>",
        escape(&view.group_id),
        escape(&view.member_id),
        view.rebalances,
        view.taken.format("%H:%M:%S UTC"),
    );
}

/// The headline numbers.
fn cards(html: &mut String, view: &View, rate: f64) {
    let lag_max = view.partitions.iter().map(|row| row.lag).max().unwrap_or(0);
    let latency = view.latency.map_or("–".into(), |latency| {
        format!("{:.0} / {:.0} ms", latency.p50_ms, latency.p99_ms)
    });
    let cards = [
        ("events/s (last 10 s)", format!("{rate:.1}")),
        ("consumed", view.consumed.to_string()),
        ("invalid", view.invalid.to_string()),
        ("partitions", view.partitions.len().to_string()),
        ("lag (max)", lag_max.to_string()),
        ("latency p50 / p99", latency),
    ];
    html.push_str("<div class=\"cards\">");
    for (label, value) in cards {
        let _ = write!(html, "<div class=\"card\">{label}<b>{value}</b></div>");
    }
    html.push_str("</div>");
}

/// The whole group: its members and every partition's owner, committed offset, end and lag.
fn group_section(html: &mut String, group: Option<&Result<GroupView, String>>) {
    let group = match group {
        None => return,
        Some(Err(why)) => {
            let _ = write!(
                html,
                "<h2>The group</h2><p>Not available: {}</p>",
                escape(why)
            );
            return;
        }
        Some(Ok(group)) => group,
    };
    let _ = write!(
        html,
        "<h2>The group: {} member(s), {}</h2><div class=\"columns\"><section><table><tr><th>member (client id)</th><th>host</th><th>partitions</th></tr>",
        group.members.len(),
        escape(&group.state)
    );
    for member in &group.members {
        let partitions: Vec<String> = member.partitions.iter().map(i32::to_string).collect();
        let _ = write!(
            html,
            "<tr><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            html_escape::encode_double_quoted_attribute(&member.member_id),
            escape(member.label()),
            escape(or_dash(&member.client_host)),
            or_dash(&partitions.join(", "))
        );
    }
    html.push_str("</table></section><section><table><tr><th>partition</th><th>owner</th><th>committed</th><th>end</th><th>lag</th></tr>");
    for row in &group.partitions {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.partition,
            group
                .owner_of(row.partition)
                .map_or("–".into(), |owner| escape(owner.label()).into_owned()),
            known_or_dash(row.committed),
            known_or_dash(row.end),
            known_or_dash(row.lag())
        );
    }
    html.push_str("</table></section></div>");
}

/// Events by type, with their colour in the chart, share and rate over the last minute.
fn type_table(html: &mut String, by_type: &BTreeMap<String, u64>, rates: &BTreeMap<String, f64>) {
    let total: u64 = by_type.values().sum();
    html.push_str("<section><h2>By event type</h2><table><tr><th>type</th><th>events</th><th>share</th><th>events/s (1 min)</th></tr>");
    for (index, (kind, count)) in by_type.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{count}</td><td>{:.1}%</td><td>{:.1}</td></tr>",
            chart::colour(index),
            escape(kind),
            share(*count, total),
            rates.get(kind).copied().unwrap_or(0.0),
        );
    }
    html.push_str("</table></section>");
}

/// Events by user, most first.
fn user_table(html: &mut String, by_user: &BTreeMap<String, u64>) {
    let total: u64 = by_user.values().sum();
    let mut users: Vec<(&String, &u64)> = by_user.iter().collect();
    users.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    html.push_str(
        "<section><h2>By user</h2><table><tr><th>user</th><th>events</th><th>share</th></tr>",
    );
    for (user, count) in users.iter().take(USERS_SHOWN) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{count}</td><td>{:.1}%</td></tr>",
            escape(user),
            share(**count, total)
        );
    }
    if users.len() > USERS_SHOWN {
        let _ = write!(
            html,
            "<tr><td>… {} more</td><td></td><td></td></tr>",
            users.len() - USERS_SHOWN
        );
    }
    html.push_str("</table></section>");
}

/// The member's partitions: where it is, the end, the lag, what it committed.
fn partition_table(html: &mut String, partitions: &[PartitionRow]) {
    html.push_str("<section><h2>This member's partitions</h2><table><tr><th>partition</th><th>position</th><th>high watermark</th><th>lag</th><th>committed</th></tr>");
    if partitions.is_empty() {
        html.push_str("<tr><td colspan=\"5\">none</td></tr>");
    }
    for row in partitions {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.partition,
            known_or_dash(row.position),
            known_or_dash(row.high_watermark),
            row.lag,
            known_or_dash(row.committed)
        );
    }
    html.push_str("</table></section>");
}

/// `text`, or a dash when it is empty (not known).
fn or_dash(text: &str) -> &str {
    if text.is_empty() {
        "–"
    } else {
        text
    }
}

/// An offset, or a dash when not known.
fn known_or_dash(offset: Option<i64>) -> String {
    offset.map_or("–".into(), |offset| offset.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::{tests::view, Dashboard, GroupMember, GroupPartition};

    #[test]
    fn the_first_load_shows_the_numbers_as_text_and_escapes_the_topic() {
        let dashboard = Dashboard::default();
        dashboard.publish(view(&[("achat", 30), ("connexion", 12)]));
        let page = full(&dashboard.board());
        for text in [
            "<code>statistiques</code>",
            "generation 3",
            "<td>30</td>",
            "<td>12</td>",
            "<td>2</td><td>120</td><td>125</td><td>5</td><td>100</td>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "setInterval(refresh,1000)",
        ] {
            assert!(page.contains(text), "{text} in\n{page}");
        }
        assert!(!page.contains("<script>alert"), "{page}");
    }

    #[test]
    fn the_group_section_lists_members_and_every_partition() {
        let dashboard = Dashboard::default();
        dashboard.publish(view(&[("achat", 1)]));
        dashboard.publish_group(Ok(GroupView {
            state: "Stable".into(),
            members: vec![GroupMember {
                client_id: "consumer-<b>".into(),
                client_host: "/10.0.0.3".into(),
                member_id: "m-2".into(),
                partitions: vec![0, 2],
            }],
            partitions: vec![GroupPartition {
                partition: 2,
                committed: Some(40),
                end: Some(45),
            }],
        }));
        let page = live(&dashboard.board());
        for text in [
            "The group: 1 member(s), Stable",
            "<td title=\"m-2\">consumer-&lt;b&gt;</td><td>/10.0.0.3</td><td>0, 2</td>",
            "<td>2</td><td>consumer-&lt;b&gt;</td><td>40</td><td>45</td><td>5</td>",
        ] {
            assert!(page.contains(text), "{text} in\n{page}");
        }
        dashboard.publish_group(Err("DescribeGroups: not offered".into()));
        let page = live(&dashboard.board());
        assert!(page.contains("Not available: DescribeGroups"), "{page}");
    }

    #[test]
    fn before_the_first_view_the_page_says_so() {
        let page = full(&Dashboard::default().board());
        assert!(page.contains("not in a group yet"), "{page}");
    }
}
