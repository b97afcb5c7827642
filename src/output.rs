//! The one place that writes: stdout (a closed pipe is a quiet success), single files written
//! atomically (an exclusively created temp file in the same folder, then renamed), and the
//! outputs of a `report` run, published as one set.
//!
//! A run into an output folder ([`RunDir`]):
//! 1. holds an exclusive lock on the folder (a second run into the same folder waits for the
//!    first and says so on stderr), so concurrent runs never mix their files;
//! 2. writes every file into a fresh staging folder inside it (`.accel-cost-staging-*`, created
//!    exclusively with a random name), so a failed run (disk full, an error) leaves the files of
//!    the earlier run untouched;
//! 3. publishes the set: renames each file over its old version, writes the list of what it
//!    wrote (`.accel-cost-manifest`), and removes the files the previous run wrote that this one
//!    did not (a chart that is no longer drawn). Files the tool did not write (a README, a
//!    user's own notes) are never touched.
//!
//! SIGINT, SIGTERM and SIGHUP remove the staging folder before exiting; one arriving during
//! the (short) publish step waits for it to finish. After a SIGKILL the next run removes the
//! leftover staging folder.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

/// The folder inside the staging folder that takes the files a run replaces.
const PREVIOUS: &str = "previous";
/// Name of the list of files the last `report` run wrote into an output folder.
pub const MANIFEST: &str = ".accel-cost-manifest";
/// Prefix of the staging folders a run creates inside the output folder.
pub const STAGING_PREFIX: &str = ".accel-cost-staging-";
/// File extensions a run writes; only such names in a manifest are ever removed.
const OUTPUT_EXTS: [&str; 5] = ["png", "svg", "csv", "json", "md"];

/// Writes bytes to stdout. A reader that went away (`| head -1`) is not an error; any other
/// failure (disk full) says that it was stdout that failed. Control characters that config
/// text may carry (escape sequences, bidi overrides) are written escaped; newlines and tabs
/// pass, and the escapes are valid JSON string escapes, so JSON stays parseable.
pub fn stdout(bytes: &[u8]) -> io::Result<()> {
    let escaped;
    let bytes = match std::str::from_utf8(bytes) {
        Ok(text) => {
            escaped = crate::config::diag::escape_except(text, &['\n', '\t']);
            escaped.as_bytes()
        }
        Err(_) => bytes,
    };
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))),
        Ok(()) => Ok(()),
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically: a temp file with a random name is created
/// exclusively (`O_EXCL`, so a planted symlink is never followed) in the same folder, then
/// renamed over `path`. On failure the temp file is removed and `path` is unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut b = tempfile::Builder::new();
    b.prefix(".accel-cost-tmp-");
    // The usual mode of a new file (0666 less the umask), not tempfile's private 0600.
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = b.tempfile_in(parent_of(path))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// One output file of a run: its name inside the output folder and its bytes.
pub struct OutFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a run's outputs could not be written; the message names the folder or file.
#[derive(Debug)]
pub struct OutputError(pub String);

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Staging folders of this process, removed by the signal handler. The publish step holds the
/// lock, so a signal during it waits until the set is complete.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

fn staging_list() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn install_signal_handler() {
    HANDLER.call_once(|| {
        // Without a handler an interrupt only leaves a staging folder behind, which the next
        // run removes: not worth failing the run for.
        let _ = ctrlc::set_handler(|| {
            let list = staging_list();
            for dir in list.iter() {
                let _ = fs::remove_dir_all(dir);
            }
            std::process::exit(130);
        });
    });
}

/// An output folder locked for one run, with its staging folder.
pub struct RunDir {
    dir: PathBuf,
    staging: Option<tempfile::TempDir>,
    // Held for the lifetime of the run; the lock is released when the file is closed.
    _lock: File,
}

impl RunDir {
    /// Creates `dir` if needed, locks it against other runs (waiting for one in progress),
    /// removes staging folders a killed run left, and creates this run's staging folder (which
    /// also proves the folder is writable).
    pub fn open(dir: &Path) -> Result<RunDir, OutputError> {
        fs::create_dir_all(dir).map_err(|e| OutputError(format!("cannot create output folder {}: {e}", dir.display())))?;
        let lock = File::open(dir).map_err(|e| OutputError(format!("cannot open output folder {}: {e}", dir.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                crate::msg::note(format_args!(
                    "note: another accel-cost report is writing into {}; waiting for it to finish",
                    dir.display()
                ));
                lock.lock()
                    .map_err(|e| OutputError(format!("cannot lock output folder {}: {e}", dir.display())))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(OutputError(format!("cannot lock output folder {}: {e}", dir.display())));
            }
        }
        install_signal_handler();
        remove_stale_staging(dir);
        let staging = {
            // Registering under the lock: a signal between creation and registration would
            // otherwise miss this folder.
            let mut list = staging_list();
            let staging = tempfile::Builder::new()
                .prefix(STAGING_PREFIX)
                .tempdir_in(dir)
                .map_err(|e| OutputError(format!("output folder {} is not writable: {e}", dir.display())))?;
            list.push(staging.path().to_path_buf());
            staging
        };
        Ok(RunDir {
            dir: dir.to_path_buf(),
            staging: Some(staging),
            _lock: lock,
        })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `files` as this run's set: all into the staging folder first (any failure
    /// leaves the folder as it was), then each renamed into place, the manifest last, then
    /// the files of the previous run that this run did not write are removed. Returns the
    /// number of files published. Names must be plain file names (no folders).
    pub fn publish(mut self, files: &[OutFile]) -> Result<usize, OutputError> {
        let Some(staging) = self.staging.take() else {
            return Err(OutputError("internal: run already published".into()));
        };
        let sdir = staging.path().to_path_buf();
        let mut names = HashSet::new();
        for f in files {
            if !is_output_name(&f.name) || !names.insert(f.name.as_str()) {
                return Err(OutputError(format!("internal: bad or repeated output name `{}`", f.name)));
            }
            write_new(&sdir.join(&f.name), &f.bytes, &self.dir.join(&f.name))?;
        }
        let mut manifest = String::from(
            "# Files the last `accel-cost report` wrote into this folder. The next run replaces them\n# and removes those it does not write again; other files here are never touched.\n",
        );
        for f in files {
            manifest.push_str(&f.name);
            manifest.push('\n');
        }
        write_new(&sdir.join(MANIFEST), manifest.as_bytes(), &self.dir.join(MANIFEST))?;
        for f in files {
            let dest = self.dir.join(&f.name);
            if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
                return Err(OutputError(format!(
                    "cannot write {}: a folder has that name (nothing was changed)",
                    dest.display()
                )));
            }
        }
        let previous = read_manifest(&self.dir);
        // A file of that name that no earlier run wrote is the planner's own: never replaced.
        let written: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let foreign = not_ours(&self.dir, &written);
        if !foreign.is_empty() {
            let (what, hint) = foreign_message(&self.dir, &foreign);
            return Err(OutputError(format!("{what} ({hint})")));
        }
        {
            // Signals wait while the set is being swapped in.
            let mut list = staging_list();
            // The previous file is moved aside into the staging folder (removed with it) before
            // the new one is moved in: a rename onto an existing file makes ext4 flush the new
            // file's data then and there (its `auto_da_alloc` guard), 7 ms of the report's
            // 10 ms in this loop; onto a free name it is a link update.
            let previous_dir = sdir.join(PREVIOUS);
            let _ = fs::create_dir(&previous_dir);
            for f in files.iter().map(|f| f.name.as_str()).chain([MANIFEST]) {
                let dest = self.dir.join(f);
                let aside = previous_dir.join(f);
                let moved = fs::symlink_metadata(&dest).is_ok_and(|m| m.is_file()) && fs::rename(&dest, &aside).is_ok();
                if let Err(e) = fs::rename(sdir.join(f), &dest) {
                    if moved {
                        let _ = fs::rename(&aside, &dest);
                    }
                    return Err(OutputError(format!("cannot write {}: {e}", dest.display())));
                }
            }
            for old in previous.iter().filter(|n| !names.contains(n.as_str())) {
                let p = self.dir.join(old);
                if fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                    let _ = fs::remove_file(&p);
                }
            }
            list.retain(|p| p != &sdir);
        }
        let _ = staging.close();
        Ok(files.len())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if let Some(s) = self.staging.take() {
            let path = s.path().to_path_buf();
            let mut list = staging_list();
            let _ = s.close();
            list.retain(|p| p != &path);
        }
    }
}

/// Creates `path` exclusively and writes `bytes`; errors name `shown` (the final path).
fn write_new(path: &Path, bytes: &[u8], shown: &Path) -> Result<(), OutputError> {
    File::create_new(path).and_then(|mut f| f.write_all(bytes)).map_err(|e| {
        OutputError(format!(
            "cannot write {}: {e} (earlier outputs were left as they were)",
            shown.display()
        ))
    })
}

/// Of `names`, those present in `dir` that no earlier report run wrote (not in its manifest):
/// the planner's own files, which a run must never replace.
pub fn not_ours(dir: &Path, names: &[&str]) -> Vec<String> {
    let previous = read_manifest(dir);
    names
        .iter()
        .filter(|n| !previous.iter().any(|p| p.as_str() == **n) && fs::symlink_metadata(dir.join(n)).is_ok())
        .map(|n| (*n).to_string())
        .collect()
}

/// What to say when [`not_ours`] finds files: (what, hint).
pub fn foreign_message(dir: &Path, foreign: &[String]) -> (String, String) {
    (
        format!(
            "{} already holds {}, which no earlier accel-cost report wrote; nothing was changed",
            dir.display(),
            foreign.join(", ")
        ),
        format!(
            "move {} away, or write the report elsewhere with -o DIR: a report replaces only the files an earlier report wrote",
            if foreign.len() == 1 { "it" } else { "them" }
        ),
    )
}

/// A name a run may write or remove: a plain file name with an output extension.
fn is_output_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).extension().is_some_and(|e| OUTPUT_EXTS.iter().any(|x| e == *x))
}

/// The file names the previous run listed; names that are not plain output names are ignored.
fn read_manifest(dir: &Path) -> Vec<String> {
    let p = dir.join(MANIFEST);
    // Only a regular file we wrote counts: a symlink planted there is ignored.
    if !fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    fs::read_to_string(&p)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && is_output_name(l))
        .map(str::to_string)
        .collect()
}

/// Staging folders left by a killed run (the caller holds the folder's lock, so none is live).
fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let stale = e.file_name().to_str().is_some_and(|n| n.starts_with(STAGING_PREFIX)) && e.file_type().is_ok_and(|t| t.is_dir());
        if stale {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> OutFile {
        OutFile {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"one").expect("first write");
        write_atomic(&p, b"two").expect("second write");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn publish_replaces_the_set_and_removes_only_stale_outputs() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("README.md"), "mine").expect("readme");
        let run = RunDir::open(dir.path()).expect("open");
        run.publish(&[file("a.png", b"1"), file("b.csv", b"2")]).expect("first");
        let run = RunDir::open(dir.path()).expect("open again");
        run.publish(&[file("a.png", b"3")]).expect("second");
        assert_eq!(listing(dir.path()), [MANIFEST, "README.md", "a.png"]);
        assert_eq!(fs::read(dir.path().join("a.png")).expect("a"), b"3");
    }

    #[test]
    fn a_file_no_run_wrote_is_never_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("report.md"), "MY NOTES").expect("mine");
        let run = RunDir::open(dir.path()).expect("open");
        let e = run
            .publish(&[file("a.png", b"1"), file("report.md", b"new")])
            .expect_err("the planner's report.md must not be replaced");
        assert!(e.0.contains("report.md") && e.0.contains("nothing was changed"), "{}", e.0);
        // Nothing was written: not a.png, not the manifest; the planner's file is as it was.
        assert_eq!(listing(dir.path()), ["report.md"]);
        assert_eq!(fs::read(dir.path().join("report.md")).expect("mine"), b"MY NOTES");
        // A file an earlier run wrote (listed in its manifest) is replaced as usual.
        let run = RunDir::open(dir.path()).expect("open");
        run.publish(&[file("a.png", b"1")]).expect("first");
        let run = RunDir::open(dir.path()).expect("open");
        run.publish(&[file("a.png", b"2")]).expect("second");
        assert_eq!(fs::read(dir.path().join("a.png")).expect("a"), b"2");
    }

    #[test]
    fn a_dropped_run_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(RunDir::open(dir.path()).expect("open"));
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn manifest_names_outside_the_folder_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(MANIFEST), "../x.png\n/etc/passwd\n.hidden.md\nok.png\n").expect("manifest");
        assert_eq!(read_manifest(dir.path()), ["ok.png"]);
    }
}
