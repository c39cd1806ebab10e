//! Files replaced whole: written to a temporary file beside the target, then renamed over it.
//!
//! A reader that opens the file at any moment (node_exporter's textfile collector on its
//! scrape, a browser, a web server) sees the previous file or the new one, never half of one:
//! a rename within one folder is atomic. The temporary file is hidden (`.NAME.PID.tmp`) and does
//! not end in `.prom`, so the textfile collector never reads it.

use std::{
    fs::{self, File},
    io::{self, Write},
    path::{Path, PathBuf},
};

/// Writes `contents` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed to `path`. On failure the temporary file is removed and `path` is left
/// as it was.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temporary = temporary_path(path);
    let result = write_then_rename(&temporary, path, contents);
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// The hidden temporary file that becomes `path`, in `path`'s folder.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes and syncs `temporary`, then renames it to `path`.
fn write_then_rename(temporary: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = File::create(temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atomic-file-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_is_left() {
        let dir = scratch("replace");
        let path = dir.join("verifier.prom");
        write(&path, b"old\n").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["verifier.prom"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_temporary_file_is_hidden_and_not_collected() {
        let temporary = temporary_path(Path::new("/var/lib/node/verifier.prom"));
        let name = temporary
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".verifier.prom."), "{name}");
        assert!(!name.ends_with(".prom"), "{name}");
        assert_eq!(temporary.parent(), Some(Path::new("/var/lib/node")));
    }

    #[test]
    fn a_missing_folder_fails_and_leaves_nothing() {
        let path = std::env::temp_dir().join("no-such-folder-for-atomic-file/verifier.prom");
        let error = write(&path, b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
