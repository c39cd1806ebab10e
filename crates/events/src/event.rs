//! The event model: one user action on the shop, written as the seed's JSON.
//!
//! The wire format is fixed by the seed (a Python prototype) so that any client can read it:
//! `{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user5","event_type":"achat",
//! "session_id":"session_7421","product":"tablette","price":734.88}`. The Rust side is typed:
//! the extra fields live in [`Action`], so an `achat` without a price cannot exist in memory.

use std::{borrow::Cow, fmt};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// How timestamps are written: UTC, microseconds, no offset (Python's `datetime.isoformat()`).
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// The kind of an event, as written in its `event_type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// A user logs in; opens a session.
    Connexion,
    /// A user logs out; closes a session.
    Deconnexion,
    /// A purchase, with `product` and `price`.
    Achat,
    /// A page view, with `page`.
    Navigation,
    /// A search, with `query`.
    Recherche,
}

impl EventType {
    /// Every event type, in the seed's order.
    pub const ALL: [EventType; 5] = [
        EventType::Connexion,
        EventType::Deconnexion,
        EventType::Achat,
        EventType::Navigation,
        EventType::Recherche,
    ];

    /// The name on the wire (`déconnexion` keeps its accent).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Connexion => "connexion",
            EventType::Deconnexion => "déconnexion",
            EventType::Achat => "achat",
            EventType::Navigation => "navigation",
            EventType::Recherche => "recherche",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn from_wire(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user did, with the fields that only this kind of event carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Opens a session.
    Connexion,
    /// Closes a session.
    Deconnexion,
    /// Buys `product` for `price` (two decimals).
    Achat {
        /// Product name from the catalog.
        product: String,
        /// Price in euros, rounded to cents.
        price: f64,
    },
    /// Views `page`.
    Navigation {
        /// Path of the page, e.g. `/accueil`.
        page: String,
    },
    /// Searches for `query`.
    Recherche {
        /// The search terms.
        query: String,
    },
}

impl Action {
    /// The event type this action is written as.
    pub fn event_type(&self) -> EventType {
        match self {
            Action::Connexion => EventType::Connexion,
            Action::Deconnexion => EventType::Deconnexion,
            Action::Achat { .. } => EventType::Achat,
            Action::Navigation { .. } => EventType::Navigation,
            Action::Recherche { .. } => EventType::Recherche,
        }
    }
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened (UTC).
    pub timestamp: DateTime<Utc>,
    /// Who did it; also the record key, so one user's events stay in order on one partition.
    pub user_id: String,
    /// `session_` and four digits, shared by all events between a connexion and its déconnexion.
    pub session_id: String,
    /// What was done.
    pub action: Action,
}

/// Why a record's payload is not a valid event. The message names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, not an object, or a field of the wrong type.
    #[error("{0}")]
    Malformed(String),
    /// A field the event type requires is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// `event_type` names no known type.
    #[error("unknown event_type {0:?}")]
    UnknownType(String),
    /// `timestamp` is neither the seed's format nor RFC 3339.
    #[error("invalid timestamp {0:?}")]
    BadTimestamp(String),
}

/// The JSON layout, field order included. Both directions go through it so they cannot drift.
#[derive(Serialize, Deserialize)]
struct WireEvent<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    product: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<f64>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    page: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    query: Option<Cow<'a, str>>,
}

impl Event {
    /// The type of this event.
    pub fn event_type(&self) -> EventType {
        self.action.event_type()
    }

    /// The seed's JSON, as bytes ready to be a record value.
    pub fn to_json(&self) -> Vec<u8> {
        let mut timestamp = [0; TIMESTAMP_LEN];
        // Room for every event the generator makes: no reallocation on the producer's path.
        let mut out = Vec::with_capacity(256);
        serde_json::to_writer(&mut out, &self.to_wire(&mut timestamp))
            .expect("an event always serializes");
        out
    }

    /// The same JSON, indented for people to read.
    pub fn to_json_pretty(&self) -> String {
        let mut timestamp = [0; TIMESTAMP_LEN];
        serde_json::to_string_pretty(&self.to_wire(&mut timestamp))
            .expect("an event always serializes")
    }

    /// The wire form, its timestamp written into `buffer` (no allocation in the common case).
    fn to_wire<'a>(&'a self, buffer: &'a mut [u8; TIMESTAMP_LEN]) -> WireEvent<'a> {
        let mut wire = WireEvent {
            timestamp: Some(timestamp_text(&self.timestamp, buffer)),
            user_id: Some(Cow::Borrowed(&self.user_id)),
            event_type: Some(Cow::Borrowed(self.event_type().as_str())),
            session_id: Some(Cow::Borrowed(&self.session_id)),
            product: None,
            price: None,
            page: None,
            query: None,
        };
        match &self.action {
            Action::Connexion | Action::Deconnexion => {}
            Action::Achat { product, price } => {
                wire.product = Some(Cow::Borrowed(product));
                wire.price = Some(*price);
            }
            Action::Navigation { page } => wire.page = Some(Cow::Borrowed(page)),
            Action::Recherche { query } => wire.query = Some(Cow::Borrowed(query)),
        }
        wire
    }

    /// Reads an event strictly: unknown type, missing field or wrong type is an error naming it.
    /// Fields that no event type uses are ignored, so that richer producers stay readable.
    pub fn from_json(bytes: &[u8]) -> Result<Event, DecodeError> {
        let (wire, kind) = decode_wire(bytes)?;
        let action = match kind {
            EventType::Connexion => Action::Connexion,
            EventType::Deconnexion => Action::Deconnexion,
            EventType::Achat => Action::Achat {
                product: required(wire.product, "product")?.into_owned(),
                price: wire.price.ok_or(DecodeError::MissingField("price"))?,
            },
            EventType::Navigation => Action::Navigation {
                page: required(wire.page, "page")?.into_owned(),
            },
            EventType::Recherche => Action::Recherche {
                query: required(wire.query, "query")?.into_owned(),
            },
        };
        Ok(Event {
            timestamp: parse_timestamp(&required(wire.timestamp, "timestamp")?)?,
            user_id: required(wire.user_id, "user_id")?.into_owned(),
            session_id: required(wire.session_id, "session_id")?.into_owned(),
            action,
        })
    }
}

/// What a reader that only counts needs of an event: its type and its user, borrowed from the
/// record when the JSON has no escapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<'a> {
    /// The event's type.
    pub event_type: EventType,
    /// The event's user.
    pub user_id: Cow<'a, str>,
}

impl Checked<'_> {
    /// Checks an event exactly as strictly as [`Event::from_json`] (the same errors, in the
    /// same order) without copying its strings: the consumer's and verifier's per-record path.
    pub fn from_json(bytes: &[u8]) -> Result<Checked<'_>, DecodeError> {
        let (wire, kind) = decode_wire(bytes)?;
        match kind {
            EventType::Connexion | EventType::Deconnexion => {}
            EventType::Achat => {
                required(wire.product.as_ref(), "product")?;
                wire.price.ok_or(DecodeError::MissingField("price"))?;
            }
            EventType::Navigation => {
                required(wire.page.as_ref(), "page")?;
            }
            EventType::Recherche => {
                required(wire.query.as_ref(), "query")?;
            }
        }
        parse_timestamp(&required(wire.timestamp, "timestamp")?)?;
        let user_id = required(wire.user_id, "user_id")?;
        required(wire.session_id, "session_id")?;
        Ok(Checked {
            event_type: kind,
            user_id,
        })
    }
}

/// The JSON read into its wire form, with its event type.
fn decode_wire(bytes: &[u8]) -> Result<(WireEvent<'_>, EventType), DecodeError> {
    let mut wire: WireEvent<'_> = match serde_json::from_slice(bytes) {
        Ok(wire) => wire,
        Err(_) => return Err(describe_json_error(bytes)),
    };
    let event_type = required(wire.event_type.take(), "event_type")?;
    let kind = EventType::from_wire(&event_type)
        .ok_or_else(|| DecodeError::UnknownType(event_type.to_string()))?;
    Ok((wire, kind))
}

fn required<T>(field: Option<T>, name: &'static str) -> Result<T, DecodeError> {
    field.ok_or(DecodeError::MissingField(name))
}

/// Decodes again, slowly, only to say which field made the fast decode fail.
fn describe_json_error(bytes: &[u8]) -> DecodeError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, WireEvent<'_>>(&mut de) {
        Err(e) if e.path().iter().next().is_some() => {
            DecodeError::Malformed(format!("field `{}`: {}", e.path(), e.inner()))
        }
        Err(e) => DecodeError::Malformed(e.inner().to_string()),
        Ok(_) => DecodeError::Malformed("not a JSON event".into()),
    }
}

/// Length of a timestamp in the seed's layout.
const TIMESTAMP_LEN: usize = 26;

/// Writes a timestamp as the seed does: `2025-12-17T11:46:33.486910`.
pub fn format_timestamp(timestamp: &DateTime<Utc>) -> String {
    timestamp_text(timestamp, &mut [0; TIMESTAMP_LEN]).into_owned()
}

/// The seed's layout of `timestamp`: written by hand into `buffer` when it can be, else by
/// chrono (years outside 0..=9999, leap seconds).
fn timestamp_text<'a>(
    timestamp: &DateTime<Utc>,
    buffer: &'a mut [u8; TIMESTAMP_LEN],
) -> Cow<'a, str> {
    match write_timestamp(timestamp, buffer) {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(timestamp.format(TIMESTAMP_FORMAT).to_string()),
    }
}

/// Writes the seed's layout into `buffer` by hand: chrono's `format` re-parses its format string
/// on every call, a large share of what producing an event costs. `None` for years outside
/// 0..=9999 and leap seconds, which chrono writes instead.
fn write_timestamp<'a>(
    timestamp: &DateTime<Utc>,
    buffer: &'a mut [u8; TIMESTAMP_LEN],
) -> Option<&'a str> {
    let naive = timestamp.naive_utc();
    let (year, nanos) = (naive.year(), naive.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    *buffer = *b"0000-00-00T00:00:00.000000";
    let mut put = |at: usize, width: usize, mut value: u32| {
        for digit in buffer[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, naive.month());
    put(8, 2, naive.day());
    put(11, 2, naive.hour());
    put(14, 2, naive.minute());
    put(17, 2, naive.second());
    put(20, 6, nanos / 1000);
    std::str::from_utf8(buffer).ok()
}

/// Reads the seed's timestamps (UTC, no offset) and RFC 3339 ones with an offset.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, DecodeError> {
    if let Some(timestamp) = parse_seed_timestamp(text.as_bytes()) {
        return Ok(timestamp);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|naive| naive.and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)))
        .map_err(|_| DecodeError::BadTimestamp(text.to_string()))
}

/// The seed's exact layout, `YYYY-MM-DDTHH:MM:SS.ffffff`, read without chrono's format parser
/// (every event carries one). `None` for anything else, which then takes the general path.
fn parse_seed_timestamp(text: &[u8]) -> Option<DateTime<Utc>> {
    if text.len() != TIMESTAMP_LEN {
        return None;
    }
    for (at, separator) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        if text[at] != separator {
            return None;
        }
    }
    let number = |from: usize, to: usize| {
        text[from..to].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?;
    let time = NaiveTime::from_hms_micro_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        number(20, 26)?,
    )?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_LINES: [&str; 3] = [
        r#"{"timestamp":"2025-12-17T11:46:33.486910","user_id":"user5","event_type":"achat","session_id":"session_7421","product":"tablette","price":734.88}"#,
        r#"{"timestamp":"2025-12-17T11:46:34.604626","user_id":"user1","event_type":"navigation","session_id":"session_7718","page":"/accueil"}"#,
        r#"{"timestamp":"2025-12-17T11:46:35.984102","user_id":"user4","event_type":"recherche","session_id":"session_9297","query":"smartphone"}"#,
    ];

    #[test]
    fn seed_lines_round_trip_byte_for_byte() {
        for line in SEED_LINES {
            let event = Event::from_json(line.as_bytes()).unwrap();
            assert_eq!(String::from_utf8(event.to_json()).unwrap(), line);
            let checked = Checked::from_json(line.as_bytes()).unwrap();
            assert_eq!(
                (checked.event_type, checked.user_id.as_ref()),
                (event.event_type(), event.user_id.as_str())
            );
        }
    }

    #[test]
    fn checking_fails_where_decoding_fails() {
        let lines = [
            r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"navigation","session_id":"s"}"#,
            r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"recherche","session_id":"s"}"#,
            r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"achat","session_id":"s","price":1.0}"#,
            r#"{"user_id":"u","event_type":"connexion","session_id":"s"}"#,
            r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"connexion"}"#,
            r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u\u00e9","event_type":"connexion","session_id":"s"}"#,
            r#"[1, 2]"#,
        ];
        for line in lines {
            let decoded = Event::from_json(line.as_bytes());
            let checked = Checked::from_json(line.as_bytes());
            match (&decoded, &checked) {
                (Ok(event), Ok(checked)) => assert_eq!(event.user_id, checked.user_id),
                (Err(a), Err(b)) => assert_eq!(a, b),
                _ => panic!("{line}: {decoded:?} vs {checked:?}"),
            }
        }
    }

    #[test]
    fn pretty_json_keeps_the_field_order() {
        let event = Event::from_json(SEED_LINES[0].as_bytes()).unwrap();
        let pretty = event.to_json_pretty();
        let fields: Vec<&str> = pretty
            .lines()
            .filter_map(|l| l.trim().split('"').nth(1))
            .collect();
        assert_eq!(
            fields,
            [
                "timestamp",
                "user_id",
                "event_type",
                "session_id",
                "product",
                "price"
            ]
        );
    }

    #[test]
    fn deconnexion_keeps_its_accent() {
        let line = r#"{"timestamp":"2025-12-17T11:46:33.000001","user_id":"user2","event_type":"déconnexion","session_id":"session_0001"}"#;
        let event = Event::from_json(line.as_bytes()).unwrap();
        assert_eq!(event.action, Action::Deconnexion);
        assert_eq!(String::from_utf8(event.to_json()).unwrap(), line);
    }

    #[test]
    fn rfc3339_with_offset_is_read_as_utc() {
        let line = r#"{"timestamp":"2025-12-17T12:46:33.5+01:00","user_id":"u","event_type":"connexion","session_id":"session_1234"}"#;
        let event = Event::from_json(line.as_bytes()).unwrap();
        assert_eq!(
            format_timestamp(&event.timestamp),
            "2025-12-17T11:46:33.500000"
        );
    }

    #[test]
    fn timestamps_without_the_seed_layout_take_the_general_path() {
        for text in [
            "2025-12-17T11:46:33",
            "2025-12-17T11:46:33.5",
            "2025-12-17T11:46:33.123456789",
        ] {
            let fast = parse_timestamp(text).unwrap();
            let slow = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            assert_eq!(fast, slow.and_utc());
        }
        assert!(parse_timestamp("2025-13-17T11:46:33.486910").is_err());
        assert!(parse_timestamp("2025-12-17T11:46:3x.486910").is_err());
        // 26 bytes like the seed's layout, but not it: the fast path must decline each, and
        // the answer is what chrono's general path gives.
        for text in [
            "2025-12-17 11:46:33.486910",
            "2025-02-29T11:46:33.486910",
            "2025-12-17T24:46:33.486910",
            "2025-12-17T11:46:33.48691Z",
            "2025-12-17T11:46:33,486910",
        ] {
            assert_eq!(parse_seed_timestamp(text.as_bytes()), None, "{text}");
            let general = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|naive| naive.and_utc())
                .ok()
                .or_else(|| {
                    DateTime::parse_from_rfc3339(text)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                });
            assert_eq!(parse_timestamp(text).ok(), general, "{text}");
        }
    }

    proptest::proptest! {
        /// Any record value is an event or a typed error, never a panic, and both readers
        /// agree on which.
        #[test]
        fn any_bytes_are_an_event_or_an_error(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)
        ) {
            proptest::prop_assert_eq!(
                Event::from_json(&bytes).is_ok(),
                Checked::from_json(&bytes).is_ok()
            );
        }

        /// Values that are almost events (one byte of a real event changed) take the same
        /// path without a panic.
        #[test]
        fn near_events_are_an_event_or_an_error(at in 0usize..200, byte in proptest::num::u8::ANY) {
            let mut bytes = br#"{"timestamp":"2025-12-17T11:46:33.123456","user_id":"user1","event_type":"achat","session_id":"s-1","product":"livre","price":12.5}"#.to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            proptest::prop_assert_eq!(
                Event::from_json(&bytes).is_ok(),
                Checked::from_json(&bytes).is_ok()
            );
        }

        #[test]
        fn hand_written_timestamps_match_chrono(micros in 0i64..253_402_300_799_999_999) {
            let timestamp = DateTime::from_timestamp_micros(micros).unwrap();
            let text = format_timestamp(&timestamp);
            proptest::prop_assert_eq!(&text, &timestamp.format(TIMESTAMP_FORMAT).to_string());
            proptest::prop_assert_eq!(parse_timestamp(&text).unwrap(), timestamp);
            let slow = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            proptest::prop_assert_eq!(slow.and_utc(), timestamp);
        }
    }

    #[test]
    fn errors_name_the_field_at_fault() {
        let cases = [
            (r#"not json"#, "expected ident"),
            (
                r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"achat","session_id":"s","product":"x","price":"12"}"#,
                "field `price`",
            ),
            (
                r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"achat","session_id":"s","product":"x"}"#,
                "missing field `price`",
            ),
            (
                r#"{"timestamp":"2025-12-17T11:46:33","user_id":"u","event_type":"vol","session_id":"s"}"#,
                "unknown event_type \"vol\"",
            ),
            (
                r#"{"timestamp":"hier","user_id":"u","event_type":"connexion","session_id":"s"}"#,
                "invalid timestamp \"hier\"",
            ),
            (
                r#"{"timestamp":"2025-12-17T11:46:33","event_type":"connexion","session_id":"s"}"#,
                "missing field `user_id`",
            ),
        ];
        for (line, expected) in cases {
            let error = Event::from_json(line.as_bytes()).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{line}: got {error:?}"
            );
            assert_eq!(Checked::from_json(line.as_bytes()), Err(error));
        }
    }
}
