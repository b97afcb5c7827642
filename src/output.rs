//! The one place that writes: stdout (a closed pipe is a quiet success), single files written
//! atomically (an exclusively created temp file in the same folder, then renamed), and the
//! outputs of a `report` run, published as one set.
//!
//! An output folder `D` holds the tool's store `D/.accel-cost/`:
//! - `set-*/`: a complete set of one run's files;
//! - `current`: a symbolic link to the set on show (`set-k3Jx9q`).
//!
//! and, for every name a run writes, the symbolic link `D/<name>` → `.accel-cost/current/<name>`.
//! Opening `D/report.md` reads the current set's file; a planner copies, pastes and links
//! these as usual.
//!
//! A run into `D` ([`RunDir`]):
//! 1. holds an exclusive lock on `D` (a second run into the same folder waits for the first and
//!    says so on stderr), so concurrent runs never mix their files;
//! 2. clears what a killed run left (sets other than the current one, temporary links, links
//!    to names the current set lacks), so a kill never locks the folder;
//! 3. writes every file into a fresh set folder (created exclusively with a random name), so a
//!    failed run (disk full, an error) leaves the earlier set on show;
//! 4. publishes: makes sure each name has its link (a link to a name the current set lacks
//!    reads as absent), then replaces `current` by one `rename` of a new link — the one
//!    moment the set changes, atomically — then removes the links of names the new set lacks
//!    and the old set.
//!
//! So a run killed at any moment (even SIGKILL) leaves the earlier set or the new one on show,
//! never a mix; the next run clears the leftovers. A name that exists in `D` as anything but
//! the tool's link (a README, a planner's own `report.md`) is never replaced or removed: the
//! run stops before writing. Folders from before this scheme (regular files listed in
//! `.accel-cost-manifest`) are taken over on the first run: their files are linked into a set
//! (no copy), then each replaced by its link, which shows the same bytes.
//!
//! SIGINT, SIGTERM and SIGHUP remove the new set folder before exiting; one arriving during
//! the (short) publish step waits for it to finish.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

/// The tool's folder inside an output folder: the sets and the `current` link.
pub const STORE: &str = ".accel-cost";
/// The link, inside [`STORE`], to the set on show.
const CURRENT: &str = "current";
/// Prefix of the set folders inside [`STORE`].
const SET_PREFIX: &str = "set-";
/// Prefix of temporary links inside [`STORE`], renamed into place.
const TMP_PREFIX: &str = "tmp-";
/// The list of files the tool wrote before sets (regular files in the output folder).
pub const LEGACY_MANIFEST: &str = ".accel-cost-manifest";
/// Prefix of the staging folders runs created before sets (removed when found).
const LEGACY_STAGING_PREFIX: &str = ".accel-cost-staging-";
/// File extensions a run writes; only such names are ever linked or removed.
const OUTPUT_EXTS: [&str; 6] = ["png", "svg", "csv", "json", "md", "xlsx"];

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

/// Set folders of this process not yet on show, removed by the signal handler. The publish
/// step holds the lock, so a signal during it waits until the set is on show.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

fn staging_list() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn install_signal_handler() {
    HANDLER.call_once(|| {
        // Without a handler an interrupt only leaves a set folder behind, which the next run
        // removes: not worth failing the run for.
        let _ = ctrlc::set_handler(|| {
            let list = staging_list();
            for dir in list.iter() {
                let _ = fs::remove_dir_all(dir);
            }
            std::process::exit(130);
        });
    });
}

/// A name that is free in the store: `<prefix><16 random hex digits>`.
fn random_name(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::random::<u64>())
}

/// What the link `D/<name>` points to.
fn link_target(name: &str) -> PathBuf {
    Path::new(STORE).join(CURRENT).join(name)
}

/// True when `D/<name>` is the link a run made.
fn is_our_link(dir: &Path, name: &str) -> bool {
    fs::read_link(dir.join(name)).is_ok_and(|t| t == link_target(name))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

// Untested: needs Developer Mode or the symlink privilege.
#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    if target.to_str().is_some_and(|t| t.starts_with(SET_PREFIX)) {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

#[cfg(not(any(unix, windows)))]
fn symlink(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "this system has no symbolic links"))
}

/// Makes `at` a link to `target` in one step: a link with a random name made in `store`, then
/// renamed over `at` (which a reader sees as before or after, never absent).
fn link_atomically(store: &Path, target: &Path, at: &Path) -> io::Result<()> {
    let tmp = store.join(random_name(TMP_PREFIX));
    symlink(target, &tmp)?;
    fs::rename(&tmp, at).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// The name of the set `current` points to, when it is one of the store's set folders.
fn current_set(store: &Path) -> Option<String> {
    let target = fs::read_link(store.join(CURRENT)).ok()?;
    let name = target.to_str()?;
    let ok =
        name.starts_with(SET_PREFIX) && !name.contains(['/', '\\']) && fs::symlink_metadata(store.join(name)).is_ok_and(|m| m.is_dir());
    ok.then(|| name.to_string())
}

/// The output names in a set folder.
fn set_names(set: &Path) -> HashSet<String> {
    fs::read_dir(set)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| is_output_name(n))
        .collect()
}

/// An output folder locked for one run, with its new set folder.
pub struct RunDir {
    dir: PathBuf,
    store: PathBuf,
    /// The new set, until it is on show (then the folder is kept).
    set: Option<PathBuf>,
    // Held for the lifetime of the run; the lock is released when the file is closed.
    _lock: File,
}

impl RunDir {
    /// Creates `dir` and its store if needed, locks `dir` against other runs (waiting for one
    /// in progress), clears what a killed run left, and creates this run's set folder (which
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
        let store = dir.join(STORE);
        match fs::symlink_metadata(&store) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(OutputError(format!(
                    "{} is not the folder accel-cost keeps its outputs in (nothing was changed; move it away)",
                    store.display()
                )));
            }
            Err(_) => fs::create_dir(&store).map_err(|e| OutputError(format!("output folder {} is not writable: {e}", dir.display())))?,
        }
        recover(dir, &store);
        let set = {
            // Registering under the lock: a signal between creation and registration would
            // otherwise miss this folder.
            let mut list = staging_list();
            let set = store.join(random_name(SET_PREFIX));
            fs::create_dir(&set).map_err(|e| OutputError(format!("output folder {} is not writable: {e}", dir.display())))?;
            list.push(set.clone());
            set
        };
        Ok(RunDir {
            dir: dir.to_path_buf(),
            store,
            set: Some(set),
            _lock: lock,
        })
    }

    /// The output folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `files` as this run's set: all into the new set folder first (any failure
    /// leaves the folder as it was), then publishes it in one step (see the module doc). Returns
    /// the number of files published. Names must be plain file names (no folders).
    pub fn publish(mut self, files: &[OutFile]) -> Result<usize, OutputError> {
        let Some(sdir) = self.set.clone() else {
            return Err(OutputError("internal: run already published".into()));
        };
        let mut names = HashSet::new();
        for f in files {
            if !is_output_name(&f.name) || !names.insert(f.name.as_str()) {
                return Err(OutputError(format!("internal: bad or repeated output name `{}`", f.name)));
            }
            write_new(&sdir.join(&f.name), &f.bytes, &self.dir.join(&f.name))?;
        }
        for f in files {
            let dest = self.dir.join(&f.name);
            if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
                return Err(OutputError(format!(
                    "cannot write {}: a folder has that name (nothing was changed)",
                    dest.display()
                )));
            }
        }
        // A file of that name that no earlier run wrote is the planner's own: never replaced.
        let written: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        let foreign = not_ours(&self.dir, &written);
        if !foreign.is_empty() {
            let (what, hint) = foreign_message(&self.dir, &foreign);
            return Err(OutputError(format!("{what} ({hint})")));
        }
        let failed = |what: &Path, e: io::Error| {
            OutputError(format!(
                "cannot write {}: {e} (earlier outputs were left as they were)",
                what.display()
            ))
        };
        self.take_over_legacy().map_err(|e| failed(&self.dir, e))?;
        // Each name's link; one to a name the current set lacks reads as absent until the swap.
        for f in files {
            let at = self.dir.join(&f.name);
            if !is_our_link(&self.dir, &f.name) {
                symlink(&link_target(&f.name), &at).map_err(|e| failed(&at, e))?;
            }
        }
        let old = current_set(&self.store);
        let set_name = sdir.file_name().map(PathBuf::from).unwrap_or_default();
        {
            // Signals wait while the set is swapped in; once on show it is no longer theirs.
            let mut list = staging_list();
            link_atomically(&self.store, &set_name, &self.store.join(CURRENT)).map_err(|e| failed(&self.dir, e))?;
            list.retain(|p| p != &sdir);
            self.set = None;
        }
        // The new set is on show. Links to names it lacks (a chart no longer drawn), then the
        // old set; a kill here leaves them to the next run.
        if let Some(old) = old {
            for n in set_names(&self.store.join(&old)) {
                if !names.contains(n.as_str()) && is_our_link(&self.dir, &n) {
                    let _ = fs::remove_file(self.dir.join(&n));
                }
            }
            let _ = fs::remove_dir_all(self.store.join(old));
        }
        Ok(files.len())
    }

    /// Takes over a folder written before sets: its files (regular files listed in
    /// `.accel-cost-manifest`) are hard-linked into a set put on show, then each is replaced by
    /// its link, which shows the same bytes, and the manifest is removed. Resumable: a kill
    /// anywhere leaves regular files or links to the same bytes.
    fn take_over_legacy(&self) -> io::Result<()> {
        let manifest = self.dir.join(LEGACY_MANIFEST);
        if !fs::symlink_metadata(&manifest).is_ok_and(|m| m.is_file()) {
            return Ok(());
        }
        let files: Vec<String> = read_manifest(&self.dir)
            .into_iter()
            .filter(|n| fs::symlink_metadata(self.dir.join(n)).is_ok_and(|m| m.is_file()))
            .collect();
        if current_set(&self.store).is_none() {
            let name = random_name(SET_PREFIX);
            let set = self.store.join(&name);
            fs::create_dir(&set)?;
            for n in &files {
                let (from, to) = (self.dir.join(n), set.join(n));
                fs::hard_link(&from, &to).or_else(|_| fs::copy(&from, &to).map(|_| ()))?;
            }
            link_atomically(&self.store, Path::new(&name), &self.store.join(CURRENT))?;
        }
        for n in &files {
            link_atomically(&self.store, &link_target(n), &self.dir.join(n))?;
        }
        fs::remove_file(manifest)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if let Some(set) = self.set.take() {
            let mut list = staging_list();
            let _ = fs::remove_dir_all(&set);
            list.retain(|p| p != &set);
        }
    }
}

/// Clears what a killed run left: in the store, every set but the current one and every
/// temporary link; in the output folder, the staging folders of runs from before sets and the
/// links to names the current set lacks (they read as absent already). Runs under the lock, so
/// nothing cleared is in use.
fn recover(dir: &Path, store: &Path) {
    let current = current_set(store);
    for e in fs::read_dir(store).into_iter().flatten().flatten() {
        let Some(name) = e.file_name().to_str().map(String::from) else {
            continue;
        };
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if current.as_deref() == Some(name.as_str()) || (name == CURRENT && current.is_some()) {
            continue;
        }
        if name.starts_with(SET_PREFIX) && is_dir {
            let _ = fs::remove_dir_all(e.path());
        } else if (name.starts_with(TMP_PREFIX) || name == CURRENT) && !is_dir {
            let _ = fs::remove_file(e.path());
        }
    }
    let shown = current.map(|c| set_names(&store.join(c))).unwrap_or_default();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(name) = e.file_name().to_str().map(String::from) else {
            continue;
        };
        if name.starts_with(LEGACY_STAGING_PREFIX) && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(e.path());
        } else if is_output_name(&name) && !shown.contains(&name) && is_our_link(dir, &name) {
            let _ = fs::remove_file(e.path());
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

/// Of `names`, those present in `dir` as something no earlier report run wrote (neither the
/// tool's link nor a file a pre-set manifest lists): the planner's own, which a run must never
/// replace. A folder of such a name is left to `publish`, which says a folder has that name.
pub fn not_ours(dir: &Path, names: &[&str]) -> Vec<String> {
    let legacy = read_manifest(dir);
    names
        .iter()
        .filter(|n| match fs::symlink_metadata(dir.join(n)) {
            Err(_) => false,
            Ok(m) if m.is_dir() => false,
            Ok(m) if m.is_file() => !legacy.iter().any(|l| l.as_str() == **n),
            Ok(_) => !is_our_link(dir, n),
        })
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

/// The file names a run from before sets listed in `.accel-cost-manifest`; names that are not
/// plain output names are ignored.
fn read_manifest(dir: &Path) -> Vec<String> {
    let p = dir.join(LEGACY_MANIFEST);
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

    fn is_link(dir: &Path, name: &str) -> bool {
        fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_symlink())
    }

    #[test]
    fn publish_replaces_the_set_and_removes_only_stale_outputs() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("README.md"), "mine").expect("readme");
        let run = RunDir::open(dir.path()).expect("open");
        run.publish(&[file("a.png", b"1"), file("b.csv", b"2")]).expect("first");
        let run = RunDir::open(dir.path()).expect("open again");
        run.publish(&[file("a.png", b"3")]).expect("second");
        assert_eq!(listing(dir.path()), [STORE, "README.md", "a.png"]);
        assert_eq!(fs::read(dir.path().join("a.png")).expect("a"), b"3");
        assert!(is_link(dir.path(), "a.png"));
        // The store holds the link to the set on show and that set only.
        let store = dir.path().join(STORE);
        let sets: Vec<String> = listing(&store).into_iter().filter(|n| n.starts_with(SET_PREFIX)).collect();
        assert_eq!(listing(&store).len(), 2, "{:?}", listing(&store));
        assert_eq!(current_set(&store).as_deref(), sets.first().map(String::as_str));
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
        // Nothing was written: no a.png, no set; the planner's file is as it was.
        assert_eq!(listing(dir.path()), [STORE, "report.md"]);
        assert!(listing(&dir.path().join(STORE)).is_empty());
        assert_eq!(fs::read(dir.path().join("report.md")).expect("mine"), b"MY NOTES");
        // A link of the planner's own to elsewhere is not ours either.
        symlink(Path::new("report.md"), &dir.path().join("b.png")).expect("link");
        assert_eq!(not_ours(dir.path(), &["b.png", "a.png"]), ["b.png"]);
        // A file an earlier run wrote is replaced as usual.
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
        assert_eq!(listing(dir.path()), [STORE]);
        assert!(listing(&dir.path().join(STORE)).is_empty());
    }

    #[test]
    fn what_a_killed_run_left_is_cleared_by_the_next_and_the_shown_set_stays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let run = RunDir::open(d).expect("open");
        run.publish(&[file("a.png", b"1"), file("b.csv", b"2")]).expect("first");
        let store = d.join(STORE);
        // A run killed after writing its set, its temporary link and a link for a new name,
        // but before the swap: the folder still shows the first set, c.svg reads as absent.
        fs::create_dir(store.join("set-killed")).expect("set");
        fs::write(store.join("set-killed/a.png"), b"9").expect("file");
        symlink(Path::new("set-killed"), &store.join("tmp-killed")).expect("tmp");
        symlink(&link_target("c.svg"), &d.join("c.svg")).expect("link");
        assert_eq!(fs::read(d.join("a.png")).expect("a"), b"1");
        assert!(fs::read(d.join("c.svg")).is_err());
        // The next run refuses nothing and leaves only its own set.
        let run = RunDir::open(d).expect("open after a kill");
        assert!(!store.join("set-killed").exists() && !store.join("tmp-killed").exists());
        assert!(!is_link(d, "c.svg"), "a link to a name no set shows was kept");
        run.publish(&[file("a.png", b"3")]).expect("publish after a kill");
        assert_eq!(listing(d), [STORE, "a.png"]);
        assert_eq!(fs::read(d.join("a.png")).expect("a"), b"3");
    }

    #[test]
    fn a_folder_from_before_sets_is_taken_over_without_a_lockout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        // The old layout: regular files and the manifest listing them, and a planner's file.
        fs::write(d.join(LEGACY_MANIFEST), "# old\na.png\nold.csv\n").expect("manifest");
        fs::write(d.join("a.png"), b"old a").expect("a");
        fs::write(d.join("old.csv"), b"old csv").expect("old");
        fs::write(d.join("mine.md"), b"mine").expect("mine");
        let run = RunDir::open(d).expect("open");
        run.publish(&[file("a.png", b"new a"), file("b.svg", b"b")]).expect("publish");
        assert_eq!(listing(d), [STORE, "a.png", "b.svg", "mine.md"]);
        assert_eq!(fs::read(d.join("a.png")).expect("a"), b"new a");
        assert!(is_link(d, "a.png") && is_link(d, "b.svg"));
        assert_eq!(fs::read(d.join("mine.md")).expect("mine"), b"mine");
    }

    #[test]
    fn manifest_names_outside_the_folder_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(LEGACY_MANIFEST), "../x.png\n/etc/passwd\n.hidden.md\nok.png\n").expect("manifest");
        assert_eq!(read_manifest(dir.path()), ["ok.png"]);
    }
}
