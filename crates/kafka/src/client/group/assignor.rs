//! Kafka's two classic partition assignors, as pure functions.
//!
//! The group leader runs the assignor the coordinator chose among those every member supports,
//! so ours must give exactly what Kafka's `RangeAssignor` and `RoundRobinAssignor` give: then a
//! group mixing our consumers with Java or librdkafka ones behaves the same whoever leads.

use std::collections::{BTreeMap, BTreeSet};

/// The assignors we offer, in order of preference (librdkafka's and Java's default order).
pub const PROTOCOLS: [&str; 2] = ["range", "roundrobin"];

/// One member's subscription, as read from its JoinGroup metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member id the coordinator gave.
    pub id: String,
    /// The topics it subscribes to.
    pub topics: BTreeSet<String>,
}

/// member id → topic → partitions, every member present (possibly with nothing).
pub type Assignment = BTreeMap<String, BTreeMap<String, Vec<i32>>>;

/// Runs the assignor named `protocol`; `None` for an unknown name.
pub fn assign(
    protocol: &str,
    members: &[Member],
    partitions: &BTreeMap<String, i32>,
) -> Option<Assignment> {
    match protocol {
        "range" => Some(range(members, partitions)),
        "roundrobin" => Some(round_robin(members, partitions)),
        _ => None,
    }
}

fn empty_assignment(members: &[Member]) -> Assignment {
    members
        .iter()
        .map(|m| (m.id.clone(), BTreeMap::new()))
        .collect()
}

/// Per topic, the subscribers sorted by id share the partitions in contiguous ranges; the first
/// `partitions % subscribers` members get one more.
pub fn range(members: &[Member], partitions: &BTreeMap<String, i32>) -> Assignment {
    let mut assignment = empty_assignment(members);
    for (topic, &count) in partitions {
        let mut subscribers: Vec<&str> = members
            .iter()
            .filter(|m| m.topics.contains(topic))
            .map(|m| m.id.as_str())
            .collect();
        if subscribers.is_empty() {
            continue;
        }
        subscribers.sort_unstable();
        let n = subscribers.len() as i32;
        let (per_member, extra) = (count / n, count % n);
        for (i, member) in subscribers.into_iter().enumerate() {
            let i = i as i32;
            let start = per_member * i + i.min(extra);
            let len = per_member + i32::from(i < extra);
            if len > 0 {
                let owned = assignment
                    .get_mut(member)
                    .expect("every member has an entry");
                owned.insert(topic.clone(), (start..start + len).collect());
            }
        }
    }
    assignment
}

/// All topic-partitions in order, dealt one by one to the members sorted by id, skipping
/// members not subscribed to the partition's topic.
pub fn round_robin(members: &[Member], partitions: &BTreeMap<String, i32>) -> Assignment {
    let mut assignment = empty_assignment(members);
    let mut ids: Vec<&Member> = members.iter().collect();
    ids.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    if ids.is_empty() {
        return assignment;
    }
    let mut next = 0;
    for (topic, &count) in partitions {
        if !ids.iter().any(|m| m.topics.contains(topic)) {
            continue;
        }
        for partition in 0..count {
            while !ids[next % ids.len()].topics.contains(topic) {
                next += 1;
            }
            let member = &ids[next % ids.len()].id;
            let owned = assignment
                .get_mut(member)
                .expect("every member has an entry");
            owned.entry(topic.clone()).or_default().push(partition);
            next += 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn members(ids: &[&str], topics: &[&str]) -> Vec<Member> {
        ids.iter()
            .map(|id| Member {
                id: id.to_string(),
                topics: topics.iter().map(|t| t.to_string()).collect(),
            })
            .collect()
    }

    fn topics(list: &[(&str, i32)]) -> BTreeMap<String, i32> {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    #[test]
    fn range_gives_contiguous_ranges_extra_to_the_first() {
        let a = range(&members(&["c", "a", "b"], &["t"]), &topics(&[("t", 7)]));
        assert_eq!(a["a"]["t"], vec![0, 1, 2]);
        assert_eq!(a["b"]["t"], vec![3, 4]);
        assert_eq!(a["c"]["t"], vec![5, 6]);
    }

    #[test]
    fn range_with_more_members_than_partitions_leaves_some_empty() {
        let a = range(
            &members(&["a", "b", "c", "d"], &["t"]),
            &topics(&[("t", 3)]),
        );
        assert_eq!(a["a"]["t"], vec![0]);
        assert_eq!(a["c"]["t"], vec![2]);
        assert!(a["d"].is_empty());
    }

    #[test]
    fn round_robin_deals_across_topics() {
        let a = round_robin(
            &members(&["b", "a"], &["x", "y"]),
            &topics(&[("x", 3), ("y", 2)]),
        );
        assert_eq!(a["a"]["x"], vec![0, 2]);
        assert_eq!(a["a"]["y"], vec![1]);
        assert_eq!(a["b"]["x"], vec![1]);
        assert_eq!(a["b"]["y"], vec![0]);
    }

    #[test]
    fn members_only_get_topics_they_subscribe_to() {
        let mut group = members(&["a"], &["x"]);
        group.extend(members(&["b"], &["x", "y"]));
        for protocol in PROTOCOLS {
            let a = assign(protocol, &group, &topics(&[("x", 2), ("y", 2)])).unwrap();
            assert!(!a["a"].contains_key("y"), "{protocol}: {a:?}");
            assert_eq!(a["b"]["y"], vec![0, 1], "{protocol}");
        }
        assert!(assign("sticky", &group, &topics(&[])).is_none());
    }

    proptest! {
        /// Every partition goes to exactly one member, and shares differ by at most one.
        #[test]
        fn assignments_partition_the_topic_fairly(n_members in 1usize..8, n_partitions in 0i32..40) {
            let ids: Vec<String> = (0..n_members).map(|i| format!("member-{i}")).collect();
            let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let group = members(&id_refs, &["t"]);
            for protocol in PROTOCOLS {
                let a = assign(protocol, &group, &topics(&[("t", n_partitions)])).unwrap();
                prop_assert_eq!(a.len(), n_members);
                let mut all: Vec<i32> = a.values().flat_map(|t| t.get("t").cloned().unwrap_or_default()).collect();
                all.sort_unstable();
                prop_assert_eq!(all, (0..n_partitions).collect::<Vec<_>>());
                let sizes: Vec<usize> = a.values().map(|t| t.get("t").map_or(0, Vec::len)).collect();
                prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            }
        }
    }
}
