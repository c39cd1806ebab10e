//! Files replaced whole: written to a temporary file beside the target, then renamed over it
//! (`tempfile`'s [`NamedTempFile`]).
//!
//! A reader that opens the file at any moment (node_exporter's textfile collector on its
//! scrape, a browser, a web server) sees the previous file or the new one, never half of one:
//! a rename within one folder is atomic. The temporary file is hidden (`.NAME.XXXXXX.tmp`) and
//! does not end in `.prom`, so the textfile collector never reads it; it is removed if anything
//! fails. The new file gets the permissions a plain `File::create` gives (`0o666` less the
//! umask), not a temporary file's owner-only ones: the collector or a web server may run as
//! another user.

use std::{
    fs::File,
    io::{self, Write},
    path::Path,
};

use tempfile::{Builder, NamedTempFile};

/// Writes `contents` to `path` atomically: a temporary file in the same folder, flushed to
/// disk, then renamed to `path`. On failure the temporary file is removed and `path` is left
/// as it was. The errors are the system's own (`No such file or directory (os error 2)`), for
/// the caller to name the file.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut temporary = temporary_beside(path)?;
    let file = temporary.as_file_mut();
    file.write_all(contents)?;
    file.sync_all()?;
    temporary.persist(path)?;
    Ok(())
}

/// A new hidden temporary file in `path`'s folder, named after it (`.NAME.XXXXXX.tmp`),
/// removed when dropped. It is opened as `File::create` opens a file (mode `0o666` less the
/// umask), and `tempfile`'s own opening, which would give `0o600` and add the temporary name to
/// every error message, is left aside.
fn temporary_beside(path: &Path) -> io::Result<NamedTempFile> {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |name| name.to_string_lossy());
    let prefix = format!(".{name}.");
    // A bare file name is in the working directory.
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .make_in(folder, |temporary| {
            File::options().write(true).create_new(true).open(temporary)
        })
}

#[cfg(test)]
mod tests {
    use std::{fs, path::PathBuf};

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atomic-file-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names_in(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_is_left() {
        let dir = scratch("replace");
        let path = dir.join("verifier.prom");
        write(&path, b"old\n").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(names_in(&dir), ["verifier.prom"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_temporary_file_is_hidden_beside_the_target_and_not_collected() {
        let dir = scratch("hidden");
        let temporary = temporary_beside(&dir.join("verifier.prom")).unwrap();
        let name = temporary
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".verifier.prom."), "{name}");
        assert!(!name.ends_with(".prom"), "{name}");
        assert_eq!(temporary.path().parent(), Some(dir.as_path()));
        drop(temporary);
        assert!(names_in(&dir).is_empty(), "dropped: removed");
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_has_the_permissions_file_create_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("permissions");
        let (plain, atomic) = (dir.join("plain"), dir.join("atomic"));
        fs::File::create(&plain).unwrap();
        write(&atomic, b"x").unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_folder_fails_and_leaves_nothing() {
        let path = std::env::temp_dir().join("no-such-folder-for-atomic-file/verifier.prom");
        let error = write(&path, b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(error.to_string(), "No such file or directory (os error 2)");
    }

    #[test]
    fn a_file_name_alone_is_written_in_the_working_directory() {
        let temporary = temporary_beside(Path::new("report.html")).unwrap();
        let folder = temporary.path().parent().map(Path::to_path_buf);
        assert_eq!(folder, Some(std::env::current_dir().unwrap()));
    }
}
