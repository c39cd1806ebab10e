//! What a smoke test leaves behind: nothing. Its topics and its group are deleted whatever the
//! verdict, unless `--keep` asks to inspect them.

use kafka::{client::admin, cluster::Cluster};

use crate::{names::Names, Args};

/// What became of the test's topics and group.
#[derive(Debug)]
pub enum Cleanup {
    /// Deleted (or never created).
    Deleted,
    /// Kept, as `--keep` asked.
    Kept,
}

/// Deletes the test's topics, then its group (whose member has left by now).
pub async fn run(args: &Args, names: &Names) -> Result<Cleanup, kafka::Error> {
    if args.keep {
        return Ok(Cleanup::Kept);
    }
    let cluster = Cluster::new(
        args.kafka.broker_list(),
        format!("{}-cleanup", args.client_id),
        args.kafka.security(),
    );
    admin::delete_topics(&cluster, &names.topics()).await?;
    admin::delete_group(&cluster, &names.group).await?;
    tracing::info!(topic = names.topic, group = names.group, "deleted");
    Ok(Cleanup::Deleted)
}
