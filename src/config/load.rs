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

/// Reads and parses one file into a tree; problems become diagnostics.
pub fn read_file(path: &Path, diags: &mut Diags) -> Option<Node> {
    let origin = file_origin(path);
    let bytes = match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            diags.err(
                &origin,
                format!("{} is not a regular file", path.display()),
                "configs are TOML files or folders of them",
            );
            return None;
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
            return None;
        }
        _ => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                diags.err(
                    &origin,
                    format!("cannot read {}: {e}", path.display()),
                    "check the file's permissions",
                );
                return None;
            }
        },
    };
    parse_text(Arc::from(path.display().to_string()), &bytes, diags)
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

/// Reads every file, merges them and applies the `--set` overrides.
pub fn merged_tree(paths: &[PathBuf], sets: &[String], diags: &mut Diags) -> (Vec<String>, Table) {
    let files = discover(paths, diags);
    // Files are read and parsed on both cores (each with its own diagnostics, kept in file
    // order): parsing is most of the time a command spends loading.
    let read = crate::par::on_both_cores(&files, |f| {
        let mut d = Diags::default();
        let n = read_file(f, &mut d);
        (n, d)
    });
    let mut nodes = Vec::new();
    for (n, d) in read {
        diags.items.extend(d.items);
        nodes.extend(n);
    }
    let mut root = tree::merge(nodes, diags);
    if !diags.has_errors() {
        for s in sets {
            if let Err(d) = tree::apply_set(&mut root, s) {
                diags.push(d);
            }
        }
    }
    (files.iter().map(|f| f.display().to_string()).collect(), root)
}

/// Convenience for callers that only need the errors as a list.
pub fn errors_of(diags: Diags) -> Vec<Diag> {
    diags.items
}
