//! The names a smoke test gives what it creates: new on every run, so that runs never share a
//! topic or a group, and all under one prefix, so that one prefixed ACL covers them.

use std::fmt;

use rand::Rng;

/// The topic, runs topic and group of one smoke test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The events' topic: `PREFIX-YYYYMMDD-HHMMSS-XXXXXX` (UTC, 6 random hex digits).
    pub topic: String,
    /// The topic of the producer run's manifest: the events' topic then `.runs`, as the
    /// services name it.
    pub runs_topic: String,
    /// The consumer group: the same name as the topic.
    pub group: String,
}

impl Names {
    /// Fresh names under `prefix`.
    pub fn new(prefix: &str) -> Names {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let random = rand::rng().random_range(0..1u32 << 24);
        Names::from_topic(format!("{prefix}-{stamp}-{random:06x}"))
    }

    /// The names that go with the events' topic `topic`.
    pub(crate) fn from_topic(topic: String) -> Names {
        Names {
            runs_topic: format!("{topic}.runs"),
            group: topic.clone(),
            topic,
        }
    }

    /// Both topics.
    pub fn topics(&self) -> Vec<String> {
        vec![self.topic.clone(), self.runs_topic.clone()]
    }
}

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "topics {} and {}, group {}",
            self.topic, self.runs_topic, self.group
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_the_prefix_and_the_time() {
        let first = Names::new("smoke");
        assert!(first.topic.starts_with("smoke-20"), "{}", first.topic);
        assert_eq!(first.topic.len(), "smoke-YYYYMMDD-HHMMSS-XXXXXX".len());
        assert_eq!(first.runs_topic, format!("{}.runs", first.topic));
        assert_eq!(first.group, first.topic);
    }
}
