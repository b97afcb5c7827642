//! The raw config tree: every TOML value with the place it came from (file:line:col or the
//! `--set` that wrote it), the merge of several files, and `--set` overrides.
//!
//! Nothing here knows the schema beyond the merge rules of docs/config.md; `validate` turns the
//! merged tree into typed, checked values.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::diag::{Diag, Diags};

/// Where a value came from, for error messages and `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A position in a config file (1-based line and column).
    File { file: Arc<str>, line: u32, col: u32 },
    /// A `--set KEY=VALUE` override, kept verbatim.
    Set(Arc<str>),
    /// A built-in default (no file gave the key).
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { file, line, col } => write!(f, "{file}:{line}:{col}"),
            Origin::Set(arg) => write!(f, "--set {arg}"),
            Origin::Default => write!(f, "built-in default"),
        }
    }
}

/// One value of the tree with its origin.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A table keeps its keys in file order, with an index by key so that lookups and merges
/// stay linear in the number of keys (a file with 100,000 keys loads in well under a second).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
    /// Position of each key in `entries`. Kept by `push` and `set`; if `entries` was changed
    /// directly the lookups notice and fall back to a scan.
    index: HashMap<String, usize>,
    /// The later files (patches, a later `[economics]`) merged into this table, in order: each
    /// keeps its own `source`, `as_of` and `estimates`, which describe only the keys it gives.
    /// The table's own `source`, `as_of` and `estimates` entries are those of the first file.
    pub layers: Vec<Layer>,
}

/// One later file's part of a merged table: where that file's table starts, and its own
/// `source`, `as_of` and `estimates` (taken out of the merged keys). A value belongs to the
/// last layer of its file that starts before it; a value of no layer, to the first file.
#[derive(Clone, Debug)]
pub struct Layer {
    pub origin: Origin,
    pub source: Option<Node>,
    pub as_of: Option<Node>,
    pub estimates: Option<Node>,
}

/// Keys that describe a table's figures rather than being figures: kept per layer.
const PROVENANCE_KEYS: [&str; 3] = ["source", "as_of", "estimates"];

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_origin: Origin,
    pub node: Node,
}

impl Table {
    /// The index in `layers` of the layer a value written at `origin` belongs to (`None`: the
    /// first file's, or a `--set`).
    pub fn layer_of(&self, origin: &Origin) -> Option<usize> {
        let Origin::File { file, line, col } = origin else {
            return None;
        };
        self.layers.iter().rposition(|l| match &l.origin {
            Origin::File {
                file: f,
                line: l0,
                col: c0,
            } => f == file && (line, col) >= (l0, c0),
            _ => false,
        })
    }

    /// Starts a layer for a later file's table at `origin`: its `source`, `as_of` and
    /// `estimates` leave `t` and go to the layer.
    fn push_layer(&mut self, t: &mut Table, origin: Origin) {
        let [source, as_of, estimates] = PROVENANCE_KEYS.map(|k| t.remove(k).map(|e| e.node));
        self.layers.push(Layer {
            origin,
            source,
            as_of,
            estimates,
        });
    }

    fn position(&self, key: &str) -> Option<usize> {
        match self.index.get(key) {
            Some(&i) if self.entries.get(i).is_some_and(|e| e.key == key) => Some(i),
            None if self.index.len() == self.entries.len() => None,
            _ => self.entries.iter().position(|e| e.key == key),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.position(key).map(|i| &self.entries[i].node)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.position(key).map(|i| &mut self.entries[i].node)
    }

    /// Appends an entry (the caller knows `key` is new, as in a parsed TOML table).
    fn push(&mut self, entry: Entry) {
        self.index.insert(entry.key.clone(), self.entries.len());
        self.entries.push(entry);
    }

    /// Insert or replace `key` (replacement keeps the key's position).
    pub fn set(&mut self, key: &str, key_origin: Origin, node: Node) {
        match self.position(key) {
            Some(i) => self.entries[i].node = node,
            None => self.push(Entry {
                key: key.to_string(),
                key_origin,
                node,
            }),
        }
    }

    /// Removes `key` (keeping the others' order and the index).
    fn remove(&mut self, key: &str) -> Option<Entry> {
        let i = self.position(key)?;
        let e = self.entries.remove(i);
        self.index = self.entries.iter().enumerate().map(|(k, e)| (e.key.clone(), k)).collect();
        Some(e)
    }

    /// The `id` string of a table, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self.get("id").map(|n| &n.value) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// The id `--set` addresses an `[[accelerator.offer]]` by: its `id`, else `<provider>-<term>`
/// lowercased, every character other than a-z and 0-9 turned into '-' ("AWS", "on_demand" ->
/// `aws-on-demand`).
pub fn offer_id(t: &Table) -> Option<String> {
    if let Some(id) = t.id() {
        return Some(id.to_string());
    }
    let s = |k: &str| match t.get(k).map(|n| &n.value) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let raw = format!("{}-{}", s("provider")?, s("term")?);
    let slug: String = raw
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut out = String::new();
    for c in slug.chars() {
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    Some(out.trim_end_matches('-').to_string())
}

/// Maps byte offsets of one file to line and column in O(log n) per lookup, however long a
/// line is: line starts are found by binary search, and columns (counted in characters) from
/// a table of character counts taken every `CHECKPOINT` bytes.
pub struct LineIndex<'a> {
    file: Arc<str>,
    text: &'a str,
    starts: Vec<usize>,
    /// `(byte offset, characters before it)` at the first char boundary of every
    /// `CHECKPOINT`-byte block.
    checkpoints: Vec<(usize, usize)>,
}

const CHECKPOINT: usize = 256;

impl<'a> LineIndex<'a> {
    pub fn new(file: Arc<str>, text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let (mut at, mut chars) = (0, 0);
        while at < text.len() {
            checkpoints.push((at, chars));
            let mut next = (at + CHECKPOINT).min(text.len());
            while !text.is_char_boundary(next) {
                next += 1;
            }
            chars += text[at..next].chars().count();
            at = next;
        }
        LineIndex {
            file,
            text,
            starts,
            checkpoints,
        }
    }

    /// Characters before byte `offset` (a char boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let k = self.checkpoints.partition_point(|&(at, _)| at <= offset);
        let (at, chars) = if k == 0 { (0, 0) } else { self.checkpoints[k - 1] };
        chars + self.text.get(at..offset).map_or(offset - at, |s| s.chars().count())
    }

    pub fn origin(&self, offset: usize) -> Origin {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        // Short distances (every line of a normal config) are counted directly; the
        // checkpoints keep a long single line linear.
        let col = if offset - start <= CHECKPOINT {
            self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1
        } else {
            self.chars_before(offset) - self.chars_before(start) + 1
        };
        Origin::File {
            file: self.file.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

/// Converts a parsed TOML document into a tree of nodes with origins. Values the tree cannot
/// hold exactly (an integer beyond i64, a float out of range) become errors.
pub fn from_toml(table: &DeTable<'_>, origin: Origin, idx: &LineIndex<'_>, diags: &mut Diags) -> Node {
    let mut out = Table::default();
    for (k, v) in table.iter() {
        let node = value_from_toml(v.get_ref(), idx.origin(v.span().start), idx, diags);
        out.push(Entry {
            key: k.get_ref().to_string(),
            key_origin: idx.origin(k.span().start),
            node,
        });
    }
    Node {
        value: Value::Table(out),
        origin,
    }
}

fn value_from_toml(v: &DeValue<'_>, origin: Origin, idx: &LineIndex<'_>, diags: &mut Diags) -> Node {
    let value = match v {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => match i.as_str().parse::<f64>() {
                Ok(f) if i.radix() == 10 && f.is_finite() => Value::Float(f),
                _ => {
                    diags.push(Diag::error(
                        origin.clone(),
                        format!("integer `{}{}` is out of range", radix_prefix(i.radix()), i.as_str()),
                        "write large numbers as floats, e.g. 2e11",
                    ));
                    Value::Float(f64::NAN)
                }
            },
        },
        DeValue::Float(f) => {
            let s = f.as_str();
            match s.parse::<f64>() {
                Ok(x) if x.is_infinite() && !s.contains("inf") => {
                    diags.push(Diag::error(
                        origin.clone(),
                        format!("number `{s}` is too large to represent"),
                        "numbers must be finite and below about 1.8e308",
                    ));
                    Value::Float(x)
                }
                Ok(x) => Value::Float(x),
                Err(_) => Value::Float(if s.contains("nan") {
                    f64::NAN
                } else if s.starts_with('-') {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }),
            }
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.iter()
                .map(|e| value_from_toml(e.get_ref(), idx.origin(e.span().start), idx, diags))
                .collect(),
        ),
        DeValue::Table(t) => return from_toml(t, origin, idx, diags),
    };
    Node { value, origin }
}

fn radix_prefix(radix: u32) -> &'static str {
    match radix {
        16 => "0x",
        8 => "0o",
        2 => "0b",
        _ => "",
    }
}

/// Root keys whose entries concatenate across files (docs/config.md "Files").
pub const LIST_KEYS: [&str; 5] = ["accelerator", "training", "inference", "measured", "calibration"];
/// Root keys that merge key by key, later files winning.
pub const MERGED_TABLES: [&str; 2] = ["economics", "report"];

/// Merges file roots in order. Lists concatenate; `[economics]` and `[report]` merge key by key.
/// Any other root key is kept (the last one wins) so validation can name it as unknown.
///
/// A list entry with `patch = true` (docs/config.md "Layering") changes the entry of an earlier file
/// with its `id`: it replaces the keys it gives (tables such as `[accelerator.owned]` key by
/// key) and appends the `[[accelerator.offer]]` entries it lists. A patch of an id no earlier
/// file defined is an error naming the patch and the id.
pub fn merge(files: Vec<Node>, diags: &mut Diags) -> Table {
    let mut root = Table::default();
    for file in files {
        let Value::Table(t) = file.value else {
            continue;
        };
        // Ids this file patched: a second patch of one id in one file is a slip.
        let mut patched = HashMap::new();
        for e in t.entries {
            let key = e.key.as_str();
            match (root.get_mut(key), e.node.value) {
                (
                    Some(Node {
                        value: Value::Array(acc), ..
                    }),
                    Value::Array(items),
                ) if LIST_KEYS.contains(&key) => {
                    for item in items {
                        if let Some(item) = patch_into(acc, item, key, &mut patched, diags) {
                            acc.push(item);
                        }
                    }
                }
                (
                    Some(Node {
                        value: Value::Table(acc), ..
                    }),
                    Value::Table(mut t),
                ) if MERGED_TABLES.contains(&key) => {
                    acc.push_layer(&mut t, e.node.origin);
                    for inner in t.entries {
                        acc.set(&inner.key, inner.key_origin, inner.node);
                    }
                }
                (_, Value::Array(items)) if LIST_KEYS.contains(&key) => {
                    let mut acc = Vec::new();
                    for item in items {
                        if let Some(item) = patch_into(&mut acc, item, key, &mut patched, diags) {
                            acc.push(item);
                        }
                    }
                    root.set(
                        &e.key,
                        e.key_origin,
                        Node {
                            value: Value::Array(acc),
                            origin: e.node.origin,
                        },
                    );
                }
                (_, value) => root.set(
                    &e.key,
                    e.key_origin,
                    Node {
                        value,
                        origin: e.node.origin,
                    },
                ),
            }
        }
    }
    root
}

/// Removes an entry's `patch` flag: `Ok(Some(place of the key))` for `patch = true`,
/// `Ok(None)` when absent or false, `Err(())` (after an error naming `[[list]]`) when it is not
/// a boolean.
fn take_patch_flag(t: &mut Table, list: &str, diags: &mut Diags) -> Result<Option<Origin>, ()> {
    let Some(flag) = t.remove("patch") else {
        return Ok(None);
    };
    match flag.node.value {
        Value::Bool(true) => Ok(Some(flag.key_origin)),
        Value::Bool(false) => Ok(None),
        v => {
            diags.err(
                &flag.node.origin,
                format!("`patch` in [[{list}]] must be true or false, found {}", v.type_name()),
                "patch = true changes an entry an earlier file defined",
            );
            Err(())
        }
    }
}

/// Applies `item` to `list` when it says `patch = true` (returns `None`), else gives it back
/// to be appended. `patch = false` is dropped from the entry. `patched` holds the ids this
/// file patched so far (`"<list>:<id>"` and the place of the id): a second patch of one id in
/// one file is an error naming the first (patches of one id in several files stay allowed).
fn patch_into(list: &mut [Node], mut item: Node, list_key: &str, patched: &mut HashMap<String, Origin>, diags: &mut Diags) -> Option<Node> {
    let Value::Table(t) = &mut item.value else {
        return Some(item);
    };
    let flag_at = match take_patch_flag(t, list_key, diags) {
        Ok(Some(at)) => at,
        Ok(None) => return Some(item),
        Err(()) => return None,
    };
    let Some(id) = t.id().map(str::to_string) else {
        diags.err(
            &flag_at,
            format!("a [[{list_key}]] patch needs the `id` of the entry it changes"),
            "e.g. id = \"h100-sxm\" with patch = true",
        );
        return None;
    };
    let at = t.get("id").map_or(flag_at.clone(), |n| n.origin.clone());
    if let Some(first) = patched.get(&format!("{list_key}:{id}")) {
        diags.err(
            &at,
            format!("{list_key} `{id}` is patched twice in one file; the first patch is at {first}"),
            "give all changes of one entry in one patch (patch = true changes only the keys it gives), or check the id",
        );
        return None;
    }
    patched.insert(format!("{list_key}:{id}"), at.clone());
    let target = list.iter_mut().find_map(|n| match &mut n.value {
        Value::Table(x) if x.id() == Some(id.as_str()) => Some(x),
        _ => None,
    });
    let Some(target) = target else {
        diags.err(
            &at,
            format!("patch of unknown {list_key} id `{id}`: no earlier file defines it"),
            "a patch changes an entry of an earlier -c file; drop `patch = true` to add a new entry, or check the id and the order of -c",
        );
        return None;
    };
    let Value::Table(patch) = item.value else {
        return None;
    };
    patch_table(target, patch, item.origin, diags);
    None
}

/// Key-by-key merge of a patch that starts at `origin`: sub-tables merge recursively, arrays of
/// tables (offers) append, except an entry that says `patch = true`, which patches the entry
/// with its id (an offer's id: `id`, else `<provider>-<term>`); anything else replaces. The
/// patch's `source`, `as_of` and `estimates` become a layer of the table: they describe the keys
/// the patch gives, not the table's others.
fn patch_table(target: &mut Table, mut patch: Table, origin: Origin, diags: &mut Diags) {
    target.push_layer(&mut patch, origin);
    for e in patch.entries {
        if e.key == "id" {
            continue;
        }
        match (target.get_mut(&e.key), e.node.value) {
            (
                Some(Node {
                    value: Value::Table(dst), ..
                }),
                Value::Table(src),
            ) if !is_range(&src) => patch_table(dst, src, e.node.origin, diags),
            (
                Some(Node {
                    value: Value::Array(dst), ..
                }),
                Value::Array(src),
            ) if src.iter().all(|n| matches!(n.value, Value::Table(_))) => {
                for item in src {
                    if let Some(item) = patch_entry(dst, item, &e.key, diags) {
                        dst.push(item);
                    }
                }
            }
            (_, value) => target.set(
                &e.key,
                e.key_origin,
                Node {
                    value,
                    origin: e.node.origin,
                },
            ),
        }
    }
}

/// Applies one entry of a list inside a patch (an `[[accelerator.offer]]`) to `list` when it
/// says `patch = true` (returns `None`), else gives it back to be appended.
fn patch_entry(list: &mut [Node], mut item: Node, key: &str, diags: &mut Diags) -> Option<Node> {
    let Value::Table(t) = &mut item.value else {
        return Some(item);
    };
    let flag_at = match take_patch_flag(t, &format!("accelerator.{key}"), diags) {
        Ok(Some(at)) => at,
        Ok(None) => return Some(item),
        Err(()) => return None,
    };
    let at = t.get("id").map_or(flag_at.clone(), |n| n.origin.clone());
    let Some(id) = offer_id(t) else {
        diags.err(
            &flag_at,
            format!("a [[accelerator.{key}]] patch needs the `id` of the entry it changes"),
            "e.g. id = \"aws-on-demand\" with patch = true (the id `--set` and `validate` show)",
        );
        return None;
    };
    let ids: Vec<String> = list
        .iter()
        .filter_map(|n| match &n.value {
            Value::Table(x) => offer_id(x),
            _ => None,
        })
        .collect();
    let target = list.iter_mut().find_map(|n| match &mut n.value {
        Value::Table(x) if offer_id(x).as_deref() == Some(id.as_str()) => Some(x),
        _ => None,
    });
    let Some(target) = target else {
        let hint = super::diag::suggest(&id, ids.iter().map(String::as_str), || format!("ids here: {}", ids.join(", ")));
        diags.err(&at, format!("patch of unknown {key} id `{id}`: no earlier file defines it"), &hint);
        return None;
    };
    let Value::Table(patch) = item.value else {
        return None;
    };
    patch_table(target, patch, item.origin, diags);
    None
}

/// A `{ low, base, high }` range replaces a value as a whole.
fn is_range(t: &Table) -> bool {
    t.entries.iter().any(|e| matches!(e.key.as_str(), "low" | "base" | "high"))
}

/// Parses one `--set KEY=VALUE` and applies it to the merged tree. VALUE is read as a TOML value;
/// a bare word that is not TOML is taken as a string. List entries are addressed by `id`.
pub fn apply_set(root: &mut Table, arg: &str) -> Result<(), Diag> {
    let origin = Origin::Set(Arc::from(arg));
    let Some((path, raw)) = arg.split_once('=') else {
        return Err(Diag::error(
            origin,
            "expected KEY=VALUE".to_string(),
            "e.g. --set economics.basis=owned",
        ));
    };
    let path = path.trim();
    let raw = raw.trim();
    let segs: Vec<&str> = path.split('.').collect();
    if path.is_empty() || segs.iter().any(|s| s.is_empty()) {
        return Err(Diag::error(
            origin,
            format!("`{path}` is not a key path"),
            "keys are joined with dots, e.g. accelerator.h100-sxm.power_w",
        ));
    }
    let value = parse_set_value(raw, &origin)?;
    let (head, rest) = (segs[0], &segs[1..]);
    let target: &mut Table = if LIST_KEYS.contains(&head) {
        let Some((id, rest2)) = rest.split_first() else {
            return Err(Diag::error(
                origin,
                format!("`{path}` names the whole {head} list"),
                &format!("address one entry by id: {head}.<id>.<key>"),
            ));
        };
        let ids: Vec<String>;
        let found = {
            let list = match root.get_mut(head) {
                Some(Node {
                    value: Value::Array(items),
                    ..
                }) => items,
                _ => {
                    return Err(Diag::error(
                        origin,
                        format!("unknown key path `{path}`: no [[{head}]] entries are loaded"),
                        "check the --config files",
                    ));
                }
            };
            ids = list
                .iter()
                .filter_map(|n| match &n.value {
                    Value::Table(t) => t.id().map(str::to_string),
                    _ => None,
                })
                .collect();
            list.iter_mut().find_map(|n| match &mut n.value {
                Value::Table(t) if t.id() == Some(id) => Some(t),
                _ => None,
            })
        };
        match found {
            Some(t) => return set_in(t, rest2, value, &origin, path),
            None => {
                let hint = super::diag::suggest(id, ids.iter().map(String::as_str), || format!("known ids: {}", ids.join(", ")));
                return Err(Diag::error(
                    origin,
                    format!("unknown key path `{path}`: no {head} with id `{id}`"),
                    &hint,
                ));
            }
        }
    } else {
        root
    };
    set_in(target, &segs, value, &origin, path)
}

fn set_in(table: &mut Table, segs: &[&str], value: Value, origin: &Origin, path: &str) -> Result<(), Diag> {
    let Some((last, parents)) = segs.split_last() else {
        return Err(Diag::error(
            origin.clone(),
            format!("`{path}` names a whole table"),
            "name one key inside it",
        ));
    };
    let mut cur = table;
    let mut segs_iter = parents.iter();
    while let Some(seg) = segs_iter.next() {
        if let Some(Node {
            value: Value::Array(items),
            ..
        }) = cur.get(seg)
        {
            // A list of tables inside an entry (offers): the next segment is an entry's id.
            let ids: Vec<String> = items
                .iter()
                .filter_map(|n| match &n.value {
                    Value::Table(t) => offer_id(t),
                    _ => None,
                })
                .collect();
            let Some(id) = segs_iter.next() else {
                return Err(Diag::error(
                    origin.clone(),
                    format!("`{path}` names the whole `{seg}` list"),
                    &format!("address one entry by id: ...{seg}.<id>.<key>; ids here: {}", ids.join(", ")),
                ));
            };
            let found = match cur.get_mut(seg) {
                Some(Node {
                    value: Value::Array(items),
                    ..
                }) => items.iter_mut().find_map(|n| match &mut n.value {
                    Value::Table(t) if offer_id(t).as_deref() == Some(*id) => Some(t),
                    _ => None,
                }),
                _ => None,
            };
            match found {
                Some(t) => {
                    cur = t;
                    continue;
                }
                None => {
                    let hint = super::diag::suggest(id, ids.iter().map(String::as_str), || format!("ids here: {}", ids.join(", ")));
                    return Err(Diag::error(
                        origin.clone(),
                        format!("unknown key path `{path}`: no `{seg}` with id `{id}`"),
                        &hint,
                    ));
                }
            }
        }
        if cur.get(seg).is_none() {
            cur.set(
                seg,
                origin.clone(),
                Node {
                    value: Value::Table(Table::default()),
                    origin: origin.clone(),
                },
            );
        }
        cur = match cur.get_mut(seg) {
            Some(Node {
                value: Value::Table(t), ..
            }) => t,
            _ => {
                return Err(Diag::error(
                    origin.clone(),
                    format!("unknown key path `{path}`: `{seg}` is not a table"),
                    "a plain value has no keys below it",
                ));
            }
        };
    }
    if let Some(Node {
        value: Value::Array(items),
        ..
    }) = cur.get(last)
        && !items.is_empty()
        && items.iter().all(|n| matches!(n.value, Value::Table(_)))
    {
        return Err(Diag::error(
            origin.clone(),
            format!("`{path}` names the whole `{last}` list"),
            &format!("address one entry by id: ...{last}.<id>.<key>"),
        ));
    }
    match (cur.get_mut(last), value) {
        // A table given to an existing table merges key by key, as files do: `--set
        // 'economics={ basis = "owned" }'` changes `basis` and keeps every other key. A range
        // replaces the value as a whole, so its origin is the `--set`.
        (
            Some(Node {
                value: Value::Table(existing),
                ..
            }),
            Value::Table(new),
        ) if !is_range(&new) => merge_set_table(existing, new),
        (_, value) => cur.set(
            last,
            origin.clone(),
            Node {
                value,
                origin: origin.clone(),
            },
        ),
    }
    Ok(())
}

/// Merges the table of a `--set` into an existing one, key by key, nested tables included.
fn merge_set_table(existing: &mut Table, new: Table) {
    for e in new.entries {
        match (existing.get_mut(&e.key), e.node.value) {
            (
                Some(Node {
                    value: Value::Table(inner),
                    ..
                }),
                Value::Table(t),
            ) if !is_range(&t) => merge_set_table(inner, t),
            (_, value) => existing.set(
                &e.key,
                e.key_origin,
                Node {
                    value,
                    origin: e.node.origin,
                },
            ),
        }
    }
}

fn parse_set_value(raw: &str, origin: &Origin) -> Result<Value, Diag> {
    match DeValue::parse(raw) {
        Ok(v) => {
            let idx = LineIndex::new(Arc::from("--set"), raw);
            let mut diags = Diags::default();
            let node = value_from_toml(v.get_ref(), origin.clone(), &idx, &mut diags);
            let node = set_origin(node, origin);
            match diags.into_errors().into_iter().next() {
                Some(d) => Err(Diag {
                    origin: origin.clone(),
                    ..d
                }),
                None => Ok(node.value),
            }
        }
        Err(_) if !raw.is_empty() && !raw.contains(['"', '\'', '{', '[', '=']) => Ok(Value::Str(raw.to_string())),
        Err(e) => Err(Diag::error(
            origin.clone(),
            format!("VALUE `{raw}` is not a TOML value: {}", e.message().trim()),
            "quote strings, e.g. --set 'report.title=\"My title\"'",
        )),
    }
}

/// Gives every node below `node` the same origin (values written by one `--set`).
fn set_origin(mut node: Node, origin: &Origin) -> Node {
    node.origin = origin.clone();
    node.value = match node.value {
        Value::Array(items) => Value::Array(items.into_iter().map(|n| set_origin(n, origin)).collect()),
        Value::Table(t) => {
            let mut out = Table::default();
            for e in t.entries {
                out.push(Entry {
                    key: e.key,
                    key_origin: origin.clone(),
                    node: set_origin(e.node, origin),
                });
            }
            Value::Table(out)
        }
        v => v,
    };
    node
}

/// A stable text form of the tree (keys and values, no origins; a later file's source, as_of
/// and estimates as a layer after the keys), for the config hash.
pub fn canonical(table: &Table, out: &mut String) {
    out.push('{');
    for e in &table.entries {
        out.push_str(&e.key);
        out.push('=');
        canonical_value(&e.node.value, out);
        out.push(';');
    }
    for l in &table.layers {
        out.push('@');
        for (k, n) in PROVENANCE_KEYS.iter().zip([&l.source, &l.as_of, &l.estimates]) {
            if let Some(n) = n {
                out.push_str(k);
                out.push('=');
                canonical_value(&n.value, out);
                out.push(';');
            }
        }
    }
    out.push('}');
}

fn canonical_value(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Str(s) | Value::Datetime(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::Int(i) => {
            // Exact (not through f64, which merged seeds 2^53 and 2^53 + 1 into one hash); the
            // same text as before for every integer below 2^53, so hashes did not change.
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Array(items) => {
            out.push('[');
            for n in items {
                canonical_value(&n.value, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Table(t) => canonical(t, out),
    }
}

/// FNV-1a, 64 bit: a short, dependency-free fingerprint of the merged config for chart footers.
pub fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Node {
        let doc = DeTable::parse(text).expect("valid toml");
        let idx = LineIndex::new(Arc::from(name), text);
        let mut d = Diags::default();
        from_toml(doc.get_ref(), idx.origin(0), &idx, &mut d)
    }

    fn root_table(n: Node) -> Table {
        match n.value {
            Value::Table(t) => t,
            _ => Table::default(),
        }
    }

    #[test]
    fn origins_are_one_based_line_and_column() {
        let n = root_table(parse("a.toml", "x = 1\n  y = 2\n"));
        assert_eq!(n.get("y").map(|n| n.origin.to_string()).as_deref(), Some("a.toml:2:7"));
    }

    #[test]
    fn merge_concatenates_lists_and_merges_tables_key_by_key() {
        let a = parse("a.toml", "[economics]\npue = 1.2\nbasis = \"owned\"\n[[accelerator]]\nid = \"x\"\n");
        let b = parse("b.toml", "[economics]\npue = 1.5\n[[accelerator]]\nid = \"y\"\n");
        let root = merge(vec![a, b], &mut Diags::default());
        let Some(Value::Array(list)) = root.get("accelerator").map(|n| &n.value) else {
            panic!("accelerator list missing")
        };
        assert_eq!(list.len(), 2);
        let Some(Value::Table(econ)) = root.get("economics").map(|n| &n.value) else {
            panic!("economics missing")
        };
        assert!(matches!(econ.get("pue").map(|n| &n.value), Some(Value::Float(x)) if *x == 1.5));
        assert!(matches!(econ.get("basis").map(|n| &n.value), Some(Value::Str(s)) if s == "owned"));
    }

    #[test]
    fn set_parses_bare_words_as_strings_and_numbers_as_numbers() {
        let mut root = merge(
            vec![parse(
                "a.toml",
                "[economics]\nbasis = \"on_demand\"\n[[accelerator]]\nid = \"h100-sxm\"\n[accelerator.cloud]\non_demand_usd_per_chip_hour = 6.88\n",
            )],
            &mut Diags::default(),
        );
        apply_set(&mut root, "economics.basis=owned").expect("set basis");
        apply_set(&mut root, "accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour=2").expect("set price");
        let Some(Value::Table(econ)) = root.get("economics").map(|n| &n.value) else {
            panic!()
        };
        assert!(matches!(econ.get("basis").map(|n| &n.value), Some(Value::Str(s)) if s == "owned"));
        let err = apply_set(&mut root, "accelerator.h100.cloud.x=1").expect_err("unknown id");
        assert!(err.message.contains("accelerator.h100.cloud.x"), "{}", err.message);
        assert_eq!(err.hint.as_deref(), Some("did you mean `h100-sxm`?"));
    }

    #[test]
    fn columns_count_characters_on_long_lines() {
        // 300 two-byte characters then `x`: byte 600 is column 301 of line 2.
        let text = format!("a = 1\n{}x", "é".repeat(300));
        let idx = LineIndex::new(Arc::from("a.toml"), &text);
        assert_eq!(idx.origin(6 + 600).to_string(), "a.toml:2:301");
        assert_eq!(idx.origin(6 + 599).to_string(), "a.toml:2:300", "inside a character: its start");
        assert_eq!(idx.origin(0).to_string(), "a.toml:1:1");
        assert_eq!(idx.origin(text.len() + 5).to_string(), "a.toml:2:302");
    }

    #[test]
    fn set_of_a_table_merges_key_by_key() {
        let mut root = merge(
            vec![parse(
                "a.toml",
                "[economics]\nbasis = \"on_demand\"\npue = 1.2\n[economics.owned]\nyears = 4\nrate = 0.1\n",
            )],
            &mut Diags::default(),
        );
        apply_set(&mut root, "economics={ basis = \"owned\", owned = { years = 5 } }").expect("set table");
        let Some(Value::Table(econ)) = root.get("economics").map(|n| &n.value) else {
            panic!("economics missing")
        };
        assert!(matches!(econ.get("basis").map(|n| &n.value), Some(Value::Str(s)) if s == "owned"));
        assert!(matches!(econ.get("pue").map(|n| &n.value), Some(Value::Float(x)) if *x == 1.2));
        let Some(Value::Table(owned)) = econ.get("owned").map(|n| &n.value) else {
            panic!("owned missing")
        };
        assert!(matches!(owned.get("years").map(|n| &n.value), Some(Value::Int(5))));
        assert!(matches!(owned.get("rate").map(|n| &n.value), Some(Value::Float(x)) if *x == 0.1));
    }

    #[test]
    fn patch_changes_only_given_keys_and_appends_offers() {
        let a = parse(
            "a.toml",
            "[[accelerator]]\nid = \"x\"\npower_w = 700\n[accelerator.owned]\nchip_usd = 1\nsource = \"s\"\n[[accelerator.offer]]\nprovider = \"AWS\"\nterm = \"on_demand\"\n",
        );
        let b = parse(
            "b.toml",
            "[[accelerator]]\nid = \"x\"\npatch = true\n[accelerator.owned]\nchip_usd = { low = 1, base = 2, high = 3 }\n[[accelerator.offer]]\nprovider = \"Us\"\nterm = \"committed_3y\"\n",
        );
        let mut d = Diags::default();
        let root = merge(vec![a, b], &mut d);
        assert!(d.items.is_empty(), "{:?}", d.items);
        let Some(Value::Array(list)) = root.get("accelerator").map(|n| &n.value) else {
            panic!("accelerator list missing")
        };
        assert_eq!(list.len(), 1, "a patch adds no entry");
        let Value::Table(x) = &list[0].value else { panic!() };
        assert!(x.get("patch").is_none(), "the merge consumes `patch`");
        assert!(matches!(x.get("power_w").map(|n| &n.value), Some(Value::Int(700))));
        let Some(Value::Table(owned)) = x.get("owned").map(|n| &n.value) else {
            panic!()
        };
        // The range replaces the number as a whole; the table's other keys stay.
        assert!(matches!(owned.get("chip_usd").map(|n| &n.value), Some(Value::Table(_))));
        assert!(owned.get("source").is_some());
        let Some(Value::Array(offers)) = x.get("offer").map(|n| &n.value) else {
            panic!()
        };
        let ids: Vec<Option<String>> = offers
            .iter()
            .map(|n| match &n.value {
                Value::Table(t) => offer_id(t),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![Some("aws-on-demand".into()), Some("us-committed-3y".into())]);
    }

    #[test]
    fn a_patch_keeps_its_source_as_a_layer_and_patches_an_offer_by_id() {
        let a = parse(
            "a.toml",
            "[[accelerator]]\nid = \"x\"\npower_w = 700\nsource = \"datasheet\"\n[[accelerator.offer]]\nprovider = \"AWS\"\nterm = \"on_demand\"\nusd_per_instance_hour = 8\n",
        );
        let b = parse(
            "b.toml",
            "[[accelerator]]\nid = \"x\"\npatch = true\npower_w = 650\nsource = \"ours\"\n[[accelerator.offer]]\nid = \"aws-on-demand\"\npatch = true\nusd_per_chip_hour = 1\n",
        );
        let mut d = Diags::default();
        let root = merge(vec![a, b], &mut d);
        assert!(d.items.is_empty(), "{:?}", d.items);
        let Some(Value::Array(list)) = root.get("accelerator").map(|n| &n.value) else {
            panic!("accelerator list missing")
        };
        let Value::Table(x) = &list[0].value else { panic!() };
        // The first file's source stays the table's; the patch's is its layer's, and the
        // patched value (b.toml line 4) belongs to that layer, the first file's to none.
        assert!(matches!(x.get("source").map(|n| &n.value), Some(Value::Str(s)) if s == "datasheet"));
        assert_eq!(x.layers.len(), 1);
        assert!(matches!(x.layers[0].source.as_ref().map(|n| &n.value), Some(Value::Str(s)) if s == "ours"));
        let power = x.get("power_w").map(|n| n.origin.clone()).unwrap_or(Origin::Default);
        assert_eq!(x.layer_of(&power), Some(0));
        let id = x.get("id").map(|n| n.origin.clone()).unwrap_or(Origin::Default);
        assert_eq!(x.layer_of(&id), None);
        // The offer is patched in place (no second offer), both price forms now present.
        let Some(Value::Array(offers)) = x.get("offer").map(|n| &n.value) else {
            panic!()
        };
        assert_eq!(offers.len(), 1);
        let Value::Table(o) = &offers[0].value else { panic!() };
        assert!(o.get("usd_per_chip_hour").is_some() && o.get("usd_per_instance_hour").is_some());
        assert!(o.get("patch").is_none() && o.get("id").is_none());
    }

    #[test]
    fn patch_of_an_unknown_id_is_an_error_and_adds_nothing() {
        let a = parse("a.toml", "[[training]]\nid = \"t\"\n");
        let b = parse("b.toml", "[[training]]\nid = \"u\"\npatch = true\n");
        let mut d = Diags::default();
        let root = merge(vec![a, b], &mut d);
        assert_eq!(d.items.len(), 1);
        assert!(
            d.items[0].message.contains("patch of unknown training id `u`"),
            "{}",
            d.items[0].message
        );
        assert_eq!(d.items[0].origin.to_string(), "b.toml:2:6");
        let Some(Value::Array(list)) = root.get("training").map(|n| &n.value) else {
            panic!()
        };
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn set_addresses_an_offer_by_its_id() {
        let mut root = merge(
            vec![parse(
                "a.toml",
                "[[accelerator]]\nid = \"h\"\n[[accelerator.offer]]\nprovider = \"Google Cloud\"\nterm = \"on_demand\"\nusd_per_chip_hour = 1\n",
            )],
            &mut Diags::default(),
        );
        apply_set(&mut root, "accelerator.h.offer.google-cloud-on-demand.usd_per_chip_hour=2").expect("set offer");
        let err = apply_set(&mut root, "accelerator.h.offer.google-cloud-on-demnd.usd_per_chip_hour=2").expect_err("unknown");
        assert_eq!(err.hint.as_deref(), Some("did you mean `google-cloud-on-demand`?"));
        let err = apply_set(&mut root, "accelerator.h.offer=2").expect_err("whole list");
        assert!(
            err.message.contains("names a whole table") || err.message.contains("whole"),
            "{}",
            err.message
        );
    }

    #[test]
    fn set_value_with_quotes_is_toml() {
        let mut root = Table::default();
        apply_set(&mut root, "report.title=\"A b\"").expect("quoted string");
        apply_set(&mut root, "report.monte_carlo={ samples = 10, seed = 1 }").expect("inline table");
        assert!(apply_set(&mut root, "report.title=\"unterminated").is_err());
        assert!(apply_set(&mut root, "no-equals-sign").is_err());
    }
}
