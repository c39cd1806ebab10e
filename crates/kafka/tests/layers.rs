//! The crate is laid out as the protocol stack (see `src/lib.rs`): each layer may use the
//! layers below it, never one above. This test reads every source file and fails on any
//! `crate::` path that runs upwards, naming the file, the line and the layer it reaches.

use std::{
    fs,
    path::{Path, PathBuf},
};

/// The layers from the bottom up; `backoff` is a utility every layer uses.
const LAYERS: [&str; 5] = ["backoff", "protocol", "connection", "cluster", "client"];

/// The layer's rank of a top-level module name, `None` for what is no layer (`lib.rs`).
fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| *layer == module)
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules a line names through `crate::`, also inside `crate::{a, b::c}`.
fn crate_modules(line: &str) -> Vec<String> {
    let mut modules = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        modules.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            modules.push(first_segment(&item));
        } else {
            modules.push(first_segment(rest));
        }
    }
    modules.retain(|m| !m.is_empty());
    modules
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|name| name.trim_end_matches(".rs").to_string())
            .expect("a file name");
        let Some(own) = rank(&top) else { continue };
        let text = fs::read_to_string(file).expect("a readable source");
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for module in crate_modules(code) {
                if rank(&module).is_some_and(|used| used > own) {
                    upward.push(format!(
                        "{}:{}: layer `{top}` uses `{module}`, a layer above it",
                        relative.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(files.len() > 20, "read only {} files", files.len());
    assert!(
        upward.is_empty(),
        "imports that run upwards:\n{}",
        upward.join("\n")
    );
}

#[test]
fn grouped_imports_are_read_too() {
    assert_eq!(
        crate_modules("use crate::{client::Error, cluster::{Cluster, X}, connection};"),
        ["client", "cluster", "connection"]
    );
    assert_eq!(
        crate_modules("let x = crate::client::Error::from(e);"),
        ["client"]
    );
}
