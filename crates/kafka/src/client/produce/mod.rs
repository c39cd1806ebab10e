//! Producing: the records themselves still go through rskafka's partition clients
//! ([`crate::cluster::rskafka_client`]); what is ours is where a key goes ([`partitioner`]).

pub mod partitioner;
