//! Counts of events by type and by user, and the tables every service prints.

use std::{collections::BTreeMap, collections::HashMap, fmt::Write};

use crate::event::{Event, EventType};

/// Running counts over a stream of events.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Valid events counted.
    pub events: u64,
    /// Records whose payload is not a valid event.
    pub invalid: u64,
    by_type: [u64; EventType::ALL.len()],
    by_user: HashMap<String, u64>,
}

impl Stats {
    /// Every record counted, valid or not.
    pub fn total(&self) -> u64 {
        self.events + self.invalid
    }

    /// Counts one valid event.
    pub fn record(&mut self, event: &Event) {
        self.record_parts(event.event_type(), &event.user_id);
    }

    /// Counts one valid event from its type and user, without needing the whole event.
    pub fn record_parts(&mut self, kind: EventType, user_id: &str) {
        self.events += 1;
        self.by_type[kind as usize] += 1;
        // Look up by &str first: the common case allocates nothing.
        match self.by_user.get_mut(user_id) {
            Some(count) => *count += 1,
            None => {
                self.by_user.insert(user_id.to_string(), 1);
            }
        }
    }

    /// Counts one record that is not a valid event.
    pub fn record_invalid(&mut self) {
        self.invalid += 1;
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, other: &Stats) {
        self.events += other.events;
        self.invalid += other.invalid;
        for (mine, theirs) in self.by_type.iter_mut().zip(other.by_type) {
            *mine += theirs;
        }
        for (user, count) in &other.by_user {
            *self.by_user.entry(user.clone()).or_default() += count;
        }
    }

    /// Counts by event type name, for JSON output (types never seen are left out).
    pub fn by_type(&self) -> BTreeMap<String, u64> {
        EventType::ALL
            .into_iter()
            .filter(|kind| self.by_type[*kind as usize] > 0)
            .map(|kind| (kind.as_str().to_string(), self.by_type[kind as usize]))
            .collect()
    }

    /// Counts by user, for JSON output.
    pub fn by_user(&self) -> BTreeMap<String, u64> {
        self.by_user.iter().map(|(u, c)| (u.clone(), *c)).collect()
    }

    /// The two tables of the seed: events by type, then by user, each sorted by count
    /// (largest first, ties by name) with their share of the total.
    pub fn render_tables(&self) -> String {
        let mut out = String::new();
        let by_type = self.by_type().into_iter().collect();
        render_table(&mut out, "Events by type", "type", by_type, self.events);
        let by_user = self.by_user().into_iter().collect();
        render_table(&mut out, "Events by user", "user", by_user, self.events);
        out
    }
}

fn render_table(
    out: &mut String,
    title: &str,
    key: &str,
    mut rows: Vec<(String, u64)>,
    total: u64,
) {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0)
        .max(key.len());
    let _ = writeln!(out, "{title}:");
    let _ = writeln!(out, "  {key:<width$}  {:>10}  {:>6}", "count", "share");
    for (name, count) in rows {
        let share = share(count, total);
        // `{:<width$}` pads by characters, so accented names line up.
        let _ = writeln!(out, "  {name:<width$}  {count:>10}  {share:>5.1}%");
    }
}

/// `count` as a percentage of `total` (0 when there is no total): the share column of every
/// breakdown, in the terminal tables, the consumer's dashboard and the verifier's HTML report.
pub fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * count as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::Generator;

    #[test]
    fn counts_add_up_and_merge_is_a_sum() {
        let mut generator = Generator::new(5, Some(1));
        let (mut a, mut b, mut all) = (Stats::default(), Stats::default(), Stats::default());
        for i in 0..1_000 {
            let event = generator.next_event(chrono::Utc::now());
            all.record(&event);
            if i % 3 == 0 {
                a.record(&event)
            } else {
                b.record(&event)
            }
        }
        a.record_invalid();
        a.merge(&b);
        assert_eq!(a.events, 1_000);
        assert_eq!(a.invalid, 1);
        assert_eq!(a.by_type(), all.by_type());
        assert_eq!(a.by_user(), all.by_user());
        assert_eq!(all.by_type().values().sum::<u64>(), 1_000);
        assert_eq!(all.by_user().values().sum::<u64>(), 1_000);
    }

    #[test]
    fn tables_are_sorted_by_count_and_aligned_with_accents() {
        let mut stats = Stats::default();
        for _ in 0..3 {
            stats.record_parts(EventType::Deconnexion, "user2");
        }
        stats.record_parts(EventType::Achat, "user1");
        let tables = stats.render_tables();
        let lines: Vec<&str> = tables.lines().collect();
        assert_eq!(lines[2], "  déconnexion           3   75.0%");
        assert_eq!(lines[3], "  achat                 1   25.0%");
        assert!(lines[6].starts_with("  user2") && lines[7].starts_with("  user1"));
    }
}
