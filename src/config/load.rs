//! First stage of loading: find the files, read and parse them, merge, apply `--set`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::DeTable;

use super::diag::{Diag, Diags};
use super::tree::{self, LineIndex, Node, Origin, Table};

/// Files larger than this are refused: a config is a few kB, a 50 MB file is a mistake.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
const MAX_DEPTH: usize = 16;

fn file_origin(path: &Path) -> Origin {
    Origin::File {
        file: Arc::from(path.display().to_string()),
        line: 1,
        col: 1,
    }
}

/// Expands `--config` arguments into the files to read, in merge order: a folder means every
/// `*.toml` below it, in path order.
pub fn discover(paths: &[PathBuf], diags: &mut Diags) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                let mut visited = HashSet::new();
                walk(p, 0, &mut visited, &mut found, diags);
                found.sort();
                if found.is_empty() {
                    diags.err(
                        &file_origin(p),
                        format!("folder {} holds no .toml files", p.display()),
                        "point --config at a folder of config files, or run `accel-cost init DIR`",
                    );
                }
                out.extend(found);
            }
            Ok(_) => out.push(p.clone()),
            Err(e) => diags.err(
                &file_origin(p),
                format!("cannot read {}: {e}", p.display()),
                if p == Path::new("configs") {
                    "run from the project folder, or pass --config PATH"
                } else {
                    "check the path given to --config"
                },
            ),
        }
    }
    out
}

/// Collects the `*.toml` files below `dir`. Symlinked folders and files are followed like any
/// other; a folder reached twice (a symlink loop, or two links to one folder) is read once, and
/// a dangling link is an error, never skipped in silence.
fn walk(dir: &Path, depth: usize, visited: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>, diags: &mut Diags) {
    if depth > MAX_DEPTH {
        diags.err(&file_origin(dir), format!("folder {} is nested too deep", dir.display()), "");
        return;
    }
    // The real path identifies a folder however it was reached.
    if let Ok(real) = std::fs::canonicalize(dir)
        && !visited.insert(real)
    {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.err(&file_origin(dir), format!("cannot read folder {}: {e}", dir.display()), "");
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, visited, out, diags),
            Ok(t) if t.is_symlink() => match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => walk(&path, depth + 1, visited, out, diags),
                Ok(_) if is_toml => out.push(path),
                Ok(_) => {}
                Err(e) => diags.err(
                    &file_origin(&path),
                    format!("cannot follow the link {}: {e}", path.display()),
                    "fix or remove the broken link",
                ),
            },
            Ok(_) if is_toml => out.push(path),
            _ => {}
        }
    }
}

/// What a config file looked like when it was read: length, modification time and (on Unix)
/// inode and change time, and a hash of the bytes read. A file another program rewrites while
/// a command reads it (truncated, then written) shows a different stamp afterwards; see
/// [`changed_since_read`]. The hash catches what the times miss: the kernel stamps times at
/// its clock tick (a few ms), within which a truncate and a write leave them equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
    hash: u64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata, bytes: &[u8]) -> Stamp {
        use std::hash::{Hash, Hasher};
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        let mut h = std::hash::DefaultHasher::new();
        bytes.hash(&mut h);
        Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            unix: (m.dev(), m.ino(), m.ctime(), m.ctime_nsec()),
            hash: h.finish(),
        }
    }
}

fn changed_error(path: &Path) -> Diag {
    Diag::error(
        file_origin(path),
        format!(
            "{} changed while it was being read (another program is writing it); nothing was computed from it",
            path.display()
        ),
        "run the command again once the file is saved",
    )
}

/// Reads and parses one file into a tree, reading it once into memory; problems become
/// diagnostics. Returns the tree (None on errors) and the file's [`Stamp`] as read. A file
/// whose length or times change during the read is an error.
pub fn read_file(path: &Path, diags: &mut Diags) -> (Option<Node>, Option<Stamp>) {
    use std::io::Read;
    let origin = file_origin(path);
    let cannot_read = |e: std::io::Error, diags: &mut Diags| {
        diags.err(
            &origin,
            format!("cannot read {}: {e}", path.display()),
            "check the file's permissions",
        );
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            cannot_read(e, diags);
            return (None, None);
        }
    };
    let before = match file.metadata() {
        Ok(m) if !m.is_file() => {
            diags.err(
                &origin,
                format!("{} is not a regular file", path.display()),
                "configs are TOML files or folders of them",
            );
            return (None, None);
        }
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            diags.err(
                &origin,
                format!(
                    "{} is {:.1} MB; config files over {} MB are refused",
                    path.display(),
                    m.len() as f64 / 1e6,
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
                "is this the right file? configs are small TOML files",
            );
            return (None, None);
        }
        Ok(m) => m,
        Err(e) => {
            cannot_read(e, diags);
            return (None, None);
        }
    };
    // At most one byte past the limit: a file that grew while being read is caught below.
    let mut bytes = Vec::new();
    if let Err(e) = (&mut file).take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        cannot_read(e, diags);
        return (None, None);
    }
    let before = Stamp::of(&before, &bytes);
    let after = file.metadata().map(|m| Stamp::of(&m, &bytes)).ok();
    if after.as_ref() != Some(&before) || bytes.len() as u64 != before.len {
        diags.push(changed_error(path));
        return (None, None);
    }
    if bytes.is_empty() && recently_written(&before) {
        // An empty file just written is most often one caught between its truncation and its
        // new text; read as empty it would leave every key at its default in silence. It is
        // looked at again after a pause: changed, it is an error; still empty, it is empty.
        std::thread::sleep(EMPTY_FILE_PAUSE);
        let again = std::fs::read(path).ok().zip(std::fs::metadata(path).ok());
        if again.map(|(b, m)| Stamp::of(&m, &b)).as_ref() != Some(&before) {
            diags.push(changed_error(path));
            return (None, None);
        }
    }
    (parse_text(Arc::from(path.display().to_string()), &bytes, diags), Some(before))
}

/// How long an empty, just-written config file is watched for a writer to finish.
const EMPTY_FILE_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// True when the file was written in the last 100 ms (or its time is unknown): a writer may
/// still be at work.
fn recently_written(s: &Stamp) -> bool {
    s.modified
        .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
        .is_none_or(|age| age < std::time::Duration::from_millis(100))
}

/// Errors for the files whose stamp now differs from the one they were read with (each is read
/// again, a few kB): a file that another program was rewriting while this command read it (a
/// read between its truncation and its new text sees an empty or partial file, which would
/// silently leave keys at their defaults). Called once the whole config is loaded, so the
/// window covers parsing and validation too.
pub fn changed_since_read(stamps: &[(PathBuf, Stamp)]) -> Vec<Diag> {
    // The kernel stamps times at its clock tick (1 to 10 ms): a file truncated and read empty
    // within one tick, and truncated again when looked at here, would look unchanged. A file
    // written in the last 100 ms may have a writer at work, so the check waits out a tick
    // first; files saved earlier (the usual case) cost no wait.
    if stamps.iter().any(|(_, s)| recently_written(s)) {
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    let now = |p: &Path| {
        let m = std::fs::metadata(p).ok()?;
        let bytes = std::fs::read(p).ok()?;
        Some(Stamp::of(&m, &bytes))
    };
    stamps
        .iter()
        .filter(|(p, s)| now(p).as_ref() != Some(s))
        .map(|(p, _)| changed_error(p))
        .collect()
}

/// Parses config text (bytes, as read) into a tree with origins.
pub fn parse_text(name: Arc<str>, bytes: &[u8], diags: &mut Diags) -> Option<Node> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let idx = LineIndex::new(name, valid);
            diags.err(
                &idx.origin(valid.len()),
                "the file is not UTF-8 text".into(),
                "is this a TOML file? save it as UTF-8",
            );
            return None;
        }
    };
    let idx = LineIndex::new(name, text);
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let at = idx.origin(e.span().map_or(0, |s| s.start));
            let msg = e.message().trim().replace('\n', "; ");
            diags.err(&at, format!("invalid TOML: {msg}"), syntax_hint(&msg));
        }
        return None;
    }
    Some(tree::from_toml(doc.get_ref(), idx.origin(0), &idx, diags))
}

fn syntax_hint(msg: &str) -> &'static str {
    if msg.contains("string") || msg.contains("invalid value") {
        "text values need quotes, e.g. basis = \"owned\""
    } else if msg.contains("duplicate key") {
        "each key may appear once per table"
    } else if msg.contains("recursion") || msg.contains("nest") {
        "configs need at most a few levels of tables"
    } else {
        "see the TOML syntax at toml.io; values look like key = 1.5 or key = \"text\""
    }
}

/// Reads every file, merges them and applies the `--set` overrides. Returns the files' names,
/// the merged tree and each file's [`Stamp`] as read (for [`changed_since_read`]).
pub fn merged_tree(paths: &[PathBuf], sets: &[String], diags: &mut Diags) -> (Vec<String>, Table, Vec<(PathBuf, Stamp)>) {
    let files = discover(paths, diags);
    // Files are read and parsed on both cores (each with its own diagnostics, kept in file
    // order): parsing is most of the time a command spends loading.
    let read = crate::par::on_both_cores(&files, |f| {
        let mut d = Diags::default();
        let (n, stamp) = read_file(f, &mut d);
        (n, stamp, d)
    });
    let mut nodes = Vec::new();
    let mut stamps = Vec::new();
    for (f, (n, stamp, d)) in files.iter().zip(read) {
        diags.items.extend(d.items);
        nodes.extend(n);
        stamps.extend(stamp.map(|s| (f.clone(), s)));
    }
    let mut root = tree::merge(nodes, diags);
    if !diags.has_errors() {
        for s in sets {
            if let Err(d) = tree::apply_set(&mut root, s) {
                diags.push(d);
            }
        }
    }
    (files.iter().map(|f| f.display().to_string()).collect(), root, stamps)
}

/// Convenience for callers that only need the errors as a list.
pub fn errors_of(diags: Diags) -> Vec<Diag> {
    diags.items
}
