//! Duration flags: humantime's syntax (`30s`, `5m`, `250ms`, `1h 30m`), plus a bare number taken
//! as seconds, as Kafka users type timeouts.

use std::time::Duration;

/// Parses a duration flag: `250ms`, `30s`, `5m`, `1h`, or a bare number of seconds (`5`, `0.5`).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("{text:?} is not a duration: seconds must be 0 or more"));
    }
    humantime::parse_duration(text)
        .map_err(|error| format!("{text:?} is not a duration ({error}; try 30s, 5m, 250ms)"))
}

/// Checks that each `(flag, value)` is longer than zero; the message names the first that is
/// not (a zero interval or timeout would spin or give up at once).
pub fn check_positive(flags: &[(&str, Duration)]) -> Result<(), String> {
    match flags.iter().find(|(_, value)| value.is_zero()) {
        Some((flag, _)) => Err(format!("{flag} must be longer than 0")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_duration_is_named() {
        let one = Duration::from_secs(1);
        assert_eq!(check_positive(&[("--a", one), ("--b", one)]), Ok(()));
        assert_eq!(
            check_positive(&[("--a", one), ("--b", Duration::ZERO)]),
            Err("--b must be longer than 0".into())
        );
    }

    #[test]
    fn durations_parse_with_units_or_as_seconds() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse("soon").is_err());
        assert!(parse("-3").is_err());
        assert!(parse("3 weeks ago").is_err());
    }
}
