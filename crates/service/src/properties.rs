//! Java's `.properties` syntax, as `java.util.Properties.load` reads it, for the
//! `client.properties` files that Kafka's Java clients and librdkafka's tools take.
//!
//! - `#` or `!` as a line's first non-blank character makes it a comment;
//! - a key ends at the first unescaped `=`, `:` or blank; blanks around the separator are dropped,
//!   so `key=value`, `key: value` and `key value` are the same;
//! - a line ending in an odd number of backslashes continues on the next line, whose leading
//!   blanks are dropped;
//! - escapes: `\t`, `\n`, `\r`, `\f`, `\uXXXX` (UTF-16, surrogate pairs included), and a
//!   backslash before any other character stands for that character (`\:`, `\=`, `\\`, `\ `).
//!
//! Java writes `:` and `=` in values escaped (`bootstrap.servers=host\:9092`), so unescaping is
//! not optional.

/// One `key = value` of a properties file, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The key.
    pub key: String,
    /// The value, possibly empty.
    pub value: String,
    /// The line the entry starts on, from 1 (for messages).
    pub line: usize,
}

/// A properties text Java would refuse too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: malformed \\uXXXX escape")]
pub struct PropertiesError {
    /// The line the entry starts on, from 1.
    pub line: usize,
}

/// Parses a properties text into its entries, in file order (a key given twice appears twice;
/// the last one counts, as in Java).
pub fn parse(text: &str) -> Result<Vec<Property>, PropertiesError> {
    logical_lines(text)
        .into_iter()
        .map(|(line, logical)| {
            let (key, value) = split_entry(&logical);
            Ok(Property {
                key: unescape(key).ok_or(PropertiesError { line })?,
                value: unescape(value).ok_or(PropertiesError { line })?,
                line,
            })
        })
        .collect()
}

/// The blanks of the format: space, tab and form feed.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// The entries' logical lines (continuations joined, comments and blank lines dropped), each
/// with the number of the line it starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let text = text.replace("\r\n", "\n");
    let mut natural = text.split(['\n', '\r']).enumerate();
    let mut entries = Vec::new();
    while let Some((index, line)) = natural.next() {
        let line = line.trim_start_matches(is_blank);
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let mut logical = String::new();
        let mut part = line;
        while continues(part) {
            logical.push_str(&part[..part.len() - 1]);
            match natural.next() {
                Some((_, next)) => part = next.trim_start_matches(is_blank),
                None => {
                    part = "";
                    break;
                }
            }
        }
        logical.push_str(part);
        entries.push((index + 1, logical));
    }
    entries
}

/// Whether a line ends in an odd number of backslashes, i.e. continues on the next line.
fn continues(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Splits a logical line into its raw key and raw value (both still escaped).
fn split_entry(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    let mut separated = false;
    for (i, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':' || is_blank(c)) {
            key_end = i;
            separated = c != ' ' && c != '\t' && c != '\x0c';
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let rest = line[key_end..].get(1..).unwrap_or("");
    let mut value = rest.trim_start_matches(is_blank);
    if !separated {
        if let Some(after) = value.strip_prefix(['=', ':']) {
            value = after.trim_start_matches(is_blank);
        }
    }
    (&line[..key_end], value)
}

/// Resolves the escapes of a key or value; `None` for a malformed `\uXXXX` (or an unpaired
/// surrogate), which Java refuses too.
fn unescape(raw: &str) -> Option<String> {
    let mut text = String::with_capacity(raw.len());
    let mut units: Vec<u16> = Vec::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.as_str().starts_with('u') {
            chars.next();
            let hex = chars.as_str().get(..4)?;
            if !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            units.push(u16::from_str_radix(hex, 16).ok()?);
            chars = chars.as_str()[4..].chars();
            continue;
        }
        flush_utf16(&mut units, &mut text)?;
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => text.push('\t'),
            Some('n') => text.push('\n'),
            Some('r') => text.push('\r'),
            Some('f') => text.push('\x0c'),
            Some(other) => text.push(other),
            None => {}
        }
    }
    flush_utf16(&mut units, &mut text)?;
    Some(text)
}

/// Appends the UTF-16 code units of consecutive `\uXXXX` escapes to `text`.
fn flush_utf16(units: &mut Vec<u16>, text: &mut String) -> Option<()> {
    for c in char::decode_utf16(units.drain(..)) {
        text.push(c.ok()?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries of `text` as `(key, value)` pairs.
    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect()
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    #[test]
    fn the_three_separators_and_blanks_around_them() {
        let text = "a=1\nb: 2\nc 3\n  d  =  4\ne\t:\t5\nf   6\ng\nh=\ni = = 7\n";
        assert_eq!(
            pairs(text),
            [
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "4"),
                pair("e", "5"),
                pair("f", "6"),
                pair("g", ""),
                pair("h", ""),
                pair("i", "= 7"),
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# a comment\n! another\n   # indented\n\n   \nkey=value # not a comment\n";
        assert_eq!(pairs(text), [pair("key", "value # not a comment")]);
    }

    #[test]
    fn continuation_lines_join_without_their_leading_blanks() {
        let text = "list = a,\\\n        b,\\\n        c\nnext=1\n";
        assert_eq!(pairs(text), [pair("list", "a,b,c"), pair("next", "1")]);
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(
            pairs("path=c:\\\\\nx=1"),
            [pair("path", "c:\\"), pair("x", "1")]
        );
        // A comment does not continue; a continued line's "#" is no comment.
        assert_eq!(pairs("# c \\\nk=v\\\n#x"), [pair("k", "v#x")]);
        // A trailing backslash at the end of the file is dropped.
        assert_eq!(pairs("k=v\\"), [pair("k", "v")]);
    }

    #[test]
    fn line_terminators_of_every_platform() {
        assert_eq!(
            pairs("a=1\r\nb=2\rc=3\nd=x\\\r\n  y"),
            [
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "xy")
            ]
        );
    }

    #[test]
    fn escapes_as_java_writes_them() {
        // Properties.store escapes ':' and '=' in values, and blanks, '=' and ':' in keys.
        assert_eq!(
            pairs("bootstrap.servers=broker1\\:9092,broker2\\:9092"),
            [pair("bootstrap.servers", "broker1:9092,broker2:9092")]
        );
        assert_eq!(pairs("my\\ key\\=x=v"), [pair("my key=x", "v")]);
        assert_eq!(pairs("k=a\\tb\\nc\\\\d\\qe"), [pair("k", "a\tb\nc\\dqe")]);
        assert_eq!(pairs("k=caf\\u00e9"), [pair("k", "café")]);
        assert_eq!(pairs("k=\\uD83D\\uDE00!"), [pair("k", "😀!")]);
        assert_eq!(pairs("k=\\ leading blank"), [pair("k", " leading blank")]);
    }

    #[test]
    fn malformed_unicode_escapes_are_refused_with_their_line() {
        assert_eq!(parse("a=1\nk=\\u12"), Err(PropertiesError { line: 2 }));
        assert_eq!(parse("k=\\uZZZZ"), Err(PropertiesError { line: 1 }));
        assert_eq!(parse("k=\\uD83D"), Err(PropertiesError { line: 1 }));
    }

    #[test]
    fn entries_keep_their_line_and_file_order() {
        let parsed = parse("# c\na=1\n\nb=2\\\n 3\na=4").unwrap();
        let lines: Vec<_> = parsed.iter().map(|p| (p.key.as_str(), p.line)).collect();
        assert_eq!(lines, [("a", 2), ("b", 4), ("a", 6)]);
    }
}
