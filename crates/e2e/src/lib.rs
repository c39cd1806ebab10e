//! The end-to-end tests' kit: the broker under test, unique topics, and running the real
//! binaries with a time limit ([`group`] adds what the consumer-group suites share). The suites
//! themselves are in `tests/`, by concern; the Python peers (librdkafka, kafka-python-ng) in
//! `peers/`.
//!
//! Every end-to-end test is `#[ignore]`d with the reason "needs a broker, run `just test`", so a
//! plain `cargo test` runs the unit tests and lists these as ignored. `just test` starts each
//! broker (tansu and librdkafka's mock cluster), names it in `KAFKA_TEST_BROKERS` and runs them
//! with `--ignored --exact NAME`, each test on a fresh broker of its own, several side by side
//! (`scripts/e2e_runner.py`). A test that cannot check what it is for here calls [`skip`], and
//! is reported as skipped, with its reason, never as passed.
//!
//! [`cluster`] is the exception: a librdkafka mock cluster of several brokers that a test starts
//! for itself and drives (leaders, brokers down and up, injected errors), for the `leaders`
//! suite; those tests target its bootstrap address instead of `KAFKA_TEST_BROKERS`.
//!
//! The chaos suite (`just chaos`) adds [`proxy`], a TCP proxy that breaks the network on
//! demand, and [`chaos`], its bookkeeping: what was received while faults played, and each
//! scenario's verdict row. The observability suite adds [`prometheus`]: a real Prometheus
//! server scraping the services, queried through its HTTP API; and [`browser`]: a headless
//! Chromium that loads the pages the services write or serve.

pub mod browser;
pub mod chaos;
pub mod cluster;
pub mod group;
pub mod prometheus;
pub mod proxy;
pub mod topic;

pub use topic::Topic;

use std::{
    collections::BTreeMap,
    fs::File,
    io::Read,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

/// The bootstrap address of the broker under test.
pub fn brokers() -> String {
    std::env::var("KAFKA_TEST_BROKERS").unwrap_or_else(|_| {
        panic!("KAFKA_TEST_BROKERS is not set: run `just test`, which starts the brokers")
    })
}

/// The bootstrap address of the broker under test, as a list.
pub fn broker_list() -> Vec<String> {
    vec![brokers()]
}

/// Which broker is under test (`tansu` or `mock`), for the few quirks tests must know.
pub fn broker_kind() -> String {
    std::env::var("KAFKA_TEST_BROKER_KIND").unwrap_or_default()
}

/// Records that this test skips something, and why: prints `skipped: REASON` on stderr and
/// appends `REASON` as one line (once) to the file `skipped` in `E2E_LOG_DIR` (when set). `just test`
/// reads that file to report the test as skipped, with its reason, and never as passed: a test
/// that checked nothing, or less than it exists for, must not look like one that checked it all.
/// The caller then returns (the whole test skipped) or goes on without that check (a part of it
/// skipped, e.g. the Chromium check when no Chromium is installed).
pub fn skip(reason: &str) {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("skipped: {reason}");
    let Some(dir) = std::env::var_os("E2E_LOG_DIR").map(PathBuf::from) else {
        return;
    };
    let path = dir.join("skipped");
    let recorded = std::fs::read_to_string(&path).unwrap_or_default();
    if recorded.lines().any(|line| line == reason) {
        return;
    }
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        std::io::Write::write_all(&mut file, format!("{reason}\n").as_bytes())
    });
    if let Err(e) = written {
        panic!("cannot record the skip in {}: {e}", path.display());
    }
}

/// A topic name no other test uses.
pub fn unique_topic(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

/// The path of one of the workspace's binaries, next to the test executable's folder.
pub fn binary(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("test executable path");
    let dir = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run the end-to-end tests with `cargo test --workspace` (`just test`)",
        path.display()
    );
    path
}

/// The Python interpreter of the project's venv (confluent-kafka, kafka-python-ng).
pub fn python() -> PathBuf {
    let venv = std::env::var("PIPELINE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/kafka-pipeline/venv")
        });
    venv.join("bin/python")
}

/// What a finished process left.
#[derive(Debug)]
pub struct Finished {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything written on stdout.
    pub stdout: String,
    /// Everything written on stderr.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Finished {
    /// Asserts the exit-code table's user error: exit 2 with exactly one `error:` line on
    /// stderr, which contains each of `expected`; returns that line. `what` names the run in
    /// failure messages.
    pub fn assert_user_error(&self, what: &str, expected: &[&str]) -> &str {
        assert_eq!(self.code, Some(2), "{what}: {}", self.stderr);
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{what}: one error line: {}", self.stderr);
        for part in expected {
            assert!(
                errors[0].contains(part),
                "{what}: {part:?} in {}",
                errors[0]
            );
        }
        errors[0]
    }

    /// Stdout parsed as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        self.parse()
    }

    /// Stdout parsed as one JSON document of type `T` (a service's summary type).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not the JSON expected ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Starts `program` with `args`, stdout captured and stderr written to a log file, which
/// [`stderr_so_far`] reads while the process runs. The files go to `E2E_LOG_DIR` when it is set
/// (`just test` sets it per test, and keeps them), else to a folder of this test process under
/// the system's temporary directory.
pub fn spawn(program: impl Into<PathBuf>, args: &[&str]) -> Child {
    spawn_with_stdin(program.into(), args, Stdio::null())
}

/// Like [`spawn`], with stdin piped too: for a process driven by commands on its stdin (the
/// [`cluster`] harness).
pub fn spawn_interactive(program: impl Into<PathBuf>, args: &[&str]) -> Child {
    spawn_with_stdin(program.into(), args, Stdio::piped())
}

fn spawn_with_stdin(program: PathBuf, args: &[&str], stdin: Stdio) -> Child {
    let log = stderr_log(&program, args);
    let file =
        File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let child = Command::new(&program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    LOGS.lock().expect("log registry").insert(child.id(), log);
    kill_on_panic(child.id(), &program);
    child
}

/// The processes the tests started, with their programs: a test that fails (panics) must not
/// leave them running, to load the machine under the tests that follow.
static SPAWNED: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

/// Registers `pid`, started from `program`, to be killed if the test panics.
fn kill_on_panic(pid: u32, program: &Path) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            kill_spawned();
        }));
    });
    SPAWNED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((pid, program.to_path_buf()));
}

/// SIGKILLs every registered process that still runs its program (a pid the system gave to
/// another program since is left alone).
fn kill_spawned() {
    let spawned = std::mem::take(&mut *SPAWNED.lock().unwrap_or_else(|p| p.into_inner()));
    for (pid, program) in spawned {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.starts_with(program.as_os_str().as_encoded_bytes()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// What `child` (started by [`spawn`]) has written on stderr so far.
pub fn stderr_so_far(child: &Child) -> String {
    let path = LOGS.lock().expect("log registry").get(&child.id()).cloned();
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default()
}

/// Where the stderr of each process goes, by pid.
static LOGS: Mutex<BTreeMap<u32, PathBuf>> = Mutex::new(BTreeMap::new());

/// A new file for the stderr of `program`, named after it (and its script, for Python peers)
/// and numbered in start order.
fn stderr_log(program: &Path, args: &[&str]) -> PathBuf {
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::var_os("E2E_LOG_DIR").map_or_else(
        || std::env::temp_dir().join(format!("e2e-{}", std::process::id())),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let name = program
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let script = args
        .first()
        .filter(|a| a.ends_with(".py"))
        .and_then(|a| Path::new(a).file_stem())
        .map_or_else(String::new, |s| format!("-{}", s.to_string_lossy()));
    let number = STARTED.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{number:02}-{name}{script}.log"))
}

/// Waits for `child` for at most `limit`, killing it past that (the test then fails on its
/// exit code), and collects its output.
pub fn wait(mut child: Child, limit: Duration) -> Finished {
    let started = Instant::now();
    // Drain stdout while waiting, so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break child.wait().expect("reaping killed child");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: stderr_so_far(&child),
        elapsed: started.elapsed(),
    }
}

/// Runs one of the workspace's binaries to completion (at most two minutes).
pub fn run(name: &str, args: &[&str]) -> Finished {
    wait(spawn(binary(name), args), Duration::from_secs(120))
}

/// Sends SIGTERM to `child`, as `docker stop` or Ctrl+C would.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -TERM {} failed", child.id());
}

/// `GET path` on the HTTP server at `address` (HTTP/1.0, so the server closes the connection
/// after its answer): the status code and the body.
pub fn http_get(address: &str, path: &str) -> (u16, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address)
        .unwrap_or_else(|e| panic!("connecting to {address}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").expect("sending the request");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("reading the answer to GET {path}: {e}"));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    (status, body.to_string())
}
