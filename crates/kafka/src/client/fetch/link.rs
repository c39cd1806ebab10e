//! The fetch path's seam with the network: [`Brokers`] (where partitions are led, and a link
//! to one broker) and [`BrokerLink`] (the two requests a broker task makes). The reader and its
//! broker tasks are written against these traits; [`Cluster`] and [`Connection`] implement
//! them for real, and the unit tests (`reader_tests.rs`) with scripted brokers.
//!
//! The futures are `Send`: the reader and the broker tasks run on tasks of their own.

use std::future::Future;

use kafka_protocol::messages::{
    FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse,
};

use super::requests::{FETCH_VERSION_CAP, LIST_OFFSETS_VERSION_CAP};
use crate::{
    cluster::{self, Cluster, Layout},
    connection::{Connection, ConnectionError},
};

/// The cluster as the reader sees it: where a topic's partitions are led, and a link to one
/// broker.
pub(super) trait Brokers: Clone + Send + Sync + 'static {
    /// A link to one broker.
    type Link: BrokerLink;

    /// A new link to the broker at `address` (`host:port`).
    fn connect(
        &self,
        address: &str,
    ) -> impl Future<Output = Result<Self::Link, ConnectionError>> + Send;

    /// Where `topic`'s partitions are led now.
    fn topic_layout(&self, topic: &str) -> impl Future<Output = cluster::Result<Layout>> + Send;

    /// Where `topic`'s partitions were led when the process last asked
    /// ([`Cluster::known_layout`]); by default, asked now.
    fn known_layout(&self, topic: &str) -> impl Future<Output = cluster::Result<Layout>> + Send {
        self.topic_layout(topic)
    }
}

/// One broker as a broker task sees it.
pub(super) trait BrokerLink: Send + 'static {
    /// Sends a Fetch and waits for its answer.
    fn fetch(
        &mut self,
        request: &FetchRequest,
    ) -> impl Future<Output = Result<FetchResponse, ConnectionError>> + Send;

    /// Sends a ListOffsets and waits for its answer.
    fn list_offsets(
        &mut self,
        request: &ListOffsetsRequest,
    ) -> impl Future<Output = Result<ListOffsetsResponse, ConnectionError>> + Send;
}

impl Brokers for Cluster {
    type Link = Connection;

    async fn connect(&self, address: &str) -> Result<Connection, ConnectionError> {
        Cluster::connect(self, address).await
    }

    async fn topic_layout(&self, topic: &str) -> cluster::Result<Layout> {
        Cluster::topic_layout(self, topic).await
    }

    async fn known_layout(&self, topic: &str) -> cluster::Result<Layout> {
        Cluster::known_layout(self, topic).await
    }
}

impl BrokerLink for Connection {
    async fn fetch(&mut self, request: &FetchRequest) -> Result<FetchResponse, ConnectionError> {
        self.send(request, FETCH_VERSION_CAP).await
    }

    async fn list_offsets(
        &mut self,
        request: &ListOffsetsRequest,
    ) -> Result<ListOffsetsResponse, ConnectionError> {
        self.send(request, LIST_OFFSETS_VERSION_CAP).await
    }
}
