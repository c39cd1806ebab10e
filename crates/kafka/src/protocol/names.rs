//! Kafka's rules for the names of topics, so that a bad name is refused before connecting
//! rather than by the broker (or, by some brokers, not at all).

/// The longest topic name Kafka accepts.
pub const TOPIC_MAX_LEN: usize = 249;

/// Checks `name` against Kafka's rule for topic names: 1 to 249 characters among ASCII
/// letters, digits, `.`, `_` and `-`, and neither `.` nor `..`. The message says what is wrong.
pub fn check_topic(name: &str) -> Result<(), String> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() {
        return Err("a topic name cannot be empty".into());
    }
    if name.len() > TOPIC_MAX_LEN {
        return Err(format!(
            "a topic name has at most {TOPIC_MAX_LEN} characters, not {}",
            name.len()
        ));
    }
    if let Some(bad) = name.chars().find(|c| !legal(*c)) {
        return Err(format!(
            "{bad:?} cannot be in a topic name (letters, digits, '.', '_' and '-' only)"
        ));
    }
    if name == "." || name == ".." {
        return Err(format!("{name:?} cannot be a topic name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_topic_names_are_accepted() {
        for name in [
            "evenements",
            "evenements.runs",
            "a",
            "smoke-2026_11.x",
            &"x".repeat(249),
        ] {
            assert_eq!(check_topic(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn what_kafka_refuses_is_refused_with_the_reason() {
        for (name, reason) in [
            ("", "empty"),
            ("bad/topic!name", "'/' cannot be"),
            ("é", "'é' cannot be"),
            ("with space", "' ' cannot be"),
            (".", "cannot be a topic name"),
            ("..", "cannot be a topic name"),
            (&"x".repeat(250), "at most 249 characters, not 250"),
        ] {
            let error = check_topic(name).unwrap_err();
            assert!(error.contains(reason), "{name}: {error}");
        }
    }
}
