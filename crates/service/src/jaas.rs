//! Kafka's `sasl.jaas.config`, for the two login modules this client speaks, as the Java client
//! reads it: `<LoginModule class> <control flag> [option=value]... ;`, e.g.
//! `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`
//! or the same with `org.apache.kafka.common.security.scram.ScramLoginModule`.
//!
//! Values are double- or single-quoted strings (backslash escapes as Java's `StreamTokenizer`
//! reads them) or bare words. Only `username` and `password` are used; other options (SCRAM's
//! `tokenauth`, say) are accepted and ignored. The text holds a password: errors never quote it.

use std::collections::BTreeMap;

use kafka::connection::security::Secret;

/// The login modules whose credentials this client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginModule {
    /// `org.apache.kafka.common.security.plain.PlainLoginModule` (SASL PLAIN).
    Plain,
    /// `org.apache.kafka.common.security.scram.ScramLoginModule` (SCRAM-SHA-256/512).
    Scram,
}

/// What a `sasl.jaas.config` gives: its module and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaasLogin {
    /// The login module, which tells PLAIN from SCRAM.
    pub module: LoginModule,
    /// The `username` option.
    pub username: Option<String>,
    /// The `password` option.
    pub password: Option<Secret>,
}

/// Why a `sasl.jaas.config` cannot be used. The messages never quote the text (it holds a
/// password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JaasError {
    /// Nothing but blanks.
    #[error("empty")]
    Empty,
    /// A login module other than PLAIN's and SCRAM's (OAUTHBEARER, Kerberos, cloud IAM).
    #[error(
        "login module {0} is not supported (PlainLoginModule and ScramLoginModule only; \
         docs/connecting.md)"
    )]
    UnsupportedModule(String),
    /// The control flag is missing or not one of JAAS's four.
    #[error(
        "expected a control flag (required, requisite, sufficient or optional) after the \
         login module"
    )]
    ControlFlag,
    /// An option without `=value`.
    #[error("no value for option {0}")]
    MissingValue(String),
    /// A quoted value without its closing quote.
    #[error("a quoted value is not closed")]
    UnclosedQuote,
    /// A character that is no part of the syntax, outside quotes.
    #[error("unexpected character at position {0} (quote values that contain it)")]
    Unexpected(usize),
    /// A quoted value, `=` or `;` where a class or option name belongs.
    #[error("expected a name where a quoted value, `=` or `;` stands")]
    NameExpected,
    /// No `;` at the end of the entry.
    #[error("the entry does not end with a semicolon")]
    Unterminated,
    /// More than one login module: Kafka takes exactly one.
    #[error("more than one login module (Kafka takes exactly one)")]
    SeveralModules,
}

/// Parses a `sasl.jaas.config` value.
pub fn parse(text: &str) -> Result<JaasLogin, JaasError> {
    let mut tokens = tokenize(text)?.into_iter();
    let module = match tokens.next() {
        Some(Token::Word(class)) => login_module(&class)?,
        None => return Err(JaasError::Empty),
        Some(_) => return Err(JaasError::NameExpected),
    };
    match tokens.next() {
        Some(Token::Word(flag)) if is_control_flag(&flag) => {}
        _ => return Err(JaasError::ControlFlag),
    }
    let mut options = options(&mut tokens)?;
    if tokens.next().is_some() {
        return Err(JaasError::SeveralModules);
    }
    Ok(JaasLogin {
        module,
        username: options.remove("username"),
        password: options.remove("password").map(Secret::new),
    })
}

/// A token of the JAAS syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A bare word: class names, flags, option names, unquoted values.
    Word(String),
    /// A quoted string, unescaped.
    Quoted(String),
    /// `=`.
    Equals,
    /// `;`.
    Semicolon,
}

/// The characters of a bare word, as Kafka's tokenizer takes them (letters, digits, `.`, `-`,
/// `_`, `$`, and any non-ASCII character).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '$') || !c.is_ascii()
}

/// Splits the text into tokens.
fn tokenize(text: &str) -> Result<Vec<Token>, JaasError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(position, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' | ';' => {
                chars.next();
                tokens.push(if c == '=' {
                    Token::Equals
                } else {
                    Token::Semicolon
                });
            }
            '"' | '\'' => {
                chars.next();
                tokens.push(Token::Quoted(quoted(&mut chars, c)?));
            }
            c if is_word_char(c) => {
                let mut word = String::new();
                while let Some((_, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                    word.push(c);
                }
                tokens.push(Token::Word(word));
            }
            _ => return Err(JaasError::Unexpected(position)),
        }
    }
    Ok(tokens)
}

/// The rest of a quoted string up to its closing `quote`, unescaped (`\"`, `\\`, `\n`, `\t`...).
fn quoted(
    chars: &mut impl Iterator<Item = (usize, char)>,
    quote: char,
) -> Result<String, JaasError> {
    let mut value = String::new();
    while let Some((_, c)) = chars.next() {
        if c == quote {
            return Ok(value);
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            break;
        };
        value.push(match escaped {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'f' => '\x0c',
            'b' => '\x08',
            other => other,
        });
    }
    Err(JaasError::UnclosedQuote)
}

/// The module a class name stands for, by its simple name (shaded copies of Kafka's classes
/// included).
fn login_module(class: &str) -> Result<LoginModule, JaasError> {
    match class.rsplit('.').next() {
        Some("PlainLoginModule") => Ok(LoginModule::Plain),
        Some("ScramLoginModule") => Ok(LoginModule::Scram),
        _ => Err(JaasError::UnsupportedModule(class.to_string())),
    }
}

/// JAAS's control flags, in any case.
fn is_control_flag(word: &str) -> bool {
    ["required", "requisite", "sufficient", "optional"]
        .iter()
        .any(|flag| word.eq_ignore_ascii_case(flag))
}

/// The `name=value` options up to and including the closing `;`.
fn options(
    tokens: &mut impl Iterator<Item = Token>,
) -> Result<BTreeMap<String, String>, JaasError> {
    let mut options = BTreeMap::new();
    loop {
        let name = match tokens.next() {
            Some(Token::Semicolon) => return Ok(options),
            Some(Token::Word(name)) => name,
            Some(_) => return Err(JaasError::NameExpected),
            None => return Err(JaasError::Unterminated),
        };
        if tokens.next() != Some(Token::Equals) {
            return Err(JaasError::MissingValue(name));
        }
        match tokens.next() {
            Some(Token::Word(value) | Token::Quoted(value)) => options.insert(name, value),
            _ => return Err(JaasError::MissingValue(name)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "org.apache.kafka.common.security.plain.PlainLoginModule";
    const SCRAM: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";

    fn login(module: LoginModule, username: &str, password: &str) -> JaasLogin {
        JaasLogin {
            module,
            username: Some(username.into()),
            password: Some(Secret::new(password)),
        }
    }

    #[test]
    fn plain_and_scram_as_java_writes_them() {
        let plain = format!(r#"{PLAIN} required username="alice" password="s3cret";"#);
        assert_eq!(
            parse(&plain),
            Ok(login(LoginModule::Plain, "alice", "s3cret"))
        );
        let scram = format!("{SCRAM} required\n    username=\"bob\"\n    password=\"pw\";\n");
        assert_eq!(parse(&scram), Ok(login(LoginModule::Scram, "bob", "pw")));
    }

    #[test]
    fn quoting_escapes_bare_words_and_other_options() {
        let text = format!(
            r#"{SCRAM} REQUIRED username=bob password='it"s \'q\' \\ ;=' tokenauth="false" ;"#
        );
        assert_eq!(
            parse(&text),
            Ok(login(LoginModule::Scram, "bob", r#"it"s 'q' \ ;="#))
        );
        let shaded = r#"kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule optional username="u";"#;
        assert_eq!(
            parse(shaded).map(|l| (l.module, l.password)),
            Ok((LoginModule::Plain, None))
        );
    }

    #[test]
    fn other_login_modules_are_not_supported() {
        for class in [
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
            "com.sun.security.auth.module.Krb5LoginModule",
            "software.amazon.msk.auth.iam.IAMLoginModule",
        ] {
            let text = format!("{class} required;");
            assert_eq!(
                parse(&text),
                Err(JaasError::UnsupportedModule(class.into()))
            );
        }
    }

    #[test]
    fn malformed_entries_are_refused_without_quoting_the_password() {
        let cases = [
            ("", JaasError::Empty),
            (PLAIN, JaasError::ControlFlag),
            (&format!("{PLAIN} mandatory;"), JaasError::ControlFlag),
            (
                &format!(r#"{PLAIN} required username="u" password="p""#),
                JaasError::Unterminated,
            ),
            (
                &format!(r#"{PLAIN} required username="u" password;"#),
                JaasError::MissingValue("password".into()),
            ),
            (
                &format!(r#"{PLAIN} required username="u" password=;"#),
                JaasError::MissingValue("password".into()),
            ),
            (
                &format!(r#"{PLAIN} required password="hunter2;"#),
                JaasError::UnclosedQuote,
            ),
            (
                &format!(r#"{PLAIN} required username="u"; {PLAIN} required;"#),
                JaasError::SeveralModules,
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(error, expected, "{text}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
        let odd = format!("{PLAIN} required password=hunter2!;");
        let error = parse(&odd).unwrap_err();
        assert!(matches!(error, JaasError::Unexpected(_)), "{error:?}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let parsed = parse(&format!(
            r#"{PLAIN} required username="u" password="hunter2";"#
        ));
        assert!(!format!("{parsed:?}").contains("hunter2"));
    }
}
