//! The reader: which broker task fetches each partition, and finding a partition's leader again
//! when it moved.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use tokio::{
    sync::mpsc,
    task::{JoinHandle, JoinSet},
    time::Instant,
};

use super::{
    broker::{BrokerTask, Report},
    link::Brokers,
    partition::PartitionState,
    FetchConfig, Fetched, StartAt,
};
use crate::{
    backoff::Backoff,
    client::Result,
    cluster::{Cluster, Layout},
};

/// Reads partitions of one topic through one task per leader broker; see [`super`].
pub struct Reader {
    supervisor: JoinHandle<()>,
    fetched: mpsc::Receiver<Result<Fetched>>,
}

impl Reader {
    /// Starts reading each of `partitions` of `cluster` from where it says.
    pub fn start(
        cluster: Cluster,
        config: FetchConfig,
        partitions: BTreeMap<i32, StartAt>,
    ) -> Reader {
        Reader::start_on(cluster, config, partitions)
    }

    /// Starts reading each of `partitions` of `cluster`, any implementation of [`Brokers`].
    pub(super) fn start_on<B: Brokers>(
        cluster: B,
        config: FetchConfig,
        partitions: BTreeMap<i32, StartAt>,
    ) -> Reader {
        // About one answer per partition waiting while the next fetches are in flight:
        // fetching overlaps processing, and memory stays bounded.
        let (out, fetched) = mpsc::channel(partitions.len().max(1));
        let states = partitions
            .into_iter()
            .map(|(partition, start)| {
                let state = PartitionState::new(
                    partition,
                    start,
                    config.partition_max_bytes,
                    config.max_bytes,
                );
                (partition, state)
            })
            .collect();
        let supervisor = Supervisor {
            cluster,
            config: Arc::new(config),
            pending: states,
            out,
            brokers: HashMap::new(),
            tasks: JoinSet::new(),
            layout: Layout::default(),
            placements: 0,
        };
        Reader {
            supervisor: tokio::spawn(supervisor.run()),
            fetched,
        }
    }

    /// The next partition's answer, or an error that ends the read; `None` once a scan read
    /// every partition to its end.
    pub async fn next(&mut self) -> Option<Result<Fetched>> {
        self.fetched.recv().await
    }

    /// Stops at once; answers not received yet are dropped.
    pub fn stop(self) {
        self.supervisor.abort();
    }

    /// Stops taking answers and lets the fetches in flight come back (within the fetch's wait)
    /// for at most `limit`: some brokers stop serving everyone when a client disconnects in
    /// the middle of a fetch (docs/brokers.md). What they bring is dropped.
    pub async fn drain(self, limit: Duration) {
        let Reader {
            mut supervisor,
            fetched,
        } = self;
        drop(fetched);
        if tokio::time::timeout(limit, &mut supervisor).await.is_err() {
            supervisor.abort();
        }
    }
}

/// The reader's task: hands partitions to broker tasks and takes back those whose leader
/// moved.
struct Supervisor<B: Brokers> {
    cluster: B,
    config: Arc<FetchConfig>,
    /// Partitions waiting for a leader.
    pending: BTreeMap<i32, PartitionState>,
    out: mpsc::Sender<Result<Fetched>>,
    /// node id → the channel handing partitions to its task.
    brokers: HashMap<i32, mpsc::UnboundedSender<PartitionState>>,
    tasks: JoinSet<()>,
    layout: Layout,
    /// How many times partitions were placed: the first takes the layout already known.
    placements: u32,
}

impl<B: Brokers> Supervisor<B> {
    async fn run(mut self) {
        let (reports_tx, mut reports) = mpsc::unbounded_channel();
        let mut remaining = self.pending.len();
        // Partitions handed back are placed again after a wait that grows while they keep
        // coming back (a broker down, a leader not elected yet), and starts short again once
        // placements held for a while.
        let mut retry = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut placed_at = Instant::now();
        let mut place_at = Instant::now();
        loop {
            if !self.pending.is_empty() && Instant::now() >= place_at {
                if placed_at.elapsed() > STABLE_PLACEMENT {
                    retry.reset();
                }
                if let Err(error) = self.place_pending(&reports_tx).await {
                    let _ = self.out.send(Err(error)).await;
                    return;
                }
                placed_at = Instant::now();
                place_at = placed_at + retry.next_wait();
            }
            if remaining == 0 {
                return; // a scan read everything: dropping `out` ends the caller's reading
            }
            tokio::select! {
                report = reports.recv() => match report {
                    Some(Report::Moved(state)) => {
                        self.pending.insert(state.partition, state);
                    }
                    Some(Report::Done(partition)) => {
                        tracing::debug!(partition, "read to its end");
                        remaining -= 1;
                    }
                    None => return,
                },
                Some(_) = self.tasks.join_next() => {
                    self.brokers.retain(|_, adopt| !adopt.is_closed());
                }
                () = tokio::time::sleep_until(place_at), if !self.pending.is_empty() => {}
                () = self.out.closed() => break,
            }
        }
        // The caller stopped reading: the broker tasks end once their fetch in flight came
        // back, rather than being cut off under their brokers (a drain bounds the wait).
        self.brokers.clear();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Hands each pending partition to the task of its leader, learning the leaders first.
    /// Fails only with an error that retrying cannot fix (the security settings).
    async fn place_pending(&mut self, reports: &mpsc::UnboundedSender<Report>) -> Result<()> {
        // The first placement takes the layout the process learned last (a group member has
        // just asked for the partition count); a partition handed back asks again.
        let layout = if self.placements == 0 {
            self.cluster.known_layout(&self.config.topic).await
        } else {
            self.cluster.topic_layout(&self.config.topic).await
        };
        self.placements += 1;
        match layout {
            Ok(layout) => self.layout = layout,
            Err(error) if error.is_fatal_security() => return Err(error.into()),
            Err(error) => {
                tracing::warn!(%error, "cannot learn the partitions' leaders, retrying");
                return Ok(());
            }
        }
        for (partition, state) in std::mem::take(&mut self.pending) {
            let Some((node, address)) = self.layout.leader(partition) else {
                self.pending.insert(partition, state);
                continue;
            };
            let address = address.to_string();
            // A task that is ending refuses the partition, which then goes to a new one.
            let state = match self.brokers.get(&node) {
                Some(adopt) => match adopt.send(state) {
                    Ok(()) => continue,
                    Err(refused) => refused.0,
                },
                None => state,
            };
            self.spawn_broker(node, address, state, reports);
        }
        Ok(())
    }

    fn spawn_broker(
        &mut self,
        node: i32,
        address: String,
        first: PartitionState,
        reports: &mpsc::UnboundedSender<Report>,
    ) {
        let (adopt, adopted) = mpsc::unbounded_channel();
        adopt.send(first).expect("the receiver is alive");
        self.brokers.insert(node, adopt);
        let task = BrokerTask {
            address,
            cluster: self.cluster.clone(),
            config: Arc::clone(&self.config),
            partitions: BTreeMap::new(),
            adopt: adopted,
            reports: reports.clone(),
            out: self.out.clone(),
            rounds: 0,
        };
        self.tasks.spawn(task.run());
    }
}

/// How long placements must hold for the wait before the next one to start short again.
const STABLE_PLACEMENT: Duration = Duration::from_secs(10);
