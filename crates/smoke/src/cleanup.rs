//! What a smoke test leaves behind: nothing. Its topics and its group are deleted whatever the
//! verdict, unless `--keep` asks to inspect them.

use kafka::admin;

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
    let brokers = args.kafka.broker_list();
    let security = args.kafka.security();
    let client_id = format!("{}-cleanup", args.client_id);
    admin::delete_topics(&brokers, &client_id, &names.topics(), &security).await?;
    admin::delete_group(&brokers, &client_id, &names.group, &security).await?;
    tracing::info!(topic = names.topic, group = names.group, "deleted");
    Ok(Cleanup::Deleted)
}
