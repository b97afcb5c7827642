//! The generic reader of one config table: reads each key the way its declaration
//! (`schema`) says, registers numbers as [`Param`]s with their origin and source, collects every
//! problem with file:line:col, and reports keys no declaration knows (with the nearest one).

use std::collections::HashMap;
use std::sync::Arc;

use super::diag::{Diags, did_you_mean, suggest};
use super::param::{Param, ParamInfo, ParamTable, Provenance};
use super::schema::{Check, Key, Kind, TableDecl};
use super::tree::{Node, Origin, Table, Value};

/// Accumulates the param table and diagnostics while the tree is read.
pub(crate) struct Ctx {
    pub params: ParamTable,
    pub diags: Diags,
    /// Latest `as_of` seen.
    pub as_of: Option<String>,
    /// The files read, for messages about the whole config.
    pub files: Vec<String>,
}

/// Reads one table: records which keys were asked for, so the rest are reported as unknown
/// with the nearest known key as a hint.
pub(crate) struct Reader<'t> {
    pub table: &'t Table,
    pub origin: Origin,
    /// The declaration of this table's keys.
    pub decl: &'static TableDecl,
    /// Key path prefix, as `--set` takes it (`accelerator.h100-sxm.cloud`).
    pub path: String,
    /// Human name for messages (`[accelerator.cloud] of h100-sxm`).
    pub what: String,
    /// Keys the validator asked for: a present, declared key never asked for would be ignored
    /// in silence, so `finish` reports it.
    asked: Vec<&'static str>,
    /// Keys asked for that no declaration has (a bug, reported by `finish`).
    undeclared: Vec<&'static str>,
    pub prov: Provenance,
    pub estimates: Vec<(String, Origin)>,
    pub numbers: usize,
    ranged_estimates: Vec<(String, bool, Origin)>,
    /// Where the table's `source` was written: a `--set` value keeps the table's source only
    /// when the same `--set` wrote it.
    source_origin: Option<Origin>,
    /// The provenance of each later file merged into this table (`Table::layers`, same order).
    layers: Vec<LayerProv>,
}

/// `source`, `as_of` and `estimates` of one later file's part of a table, and how many numbers
/// of the table it gave.
struct LayerProv {
    origin: Origin,
    source: Option<Arc<str>>,
    as_of: Option<Arc<str>>,
    estimates: Vec<(String, Origin)>,
    numbers: usize,
    /// An `as_of` was written (a wrong one is an error already: no "no as_of" warning).
    as_of_given: bool,
}

pub(crate) fn table_of<'t>(node: &'t Node, what: &str, ctx: &mut Ctx) -> Option<&'t Table> {
    match &node.value {
        Value::Table(t) => Some(t),
        other => {
            ctx.diags
                .err(&node.origin, format!("{what} must be a table, found {}", other.type_name()), "");
            None
        }
    }
}

impl<'t> Reader<'t> {
    pub fn new(table: &'t Table, origin: Origin, path: String, decl: &'static TableDecl, ctx: &mut Ctx) -> Self {
        let mut r = Reader {
            table,
            origin: origin.clone(),
            decl,
            path,
            what: decl.header(),
            asked: Vec::new(),
            undeclared: Vec::new(),
            prov: Provenance {
                origin,
                source: None,
                as_of: None,
                notes: None,
            },
            estimates: Vec::new(),
            numbers: 0,
            ranged_estimates: Vec::new(),
            source_origin: table.get("source").map(|n| n.origin.clone()),
            layers: Vec::new(),
        };
        r.prov.source = r.str_opt("source", ctx).map(Arc::from);
        r.prov.notes = r.str_opt("notes", ctx);
        if let Some(n) = r.node("as_of") {
            r.prov.as_of = read_as_of(n, &r.what, ctx);
        }
        if let Some(n) = r.node("estimates") {
            r.estimates = read_estimates(n, ctx);
        }
        for l in &table.layers {
            let what = format!("{} (the part {} gives)", r.what, file_of(&l.origin));
            let source = l.source.as_ref().and_then(|n| match &n.value {
                Value::Str(s) => Some(Arc::from(s.as_str())),
                v => {
                    ctx.diags.err(
                        &n.origin,
                        format!("`source` in {what} must be a string, found {}", v.type_name()),
                        "quote it: source = \"...\"",
                    );
                    None
                }
            });
            r.layers.push(LayerProv {
                origin: l.origin.clone(),
                source,
                as_of: l.as_of.as_ref().and_then(|n| read_as_of(n, &what, ctx)),
                estimates: l.estimates.as_ref().map(|n| read_estimates(n, ctx)).unwrap_or_default(),
                numbers: 0,
                as_of_given: l.as_of.is_some(),
            });
        }
        r
    }

    /// Source and date of a number written at `origin`: those of the file (layer) that wrote
    /// it. A later file's patch or `[economics]` describes only the keys it gives: a value from
    /// a file whose table gives no `source` has none (explain shows "no source given (FILE)").
    /// A value from `--set` has the command line as source and no date (the file's source
    /// describes the value the `--set` replaced); a `--set` that gives the table's `source`
    /// itself (`--set 'accelerator.x.owned={ chip_usd = 1, source = "quote" }'`) keeps it.
    /// Counts the number for its layer's "no source" warning.
    pub fn provenance_for(&mut self, origin: &Origin) -> (Option<Arc<str>>, Option<Arc<str>>) {
        if let Origin::Set(arg) = origin
            && self.source_origin.as_ref() != Some(origin)
        {
            return (Some(Arc::from(format!("command line: --set {arg}"))), None);
        }
        match self.table.layer_of(origin).and_then(|i| self.layers.get_mut(i)) {
            Some(l) => {
                l.numbers += 1;
                (l.source.clone(), l.as_of.clone())
            }
            None => (self.prov.source.clone(), self.prov.as_of.clone()),
        }
    }

    /// Whether `estimates` marks `key` (`["training_mfu"]` covers every `training_mfu.<precision>`)
    /// for a value written at `origin`: the `estimates` of the file (layer) that wrote it. A
    /// `--set` value is the planner's own figure: the file's mark described the value it
    /// replaced, so only a mark from the same `--set` counts.
    pub fn marks_estimate(&self, key: &str, origin: &Origin) -> bool {
        let names = |k: &str| k == key || key.strip_prefix(k).is_some_and(|rest| rest.starts_with('.'));
        if matches!(origin, Origin::Set(_)) {
            return self.estimates.iter().any(|(k, o)| names(k) && o == origin);
        }
        match self.table.layer_of(origin).and_then(|i| self.layers.get(i)) {
            Some(l) => l.estimates.iter().any(|(k, _)| names(k)),
            None => self.estimates.iter().any(|(k, _)| names(k)),
        }
    }

    /// Of two alternative keys both given (`memory_gb` / `memory_gib`), the one a later file or
    /// a `--set` wrote: a later layer's form replaces the earlier layer's other form (a planner
    /// cannot remove a key). Both from one table of one file (or both from `--set`): both,
    /// unchanged, and the caller reports them.
    pub fn later_wins(&self, a: Option<&'t Node>, b: Option<&'t Node>) -> (Option<&'t Node>, Option<&'t Node>) {
        // Rank: the first file 0, each later layer its place, a `--set` after every file.
        let rank = |n: &Node| match &n.origin {
            Origin::Set(_) => usize::MAX,
            o => self.table.layer_of(o).map_or(0, |i| i + 1),
        };
        match (a, b) {
            (Some(x), Some(y)) if rank(x) > rank(y) => (Some(x), None),
            (Some(x), Some(y)) if rank(y) > rank(x) => (None, Some(y)),
            other => other,
        }
    }

    /// The node of `key`, marking it asked for.
    pub fn node(&mut self, key: &'static str) -> Option<&'t Node> {
        self.asked.push(key);
        if self.decl.key(key).is_none() {
            self.undeclared.push(key);
        }
        self.table.get(key)
    }

    /// Marks keys as read by a caller that reads them another way (or not at all, on purpose).
    pub fn mark_read(&mut self, keys: &[&'static str]) {
        for k in keys {
            self.node(k);
        }
    }

    /// The declaration of `key` (a placeholder for an undeclared key, reported by `finish`).
    fn decl_of(&mut self, key: &'static str) -> &'static Key {
        const UNDECLARED: Key = Key::new("", Kind::Str, "", "");
        match self.decl.key(key) {
            Some(k) => k,
            None => {
                self.undeclared.push(key);
                &UNDECLARED
            }
        }
    }

    /// Check and unit of a number key.
    fn number_decl(&mut self, key: &'static str) -> (Check, &'static str) {
        let d = self.decl_of(key);
        match d.kind {
            Kind::Number { check, .. } | Kind::PrecisionMap { check, .. } | Kind::NumberOrPrecisionMap { check } => (check, d.unit),
            _ => {
                self.undeclared.push(key);
                (Check::Positive, d.unit)
            }
        }
    }

    pub fn missing(&self, key: &str, hint: &str, ctx: &mut Ctx) {
        ctx.diags.err(&self.origin, format!("missing `{key}` in {}", self.what), hint);
    }

    pub fn str_opt(&mut self, key: &'static str, ctx: &mut Ctx) -> Option<String> {
        let n = self.node(key)?;
        match &n.value {
            Value::Str(s) => Some(s.clone()),
            v => {
                ctx.diags.err(
                    &n.origin,
                    format!("`{key}` in {} must be a string, found {}", self.what, v.type_name()),
                    &format!("quote it: {key} = \"...\""),
                );
                None
            }
        }
    }

    pub fn str_req(&mut self, key: &'static str, hint: &str, ctx: &mut Ctx) -> String {
        let present = self.table.get(key).is_some();
        match self.str_opt(key, ctx) {
            Some(s) => s,
            None => {
                if !present {
                    self.missing(key, hint, ctx);
                }
                String::new()
            }
        }
    }

    /// A string that must be one of `names`.
    pub fn choice<T>(&mut self, key: &'static str, parse: impl Fn(&str) -> Option<T>, ctx: &mut Ctx) -> Option<T> {
        let names: &[&str] = match self.decl_of(key).kind {
            Kind::Choice(words) => words,
            _ => &[],
        };
        let origin = self.table.get(key).map(|n| n.origin.clone());
        let s = self.str_opt(key, ctx)?;
        let origin = origin.unwrap_or(Origin::Default);
        match parse(&s) {
            Some(v) => Some(v),
            None => {
                let hint = match did_you_mean(&s, names.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`? one of: {}", names.join(", ")),
                    None => format!("one of: {}", names.join(", ")),
                };
                ctx.diags.err(&origin, format!("unknown {key} `{s}` in {}", self.what), &hint);
                None
            }
        }
    }

    pub fn int_opt(&mut self, key: &'static str, ctx: &mut Ctx) -> Option<i64> {
        let (min, max) = match self.decl_of(key).kind {
            Kind::Int { min, max } => (min, max),
            _ => (i64::MIN, i64::MAX),
        };
        let n = self.node(key)?;
        // An integer is compared as one: through f64, one above 2^53 would be rounded (a seed
        // of 2^53 + 1 read as 2^53). A whole float is taken where it is exact; above 2^53 (which
        // is also where an integer beyond i64 lands, see `tree::from_toml`) it is an error.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let v = match &n.value {
            Value::Int(i) => Some(Ok(*i)),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT => Some(Ok(*f as i64)),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(Err(*f)),
            _ => None,
        };
        match v {
            Some(Ok(i)) if (min..=max).contains(&i) => Some(i),
            Some(Ok(i)) => {
                ctx.diags
                    .err(&n.origin, format!("`{key}` in {} is {i}, outside {min}..={max}", self.what), "");
                None
            }
            Some(Err(f)) if f < min as f64 || f > max as f64 => {
                ctx.diags.err(
                    &n.origin,
                    format!("`{key}` in {} is {}, outside {min}..={max}", self.what, show(f)),
                    "",
                );
                None
            }
            Some(Err(f)) => {
                ctx.diags.err(
                    &n.origin,
                    format!(
                        "`{key}` in {} is {}, which is not exact: above 2^53 a float, or an integer beyond {}, is rounded",
                        self.what,
                        show(f),
                        i64::MAX
                    ),
                    &format!("write it as an integer in {min}..={max}"),
                );
                None
            }
            None => {
                ctx.diags.err(
                    &n.origin,
                    format!("`{key}` in {} must be a whole number, found {}", self.what, describe(&n.value)),
                    &format!("e.g. {key} = {}", min.max(1)),
                );
                None
            }
        }
    }

    pub fn int_req(&mut self, key: &'static str, ctx: &mut Ctx) -> i64 {
        let min = match self.decl_of(key).kind {
            Kind::Int { min, .. } => min,
            _ => 0,
        };
        if self.table.get(key).is_none() {
            self.node(key);
            self.missing(key, &format!("add {key} = <whole number>"), ctx);
            return min;
        }
        self.int_opt(key, ctx).unwrap_or(min)
    }

    /// An optional number or `{ low, base, high }` range, registered as a [`Param`].
    pub fn num_opt(&mut self, key: &'static str, ctx: &mut Ctx) -> Option<Param> {
        let (check, unit) = self.number_decl(key);
        let n = self.node(key)?;
        Some(self.register(key, n, check, unit, 1.0, None, ctx))
    }

    pub fn num_req(&mut self, key: &'static str, ctx: &mut Ctx) -> Param {
        let unit = self.number_decl(key).1;
        match self.num_opt(key, ctx) {
            Some(p) => p,
            None => {
                self.missing(key, &format!("add {key} = <{unit}> or a {{ low, base, high }} range"), ctx);
                placeholder(ctx)
            }
        }
    }

    /// A number given in one of two units (e.g. `memory_gb` or `memory_gib`), stored in the first.
    pub fn num_either(&mut self, keys: (&'static str, &'static str), factor: f64, ctx: &mut Ctx) -> Param {
        let (check, unit) = self.number_decl(keys.0);
        let (a, b) = (self.node(keys.0), self.node(keys.1));
        let (a, b) = self.later_wins(a, b);
        match (a, b) {
            (Some(n), None) => self.register(keys.0, n, check, unit, 1.0, None, ctx),
            (None, Some(n)) => {
                let note = format!("converted from `{}` (x {factor})", keys.1);
                self.register(keys.1, n, check, unit, factor, Some(note), ctx)
            }
            (Some(_), Some(n)) => {
                ctx.diags.err(
                    &n.origin,
                    format!("{} gives both `{}` and `{}`", self.what, keys.0, keys.1),
                    "keep one of them",
                );
                placeholder(ctx)
            }
            (None, None) => {
                self.missing(keys.0, &format!("add {} = <{unit}> (or `{}`)", keys.0, keys.1), ctx);
                placeholder(ctx)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn register(
        &mut self,
        key: &str,
        n: &Node,
        check: Check,
        unit: &'static str,
        factor: f64,
        conversion: Option<String>,
        ctx: &mut Ctx,
    ) -> Param {
        self.numbers += 1;
        let path = format!("{}.{key}", self.path);
        // `estimates = ["training_mfu"]` covers every `training_mfu.<precision>`.
        let estimate = self.marks_estimate(key, &n.origin);
        let Some((low, base, high, ranged)) = read_number(n, key, &self.what, check, ctx) else {
            return placeholder(ctx);
        };
        if estimate {
            self.ranged_estimates.push((key.to_string(), ranged, n.origin.clone()));
        }
        let (source, as_of) = self.provenance_for(&n.origin);
        let p = ctx.params.push(ParamInfo {
            path,
            unit,
            low: low * factor,
            base: base * factor,
            high: high * factor,
            ranged,
            origin: n.origin.clone(),
            source,
            as_of,
            estimate,
            conversion,
        });
        shared_name(n, key, &self.what, p, ctx);
        p
    }

    /// Drops the "give it as a range" warnings of this table: a planner's negotiated price is a
    /// single number by nature.
    pub fn single_numbers_ok(&mut self) {
        self.ranged_estimates.clear();
    }

    /// The reader of sub-table `key` (declared as `Kind::Table`).
    pub fn sub(&mut self, key: &'static str, ctx: &mut Ctx) -> Option<Reader<'t>> {
        let Kind::Table(decl) = self.decl_of(key).kind else {
            self.undeclared.push(key);
            return None;
        };
        let n = self.node(key)?;
        let t = table_of(n, &decl.header(), ctx)?;
        Some(Reader::new(t, n.origin.clone(), format!("{}.{key}", self.path), decl, ctx))
    }

    /// Reports unknown keys and checks `estimates`; returns the table's provenance.
    pub fn finish(mut self, ctx: &mut Ctx) -> Provenance {
        self.mark_read(&["source", "as_of", "notes", "estimates"]);
        for k in &self.undeclared {
            ctx.diags.err(
                &self.origin,
                format!(
                    "internal: key `{k}` of {} is read but not declared in src/config/schema",
                    self.decl.name
                ),
                "please report this",
            );
        }
        for e in &self.table.entries {
            match self.decl.key(&e.key) {
                None => {
                    let hint = suggest(&e.key, self.decl.names(), || {
                        format!("known keys: {}", self.decl.names().collect::<Vec<_>>().join(", "))
                    });
                    ctx.diags
                        .err(&e.key_origin, format!("unknown key `{}` in {}", e.key, self.what), &hint);
                }
                Some(k) if !self.asked.contains(&k.name) => ctx.diags.err(
                    &e.key_origin,
                    format!("internal: declared key `{}` of {} is never read", e.key, self.decl.name),
                    "please report this",
                ),
                Some(_) => {}
            }
        }
        let layer_estimates = self.layers.iter().flat_map(|l| l.estimates.iter());
        for (k, origin) in self.estimates.iter().chain(layer_estimates) {
            // `training_mfu.bf16` names one precision of a per-precision key.
            if self.table.get(k.split('.').next().unwrap_or(k)).is_none() {
                let hint = suggest(k, self.table.entries.iter().map(|e| e.key.as_str()), || {
                    "list keys of this table".to_string()
                });
                ctx.diags.err(
                    origin,
                    format!("`estimates` in {} names `{k}`, which this table does not give", self.what),
                    &hint,
                );
            }
        }
        for (k, ranged, origin) in &self.ranged_estimates {
            if !ranged {
                ctx.diags.warn(
                    origin,
                    format!(
                        "{}: estimate `{k}` is a single number; give it as a {{ low, base, high }} range",
                        self.what
                    ),
                );
            }
        }
        if self.numbers > 0 && self.prov.source.is_none() {
            ctx.diags
                .warn(&self.origin, format!("{} has no `source`: its figures cannot be traced", self.what));
        } else if self.numbers > 0 && self.prov.as_of.is_none() && self.table.get("as_of").is_none() {
            ctx.diags.warn(
                &self.origin,
                format!(
                    "{} has a `source` but no `as_of`: its figures cannot be dated (add as_of = \"YYYY-MM\")",
                    self.what
                ),
            );
        }
        for l in self.layers.iter().filter(|l| l.numbers > 0) {
            let file = file_of(&l.origin);
            if l.source.is_none() {
                ctx.diags.warn(
                    &l.origin,
                    format!(
                        "{} in {file} has no `source`: the figures it gives cannot be traced (an earlier file's source covers only its own; add source = \"...\" and as_of)",
                        self.what
                    ),
                );
            } else if l.as_of.is_none() && !l.as_of_given {
                ctx.diags.warn(
                    &l.origin,
                    format!(
                        "{} in {file} has a `source` but no `as_of`: the figures it gives cannot be dated (add as_of = \"YYYY-MM\")",
                        self.what
                    ),
                );
            }
        }
        std::mem::take(&mut self.prov)
    }
}

/// The file of a file origin ("command line" or "built-in default" otherwise).
pub(crate) fn file_of(origin: &Origin) -> String {
    match origin {
        Origin::File { file, .. } => file.to_string(),
        Origin::Set(_) => "command line".into(),
        Origin::Default => "built-in default".into(),
    }
}

/// A table's `as_of`: a real calendar date "YYYY", "YYYY-MM" or "YYYY-MM-DD" (the latest is
/// kept in `ctx`). Anything else is an error; a date after today, a warning (a typo, or a figure
/// that cannot have been read yet).
fn read_as_of(n: &Node, what: &str, ctx: &mut Ctx) -> Option<Arc<str>> {
    let s = match &n.value {
        Value::Str(s) | Value::Datetime(s) => s.clone(),
        v => {
            ctx.diags.err(
                &n.origin,
                format!("`as_of` in {what} must be a date string, found {}", v.type_name()),
                "write \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. as_of = \"2025-06\"",
            );
            return None;
        }
    };
    if let Err(why) = check_date(&s) {
        ctx.diags.err(
            &n.origin,
            format!("`as_of` in {what} is \"{s}\", not a date: {why}"),
            "write a real calendar date as \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. as_of = \"2025-06\"",
        );
        return None;
    }
    let today = crate::fmt::today();
    // The first day the date names: "2026-12" is after 2026-11-30.
    let first_day = match s.len() {
        4 => format!("{s}-01-01"),
        7 => format!("{s}-01"),
        _ => s.clone(),
    };
    if first_day > today {
        ctx.diags.warn(
            &n.origin,
            format!("`as_of` in {what} is {s}, after today ({today}): a typo? a figure is dated when it was read"),
        );
    }
    if ctx.as_of.as_ref().is_none_or(|cur| s > *cur) {
        ctx.as_of = Some(s.clone());
    }
    Some(Arc::from(s))
}

/// `estimates`: the key names it lists, each with its place.
fn read_estimates(n: &Node, ctx: &mut Ctx) -> Vec<(String, Origin)> {
    let mut out = Vec::new();
    match &n.value {
        Value::Array(items) => {
            for item in items {
                match &item.value {
                    Value::Str(s) => out.push((s.clone(), item.origin.clone())),
                    v => ctx.diags.err(
                        &item.origin,
                        format!("`estimates` lists key names, found {}", v.type_name()),
                        "e.g. estimates = [\"power_w\", \"chip_usd\"]",
                    ),
                }
            }
        }
        v => ctx.diags.err(
            &n.origin,
            format!("`estimates` must be an array of key names, found {}", v.type_name()),
            "e.g. estimates = [\"power_w\"]",
        ),
    }
    out
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance {
            origin: Origin::Default,
            source: None,
            as_of: None,
            notes: None,
        }
    }
}

pub(crate) fn placeholder(ctx: &mut Ctx) -> Param {
    ctx.params.push(ParamInfo {
        path: String::new(),
        unit: "",
        low: f64::NAN,
        base: f64::NAN,
        high: f64::NAN,
        ranged: false,
        origin: Origin::Default,
        source: None,
        as_of: None,
        estimate: false,
        conversion: None,
    })
}

pub(crate) use crate::fmt::plain as show;

/// Checks a date "YYYY", "YYYY-MM" or "YYYY-MM-DD" (proleptic Gregorian); the error says what
/// is wrong.
pub(crate) fn check_date(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let form_ok = match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    };
    if !form_ok {
        return Err("the form is YYYY, YYYY-MM or YYYY-MM-DD".into());
    }
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
    let year = num(0).unwrap_or(0);
    if year == 0 {
        return Err("there is no year 0000".into());
    }
    if let Some(m) = num(1)
        && !(1..=12).contains(&m)
    {
        return Err(format!("month {m:02} does not exist"));
    }
    if let (Some(m), Some(d)) = (num(1), num(2)) {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days).contains(&d) {
            return Err(format!("{year:04}-{m:02} has days 01 to {days}"));
        }
    }
    Ok(())
}

pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("the string \"{s}\""),
        Value::Float(f) => show(*f),
        other => other.type_name().to_string(),
    }
}

pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// No config number is smaller (in magnitude, other than 0) or larger than these: far beyond
/// any real chip or workload, and small enough that no product of them overflows an f64, so
/// no valid config can yield infinity or NaN.
pub const MIN_MAGNITUDE: f64 = 1e-12;
pub const MAX_MAGNITUDE: f64 = 1e15;
/// Total training FLOPs may go higher (1e26 today).
pub const MAX_FLOPS: f64 = 1e40;

/// A range's `shared = "<name>"` (docs/model.md "Uncertainty"): records it for Monte Carlo
/// and checks that every number naming it has the same range (one unknown, one range).
pub(crate) fn shared_name(n: &Node, key: &str, what: &str, p: Param, ctx: &mut Ctx) {
    let Value::Table(t) = &n.value else { return };
    let Some(v) = t.get("shared") else { return };
    let Value::Str(name) = &v.value else {
        ctx.diags.err(
            &v.origin,
            format!("`{key}.shared` in {what} must be a string, found {}", describe(&v.value)),
            "e.g. shared = \"serving.nvidia.step_overhead_us_per_layer\"",
        );
        return;
    };
    let range = |i: &ParamInfo| (i.low, i.base, i.high);
    let mine = range(ctx.params.info(p));
    let other = ctx
        .params
        .shared
        .iter()
        .find(|(q, s)| &***s == name.as_str() && range(ctx.params.info(**q)) != mine)
        .map(|(q, _)| ctx.params.info(*q).clone());
    if let Some(o) = other {
        ctx.diags.err(
            &v.origin,
            format!(
                "`{key}` in {what} is shared as \"{name}\" with `{}`, but its range ({} / {} / {}) differs from that one's ({} / {} / {})",
                o.path,
                show(mine.0),
                show(mine.1),
                show(mine.2),
                show(o.low),
                show(o.base),
                show(o.high)
            ),
            "numbers drawn as one unknown must give the same low, base and high (or drop `shared`)",
        );
        return;
    }
    ctx.params.shared.insert(p, Arc::from(name.as_str()));
}

/// Reads a plain number or a `{ low, base, high }` range and checks it.
pub(crate) fn read_number(n: &Node, key: &str, what: &str, check: Check, ctx: &mut Ctx) -> Option<(f64, f64, f64, bool)> {
    let (low, base, high, ranged) = match &n.value {
        Value::Table(t) => {
            let mut vals = [0.0; 3];
            let mut ok = true;
            for (i, k) in ["low", "base", "high"].iter().enumerate() {
                match t.get(k) {
                    Some(v) => match as_f64(&v.value) {
                        Some(x) => vals[i] = x,
                        None => {
                            ctx.diags.err(
                                &v.origin,
                                format!("`{key}.{k}` in {what} must be a number, found {}", describe(&v.value)),
                                "",
                            );
                            ok = false;
                        }
                    },
                    None => {
                        ctx.diags.err(
                            &n.origin,
                            format!("range `{key}` in {what} has no `{k}`"),
                            "a range is { low = a, base = b, high = c }",
                        );
                        ok = false;
                    }
                }
            }
            for e in &t.entries {
                if !["low", "base", "high", "shared"].contains(&e.key.as_str()) {
                    let hint = suggest(&e.key, ["low", "base", "high", "shared"], || {
                        "a range has only low, base, high and shared".to_string()
                    });
                    ctx.diags
                        .err(&e.key_origin, format!("unknown key `{}` in range `{key}` of {what}", e.key), &hint);
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            (vals[0], vals[1], vals[2], true)
        }
        v => match as_f64(v) {
            Some(x) => (x, x, x, false),
            None => {
                ctx.diags.err(
                    &n.origin,
                    format!("`{key}` in {what} must be a number, found {}", describe(v)),
                    "write a number, or a range { low = a, base = b, high = c }",
                );
                return None;
            }
        },
    };
    for x in [low, base, high] {
        if !x.is_finite() {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {what} is {x}, not a finite number"),
                "numbers must be finite",
            );
            return None;
        }
        let max = if key == "flops" { MAX_FLOPS } else { MAX_MAGNITUDE };
        if x != 0.0 && !(MIN_MAGNITUDE..=max).contains(&x.abs()) {
            ctx.diags.err(
                &n.origin,
                format!(
                    "`{key}` in {what} is {}, outside the plausible range {MIN_MAGNITUDE:e} to {max:e}",
                    show(x)
                ),
                "check the unit: memory_gb is in GB, params_b in billions, tokens_t in trillions",
            );
            return None;
        }
        if !check.ok(x) {
            ctx.diags
                .err(&n.origin, format!("`{key}` in {what} is {}: it {}", show(x), check.describe()), "");
            return None;
        }
    }
    if ranged && !(low <= base && base <= high) {
        ctx.diags.err(
            &n.origin,
            format!("range `{key}` in {what} is not ordered: low {low}, base {base}, high {high}"),
            "a range needs low <= base <= high",
        );
        return None;
    }
    // -0.0 + 0.0 is +0.0: no negative zero leaks into outputs.
    Some((low + 0.0, base + 0.0, high + 0.0, ranged))
}

pub(crate) fn check_id(id: &str, origin: &Origin, what: &str, ctx: &mut Ctx) {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if !ok {
        let fixed: String = id
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let fixed: String = fixed.trim_matches('-').chars().take(40).collect();
        let fixed = if fixed.is_empty() { format!("my-{what}") } else { fixed };
        ctx.diags.err(
            origin,
            format!("{what} id `{id}` is not well formed"),
            &format!("ids are lower-case letters, digits and '-', at most 40 characters, used in file names; e.g. `{fixed}`"),
        );
    }
}

/// Reads `id` and checks its form and that it is unique in its list.
pub(crate) fn read_id(r: &mut Reader<'_>, list: &str, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> String {
    let origin = r
        .table
        .get("id")
        .filter(|n| matches!(n.value, Value::Str(_)))
        .map(|n| n.origin.clone());
    let id = r.str_req("id", &format!("every [[{list}]] needs an id, e.g. id = \"my-{list}\""), ctx);
    if let Some(origin) = origin {
        check_id(&id, &origin, list, ctx);
        if let Some(first) = seen.get(&id) {
            ctx.diags.err(
                &origin,
                format!("duplicate {list} id `{id}`, first defined at {first}"),
                "ids must be unique in each list; rename one, or to change an entry of an earlier file add `patch = true` to yours",
            );
        } else {
            seen.insert(id.clone(), origin);
        }
    }
    r.path = format!("{list}.{id}");
    r.what = format!("[[{list}]] `{id}`");
    id
}

/// A built-in default for a key no file gives, recorded like a config number.
pub(crate) fn default_param(path: String, unit: &'static str, value: f64, why: &str, ctx: &mut Ctx) -> Param {
    ctx.params.push(ParamInfo {
        path,
        unit,
        low: value,
        base: value,
        high: value,
        ranged: false,
        origin: Origin::Default,
        source: Some(Arc::from(why)),
        as_of: None,
        estimate: true,
        conversion: None,
    })
}

#[cfg(test)]
mod tests {
    use super::check_date;

    #[test]
    fn dates_are_real_calendar_dates() {
        for ok in ["2026", "2026-11", "2026-11-30", "2024-02-29", "2000-02-29"] {
            assert_eq!(check_date(ok), Ok(()), "{ok}");
        }
        // 2026-13: no month 13; November has 30 days; 1900 is not a leap year (divisible by
        // 100, not by 400); the form needs zero-padded parts.
        for bad in [
            "2026-13",
            "2026-11-31",
            "1900-02-29",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-30-1",
            "0000",
            "",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        assert_eq!(check_date("2026-11-31"), Err("2026-11 has days 01 to 30".into()));
    }
}
