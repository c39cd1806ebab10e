//! `verifier`: reads the whole topic from the earliest offset and proves that every event a
//! producer run got acknowledged arrived, reporting statistics, samples, invalid records,
//! losses, duplicates and ordering along the way.
//!
//! It reads the runs' manifests from the runs topic, scans every partition to the high
//! watermark taken at the start ([`scan`]), reconciles the seqs seen with the manifests and
//! prints the report ([`report`]). The verdict is the exit code: 0 when no finished run lost
//! anything, 1 on a loss.

pub mod args;
pub mod report;
pub mod scan;

use kafka::{admin, client};
use service::Outcome;

pub use args::Args;
pub use report::{Report, ReportJson};

/// Why the verifier could not reach a verdict: each is something the user must fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cluster could not be reached, or a read failed.
    #[error(transparent)]
    Kafka(#[from] kafka::Error),
}

/// Reads the manifests and the whole topic, prints the report, and gives the verdict.
pub async fn run(args: Args) -> Result<Outcome, Error> {
    let security = args.kafka.security();
    let client = client::connect(&args.kafka.broker_list(), &args.client_id, &security).await?;
    let topic = &args.kafka.topic;
    let Some(partitions) = admin::partition_count(&client, topic).await? else {
        return Err(kafka::Error::UnknownTopic {
            topic: topic.clone(),
            hint: ": nothing to verify (has a producer run?)",
        }
        .into());
    };
    let source = scan::Source {
        brokers: args.kafka.broker_list(),
        client_id: &args.client_id,
        security: &security,
        topic,
        isolation: args.isolation_level,
    };
    let manifests = match admin::partition_count(&client, &args.runs.runs_topic).await? {
        Some(_) => scan::read_manifests(&source, &args.runs.runs_topic).await?,
        None => {
            tracing::warn!(
                runs_topic = args.runs.runs_topic,
                "no runs topic: every run will show as unfinished"
            );
            Vec::new()
        }
    };
    let inventory = scan::scan_topic(&source, partitions, args.samples).await?;
    let runs = inventory.ingest.audit.reconcile(&manifests);
    let report = Report {
        topic: topic.clone(),
        inventory,
        runs,
    };
    if args.json {
        let json = serde_json::to_string(&report.to_json()).expect("reports serialise");
        println!("{json}");
    } else {
        print!("{report}");
    }
    Ok(Outcome::from_check(!report.has_loss()))
}
