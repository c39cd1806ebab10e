//! A headless Chromium (Debian's `chromium` package, which `scripts/install.sh` installs), to
//! check pages as a browser renders them: the DOM after parsing (and after scripts, given the
//! time), or a screenshot. Tests check the text, not pixels; screenshots are for the docs.
//!
//! Each call starts its own browser with a fresh profile folder (`--user-data-dir`), so calls
//! in parallel tests do not share a profile lock, and removes the folder afterwards. Chromium
//! refuses to run as root with its sandbox on, as tests in a container do: `--no-sandbox`.
//! Without Chromium every function returns `None` and records the check as skipped
//! ([`crate::skip`]).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};

/// How long a page may take before Chromium is stopped.
const LIMIT: Duration = Duration::from_secs(60);

/// The DOM of the page at `url` (`http://…`, or `file:///…` for a file; see [`file_url`]) as
/// HTML once Chromium has loaded it and run its scripts for up to `script_time` of virtual
/// time (`Duration::ZERO`: no waiting, for pages without scripts). `None` when Chromium is not
/// installed.
pub fn dump_dom(url: &str, script_time: Duration) -> Option<String> {
    let mut args = vec!["--dump-dom".to_string()];
    if !script_time.is_zero() {
        args.push(format!("--virtual-time-budget={}", script_time.as_millis()));
    }
    let output = run(&args, url)?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A PNG screenshot of the page at `url`, `size` = (width, height) pixels, saved to `path`.
/// `None` when Chromium is not installed.
pub fn screenshot(url: &str, path: &Path, size: (u32, u32)) -> Option<()> {
    let args = [
        format!("--screenshot={}", absolute(path).display()),
        format!("--window-size={},{}", size.0, size.1),
        "--hide-scrollbars".to_string(),
    ];
    run(&args, url)?;
    assert!(
        path.exists(),
        "chromium wrote no screenshot at {}",
        path.display()
    );
    Some(())
}

/// The `file://` URL of a local file, for [`dump_dom`] and [`screenshot`].
pub fn file_url(path: &Path) -> String {
    format!("file://{}", absolute(path).display())
}

/// The text of an HTML document, as a reader sees it: tags dropped, the entities tests meet
/// decoded, whitespace runs made one space. Enough to look for words and figures in a
/// [`dump_dom`], not an HTML parser.
pub fn text_of(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether Chromium is installed; records the check as skipped ([`crate::skip`]) when it is not.
pub fn available() -> bool {
    let found = Command::new("chromium").arg("--version").output().is_ok();
    if !found {
        crate::skip(
            "the Chromium check: no `chromium` here (Debian's package; scripts/install.sh \
             installs it)",
        );
    }
    found
}

/// Runs headless Chromium on `url` with `args`, with a profile of its own, within [`LIMIT`].
fn run(args: &[String], url: &str) -> Option<Output> {
    if !available() {
        return None;
    }
    let profile = std::env::temp_dir().join(crate::unique_topic("chromium-profile"));
    let mut command = Command::new("timeout");
    command
        .arg(format!("{}s", LIMIT.as_secs()))
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg("--disable-dev-shm-usage")
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url);
    let output = command.output().expect("running chromium");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium {args:?} {url} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output)
}

/// `path` from the root: Chromium resolves relative paths against its own folder.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_tags_and_decodes_entities() {
        let html = "<p class=\"x\">records <b>1000</b></p>\n<td>&lt;script&gt; &amp;</td>";
        assert_eq!(text_of(html), "records 1000 <script> &");
    }

    #[test]
    fn file_urls_are_absolute() {
        assert!(file_url(Path::new("a.html")).starts_with("file:///"));
    }
}
