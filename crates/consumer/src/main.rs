//! `consumer`: a consumer-group member showing live statistics (work in progress).

fn main() {}
