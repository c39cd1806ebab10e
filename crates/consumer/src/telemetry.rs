//! What `--http` serves from the member: its metrics ([`metrics`](crate::metrics)), its
//! readiness, and the dashboard ([`dashboard`](crate::dashboard)), all brought up to date
//! once a second from the member's own tallies. Without `--http` none of it exists.

use std::collections::BTreeMap;

use chrono::Utc;
use kafka::{
    client::group::{CoordinatorLink, GroupConfig},
    cluster::Cluster,
};
use prometheus_client::registry::Registry;
use service::{
    http::{self, Readiness},
    Shutdown,
};

use crate::{
    activity::Activity,
    config::TelemetryConfig,
    dashboard::{Dashboard, PartitionRow, View},
    group_watch::GroupWatch,
    metrics::{Membership, Metrics},
    tally::Tally,
    Error,
};

/// The member's state that the metrics and the dashboard show besides its tallies.
#[derive(Debug, Clone, Copy)]
pub struct MemberView<'a> {
    /// The group.
    pub group_id: &'a str,
    /// Our member id.
    pub member_id: &'a str,
    /// The generation it consumes in, `None` while it joins or stops.
    pub generation: Option<i32>,
    /// Its commits, heartbeats and rebalances.
    pub activity: &'a Activity,
    /// The partitions it owns.
    pub partitions: &'a [i32],
    /// What it committed last, by partition.
    pub committed: &'a BTreeMap<i32, i64>,
}

/// The metrics, the readiness and the dashboard of one member.
pub struct Telemetry {
    metrics: Metrics,
    readiness: Readiness,
    dashboard: Dashboard,
}

impl Telemetry {
    /// With `--http`: serves `/metrics`, `/healthz`, `/readyz` and the dashboard at `/`, and
    /// logs the dashboard's URL (`--dashboard-url`, or the address served).
    pub async fn serve(config: &TelemetryConfig) -> Result<Option<Telemetry>, Error> {
        let Some(address) = config.address else {
            return Ok(None);
        };
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let readiness = Readiness::default();
        let dashboard = Dashboard::default();
        let bound = http::serve(address, registry, readiness.clone(), dashboard.routes()).await?;
        let url = match config.dashboard_url.trim() {
            "" => http::url_of(bound),
            given => given.to_string(),
        };
        tracing::info!("dashboard: {url}");
        Ok(Some(Telemetry {
            metrics,
            readiness,
            dashboard,
        }))
    }

    /// Looks at the whole `group` (its members, and their lag on its topic) for the
    /// dashboard in the background, on connections of its own to `cluster`, until `shutdown`.
    pub fn watch_group(&self, cluster: &Cluster, group: &GroupConfig, shutdown: Shutdown) {
        let watch = GroupWatch {
            coordinator: CoordinatorLink::new(cluster.clone(), group.group_id.clone()),
            cluster: cluster.clone(),
            topic: group.topic.clone(),
        };
        tokio::spawn(watch.run(self.dashboard.clone(), shutdown));
    }

    /// Brings the metrics and the dashboard up to `tally` and `member`; ready while the member
    /// consumes in a generation.
    pub fn publish(&mut self, tally: &Tally, member: MemberView<'_>) {
        self.readiness.set(member.generation.is_some());
        self.metrics.publish(
            tally,
            Membership {
                generation: member.generation,
                activity: member.activity,
                partitions: member.partitions,
            },
        );
        self.dashboard.publish(view_of(tally, member));
    }
}

/// The dashboard's view of the member.
fn view_of(tally: &Tally, member: MemberView<'_>) -> View {
    let stats = &tally.ingest.stats;
    let lags = tally.lag(member.partitions);
    let partitions = member
        .partitions
        .iter()
        .map(|partition| PartitionRow {
            partition: *partition,
            position: tally.positions.get(partition).copied(),
            high_watermark: tally.high_watermarks.get(partition).copied(),
            lag: lags.get(partition).copied().unwrap_or(0),
            committed: member.committed.get(partition).copied(),
        })
        .collect();
    View {
        group_id: member.group_id.to_string(),
        member_id: member.member_id.to_string(),
        generation: member.generation,
        rebalances: member.activity.generations.rebalances(),
        consumed: stats.total(),
        invalid: stats.invalid,
        by_type: stats.by_type(),
        by_user: stats.by_user(),
        partitions,
        latency: tally.latency.summary(),
        taken: Utc::now(),
    }
}
