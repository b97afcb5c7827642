//! Every config key, declared once as data: its name, kind, unit, allowed values, one-line doc,
//! whether a `{ low, base, high }` range is allowed, and its v1 aliases. Validation (the
//! reader asks each key's declaration for its check and unit, and reports undeclared keys with
//! the nearest declared one), `accel-cost schema` (a JSON Schema for editors) and
//! `docs/config-keys.md` are all generated from these tables.
//!
//! Adding a key = one [`Key`] line in its table's file under `tables/`, plus reading it in the
//! reader beside it (which fails loudly, in tests, for a key read but not declared or declared
//! but never read).

use serde_json::{Value as Json, json};

use super::tables::accelerator::ACCELERATOR;
use super::tables::calibration::CALIBRATION;
use super::tables::economics::ECONOMICS;
use super::tables::inference::INFERENCE;
use super::tables::measured::MEASURED;
use super::tables::report::REPORT;
use super::tables::training::TRAINING;

/// A check every value of a number (all of low, base, high for a range) must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// > 0
    Positive,
    /// >= 0
    NonNegative,
    /// 0 < x <= 1
    Fraction,
    /// 0 <= x < 1
    Share,
    /// >= 1
    AtLeastOne,
}

impl Check {
    /// Whether `x` passes.
    pub fn ok(self, x: f64) -> bool {
        match self {
            Check::Positive => x > 0.0,
            Check::NonNegative => x >= 0.0,
            Check::Fraction => x > 0.0 && x <= 1.0,
            Check::Share => (0.0..1.0).contains(&x),
            Check::AtLeastOne => x >= 1.0,
        }
    }

    /// The rule as an error message says it.
    pub fn describe(self) -> &'static str {
        match self {
            Check::Positive => "must be greater than 0",
            Check::NonNegative => "must not be negative",
            Check::Fraction => "must be a fraction above 0 and at most 1",
            Check::Share => "must be a share from 0 up to (not including) 1",
            Check::AtLeastOne => "must be at least 1",
        }
    }

    /// The rule as the key reference says it.
    fn short(self) -> &'static str {
        match self {
            Check::Positive => "> 0",
            Check::NonNegative => ">= 0",
            Check::Fraction => "0 < x <= 1",
            Check::Share => "0 <= x < 1",
            Check::AtLeastOne => ">= 1",
        }
    }

    fn json_bounds(self) -> Json {
        match self {
            Check::Positive => json!({ "exclusiveMinimum": 0 }),
            Check::NonNegative => json!({ "minimum": 0 }),
            Check::Fraction => json!({ "exclusiveMinimum": 0, "maximum": 1 }),
            Check::Share => json!({ "minimum": 0, "exclusiveMaximum": 1 }),
            Check::AtLeastOne => json!({ "minimum": 1 }),
        }
    }
}

/// What a key's value is.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A number; `range: true` also allows `{ low, base, high }` (PERT in Monte Carlo).
    Number {
        check: Check,
        range: bool,
    },
    /// A whole number within `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Str,
    /// A date, "YYYY-MM" or "YYYY-MM-DD".
    Date,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// The id of an entry of the named list (`accelerator`, `training`, `inference`).
    Ref(&'static str),
    /// An array of ids of the named list.
    RefList(&'static str),
    /// An array of strings (e.g. `estimates`, `report.charts`).
    StrList,
    /// A table from precision name to a number, e.g. `dense_tflops = { bf16 = 989 }`.
    PrecisionMap {
        check: Check,
        range: bool,
    },
    /// A number or range for every precision, or a table from precision to number or range
    /// (`training_mfu = 0.4` or `training_mfu = { bf16 = 0.4, fp8 = 0.3 }`).
    NumberOrPrecisionMap {
        check: Check,
    },
    /// `[from, to]` with `0 < from < to`.
    Pair,
    /// A sub-table.
    Table(&'static TableDecl),
    /// A list of sub-tables (`[[accelerator.offer]]`), each addressed by its id.
    Tables(&'static TableDecl),
}

/// One config key.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// Unit of the value as written in the config ("" for none).
    pub unit: &'static str,
    /// One line for the key reference, the schema's description and editors' hovers.
    pub doc: &'static str,
    pub required: bool,
    /// Built-in value used when no file gives the key (economics and report numbers).
    pub default: Option<f64>,
    /// Another key this one is an alternative spelling of (e.g. `memory_gib` for `memory_gb`,
    /// converted), or the v2 key that replaces a v1 one.
    pub alias_of: Option<&'static str>,
}

impl Key {
    /// An optional key with no alias; use the builder methods for the rest.
    pub const fn new(name: &'static str, kind: Kind, unit: &'static str, doc: &'static str) -> Key {
        Key {
            name,
            kind,
            unit,
            doc,
            required: false,
            default: None,
            alias_of: None,
        }
    }

    pub const fn default(mut self, value: f64) -> Key {
        self.default = Some(value);
        self
    }

    pub const fn required(mut self) -> Key {
        self.required = true;
        self
    }

    pub const fn alias_of(mut self, key: &'static str) -> Key {
        self.alias_of = Some(key);
        self
    }
}

/// Shorthand for a ranged number key.
pub const fn num(name: &'static str, check: Check, unit: &'static str, doc: &'static str) -> Key {
    Key::new(name, Kind::Number { check, range: true }, unit, doc)
}

/// Shorthand for a string key.
pub const fn text(name: &'static str, doc: &'static str) -> Key {
    Key::new(name, Kind::Str, "", doc)
}

/// One table of the config: a root table (`[economics]`), a list entry (`[[accelerator]]`) or
/// a sub-table (`[accelerator.cloud]`).
#[derive(Debug)]
pub struct TableDecl {
    /// Dotted name as the key reference shows it: `accelerator.cloud`.
    pub name: &'static str,
    /// True for `[[list]]` entries.
    pub list: bool,
    pub doc: &'static str,
    pub keys: &'static [Key],
}

/// Keys every table takes besides its own: provenance and notes.
pub const COMMON: [Key; 4] = [
    text(
        "source",
        "where the table's figures come from (URL, document, date); in a patch, only the keys it gives",
    ),
    Key::new(
        "as_of",
        Kind::Date,
        "",
        "date the figures were current: a real calendar date \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", not after today (in a patch: the date of the keys it gives)",
    ),
    text("notes", "free text shown by `explain`"),
    Key::new(
        "estimates",
        Kind::StrList,
        "",
        "keys of this table that are estimates, not sourced figures (shown as ESTIMATE)",
    ),
];

impl TableDecl {
    /// The declaration of `key` in this table (own keys, then [`COMMON`]).
    pub fn key(&self, key: &str) -> Option<&'static Key> {
        self.keys.iter().chain(COMMON.iter()).find(|k| k.name == key)
    }

    /// Every key name this table accepts, own keys first.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.keys.iter().chain(COMMON.iter()).map(|k| k.name)
    }

    /// The header as a config file writes it: `[economics]`, `[[accelerator]]`.
    pub fn header(&self) -> String {
        if self.list {
            format!("[[{}]]", self.name)
        } else {
            format!("[{}]", self.name)
        }
    }
}

/// The root of a config file: its tables and lists, in the order the key reference shows them.
pub const ROOT: [&TableDecl; 7] = [&ECONOMICS, &ACCELERATOR, &TRAINING, &INFERENCE, &MEASURED, &CALIBRATION, &REPORT];

/// Every table declaration, sub-tables after their parent.
pub fn all_tables() -> Vec<&'static TableDecl> {
    fn walk(t: &'static TableDecl, out: &mut Vec<&'static TableDecl>) {
        out.push(t);
        for k in t.keys {
            if let Kind::Table(sub) | Kind::Tables(sub) = k.kind {
                walk(sub, out);
            }
        }
    }
    let mut out = Vec::new();
    for t in ROOT {
        walk(t, &mut out);
    }
    out
}

fn describe(k: &Key) -> String {
    let mut s = k.doc.to_string();
    if let Some(d) = k.default {
        s.push_str(&format!("; default {d}"));
    }
    if !k.unit.is_empty() {
        s.push_str(&format!(" [{}]", k.unit));
    }
    if let Some(a) = k.alias_of {
        s.push_str(&format!(" (alternative to `{a}`)"));
    }
    s
}

fn key_schema(k: &Key) -> Json {
    let mut s = match k.kind {
        Kind::Number { check, range } => {
            let mut n = json!({ "type": "number" });
            merge(&mut n, check.json_bounds());
            if range {
                json!({ "anyOf": [n, { "$ref": "#/definitions/range" }] })
            } else {
                n
            }
        }
        Kind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Str | Kind::Ref(_) => json!({ "type": "string" }),
        Kind::Date => json!({ "type": "string", "pattern": "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" }),
        Kind::Choice(words) => json!({ "type": "string", "enum": words }),
        Kind::RefList(_) | Kind::StrList => json!({ "type": "array", "items": { "type": "string" } }),
        Kind::PrecisionMap { check, range } => {
            let mut n = json!({ "type": "number" });
            merge(&mut n, check.json_bounds());
            let value = if range {
                json!({ "anyOf": [n, { "$ref": "#/definitions/range" }] })
            } else {
                n
            };
            let props: serde_json::Map<String, Json> = crate::config::Precision::NAMES
                .iter()
                .map(|p| (p.to_string(), value.clone()))
                .collect();
            json!({ "type": "object", "properties": props, "additionalProperties": false, "minProperties": 1 })
        }
        Kind::Pair => json!({
            "type": "array", "items": { "type": "number", "exclusiveMinimum": 0 }, "minItems": 2, "maxItems": 2
        }),
        Kind::NumberOrPrecisionMap { check } => {
            let number = key_schema(&Key::new(k.name, Kind::Number { check, range: true }, k.unit, k.doc));
            let map = key_schema(&Key::new(k.name, Kind::PrecisionMap { check, range: true }, k.unit, k.doc));
            json!({ "anyOf": [number, map] })
        }
        Kind::Table(t) => table_schema(t),
        Kind::Tables(t) => json!({ "type": "array", "items": table_schema(t) }),
    };
    if let Json::Object(m) = &mut s {
        m.insert("description".into(), Json::String(describe(k)));
    }
    s
}

fn merge(into: &mut Json, from: Json) {
    if let (Json::Object(a), Json::Object(b)) = (into, from) {
        a.extend(b);
    }
}

fn table_schema(t: &TableDecl) -> Json {
    let mut props = serde_json::Map::new();
    for k in t.keys.iter().chain(COMMON.iter()) {
        props.insert(k.name.to_string(), key_schema(k));
    }
    // Keys of the layering mechanism (docs/config.md "Layering") apply to list entries with an id:
    // `patch = true` changes an entry an earlier file defined (the merge consumes the key).
    if t.list && t.keys.iter().any(|k| k.name == "id") && !t.name.contains('.') {
        props.insert(
            "patch".into(),
            json!({ "type": "boolean", "description": "true: change only the keys given (and add offers) of the entry with this id that an earlier file defined" }),
        );
    }
    let patchable = props.contains_key("patch");
    let required: Vec<&str> = t.keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut s = json!({
        "type": "object",
        "description": t.doc,
        "properties": props,
        "additionalProperties": false,
    });
    if !required.is_empty() && patchable {
        // A patch gives only the keys it changes (with its id): the rest come from the entry it changes.
        merge(
            &mut s,
            json!({ "anyOf": [
                { "required": required },
                { "required": ["id", "patch"], "properties": { "patch": { "const": true } } }
            ] }),
        );
    } else if !required.is_empty() {
        merge(&mut s, json!({ "required": required }));
    }
    s
}

/// The JSON Schema (draft-07) of one config file: every table optional, every key declared,
/// unknown keys rejected. Editors (taplo, Even Better TOML) use it for completion and checks.
pub fn json_schema() -> Json {
    let mut props = serde_json::Map::new();
    for t in ROOT {
        let s = table_schema(t);
        let s = if t.list {
            json!({ "type": "array", "description": t.doc, "items": s })
        } else {
            s
        };
        props.insert(t.name.to_string(), s);
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://accel-cost.invalid/config.schema.json",
        "title": "accel-cost config file",
        "description": "One TOML file of an accel-cost config folder; files merge in path order (see docs/config-keys.md).",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
        "definitions": {
            "range": {
                "type": "object",
                "description": "a doubtful number: point figures use base, Monte Carlo draws PERT(low, base, high); numbers naming the same `shared` unknown (same range) are drawn once for all of them",
                "properties": {
                    "low": { "type": "number" },
                    "base": { "type": "number" },
                    "high": { "type": "number" },
                    "shared": { "type": "string" }
                },
                "required": ["low", "base", "high"],
                "additionalProperties": false
            }
        }
    })
}

fn kind_text(k: &Key) -> String {
    match k.kind {
        Kind::Number { check, range } => {
            format!("number {}{}", check.short(), if range { ", range ok" } else { "" })
        }
        Kind::Int { min, max } => format!("integer {min}..={max}"),
        Kind::Bool => "true / false".into(),
        Kind::Str => "string".into(),
        Kind::Date => "date".into(),
        Kind::Choice(words) => words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(" \\| "),
        Kind::Ref(list) => format!("{list} id"),
        Kind::RefList(list) => format!("array of {list} ids"),
        Kind::StrList => "array of strings".into(),
        Kind::PrecisionMap { check, range } => format!(
            "table precision -> number {}{}",
            check.short(),
            if range { ", range ok" } else { "" }
        ),
        Kind::Pair => "[from, to]".into(),
        Kind::NumberOrPrecisionMap { check } => {
            format!("number {}, range ok, or table precision -> number", check.short())
        }
        Kind::Table(t) => format!("table `{}`", t.header()),
        Kind::Tables(t) => format!("tables `{}`", t.header()),
    }
}

/// The key reference (`docs/config-keys.md`), generated from the declarations.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Config keys\n\n\
         Generated from the key declarations in `src/config/tables/` (`accel-cost schema --format markdown`);\n\
         a test fails when this file is stale. Units are those written in the config. \"range ok\": the value may be\n\
         `{ low = a, base = b, high = c }` (point figures use `base`, Monte Carlo draws PERT). Every table also takes\n\
         `source`, `as_of`, `notes` and `estimates` (keys of the table that are estimates, shown as ESTIMATE).\n\n\
         Shared unknowns: a range may add `shared = \"<name>\"`. Numbers naming the same unknown must give the same\n\
         range, and Monte Carlo draws it once for all of them (e.g. one pooled serving efficiency that several chips\n\
         borrow: `calibrate --fit` writes `shared = \"serving.nvidia.pooled.serving_mfu\"`); without it every number is\n\
         drawn on its own.\n\n\
         Files: `--config PATH` (repeatable) takes a file or a folder (every `*.toml` below it, in path order).\n\
         List entries (`[[...]]`) concatenate; `[economics]` and `[report]` merge key by key, later files win.\n\
         `--set KEY=VALUE` overrides one value after merging (`--set economics.basis=owned`,\n\
         `--set accelerator.h100-sxm.power_w=700`; lists are addressed by `id`).\n",
    );
    for t in all_tables() {
        s.push_str(&format!("\n## `{}`\n\n{}\n\n", t.header(), t.doc));
        s.push_str("| key | type | unit | required / default | meaning |\n|---|---|---|---|---|\n");
        for k in t.keys {
            let need = match (k.required, k.default) {
                (true, _) => "required".to_string(),
                (false, Some(d)) => format!("default {d}"),
                (false, None) => String::new(),
            };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {}{} |\n",
                k.name,
                kind_text(k),
                k.unit,
                need,
                k.doc.replace('|', "\\|"),
                k.alias_of.map(|a| format!(" (alternative to `{a}`)")).unwrap_or_default()
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_declares_each_key_once() {
        for t in all_tables() {
            let mut names: Vec<&str> = t.names().collect();
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n, "a key of {} is declared twice", t.name);
            for k in t.keys {
                assert!(!k.doc.is_empty(), "{}.{} has no doc", t.name, k.name);
                if let Some(a) = k.alias_of {
                    assert!(t.key(a).is_some(), "{}.{} is an alias of undeclared `{a}`", t.name, k.name);
                }
            }
        }
    }

    #[test]
    fn schema_rejects_unknown_keys_everywhere() {
        let s = json_schema();
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["properties"]["accelerator"]["items"]["additionalProperties"], json!(false));
        assert_eq!(
            s["properties"]["accelerator"]["items"]["properties"]["cloud"]["additionalProperties"],
            json!(false)
        );
    }
}
