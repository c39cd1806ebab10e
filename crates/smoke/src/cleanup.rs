//! What a smoke test leaves behind: nothing. Its topics and its group are deleted whatever the
//! verdict, unless `--keep` asks to inspect them.

use kafka::{client::admin, cluster::Cluster, connection::security::Security};

use crate::names::Names;

/// Where and how the test's topics and group are deleted.
#[derive(Debug, Clone)]
pub struct CleanupConfig {
    /// Bootstrap brokers.
    pub brokers: Vec<String>,
    /// How every connection to the cluster is secured.
    pub security: Security,
    /// Client id sent to the brokers.
    pub client_id: String,
    /// Keep the topics and the group, to inspect them (`--keep`).
    pub keep: bool,
}

/// What became of the test's topics and group.
#[derive(Debug)]
pub enum Cleanup {
    /// Deleted (or never created).
    Deleted,
    /// Kept, as `--keep` asked.
    Kept,
}

/// Deletes the test's topics, then its group (whose member has left by now).
pub async fn run(config: &CleanupConfig, names: &Names) -> Result<Cleanup, kafka::Error> {
    let CleanupConfig {
        brokers,
        security,
        client_id,
        keep,
    } = config;
    if *keep {
        return Ok(Cleanup::Kept);
    }
    let cluster = Cluster::new(brokers.clone(), client_id.clone(), security.clone());
    admin::delete_topics(&cluster, &names.topics()).await?;
    admin::delete_group(&cluster, &names.group).await?;
    tracing::info!(topic = names.topic, group = names.group, "deleted");
    Ok(Cleanup::Deleted)
}
