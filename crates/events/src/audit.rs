//! The delivery audit: what lets a reader prove that every acknowledged event arrived.
//!
//! The producer tags each record with two headers, `run_id` (unique per producer run) and `seq`
//! (0, 1, 2… within the run), as UTF-8 text so that any client can read them. When the run ends
//! it publishes a [`RunManifest`] to a control topic. A reader feeds every record it sees to a
//! [`DeliveryAudit`], then reconciles it against the manifests: lost seq ranges, duplicates and
//! per-key order violations, run by run.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Header naming the producer run.
pub const RUN_ID_HEADER: &str = "run_id";
/// Header carrying the record's sequence number within its run, in decimal.
pub const SEQ_HEADER: &str = "seq";

/// The audit identity of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTag {
    /// The producer run.
    pub run_id: String,
    /// Position within the run, from 0.
    pub seq: u64,
}

impl AuditTag {
    /// The record headers that carry this tag.
    pub fn to_headers(&self) -> BTreeMap<String, Vec<u8>> {
        AuditTag::headers(&self.run_id, self.seq)
    }

    /// The record headers of `seq` in `run_id`, without building a tag first (the producer's
    /// path, once per event).
    pub fn headers(run_id: &str, seq: u64) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            (RUN_ID_HEADER.to_string(), run_id.as_bytes().to_vec()),
            (SEQ_HEADER.to_string(), seq.to_string().into_bytes()),
        ])
    }

    /// Reads the tag back; `None` when the headers are absent or unreadable (an unaudited record).
    pub fn from_headers(headers: &BTreeMap<String, Vec<u8>>) -> Option<AuditTag> {
        let header = |name: &str| headers.get(name).map(Vec::as_slice);
        let (run_id, seq) = tag_of(header(RUN_ID_HEADER), header(SEQ_HEADER))?;
        Some(AuditTag {
            run_id: run_id.to_string(),
            seq,
        })
    }
}

/// The audit tag `(run_id, seq)` of a record, from the values of its [`RUN_ID_HEADER`] and
/// [`SEQ_HEADER`] headers, borrowed: what readers need per record. `None` when a header is
/// absent or unreadable (an unaudited record).
pub fn tag_of<'a>(run_id: Option<&'a [u8]>, seq: Option<&[u8]>) -> Option<(&'a str, u64)> {
    let run_id = std::str::from_utf8(run_id?).ok()?;
    let seq = std::str::from_utf8(seq?).ok()?.parse().ok()?;
    Some((run_id, seq))
}

/// What a producer run claims, published when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// The run, as in the records' `run_id` header.
    pub run_id: String,
    /// The topic the run wrote to.
    pub topic: String,
    /// Events handed to the client: seqs `0..sent`.
    pub sent: u64,
    /// Events the broker acknowledged.
    pub acked: u64,
    /// Events that failed for good.
    pub failed: u64,
    /// The seqs that failed, as inclusive `[first, last]` ranges: not expected downstream.
    #[serde(default)]
    pub failed_ranges: Vec<[u64; 2]>,
    /// Events still unanswered when the producer stopped waiting (a stop whose flush timed
    /// out): maybe written, maybe not, so not expected downstream either.
    #[serde(default)]
    pub unconfirmed: u64,
    /// The unconfirmed seqs, as inclusive `[first, last]` ranges.
    #[serde(default)]
    pub unconfirmed_ranges: Vec<[u64; 2]>,
    /// Acked events by type.
    pub by_type: BTreeMap<String, u64>,
    /// Acked events by user.
    pub by_user: BTreeMap<String, u64>,
    /// Timestamp of the first event.
    pub first_timestamp: Option<DateTime<Utc>>,
    /// Timestamp of the last event.
    pub last_timestamp: Option<DateTime<Utc>>,
}

impl RunManifest {
    /// The seqs the broker acknowledged: `0..sent` without the failed and unconfirmed ones.
    pub fn acked_seqs(&self) -> SeqRanges {
        let mut acked = SeqRanges::default();
        if self.sent > 0 {
            acked.insert_range(0, self.sent - 1);
        }
        for [first, last] in self.failed_ranges.iter().chain(&self.unconfirmed_ranges) {
            acked.remove_range(*first, *last);
        }
        acked
    }
}

/// A set of sequence numbers kept as disjoint inclusive ranges: a million in-order seqs cost
/// one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqRanges {
    /// first → last, disjoint and not adjacent.
    ranges: BTreeMap<u64, u64>,
    len: u64,
}

impl SeqRanges {
    /// Adds `seq`; returns false when it was already there.
    ///
    /// The reader's hot path (one call per record): a few map operations, no allocation.
    pub fn insert(&mut self, seq: u64) -> bool {
        let below = self.ranges.range(..=seq).next_back().map(|(f, l)| (*f, *l));
        if below.is_some_and(|(_, last)| last >= seq) {
            return false;
        }
        // A range starting right after `seq` is absorbed.
        let above = seq
            .checked_add(1)
            .and_then(|next| self.ranges.remove(&next));
        let last = above.unwrap_or(seq);
        match below {
            Some((first, below_last)) if below_last + 1 == seq => self.ranges.insert(first, last),
            _ => self.ranges.insert(seq, last),
        };
        self.len += 1;
        true
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: u64) -> bool {
        self.ranges
            .range(..=seq)
            .next_back()
            .is_some_and(|(_, last)| *last >= seq)
    }

    /// Adds every seq of `first..=last`.
    pub fn insert_range(&mut self, first: u64, last: u64) {
        let (mut start, mut end) = (first, last);
        // Absorb every range that overlaps or touches [start, end].
        let touching: Vec<(u64, u64)> = self
            .ranges
            .range(..=end.saturating_add(1))
            .rev()
            .take_while(|(_, l)| l.saturating_add(1) >= start)
            .map(|(f, l)| (*f, *l))
            .collect();
        for (f, l) in touching {
            self.ranges.remove(&f);
            self.len -= l - f + 1;
            start = start.min(f);
            end = end.max(l);
        }
        self.ranges.insert(start, end);
        self.len += end - start + 1;
    }

    /// Removes every seq of `first..=last`.
    pub fn remove_range(&mut self, first: u64, last: u64) {
        let overlapping: Vec<(u64, u64)> = self
            .ranges
            .range(..=last)
            .rev()
            .take_while(|(_, l)| **l >= first)
            .map(|(f, l)| (*f, *l))
            .collect();
        for (f, l) in overlapping {
            self.ranges.remove(&f);
            self.len -= l - f + 1;
            if f < first {
                self.insert_range(f, first - 1);
            }
            if l > last {
                self.insert_range(last + 1, l);
            }
        }
    }

    /// Adds every seq of `other`.
    pub fn union(&mut self, other: &SeqRanges) {
        for (first, last) in &other.ranges {
            self.insert_range(*first, *last);
        }
    }

    /// The seqs of `self` that are not in `other`.
    pub fn difference(&self, other: &SeqRanges) -> SeqRanges {
        let mut rest = self.clone();
        for (first, last) in &other.ranges {
            rest.remove_range(*first, *last);
        }
        rest
    }

    /// How many seqs the set holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The highest seq, if any.
    pub fn max(&self) -> Option<u64> {
        self.ranges.values().next_back().copied()
    }

    /// The set as inclusive `[first, last]` pairs, in order.
    pub fn to_pairs(&self) -> Vec<[u64; 2]> {
        self.ranges.iter().map(|(f, l)| [*f, *l]).collect()
    }

    /// Builds a set from inclusive `[first, last]` pairs.
    pub fn from_pairs(pairs: &[[u64; 2]]) -> SeqRanges {
        let mut set = SeqRanges::default();
        for [first, last] in pairs {
            set.insert_range(*first, *last);
        }
        set
    }
}

/// What one reader saw of one run.
#[derive(Debug, Clone, Default)]
struct RunSeen {
    seqs: SeqRanges,
    duplicates: u64,
    order_violations: u64,
    /// Highest seq seen so far per partition and key: a lower one afterwards is out of order.
    last_by_key: HashMap<i32, HashMap<Vec<u8>, u64>>,
}

/// Collects the audit tags of every record read, then reconciles them against the manifests.
#[derive(Debug, Clone, Default)]
pub struct DeliveryAudit {
    runs: HashMap<String, RunSeen>,
    /// Records without audit headers (another producer): counted, never rejected.
    pub unaudited: u64,
}

impl DeliveryAudit {
    /// Notes one record read from `partition` with `key`, its tag already read by
    /// [`tag_of`] as `(run_id, seq)`; `None` for an unaudited record.
    pub fn observe_parts(&mut self, partition: i32, key: Option<&[u8]>, tag: Option<(&str, u64)>) {
        match tag {
            Some((run_id, seq)) => self.observe_tag(partition, key, run_id, seq),
            None => self.unaudited += 1,
        }
    }

    fn observe_tag(&mut self, partition: i32, key: Option<&[u8]>, run_id: &str, seq: u64) {
        let run = match self.runs.get_mut(run_id) {
            Some(run) => run,
            None => self.runs.entry(run_id.to_string()).or_default(),
        };
        if !run.seqs.insert(seq) {
            run.duplicates += 1;
            return;
        }
        let key = key.unwrap_or_default();
        let keys = run.last_by_key.entry(partition).or_default();
        match keys.get_mut(key) {
            Some(last) if seq < *last => run.order_violations += 1,
            Some(last) => *last = seq,
            None => {
                keys.insert(key.to_vec(), seq);
            }
        }
    }

    /// The seqs seen for each run, as `[first, last]` pairs.
    pub fn seen(&self) -> BTreeMap<String, Vec<[u64; 2]>> {
        self.runs
            .iter()
            .map(|(id, run)| (id.clone(), run.seqs.to_pairs()))
            .collect()
    }

    /// Reconciles what was seen with what the producers claimed: one report per run that has
    /// records or a manifest, finished runs first, each group by run id.
    pub fn reconcile(&self, manifests: &[RunManifest]) -> Vec<RunReport> {
        let by_id: HashMap<&str, &RunManifest> =
            manifests.iter().map(|m| (m.run_id.as_str(), m)).collect();
        let empty = RunSeen::default();
        let mut ids: Vec<&str> = self.runs.keys().map(String::as_str).collect();
        ids.extend(by_id.keys().filter(|id| !self.runs.contains_key(**id)));
        let mut reports: Vec<RunReport> = ids
            .into_iter()
            .map(|id| {
                let seen = self.runs.get(id).unwrap_or(&empty);
                RunReport::new(id, seen, by_id.get(id).copied())
            })
            .collect();
        reports.sort_by(|a, b| b.finished.cmp(&a.finished).then(a.run_id.cmp(&b.run_id)));
        reports
    }
}

/// The verdict on one producer run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run.
    pub run_id: String,
    /// Whether its manifest was found (the producer ended normally).
    pub finished: bool,
    /// Events the producer says were acked; for an unfinished run, the highest seq seen + 1.
    pub acked: u64,
    /// Distinct seqs received.
    pub received: u64,
    /// Acked seqs not received (for an unfinished run: gaps below the highest seq seen).
    pub lost: u64,
    /// The lost seqs, as inclusive `[first, last]` ranges.
    pub lost_ranges: Vec<[u64; 2]>,
    /// Records received more than once.
    pub duplicates: u64,
    /// Records that came after a higher seq of the same key on the same partition.
    pub order_violations: u64,
    /// Finished, and everything acked arrived.
    pub complete: bool,
}

impl RunReport {
    fn new(run_id: &str, seen: &RunSeen, manifest: Option<&RunManifest>) -> RunReport {
        let expected = match manifest {
            Some(manifest) => manifest.acked_seqs(),
            None => seen
                .seqs
                .max()
                .map(|max| SeqRanges::from_pairs(&[[0, max]]))
                .unwrap_or_default(),
        };
        let lost = expected.difference(&seen.seqs);
        RunReport {
            run_id: run_id.to_string(),
            finished: manifest.is_some(),
            acked: manifest.map_or(expected.len(), |m| m.acked),
            received: seen.seqs.len(),
            lost: lost.len(),
            lost_ranges: lost.to_pairs(),
            duplicates: seen.duplicates,
            order_violations: seen.order_violations,
            complete: manifest.is_some() && lost.is_empty(),
        }
    }

    /// Whether this run proves a loss: a finished run missing acked events.
    pub fn has_loss(&self) -> bool {
        self.finished && self.lost > 0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn manifest(run_id: &str, sent: u64, failed_ranges: Vec<[u64; 2]>) -> RunManifest {
        let failed = failed_ranges.iter().map(|[f, l]| l - f + 1).sum();
        RunManifest {
            run_id: run_id.into(),
            topic: "t".into(),
            sent,
            acked: sent - failed,
            failed,
            failed_ranges,
            unconfirmed: 0,
            unconfirmed_ranges: vec![],
            by_type: BTreeMap::new(),
            by_user: BTreeMap::new(),
            first_timestamp: None,
            last_timestamp: None,
        }
    }

    fn tag(run_id: &str, seq: u64) -> AuditTag {
        AuditTag {
            run_id: run_id.into(),
            seq,
        }
    }

    #[test]
    fn headers_round_trip_as_text() {
        let headers = tag("r1", 1234).to_headers();
        assert_eq!(headers["seq"], b"1234");
        assert_eq!(AuditTag::from_headers(&headers), Some(tag("r1", 1234)));
        assert_eq!(AuditTag::from_headers(&BTreeMap::new()), None);
        let bad = BTreeMap::from([
            ("run_id".into(), b"r".to_vec()),
            ("seq".into(), b"x".to_vec()),
        ]);
        assert_eq!(AuditTag::from_headers(&bad), None);
    }

    #[test]
    fn observing_parsed_headers_is_observing_their_tag() {
        let (mut by_tag, mut by_headers) = (DeliveryAudit::default(), DeliveryAudit::default());
        for seq in [0, 1, 5, 3, 3, 2] {
            let tag = tag("r", seq);
            by_tag.observe_parts(1, Some(b"k"), Some((&tag.run_id, tag.seq)));
            let headers = tag.to_headers();
            let header = |name: &str| headers.get(name).map(Vec::as_slice);
            by_headers.observe_parts(
                1,
                Some(b"k"),
                tag_of(header(RUN_ID_HEADER), header(SEQ_HEADER)),
            );
        }
        by_tag.observe_parts(1, None, None);
        by_headers.observe_parts(1, None, tag_of(None, Some(b"1")));
        let manifests = [manifest("r", 6, vec![])];
        assert_eq!(
            by_tag.reconcile(&manifests),
            by_headers.reconcile(&manifests)
        );
        assert_eq!(by_headers.unaudited, 1);
    }

    #[test]
    fn complete_run_reports_nothing_lost() {
        let mut audit = DeliveryAudit::default();
        for seq in 0..100 {
            audit.observe_parts((seq % 3) as i32, Some(b"k"), Some(("r", seq)));
        }
        let [report] = audit
            .reconcile(&[manifest("r", 100, vec![])])
            .try_into()
            .unwrap();
        assert!(report.complete && !report.has_loss());
        assert_eq!(
            (report.received, report.lost, report.duplicates),
            (100, 0, 0)
        );
    }

    #[test]
    fn lost_ranges_duplicates_and_order_are_named() {
        let mut audit = DeliveryAudit::default();
        for seq in (0..10).chain(15..20).chain([3, 4]) {
            audit.observe_parts(0, Some(b"k"), Some(("r", seq)));
        }
        audit.observe_parts(0, Some(b"k"), Some(("r", 12)));
        audit.observe_parts(0, Some(b"k"), Some(("r", 11)));
        audit.observe_parts(1, None, None);
        let [report] = audit
            .reconcile(&[manifest("r", 25, vec![])])
            .try_into()
            .unwrap();
        assert_eq!(report.lost_ranges, vec![[10, 10], [13, 14], [20, 24]]);
        assert_eq!(report.lost, 8);
        assert_eq!(report.duplicates, 2);
        assert_eq!(report.order_violations, 2, "12 after 19, then 11 after 19");
        assert!(report.has_loss());
        assert_eq!(audit.unaudited, 1);
    }

    #[test]
    fn failed_seqs_are_not_expected() {
        let mut audit = DeliveryAudit::default();
        for seq in (0..5).chain(8..10) {
            audit.observe_parts(0, None, Some(("r", seq)));
        }
        let [report] = audit
            .reconcile(&[manifest("r", 10, vec![[5, 7]])])
            .try_into()
            .unwrap();
        assert!(report.complete, "{report:?}");
        assert_eq!(report.acked, 7);
    }

    #[test]
    fn unconfirmed_seqs_are_not_expected_and_may_arrive() {
        let mut audit = DeliveryAudit::default();
        // 0..6 acked, 6..10 unconfirmed, of which 6 and 7 arrived.
        for seq in 0..8 {
            audit.observe_parts(0, None, Some(("r", seq)));
        }
        let mut manifest = manifest("r", 10, vec![]);
        (manifest.acked, manifest.unconfirmed) = (6, 4);
        manifest.unconfirmed_ranges = vec![[6, 9]];
        let [report] = audit.reconcile(&[manifest]).try_into().unwrap();
        assert!(report.complete, "{report:?}");
        assert_eq!((report.lost, report.acked), (0, 6));
    }

    #[test]
    fn run_without_manifest_is_unfinished_with_its_gaps() {
        let mut audit = DeliveryAudit::default();
        for seq in [0, 1, 2, 5, 6] {
            audit.observe_parts(0, None, Some(("killed", seq)));
        }
        let reports = audit.reconcile(&[manifest("empty", 0, vec![])]);
        assert_eq!(reports[0].run_id, "empty");
        assert!(reports[0].complete);
        let killed = &reports[1];
        assert!(!killed.finished && !killed.complete && !killed.has_loss());
        assert_eq!(killed.lost_ranges, vec![[3, 4]]);
    }

    proptest! {
        /// Audit headers from any client decode or are absent, never panic.
        #[test]
        fn any_header_bytes_give_a_tag_or_none(
            run_id in proptest::collection::vec(any::<u8>(), 0..40),
            seq in proptest::collection::vec(any::<u8>(), 0..24),
        ) {
            if let Some((run, _)) = tag_of(Some(&run_id), Some(&seq)) {
                prop_assert_eq!(run.as_bytes(), &run_id[..]);
            }
        }

        #[test]
        fn inserting_one_seq_at_a_time_behaves_like_a_set(
            seqs in proptest::collection::vec(0u64..100, 0..200),
        ) {
            let mut ranges = SeqRanges::default();
            let mut model = std::collections::BTreeSet::new();
            for seq in seqs {
                prop_assert_eq!(ranges.insert(seq), model.insert(seq));
            }
            prop_assert_eq!(ranges.len(), model.len() as u64);
            let mut rebuilt = SeqRanges::default();
            for seq in &model {
                rebuilt.insert_range(*seq, *seq);
            }
            prop_assert_eq!(ranges, rebuilt);
        }

        #[test]
        fn seq_ranges_behave_like_a_set(
            inserts in proptest::collection::vec((0u64..200, 0u64..5), 0..60),
            removes in proptest::collection::vec((0u64..200, 0u64..10), 0..10),
        ) {
            let mut ranges = SeqRanges::default();
            let mut model = std::collections::BTreeSet::new();
            for (first, width) in inserts {
                ranges.insert_range(first, first + width);
                model.extend(first..=first + width);
            }
            for (first, width) in removes {
                ranges.remove_range(first, first + width);
                for seq in first..=first + width { model.remove(&seq); }
            }
            prop_assert_eq!(ranges.len(), model.len() as u64);
            for seq in 0..220 {
                prop_assert_eq!(ranges.contains(seq), model.contains(&seq));
            }
            let pairs = ranges.to_pairs();
            for window in pairs.windows(2) {
                prop_assert!(window[0][1] + 1 < window[1][0], "ranges must not touch");
            }
            prop_assert_eq!(SeqRanges::from_pairs(&pairs), ranges);
        }
    }
}
