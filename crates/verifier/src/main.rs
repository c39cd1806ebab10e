//! `verifier`: reads the whole topic from the earliest offset and proves that every event a
//! producer run got acknowledged arrived, reporting statistics, samples, invalid records,
//! losses, duplicates and ordering along the way.
//!
//! Exit codes: 0 no finished run lost anything; 1 a loss was found; 2 usage or connection error.

mod report;
mod scan;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use events::{
    cli,
    kafka::{self, KafkaArgs},
};
use rskafka::client::partition::UnknownTopicHandling;

use crate::report::Report;

/// Reads the whole event topic and proves that 100% of the acknowledged events arrived.
///
/// Every flag can also be set through the environment variable shown. Exit code 0: nothing
/// lost; 1: a finished producer run lost events; 2: bad usage or Kafka unreachable.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    kafka: KafkaArgs,

    /// Topic holding the producers' run manifests.
    #[arg(long, env = "KAFKA_RUNS_TOPIC", default_value = "evenements.runs")]
    runs_topic: String,

    /// Sample events shown per event type.
    #[arg(long, env = "VERIFIER_SAMPLES", default_value_t = 1)]
    samples: usize,

    /// Print the report as one JSON object on stdout (logs stay on stderr).
    #[arg(long, env = "VERIFIER_JSON")]
    json: bool,

    /// Client id sent to the brokers.
    #[arg(long, env = "KAFKA_CLIENT_ID", default_value = "verifier")]
    client_id: String,
}

/// The verifier allocates through mimalloc: every record read costs a dozen small allocations
/// (rskafka's records, header maps, keys, values), made on the fetch tasks' threads and freed on
/// the scan's, where glibc's malloc took a third of the verifier's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let args = Args::parse();
    cli::exit_code(run(args).await)
}

async fn run(args: Args) -> Result<ExitCode> {
    let client = kafka::connect(&args.kafka, &args.client_id).await?;
    let topic = &args.kafka.topic;
    let Some(partitions) = kafka::partition_count(&client, topic).await? else {
        anyhow::bail!("topic {topic} does not exist: nothing to verify (has a producer run?)");
    };
    let manifests = match kafka::partition_count(&client, &args.runs_topic).await? {
        Some(_) => {
            let runs = client
                .partition_client(&args.runs_topic, 0, UnknownTopicHandling::Error)
                .await?;
            scan::read_manifests(&runs, topic).await?
        }
        None => {
            tracing::warn!(
                runs_topic = args.runs_topic,
                "no runs topic: every run will show as unfinished"
            );
            Vec::new()
        }
    };
    let partition_clients = kafka::partition_clients(&client, topic, partitions).await?;
    let inventory = scan::scan_topic(partition_clients, args.samples).await?;
    let runs = inventory.audit.reconcile(&manifests);
    let report = Report {
        topic: topic.clone(),
        inventory,
        runs,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report.to_json())?);
    } else {
        print!("{report}");
    }
    Ok(if report.has_loss() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
