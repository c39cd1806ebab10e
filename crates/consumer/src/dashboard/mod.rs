//! The live dashboard the consumer serves at `/` with `--http`: events per second by type over
//! the last five minutes, counts by type and by user, the member's partitions with their
//! offsets and lag, its generation.
//!
//! Everything is rendered here, as HTML: the first load shows the current numbers as text
//! (usable without JavaScript, which a `<noscript>` refresh keeps current), then a few lines of
//! inline script fetch `/live` every second, the same section rendered anew, and swap it in.
//! No build step, nothing from elsewhere: the binary serves all the page needs.
//!
//! The member hands a [`View`] of itself over once a second ([`Dashboard::publish`]); the
//! dashboard keeps the last five minutes of counts for the chart.

mod chart;
mod page;

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{extract::State, response::Html, routing::get};
use chrono::{DateTime, Utc};
use service::http::Router;

use crate::latency::LatencySummary;

/// How far back the chart goes.
const HISTORY: Duration = Duration::from_secs(300);

/// The member as the dashboard shows it, taken once a second.
#[derive(Debug, Clone)]
pub struct View {
    /// The group.
    pub group_id: String,
    /// Our member id, empty before the first join.
    pub member_id: String,
    /// The generation the member consumes in, `None` while it joins.
    pub generation: Option<i32>,
    /// Rebalances the member went through.
    pub rebalances: u32,
    /// Records counted, valid or not.
    pub consumed: u64,
    /// Records that are not valid events.
    pub invalid: u64,
    /// Valid events by type.
    pub by_type: BTreeMap<String, u64>,
    /// Valid events by user.
    pub by_user: BTreeMap<String, u64>,
    /// The partitions the member owns.
    pub partitions: Vec<PartitionRow>,
    /// End-to-end latency so far.
    pub latency: Option<LatencySummary>,
    /// When the view was taken.
    pub taken: DateTime<Utc>,
}

/// One owned partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRow {
    /// The partition.
    pub partition: i32,
    /// The next offset the member processes, once known.
    pub position: Option<i64>,
    /// The partition's end at the last fetch.
    pub high_watermark: Option<i64>,
    /// Records between the position and the end.
    pub lag: i64,
    /// The offset the member committed last.
    pub committed: Option<i64>,
}

/// The whole group, as its coordinator and the partitions' ends tell it: what every replica's
/// dashboard shows besides its own member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    /// The group's state (`Stable`, `PreparingRebalance`, …).
    pub state: String,
    /// Its members: client id, host, member id, partitions.
    pub members: Vec<GroupMember>,
    /// Every partition of the topic: its committed offset, end and lag.
    pub partitions: Vec<GroupPartition>,
}

/// One member of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The client id it sent (the hostname by default: the container, in compose).
    pub client_id: String,
    /// The host it connected from.
    pub client_host: String,
    /// Its member id.
    pub member_id: String,
    /// Its partitions of the topic.
    pub partitions: Vec<i32>,
}

/// One partition of the topic, for the whole group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPartition {
    /// The partition.
    pub partition: i32,
    /// The group's committed offset.
    pub committed: Option<i64>,
    /// The partition's end (high watermark).
    pub end: Option<i64>,
}

impl GroupView {
    /// The member that owns `partition`, if any.
    pub fn owner_of(&self, partition: i32) -> Option<&GroupMember> {
        self.members
            .iter()
            .find(|member| member.partitions.contains(&partition))
    }

    /// Completes what the coordinator left out about this member (tansu sends member ids
    /// only): its partitions, as it knows them itself.
    fn fill_in_ourselves(&mut self, ours: &View) {
        let partitions: Vec<i32> = ours.partitions.iter().map(|row| row.partition).collect();
        for member in &mut self.members {
            if member.member_id == ours.member_id && member.partitions.is_empty() {
                member.partitions.clone_from(&partitions);
            }
        }
    }
}

impl GroupMember {
    /// How the member is named on the page: its client id, or its member id when the
    /// coordinator did not say.
    pub fn label(&self) -> &str {
        if self.client_id.is_empty() {
            &self.member_id
        } else {
            &self.client_id
        }
    }
}

impl GroupPartition {
    /// Records past the committed offset (all of them when nothing was committed).
    pub fn lag(&self) -> Option<i64> {
        self.end
            .map(|end| (end - self.committed.unwrap_or(0)).max(0))
    }
}

/// The counts at one moment, for the chart.
#[derive(Debug, Clone)]
struct Sample {
    at: Instant,
    total: u64,
    by_type: BTreeMap<String, u64>,
}

impl Sample {
    /// Events per second of each type from `older` to this sample.
    fn rates_since(&self, older: &Sample) -> BTreeMap<String, f64> {
        let seconds = self.at.duration_since(older.at).as_secs_f64();
        self.by_type
            .iter()
            .map(|(kind, count)| {
                let before = older.by_type.get(kind).copied().unwrap_or(0);
                (kind.clone(), (count - before) as f64 / seconds)
            })
            .collect()
    }
}

/// What the page is made from: the last view and the counts of the last five minutes.
#[derive(Debug, Default)]
struct Board {
    view: Option<View>,
    history: VecDeque<Sample>,
    /// The last look at the whole group, or why it failed.
    group: Option<Result<GroupView, String>>,
}

/// The dashboard: the member publishes to it, the HTTP server renders it. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Dashboard(Arc<Mutex<Board>>);

impl Dashboard {
    /// Takes the member's latest `view`.
    pub fn publish(&self, view: View) {
        let mut board = self.board();
        let now = Instant::now();
        board.history.push_back(Sample {
            at: now,
            total: view.by_type.values().sum(),
            by_type: view.by_type.clone(),
        });
        while board
            .history
            .front()
            .is_some_and(|oldest| now.duration_since(oldest.at) > HISTORY)
        {
            board.history.pop_front();
        }
        board.view = Some(view);
    }

    /// Takes the latest look at the whole group, or why it could not be taken.
    pub fn publish_group(&self, mut group: Result<GroupView, String>) {
        let mut board = self.board();
        if let (Ok(group), Some(ours)) = (&mut group, &board.view) {
            group.fill_in_ourselves(ours);
        }
        board.group = Some(group);
    }

    /// The routes: the page at `/`, its live section at `/live`.
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/", get(full_page))
            .route("/live", get(live_section))
            .with_state(self.clone())
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `/`: the whole page.
async fn full_page(State(dashboard): State<Dashboard>) -> Html<String> {
    Html(page::full(&dashboard.board()))
}

/// `/live`: the section the page's script swaps in.
async fn live_section(State(dashboard): State<Dashboard>) -> Html<String> {
    Html(page::live(&dashboard.board()))
}

impl Board {
    /// Events per second over the last `window` (up to what the history holds), in total and
    /// by type.
    fn rates(&self, window: Duration) -> (f64, BTreeMap<String, f64>) {
        let (Some(first), Some(last)) = (self.sample_before(window), self.history.back()) else {
            return (0.0, BTreeMap::new());
        };
        let seconds = last.at.duration_since(first.at).as_secs_f64();
        if seconds <= 0.0 {
            return (0.0, BTreeMap::new());
        }
        (
            (last.total - first.total) as f64 / seconds,
            last.rates_since(first),
        )
    }

    /// The oldest sample no older than `window` before the last.
    fn sample_before(&self, window: Duration) -> Option<&Sample> {
        let last = self.history.back()?;
        self.history
            .iter()
            .find(|sample| last.at.duration_since(sample.at) <= window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A view with `by_type` counts.
    pub(super) fn view(by_type: &[(&str, u64)]) -> View {
        let by_type: BTreeMap<String, u64> = by_type
            .iter()
            .map(|(kind, count)| (kind.to_string(), *count))
            .collect();
        View {
            group_id: "statistiques".into(),
            member_id: "consumer-1".into(),
            generation: Some(3),
            rebalances: 2,
            consumed: by_type.values().sum::<u64>() + 1,
            invalid: 1,
            by_user: BTreeMap::from([("<script>alert(1)</script>".to_string(), 4)]),
            by_type,
            partitions: vec![PartitionRow {
                partition: 2,
                position: Some(120),
                high_watermark: Some(125),
                lag: 5,
                committed: Some(100),
            }],
            latency: None,
            taken: Utc::now(),
        }
    }

    #[test]
    fn a_member_known_by_id_only_gets_its_own_partitions_filled_in() {
        let dashboard = Dashboard::default();
        dashboard.publish(view(&[("achat", 1)]));
        let anonymous = |member_id: &str| GroupMember {
            client_id: String::new(),
            client_host: String::new(),
            member_id: member_id.into(),
            partitions: Vec::new(),
        };
        dashboard.publish_group(Ok(GroupView {
            state: "Stable".into(),
            members: vec![anonymous("consumer-1"), anonymous("other")],
            partitions: Vec::new(),
        }));
        let board = dashboard.board();
        let Some(Ok(group)) = &board.group else {
            panic!("a group view")
        };
        assert_eq!(
            group.owner_of(2).map(GroupMember::label),
            Some("consumer-1")
        );
        assert!(group.members[1].partitions.is_empty());
    }

    #[test]
    fn rates_come_from_the_counts_over_the_window() {
        let dashboard = Dashboard::default();
        let start = Instant::now();
        let mut board = dashboard.board();
        for (second, count) in [(0, 0), (5, 50), (10, 150)] {
            board.history.push_back(Sample {
                at: start + Duration::from_secs(second),
                total: count,
                by_type: BTreeMap::from([("achat".to_string(), count)]),
            });
        }
        let (total, by_type) = board.rates(Duration::from_secs(5));
        assert_eq!((total, by_type["achat"]), (20.0, 20.0));
        let (total, _) = board.rates(Duration::from_secs(60));
        assert_eq!(total, 15.0);
    }
}
