//! `<binary> healthcheck [ADDR]`: asks a running service's `/healthz` ([`crate::http`]) whether
//! it is alive, for container healthchecks in images without curl.
//!
//! The check is one blocking HTTP/1.0 `GET http://ADDR/healthz` over a std [`TcpStream`],
//! connecting, asking and reading the status line within [`TIMEOUT`] (2 s) together. It exits 0
//! when the answer is `200`, else 1 with one line on stderr: Docker reads 0 as healthy and 1 as
//! unhealthy, and reserves 2, so every failure (no address, refused, timed out, another status)
//! exits 1, not the services' usage code 2.
//!
//! `ADDR` defaults to the environment variable of the service's `--http` flag (`PRODUCER_HTTP`,
//! `CONSUMER_HTTP`): in a container the check runs with the service's own environment, so
//! `["CMD", "/usr/local/bin/consumer", "healthcheck"]` needs no argument. The address a
//! service listens on for every interface, `0.0.0.0` or `[::]`, is asked on loopback
//! (`127.0.0.1`, `[::1]`).
//!
//! [`crate::start`] wires it generically: [`document`] adds the subcommand to a binary's
//! `--help` when the binary has an `--http` flag (id [`HTTP_FLAG`]), and [`intercept`] runs it
//! before the service's own flags are parsed, so that a bad value in another variable cannot
//! make the check fail. A binary without `--http` (the verifier) answers that it serves
//! nothing to check.

use std::{
    ffi::OsString,
    io::{self, Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs},
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::{Arg, ArgMatches, Command};

/// The subcommand's name: `producer healthcheck`.
pub const NAME: &str = "healthcheck";

/// How long one check may take, from connecting to the answer's status line.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The id of the flag a service serves its endpoints on (`--http ADDR`); its environment
/// variable is the check's default address.
pub const HTTP_FLAG: &str = "http";

/// The id of the subcommand's address argument.
const ADDRESS: &str = "address";

/// The most of the answer read: its status line is all the check looks at.
const MAX_STATUS_LINE: usize = 1024;

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Neither an `ADDR` argument nor the `--http` flag's environment variable gave an address.
    #[error(
        "no address to check: give one (`{binary} healthcheck 127.0.0.1:9100`) or set {variable}"
    )]
    NoAddress {
        /// The binary's name.
        binary: String,
        /// The `--http` flag's environment variable.
        variable: String,
    },
    /// The binary has no `--http` flag: it serves no endpoint (the verifier).
    #[error("the {binary} serves no HTTP endpoints (it has no --http flag): nothing to check")]
    NothingServed {
        /// The binary's name.
        binary: String,
    },
    /// The address is not `host:port`, does not resolve, or has port 0.
    #[error("{address:?} is not an address to check, such as 127.0.0.1:9100")]
    BadAddress {
        /// The address as given.
        address: String,
    },
    /// Connecting failed (nothing listens, refused, unreachable).
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The address asked.
        address: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// No complete status line within the timeout.
    #[error("http://{address}/healthz did not answer within {timeout:?}")]
    Timeout {
        /// The address asked.
        address: SocketAddr,
        /// The time allowed.
        timeout: Duration,
    },
    /// Sending the request or reading the answer failed.
    #[error("http://{address}/healthz: {source}")]
    Io {
        /// The address asked.
        address: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The answer is not HTTP.
    #[error("http://{address}/healthz answered something that is not HTTP: {line:?}")]
    NotHttp {
        /// The address asked.
        address: SocketAddr,
        /// The first line read (at most 1 KiB).
        line: String,
    },
    /// The answer is HTTP, but not `200`.
    #[error("http://{address}/healthz answered {status}")]
    Status {
        /// The address asked.
        address: SocketAddr,
        /// The status line after the version, e.g. `503 Service Unavailable`.
        status: String,
    },
}

/// The address to ask for `address` (`host:port`, as `--http` takes it, or a host name): the
/// first address it resolves to, with `0.0.0.0` asked as `127.0.0.1` and `[::]` as `[::1]`.
pub fn target(address: &str) -> Result<SocketAddr, CheckError> {
    let bad = || CheckError::BadAddress {
        address: address.to_owned(),
    };
    let trimmed = address.trim();
    let mut resolved = trimmed.to_socket_addrs().map_err(|_| bad())?;
    let mut target = resolved.next().ok_or_else(bad)?;
    if target.port() == 0 {
        return Err(bad());
    }
    match target.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => target.set_ip(Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => target.set_ip(Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    Ok(target)
}

/// GETs `http://address/healthz` and returns its status line when the answer is `200`: all of
/// it (connecting, sending, reading the status line) within `timeout`.
pub fn check(address: SocketAddr, timeout: Duration) -> Result<String, CheckError> {
    let deadline = Instant::now() + timeout;
    let timed_out = || CheckError::Timeout { address, timeout };
    let io = |source: io::Error| match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
        _ => CheckError::Io { address, source },
    };
    let mut stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|source| match source.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
            _ => CheckError::Connect { address, source },
        })?;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(timed_out)
    };
    stream.set_write_timeout(Some(remaining()?)).map_err(io)?;
    let request = format!("GET /healthz HTTP/1.0\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io)?;

    let mut answer = Vec::new();
    let mut chunk = [0; 256];
    while !answer.contains(&b'\n') && answer.len() < MAX_STATUS_LINE {
        stream.set_read_timeout(Some(remaining()?)).map_err(io)?;
        match stream.read(&mut chunk).map_err(io)? {
            0 => break,
            read => answer.extend_from_slice(&chunk[..read]),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let line = text.lines().next().unwrap_or("").trim_end().to_owned();
    let mut words = line.splitn(2, ' ');
    let (Some(version), Some(status)) = (words.next(), words.next()) else {
        return Err(CheckError::NotHttp { address, line });
    };
    if !version.starts_with("HTTP/") {
        return Err(CheckError::NotHttp { address, line });
    }
    if status.split(' ').next() == Some("200") {
        Ok(line)
    } else {
        Err(CheckError::Status {
            address,
            status: status.to_owned(),
        })
    }
}

/// The `healthcheck` subcommand of `binary`, whose `--http` flag reads `variable`: its help and
/// its `[ADDR]` argument (default: `variable`).
pub fn subcommand(binary: &str, variable: &str) -> Command {
    Command::new(NAME)
        .about(format!(
            "Exit 0 if a running {binary}'s /healthz answers 200 within {} s, else 1 (a container \
             healthcheck without curl)",
            TIMEOUT.as_secs()
        ))
        .long_about(format!(
            "Check that a running {binary}'s /healthz answers 200, for container healthchecks in \
             images without curl: GET http://ADDR/healthz within {} s, exit 0 on 200, else 1 \
             with one line on stderr (Docker: 0 healthy, 1 unhealthy). ADDR 0.0.0.0 or [::] is \
             asked on loopback.",
            TIMEOUT.as_secs()
        ))
        .arg(Arg::new(ADDRESS).value_name("ADDR").help(format!(
            "The address the {binary} serves HTTP on [default: its --http, from the \
                 environment variable {variable}]"
        )))
}

/// `command` with the `healthcheck` subcommand in its `--help`, when it has an `--http` flag
/// with an environment variable and no positional argument (whose value `healthcheck` could
/// be); else `command` as it is.
pub fn document(command: Command) -> Command {
    match http_variable(&command) {
        Some(variable) if !has_positionals(&command) => {
            let binary = command.get_name().to_owned();
            command
                .subcommand(subcommand(&binary, &variable))
                .disable_help_subcommand(true)
        }
        _ => command,
    }
}

/// Runs the check when `args` (the process's, program name first) are `healthcheck ...`,
/// before `command`'s own flags are parsed: `Some` exit code then (0 healthy, 1 not or a bad
/// argument; `healthcheck --help` prints the help and exits 0), `None` for any other command
/// line or when `command` takes positional arguments.
pub fn intercept(command: &Command, args: &[OsString]) -> Option<ExitCode> {
    if args.get(1).is_none_or(|first| first != NAME) || has_positionals(command) {
        return None;
    }
    let binary = command.get_name().to_owned();
    let Some(variable) = http_variable(command) else {
        return Some(report(Err(CheckError::NothingServed { binary })));
    };
    let parsed = subcommand(&binary, &variable)
        .bin_name(format!("{binary} {NAME}"))
        .try_get_matches_from(&args[1..]);
    Some(match parsed {
        Ok(matches) => run(&binary, &variable, &matches),
        // A bad argument is unhealthy too (1): Docker reserves 2, clap's usage code.
        Err(error) if error.use_stderr() => {
            let _ = error.print();
            ExitCode::FAILURE
        }
        Err(help) => help.exit(),
    })
}

/// Runs the check when clap found the subcommand in `matches` (after flags: `producer --rate 5
/// healthcheck`): `Some` exit code then, else `None`.
pub fn dispatch(command: &Command, matches: &ArgMatches) -> Option<ExitCode> {
    // `subcommand_matches` panics (debug builds) for a command without the subcommand.
    let found = matches.subcommand().filter(|(name, _)| *name == NAME)?.1;
    let variable = http_variable(command)?;
    Some(run(command.get_name(), &variable, found))
}

/// The check for the subcommand's parsed arguments, reported: the exit code.
fn run(binary: &str, variable: &str, matches: &ArgMatches) -> ExitCode {
    let from_environment = std::env::var(variable).ok();
    report(match address(matches, from_environment.as_deref()) {
        None => Err(CheckError::NoAddress {
            binary: binary.to_owned(),
            variable: variable.to_owned(),
        }),
        Some(address) => target(address).and_then(|target| check(target, TIMEOUT)),
    })
}

/// The address to check: the `ADDR` argument, else `from_environment` (the `--http` flag's
/// variable), `None` when both are absent or blank.
fn address<'a>(matches: &'a ArgMatches, from_environment: Option<&'a str>) -> Option<&'a str> {
    matches
        .get_one::<String>(ADDRESS)
        .map(String::as_str)
        .or(from_environment)
        .map(str::trim)
        .filter(|address| !address.is_empty())
}

/// Prints the outcome as one line (stdout when healthy, stderr when not) and turns it into the
/// exit code: 0 healthy, 1 not.
fn report(outcome: Result<String, CheckError>) -> ExitCode {
    match outcome {
        Ok(line) => {
            println!("healthy: {line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("unhealthy: {}", crate::exit::one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The environment variable of `command`'s `--http` flag, if it has one.
fn http_variable(command: &Command) -> Option<String> {
    command
        .get_arguments()
        .find(|arg| arg.get_id() == HTTP_FLAG)
        .and_then(Arg::get_env)
        .map(|variable| variable.to_string_lossy().into_owned())
}

/// Whether `command` takes positional arguments.
fn has_positionals(command: &Command) -> bool {
    command.get_positionals().next().is_some()
}

#[cfg(test)]
mod tests {
    use std::{
        io::{BufRead, BufReader},
        net::TcpListener,
        sync::mpsc,
        thread,
    };

    use super::*;

    /// A listener on a free loopback port that answers one connection with `answer` (after
    /// `delay`), and sends the request line it read.
    fn server(answer: &'static str, delay: Duration) -> (SocketAddr, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, received) = mpsc::channel();
        thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let _ = sender.send(request);
            thread::sleep(delay);
            let _ = reader.get_mut().write_all(answer.as_bytes());
        });
        (address, received)
    }

    #[test]
    fn a_200_is_healthy_and_the_request_is_a_get_of_healthz() {
        let (address, request) = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n",
            Duration::ZERO,
        );
        assert_eq!(check(address, TIMEOUT).unwrap(), "HTTP/1.1 200 OK");
        assert_eq!(request.recv().unwrap(), "GET /healthz HTTP/1.0\r\n");
    }

    #[test]
    fn another_status_is_unhealthy_and_named() {
        let (address, _) = server("HTTP/1.1 503 Service Unavailable\r\n\r\n", Duration::ZERO);
        let error = check(address, TIMEOUT).unwrap_err();
        assert!(
            matches!(&error, CheckError::Status { status, .. } if status == "503 Service Unavailable"),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            format!("http://{address}/healthz answered 503 Service Unavailable")
        );
    }

    #[test]
    fn an_answer_that_is_not_http_is_unhealthy() {
        let (address, _) = server("SSH-2.0-OpenSSH\r\n", Duration::ZERO);
        let error = check(address, TIMEOUT).unwrap_err();
        assert!(matches!(error, CheckError::NotHttp { .. }), "{error}");
    }

    #[test]
    fn a_silent_server_times_out_within_the_timeout() {
        let (address, _) = server("HTTP/1.1 200 OK\r\n\r\n", Duration::from_secs(5));
        let started = Instant::now();
        let error = check(address, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(error, CheckError::Timeout { .. }), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn nothing_listening_is_a_connection_error() {
        let address = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let error = check(address, TIMEOUT).unwrap_err();
        assert!(matches!(error, CheckError::Connect { .. }), "{error}");
        assert!(error
            .to_string()
            .starts_with(&format!("cannot connect to {address}")));
    }

    #[test]
    fn any_interface_is_asked_on_loopback() {
        assert_eq!(
            target("0.0.0.0:9100").unwrap(),
            "127.0.0.1:9100".parse().unwrap()
        );
        assert_eq!(target("[::]:9100").unwrap(), "[::1]:9100".parse().unwrap());
        assert_eq!(
            target(" 10.0.0.7:9100 ").unwrap(),
            "10.0.0.7:9100".parse().unwrap()
        );
        assert!(target("localhost:9100").unwrap().ip().is_loopback());
        for bad in ["9100", "127.0.0.1", "127.0.0.1:0", "http://127.0.0.1:9100"] {
            assert!(
                matches!(target(bad), Err(CheckError::BadAddress { .. })),
                "{bad}"
            );
        }
    }

    /// axum's HTTP/1.1 server, which serves the real endpoints ([`crate::http`]), answers an
    /// HTTP/1.0 request.
    #[test]
    fn axum_answers_the_check() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let address = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let app =
                axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok\n" }));
            tokio::spawn(async move { axum::serve(listener, app).await });
            address
        });
        let line = check(
            target(&format!("0.0.0.0:{}", address.port())).unwrap(),
            TIMEOUT,
        );
        assert_eq!(line.unwrap(), "HTTP/1.0 200 OK");
    }

    /// A binary with an `--http` flag, as the producer and consumer declare it.
    fn served() -> Command {
        Command::new("producer").arg(
            Arg::new(HTTP_FLAG)
                .long("http")
                .env("HEALTHCHECK_TEST_HTTP"),
        )
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_subcommand_is_in_the_help_of_binaries_that_serve() {
        let mut help = Vec::new();
        document(served()).write_help(&mut help).unwrap();
        let help = String::from_utf8(help).unwrap();
        assert!(
            help.contains("healthcheck  Exit 0 if a running producer's /healthz answers 200"),
            "{help}"
        );
        assert!(!help.contains("\n  help "), "no `help` subcommand: {help}");

        let mut help = Vec::new();
        let mut sub = subcommand("producer", "PRODUCER_HTTP");
        sub.write_long_help(&mut help).unwrap();
        let help = String::from_utf8(help).unwrap();
        assert!(
            help.contains("environment variable PRODUCER_HTTP"),
            "{help}"
        );

        let nothing = Command::new("verifier").arg(Arg::new("samples").long("samples"));
        assert_eq!(document(nothing).get_subcommands().count(), 0);
    }

    #[test]
    fn only_healthcheck_as_first_argument_is_intercepted() {
        let code = |list: &[&str]| intercept(&served(), &args(list)).is_some();
        assert!(!code(&["producer"]));
        assert!(!code(&["producer", "--http", "0.0.0.0:9100"]));
        let positional = Command::new("smoke").arg(Arg::new("file"));
        assert!(intercept(&positional, &args(&["smoke", "healthcheck"])).is_none());
        // A binary that serves nothing says so (exit 1).
        let verifier = Command::new("verifier");
        assert!(intercept(&verifier, &args(&["verifier", "healthcheck"])).is_some());
    }

    #[test]
    fn the_address_comes_from_the_argument_else_the_http_flags_variable() {
        let matches = |list: &[&str]| {
            subcommand("producer", "PRODUCER_HTTP")
                .try_get_matches_from(list)
                .unwrap()
        };
        let given = matches(&["healthcheck", "127.0.0.1:9"]);
        assert_eq!(address(&given, Some("0.0.0.0:9100")), Some("127.0.0.1:9"));
        let none = matches(&["healthcheck"]);
        assert_eq!(address(&none, Some(" 0.0.0.0:9100 ")), Some("0.0.0.0:9100"));
        assert_eq!(address(&none, Some("")), None);
        assert_eq!(address(&none, None), None);
    }
}
