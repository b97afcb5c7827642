//! Second stage of loading: the merged raw tree becomes a typed [`Config`]. Every rule of
//! CONFIG.md "Validation" lives here; all problems are collected, not only the first.

use std::collections::HashMap;
use std::sync::Arc;

use super::diag::{Diags, did_you_mean, suggest};
use super::tree::{LIST_KEYS, Node, Origin, Table, Value};
use super::types::*;

/// A check every value of a number (all of low, base, high for a range) must pass.
#[derive(Clone, Copy, Debug)]
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
    fn ok(self, x: f64) -> bool {
        match self {
            Check::Positive => x > 0.0,
            Check::NonNegative => x >= 0.0,
            Check::Fraction => x > 0.0 && x <= 1.0,
            Check::Share => (0.0..1.0).contains(&x),
            Check::AtLeastOne => x >= 1.0,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Check::Positive => "must be greater than 0",
            Check::NonNegative => "must not be negative",
            Check::Fraction => "must be a fraction above 0 and at most 1",
            Check::Share => "must be a share from 0 up to (not including) 1",
            Check::AtLeastOne => "must be at least 1",
        }
    }
}

/// Accumulates the param table and diagnostics while the tree is read.
pub(super) struct Ctx {
    pub params: ParamTable,
    pub diags: Diags,
    /// Latest `as_of` seen.
    pub as_of: Option<String>,
    /// The files read, for messages about the whole config.
    pub files: Vec<String>,
}

/// Reads one table: records which keys were asked for, so the rest are reported as unknown
/// with the nearest known key as a hint.
struct Reader<'t> {
    table: &'t Table,
    origin: Origin,
    /// Key path prefix, as `--set` takes it (`accelerator.h100-sxm.cloud`).
    path: String,
    /// Human name for messages (`[accelerator.cloud] of h100-sxm`).
    what: String,
    known: Vec<&'static str>,
    prov: Provenance,
    estimates: Vec<(String, Origin)>,
    numbers: usize,
    ranged_estimates: Vec<(String, bool, Origin)>,
}

fn table_of<'t>(node: &'t Node, what: &str, ctx: &mut Ctx) -> Option<&'t Table> {
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
    fn new(table: &'t Table, origin: Origin, path: String, what: String, ctx: &mut Ctx) -> Self {
        let mut r = Reader {
            table,
            origin: origin.clone(),
            path,
            what,
            known: Vec::new(),
            prov: Provenance {
                origin,
                source: None,
                as_of: None,
                notes: None,
            },
            estimates: Vec::new(),
            numbers: 0,
            ranged_estimates: Vec::new(),
        };
        r.prov.source = r.str_opt("source", ctx).map(Arc::from);
        r.prov.notes = r.str_opt("notes", ctx);
        if let Some(n) = r.node("as_of") {
            let s = match &n.value {
                Value::Str(s) | Value::Datetime(s) => Some(s.clone()),
                _ => None,
            };
            match s.filter(|s| valid_date(s)) {
                Some(s) => {
                    if ctx.as_of.as_ref().is_none_or(|cur| s > *cur) {
                        ctx.as_of = Some(s.clone());
                    }
                    r.prov.as_of = Some(Arc::from(s));
                }
                None => ctx.diags.err(
                    &n.origin,
                    format!("`as_of` in {} is not a date", r.what),
                    "write \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. as_of = \"2025-06\"",
                ),
            }
        }
        if let Some(n) = r.node("estimates") {
            match &n.value {
                Value::Array(items) => {
                    for item in items {
                        match &item.value {
                            Value::Str(s) => r.estimates.push((s.clone(), item.origin.clone())),
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
        }
        r
    }

    fn node(&mut self, key: &'static str) -> Option<&'t Node> {
        self.known.push(key);
        self.table.get(key)
    }

    fn missing(&self, key: &str, hint: &str, ctx: &mut Ctx) {
        ctx.diags.err(&self.origin, format!("missing `{key}` in {}", self.what), hint);
    }

    fn str_opt(&mut self, key: &'static str, ctx: &mut Ctx) -> Option<String> {
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

    fn str_req(&mut self, key: &'static str, hint: &str, ctx: &mut Ctx) -> String {
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
    fn choice<T>(&mut self, key: &'static str, names: &[&str], parse: impl Fn(&str) -> Option<T>, ctx: &mut Ctx) -> Option<T> {
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

    fn int_opt(&mut self, key: &'static str, min: i64, max: i64, ctx: &mut Ctx) -> Option<i64> {
        let n = self.node(key)?;
        let v = match &n.value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(*f),
            _ => None,
        };
        match v {
            Some(i) if (min as f64..=max as f64).contains(&i) => Some(i as i64),
            Some(i) => {
                ctx.diags.err(
                    &n.origin,
                    format!("`{key}` in {} is {}, outside {min}..={max}", self.what, show(i)),
                    "",
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

    fn int_req(&mut self, key: &'static str, min: i64, max: i64, ctx: &mut Ctx) -> i64 {
        if self.table.get(key).is_none() {
            self.known.push(key);
            self.missing(key, &format!("add {key} = <whole number>"), ctx);
            return min;
        }
        self.int_opt(key, min, max, ctx).unwrap_or(min)
    }

    /// An optional number or `{ low, base, high }` range, registered as a [`Param`].
    fn num_opt(&mut self, key: &'static str, check: Check, unit: &'static str, ctx: &mut Ctx) -> Option<Param> {
        let n = self.node(key)?;
        Some(self.register(key, n, check, unit, 1.0, None, ctx))
    }

    fn num_req(&mut self, key: &'static str, check: Check, unit: &'static str, ctx: &mut Ctx) -> Param {
        match self.num_opt(key, check, unit, ctx) {
            Some(p) => p,
            None => {
                self.missing(key, &format!("add {key} = <{unit}> or a {{ low, base, high }} range"), ctx);
                placeholder(ctx)
            }
        }
    }

    /// A number given in one of two units (e.g. `memory_gb` or `memory_gib`), stored in the first.
    fn num_either(&mut self, keys: (&'static str, &'static str), factor: f64, check: Check, unit: &'static str, ctx: &mut Ctx) -> Param {
        let a = self.node(keys.0);
        let b = self.node(keys.1);
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
    fn register(
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
        let estimate = self.estimates.iter().any(|(k, _)| k == key);
        let Some((low, base, high, ranged)) = read_number(n, key, &self.what, check, ctx) else {
            return placeholder(ctx);
        };
        if estimate {
            self.ranged_estimates.push((key.to_string(), ranged, n.origin.clone()));
        }
        ctx.params.push(ParamInfo {
            path,
            unit,
            low: low * factor,
            base: base * factor,
            high: high * factor,
            ranged,
            origin: n.origin.clone(),
            source: self.prov.source.clone(),
            as_of: self.prov.as_of.clone(),
            estimate,
            conversion,
        })
    }

    fn sub(&mut self, key: &'static str, what: &str, ctx: &mut Ctx) -> Option<Reader<'t>> {
        let n = self.node(key)?;
        let t = table_of(n, what, ctx)?;
        Some(Reader::new(
            t,
            n.origin.clone(),
            format!("{}.{key}", self.path),
            what.to_string(),
            ctx,
        ))
    }

    /// Reports unknown keys and checks `estimates`; returns the table's provenance.
    fn finish(mut self, ctx: &mut Ctx) -> Provenance {
        for k in ["source", "as_of", "notes", "estimates"] {
            if !self.known.contains(&k) {
                self.known.push(k);
            }
        }
        for e in &self.table.entries {
            if !self.known.contains(&e.key.as_str()) {
                let hint = suggest(&e.key, self.known.iter().copied(), || {
                    format!("known keys: {}", self.known.join(", "))
                });
                ctx.diags
                    .err(&e.key_origin, format!("unknown key `{}` in {}", e.key, self.what), &hint);
            }
        }
        for (k, origin) in &self.estimates {
            if self.table.get(k).is_none() {
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
        }
        std::mem::take(&mut self.prov)
    }
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

fn placeholder(ctx: &mut Ctx) -> Param {
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

/// A number as a message shows it: short, scientific beyond 1e6.
fn show(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let ym = digits(0..4) && b.get(4) == Some(&b'-') && digits(5..7);
    ym && (b.len() == 7 || (b.len() == 10 && b[7] == b'-' && digits(8..10)))
}

fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("the string \"{s}\""),
        Value::Float(f) => show(*f),
        other => other.type_name().to_string(),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
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

/// Reads a plain number or a `{ low, base, high }` range and checks it.
fn read_number(n: &Node, key: &str, what: &str, check: Check, ctx: &mut Ctx) -> Option<(f64, f64, f64, bool)> {
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
                if !["low", "base", "high"].contains(&e.key.as_str()) {
                    let hint = suggest(&e.key, ["low", "base", "high"], || {
                        "a range has only low, base and high".to_string()
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

fn check_id(id: &str, origin: &Origin, what: &str, ctx: &mut Ctx) {
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
fn read_id(r: &mut Reader<'_>, list: &str, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> String {
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
                "ids must be unique in each list; rename one",
            );
        } else {
            seen.insert(id.clone(), origin);
        }
    }
    r.path = format!("{list}.{id}");
    r.what = format!("[[{list}]] `{id}`");
    id
}

/// Built-in economics defaults (the CONFIG.md example), used for keys no file gives.
const ECON_DEFAULTS: [(&str, f64, Check, &str); 12] = [
    ("electricity_usd_per_kwh", 0.08, Check::NonNegative, "USD/kWh"),
    ("pue", 1.2, Check::AtLeastOne, "ratio"),
    ("hosting_usd_per_kw_month", 150.0, Check::NonNegative, "USD/kW-month"),
    ("lifetime_years", 5.0, Check::Positive, "years"),
    ("cost_of_capital", 0.08, Check::Share, "per year"),
    ("maintenance_per_year", 0.03, Check::Share, "share of capex per year"),
    ("availability", 0.97, Check::Fraction, "share of hours"),
    ("load_factor", 0.8, Check::Fraction, "share of power_w"),
    ("system_overhead", 0.5, Check::NonNegative, "share of chip_usd"),
    ("system_power_factor", 1.4, Check::AtLeastOne, "ratio"),
    ("usable_memory_fraction", 0.9, Check::Fraction, "share of memory"),
    ("training_bytes_per_param", 16.0, Check::Positive, "bytes/param"),
];

fn economics(node: Option<&Node>, ctx: &mut Ctx) -> Economics {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[economics]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut r = Reader::new(table, origin, "economics".into(), "[economics]".into(), ctx);
    let basis_origin = table.get("basis").map_or(Origin::Default, |n| n.origin.clone());
    let basis = if table.get("basis").is_some() {
        r.choice("basis", &Basis::NAMES, Basis::parse, ctx).unwrap_or(Basis::OnDemand)
    } else {
        r.known.push("basis");
        Basis::OnDemand
    };
    let mut p = [Param(0); 12];
    for (i, (key, default, check, unit)) in ECON_DEFAULTS.iter().enumerate() {
        p[i] = match r.num_opt(key, *check, unit, ctx) {
            Some(v) => v,
            None => ctx.params.push(ParamInfo {
                path: format!("economics.{key}"),
                unit,
                low: *default,
                base: *default,
                high: *default,
                ranged: false,
                origin: Origin::Default,
                source: Some(Arc::from("built-in default (CONFIG.md example)")),
                as_of: None,
                estimate: true,
                conversion: None,
            }),
        };
    }
    let prov = r.finish(ctx);
    Economics {
        basis,
        basis_origin,
        electricity_usd_per_kwh: p[0],
        pue: p[1],
        hosting_usd_per_kw_month: p[2],
        lifetime_years: p[3],
        cost_of_capital: p[4],
        maintenance_per_year: p[5],
        availability: p[6],
        load_factor: p[7],
        system_overhead: p[8],
        system_power_factor: p[9],
        usable_memory_fraction: p[10],
        training_bytes_per_param: p[11],
        prov,
    }
}

/// GiB -> GB.
const GIB: f64 = 1.073_741_824;

fn accelerator(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Accelerator {
    let mut r = Reader::new(t, origin.clone(), "accelerator".into(), "[[accelerator]]".into(), ctx);
    let id = read_id(&mut r, "accelerator", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    let family = if t.get("family").is_some() {
        r.choice("family", &Family::NAMES, Family::parse, ctx).unwrap_or(Family::Other)
    } else {
        r.missing("family", "add family = \"gpu\" (gpu, trainium, inferentia, tpu or other)", ctx);
        r.known.push("family");
        Family::Other
    };
    let vendor = r.str_opt("vendor", ctx).unwrap_or_default();
    let year = r.int_req("year", 1990, 2100, ctx) as i32;
    let mut dense_tflops = Vec::new();
    match r.node("dense_tflops") {
        Some(n) => {
            if let Some(dt) = table_of(n, "dense_tflops", ctx) {
                let what = r.what.clone();
                for e in &dt.entries {
                    match Precision::parse(&e.key) {
                        Some(p) => {
                            if let Some((low, base, high, ranged)) = read_number(&e.node, &e.key, &what, Check::Positive, ctx) {
                                let estimate = r.estimates.iter().any(|(k, _)| k == "dense_tflops");
                                dense_tflops.push((
                                    p,
                                    ctx.params.push(ParamInfo {
                                        path: format!("{}.dense_tflops.{}", r.path, e.key),
                                        unit: "TFLOPS",
                                        low,
                                        base,
                                        high,
                                        ranged,
                                        origin: e.node.origin.clone(),
                                        source: r.prov.source.clone(),
                                        as_of: r.prov.as_of.clone(),
                                        estimate,
                                        conversion: None,
                                    }),
                                ));
                                r.numbers += 1;
                            }
                        }
                        None => {
                            let hint = match did_you_mean(&e.key, Precision::NAMES) {
                                Some(m) => format!("did you mean `{m}`? precisions: {}", Precision::NAMES.join(", ")),
                                None => format!("precisions: {}", Precision::NAMES.join(", ")),
                            };
                            ctx.diags.err(
                                &e.key_origin,
                                format!("unknown precision `{}` in dense_tflops of {what}", e.key),
                                &hint,
                            );
                        }
                    }
                }
                if dt.entries.is_empty() {
                    ctx.diags.err(
                        &n.origin,
                        format!("dense_tflops of {} is empty", r.what),
                        "e.g. dense_tflops = { bf16 = 989 }",
                    );
                }
            }
        }
        None => r.missing(
            "dense_tflops",
            "e.g. dense_tflops = { bf16 = 989, fp8 = 1979 } (dense, not sparse)",
            ctx,
        ),
    }
    let memory_gb = r.num_either(("memory_gb", "memory_gib"), GIB, Check::Positive, "GB", ctx);
    let memory_tb_per_s = r.num_either(("memory_tb_per_s", "memory_gib_per_s"), GIB / 1000.0, Check::Positive, "TB/s", ctx);
    let power_w = r.num_req("power_w", Check::Positive, "W", ctx);

    let cloud = r.sub("cloud", "[accelerator.cloud]", ctx).map(|mut c| {
        c.what = format!("[accelerator.cloud] of `{id}`");
        let on_demand = c.num_opt("on_demand_usd_per_chip_hour", Check::Positive, "USD/chip-hour", ctx);
        let committed = c.num_opt("committed_usd_per_chip_hour", Check::Positive, "USD/chip-hour", ctx);
        let instance = c.str_opt("instance", ctx);
        Cloud {
            on_demand,
            committed,
            instance,
            prov: c.finish(ctx),
        }
    });
    let owned = r.sub("owned", "[accelerator.owned]", ctx).map(|mut o| {
        o.what = format!("[accelerator.owned] of `{id}`");
        let chip_usd = o.num_req("chip_usd", Check::Positive, "USD", ctx);
        let system_overhead = o.num_opt("system_overhead", Check::NonNegative, "share of chip_usd", ctx);
        let vendor_gross_margin = o.num_opt("vendor_gross_margin", Check::Share, "share of chip_usd", ctx);
        Owned {
            chip_usd,
            system_overhead,
            vendor_gross_margin,
            prov: o.finish(ctx),
        }
    });
    let efficiency = match r.sub("efficiency", "[accelerator.efficiency]", ctx) {
        Some(mut e) => {
            e.what = format!("[accelerator.efficiency] of `{id}`");
            let training_mfu = e.num_opt("training_mfu", Check::Fraction, "share of dense peak", ctx);
            let prefill_mfu = e.num_req("prefill_mfu", Check::Fraction, "share of dense peak", ctx);
            let decode_mfu = e.num_req("decode_mfu", Check::Fraction, "share of dense peak", ctx);
            let decode_mbu = e.num_req("decode_mbu", Check::Fraction, "share of memory bandwidth", ctx);
            Efficiency {
                training_mfu,
                prefill_mfu,
                decode_mfu,
                decode_mbu,
                prov: e.finish(ctx),
            }
        }
        None => {
            if t.get("efficiency").is_none() {
                r.missing(
                    "[accelerator.efficiency]",
                    "add training_mfu, prefill_mfu, decode_mfu, decode_mbu",
                    ctx,
                );
            }
            Efficiency {
                training_mfu: None,
                prefill_mfu: placeholder(ctx),
                decode_mfu: placeholder(ctx),
                decode_mbu: placeholder(ctx),
                prov: Provenance::default(),
            }
        }
    };
    let prov = r.finish(ctx);
    Accelerator {
        id,
        name,
        family,
        vendor,
        year,
        dense_tflops,
        memory_gb,
        memory_tb_per_s,
        power_w,
        cloud,
        owned,
        efficiency,
        prov,
    }
}

fn read_precision(r: &mut Reader<'_>, key: &'static str, ctx: &mut Ctx) -> Option<Precision> {
    if r.table.get(key).is_none() {
        r.known.push(key);
        return None;
    }
    r.choice(key, &Precision::NAMES, Precision::parse, ctx)
}

fn active_params(r: &mut Reader<'_>, params_b: Param, ctx: &mut Ctx) -> Param {
    let origin = r.table.get("active_params_b").map(|n| n.origin.clone());
    match r.num_opt("active_params_b", Check::Positive, "billion parameters", ctx) {
        Some(a) => {
            let (ai, pi) = (ctx.params.info(a), ctx.params.info(params_b));
            if ai.base > pi.base || ai.high > pi.high {
                let msg = if ai.base > pi.base {
                    format!(
                        "active_params_b ({}) is larger than params_b ({}) in {}",
                        show(ai.base),
                        show(pi.base),
                        r.what
                    )
                } else {
                    format!(
                        "active_params_b's high ({}) is larger than params_b's high ({}) in {}",
                        show(ai.high),
                        show(pi.high),
                        r.what
                    )
                };
                ctx.diags.err(
                    &origin.unwrap_or(Origin::Default),
                    msg,
                    "active parameters are the ones a token uses: at most the total",
                );
            }
            a
        }
        None => params_b,
    }
}

fn training(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Training {
    let mut r = Reader::new(t, origin, "training".into(), "[[training]]".into(), ctx);
    let id = read_id(&mut r, "training", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    let params_b = r.num_req("params_b", Check::Positive, "billion parameters", ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let tokens_t = r.num_req("tokens_t", Check::Positive, "trillion tokens", ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or_else(|| {
        if t.get("precision").is_none() {
            r.missing("precision", "e.g. precision = \"bf16\"", ctx);
        }
        Precision::Bf16
    });
    let chips = r.int_opt("chips", 1, 100_000_000, ctx).map(|c| c as u64);
    let flops = r.num_opt("flops", Check::Positive, "FLOP", ctx);
    Training {
        id,
        name,
        params_b,
        active_params_b,
        tokens_t,
        precision,
        chips,
        flops,
        prov: r.finish(ctx),
    }
}

fn inference(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Inference {
    let mut r = Reader::new(t, origin.clone(), "inference".into(), "[[inference]]".into(), ctx);
    let id = read_id(&mut r, "inference", seen, ctx);
    let name = r.str_opt("name", ctx).unwrap_or_else(|| id.clone());
    let params_b = r.num_req("params_b", Check::Positive, "billion parameters", ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or_else(|| {
        if t.get("precision").is_none() {
            r.missing("precision", "e.g. precision = \"fp8\"", ctx);
        }
        Precision::Bf16
    });
    let kv_precision = read_precision(&mut r, "kv_precision", ctx).unwrap_or(precision);
    let kv = match r.num_opt("kv_bytes_per_token", Check::Positive, "bytes/token", ctx) {
        Some(b) => {
            for k in ["layers", "kv_heads", "head_dim"] {
                if let Some(n) = t.get(k) {
                    ctx.diags.err(
                        &n.origin,
                        format!("{} gives both kv_bytes_per_token and `{k}`", r.what),
                        "give either kv_bytes_per_token or layers, kv_heads and head_dim",
                    );
                }
            }
            r.known.extend(["layers", "kv_heads", "head_dim"]);
            KvSize::BytesPerToken(b)
        }
        None => KvSize::Shape {
            layers: r.int_req("layers", 1, 10_000, ctx) as u64,
            kv_heads: r.int_req("kv_heads", 1, 10_000, ctx) as u64,
            head_dim: r.int_req("head_dim", 1, 100_000, ctx) as u64,
        },
    };
    let input_tokens = r.num_req("input_tokens", Check::Positive, "tokens", ctx);
    let output_tokens = r.num_req("output_tokens", Check::Positive, "tokens", ctx);
    let batch = r.num_req("batch", Check::Positive, "sequences", ctx);
    let chips_per_replica = r.int_opt("chips_per_replica", 1, 1_000_000, ctx).map(|c| c as u64);
    let utilization = r.num_req("utilization", Check::Fraction, "share of paid hours", ctx);
    Inference {
        id,
        name,
        params_b,
        active_params_b,
        precision,
        kv_precision,
        kv,
        input_tokens,
        output_tokens,
        batch,
        chips_per_replica,
        utilization,
        prov: r.finish(ctx),
    }
}

fn measured(t: &Table, origin: Origin, ctx: &mut Ctx) -> Measured {
    let mut r = Reader::new(t, origin, "measured".into(), "[[measured]]".into(), ctx);
    let workload_origin = t.get("workload").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let accelerator_origin = t.get("accelerator").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let workload = r.str_req("workload", "the id of an [[inference]] workload", ctx);
    let accelerator = r.str_req("accelerator", "the id of an [[accelerator]]", ctx);
    let or_q = |s: &str| if s.is_empty() { "?".to_string() } else { s.to_string() };
    r.path = format!("measured.{}.{}", or_q(&workload), or_q(&accelerator));
    r.what = format!("[[measured]] {} on {}", or_q(&workload), or_q(&accelerator));
    let output_tokens_per_s_per_chip = r.num_req("output_tokens_per_s_per_chip", Check::Positive, "tokens/s/chip", ctx);
    Measured {
        workload,
        accelerator,
        workload_origin,
        accelerator_origin,
        output_tokens_per_s_per_chip,
        prov: r.finish(ctx),
    }
}

fn calibration(t: &Table, origin: Origin, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Calibration {
    let mut r = Reader::new(t, origin, "calibration".into(), "[[calibration]]".into(), ctx);
    let id = read_id(&mut r, "calibration", seen, ctx);
    let accelerator_origin = t.get("accelerator").map_or_else(|| r.origin.clone(), |n| n.origin.clone());
    let accelerator = r.str_req("accelerator", "the id of the [[accelerator]] the run used", ctx);
    let params_b = r.num_req("params_b", Check::Positive, "billion parameters", ctx);
    let active_params_b = active_params(&mut r, params_b, ctx);
    let tokens_t = r.num_req("tokens_t", Check::Positive, "trillion tokens", ctx);
    let precision = read_precision(&mut r, "precision", ctx).unwrap_or(Precision::Bf16);
    let flops = r.num_opt("flops", Check::Positive, "FLOP", ctx);
    let reported_chip_hours = r.num_req("reported_chip_hours", Check::Positive, "chip-hours", ctx);
    Calibration {
        id,
        accelerator,
        accelerator_origin,
        params_b,
        active_params_b,
        tokens_t,
        precision,
        flops,
        reported_chip_hours,
        prov: r.finish(ctx),
    }
}

/// A plain (not ranged) positive number of a report setting.
fn plain(r: &mut Reader<'_>, key: &'static str, default: f64, ctx: &mut Ctx) -> f64 {
    let Some(n) = r.node(key) else { return default };
    let what = r.what.clone();
    match &n.value {
        Value::Table(_) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {what} must be a single number"),
                "report settings take no ranges",
            );
            default
        }
        _ => read_number(n, key, &what, Check::Positive, ctx).map_or(default, |v| v.1),
    }
}

fn pair(r: &mut Reader<'_>, key: &'static str, default: (f64, f64), ctx: &mut Ctx) -> (f64, f64) {
    let Some(n) = r.node(key) else { return default };
    let vals: Option<Vec<f64>> = match &n.value {
        Value::Array(items) => items.iter().map(|i| as_f64(&i.value)).collect(),
        _ => None,
    };
    match vals.as_deref() {
        Some(&[a, b]) if a.is_finite() && b.is_finite() && a > 0.0 && a < b => (a, b),
        _ => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` in {} must be [from, to] with 0 < from < to", r.what),
                &format!("e.g. {key} = [1, 2000]"),
            );
            default
        }
    }
}

fn report(node: Option<&Node>, ctx: &mut Ctx) -> (Report, Vec<(String, Origin)>) {
    let empty = Table::default();
    let (table, origin) = match node {
        Some(n) => (table_of(n, "[report]", ctx).unwrap_or(&empty), n.origin.clone()),
        None => (&empty, Origin::Default),
    };
    let mut refs = Vec::new();
    let mut r = Reader::new(table, origin, "report".into(), "[report]".into(), ctx);
    let title = r.str_opt("title", ctx).unwrap_or_else(|| "The compute cost revolution".into());
    let mut accelerators = Vec::new();
    if let Some(n) = r.node("accelerators") {
        match &n.value {
            Value::Array(items) => {
                for i in items {
                    match &i.value {
                        Value::Str(s) => {
                            accelerators.push(s.clone());
                            refs.push((format!("accelerator:{s}"), i.origin.clone()));
                        }
                        v => ctx
                            .diags
                            .err(&i.origin, format!("report.accelerators lists ids, found {}", v.type_name()), ""),
                    }
                }
            }
            v => ctx.diags.err(
                &n.origin,
                format!("report.accelerators must be an array of ids, found {}", v.type_name()),
                "e.g. accelerators = [\"h100-sxm\", \"trn2\"]",
            ),
        }
    }
    let mut ref_str = |r: &mut Reader<'_>, key: &'static str, kind: &str, ctx: &mut Ctx| -> Option<String> {
        let origin = r.table.get(key).map(|n| n.origin.clone());
        let s = r.str_opt(key, ctx)?;
        refs.push((format!("{kind}:{s}"), origin.unwrap_or(Origin::Default)));
        Some(s)
    };
    let reference = ref_str(&mut r, "reference", "accelerator", ctx);
    let inference_workload = ref_str(&mut r, "inference_workload", "inference", ctx);
    let training_workload = ref_str(&mut r, "training_workload", "training", ctx);
    let tornado_accelerator = ref_str(&mut r, "tornado_accelerator", "accelerator", ctx);
    let fleet_budget_usd = plain(&mut r, "fleet_budget_usd", 1e9, ctx);
    // Epoch AI, "Trends in GPU price-performance": ML GPUs double every 2.07 years.
    let doubling = plain(&mut r, "price_performance_doubling_years", 2.07, ctx);
    let max_chips_per_replica = r.int_opt("max_chips_per_replica", 1, 1_000_000, ctx).unwrap_or(64) as u64;
    let use_measured = match r.node("use_measured") {
        None => true,
        Some(Node { value: Value::Bool(b), .. }) => *b,
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`use_measured` in [report] must be true or false, found {}", n.value.type_name()),
                "e.g. use_measured = false",
            );
            true
        }
    };
    let (mut params_range, mut tpp, mut batch_range) = ((1.0, 2000.0), 20.0, (1.0, 512.0));
    if let Some(mut s) = r.sub("training_sweep", "report.training_sweep", ctx) {
        params_range = pair(&mut s, "params_b", params_range, ctx);
        tpp = plain(&mut s, "tokens_per_param", tpp, ctx);
        s.finish(ctx);
    }
    if let Some(mut s) = r.sub("inference_sweep", "report.inference_sweep", ctx) {
        batch_range = pair(&mut s, "batch", batch_range, ctx);
        s.finish(ctx);
    }
    let (mut samples, mut seed) = (2000, 42);
    if let Some(mut s) = r.sub("monte_carlo", "report.monte_carlo", ctx) {
        samples = s.int_opt("samples", 1, 1_000_000, ctx).unwrap_or(samples as i64) as u32;
        seed = s.int_opt("seed", 0, i64::MAX, ctx).unwrap_or(seed as i64) as u64;
        s.finish(ctx);
    }
    r.finish(ctx);
    (
        Report {
            title,
            accelerators,
            reference: reference.unwrap_or_default(),
            training_sweep_params_b: params_range,
            tokens_per_param: tpp,
            inference_sweep_batch: batch_range,
            inference_workload,
            training_workload,
            fleet_budget_usd,
            samples,
            seed,
            tornado_accelerator,
            price_performance_doubling_years: doubling,
            max_chips_per_replica,
            use_measured,
        },
        refs,
    )
}

/// Items of one root list, each a table with its origin.
fn list_items<'t>(root: &'t Table, key: &str, ctx: &mut Ctx) -> Vec<(&'t Table, Origin)> {
    match root.get(key) {
        None => Vec::new(),
        Some(Node {
            value: Value::Array(items),
            ..
        }) => items
            .iter()
            .filter_map(|n| table_of(n, &format!("each [[{key}]] entry"), ctx).map(|t| (t, n.origin.clone())))
            .collect(),
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`{key}` must be a list of tables, found {}", n.value.type_name()),
                &format!("write each entry under its own [[{key}]] header"),
            );
            Vec::new()
        }
    }
}

/// Validates the merged tree. Returns the config, or every error found.
pub(super) fn validate(root: &Table, ctx: &mut Ctx) -> Option<ConfigParts> {
    let known: Vec<&str> = LIST_KEYS.iter().copied().chain(["economics", "report"]).collect();
    for e in &root.entries {
        if !known.contains(&e.key.as_str()) {
            let hint = suggest(&e.key, known.iter().copied(), || {
                format!(
                    "top-level keys: [economics], [report], {}",
                    LIST_KEYS.map(|k| format!("[[{k}]]")).join(", ")
                )
            });
            ctx.diags.err(&e.key_origin, format!("unknown top-level key `{}`", e.key), &hint);
        }
    }
    let economics = economics(root.get("economics"), ctx);
    let mut seen = HashMap::new();
    let accelerators: Vec<Accelerator> = list_items(root, "accelerator", ctx)
        .into_iter()
        .map(|(t, o)| accelerator(t, o, &mut seen, ctx))
        .collect();
    let mut seen = HashMap::new();
    let training: Vec<Training> = list_items(root, "training", ctx)
        .into_iter()
        .map(|(t, o)| training(t, o, &mut seen, ctx))
        .collect();
    let mut seen = HashMap::new();
    let inference: Vec<Inference> = list_items(root, "inference", ctx)
        .into_iter()
        .map(|(t, o)| inference(t, o, &mut seen, ctx))
        .collect();
    let measured: Vec<Measured> = list_items(root, "measured", ctx)
        .into_iter()
        .map(|(t, o)| measured(t, o, ctx))
        .collect();
    let mut seen = HashMap::new();
    let calibration: Vec<Calibration> = list_items(root, "calibration", ctx)
        .into_iter()
        .map(|(t, o)| calibration(t, o, &mut seen, ctx))
        .collect();
    let (mut report, mut refs) = report(root.get("report"), ctx);

    // Dangling references.
    for m in &measured {
        refs.push((format!("inference:{}", m.workload), m.workload_origin.clone()));
        refs.push((format!("accelerator:{}", m.accelerator), m.accelerator_origin.clone()));
    }
    for c in &calibration {
        refs.push((format!("accelerator:{}", c.accelerator), c.accelerator_origin.clone()));
    }
    for (r, origin) in refs {
        let Some((kind, id)) = r.split_once(':') else {
            continue;
        };
        let ids: Vec<&str> = match kind {
            "accelerator" => accelerators.iter().map(|a| a.id.as_str()).collect(),
            "training" => training.iter().map(|w| w.id.as_str()).collect(),
            _ => inference.iter().map(|w| w.id.as_str()).collect(),
        };
        if !ids.contains(&id) {
            let hint = match did_you_mean(id, ids.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None if ids.is_empty() => format!("no [[{kind}]] entries are loaded"),
                None => format!("known {kind} ids: {}", ids.join(", ")),
            };
            ctx.diags.err(&origin, format!("unknown {kind} id `{id}`"), &hint);
        }
    }

    // Defaults that depend on what was loaded.
    if report.accelerators.is_empty() {
        report.accelerators = accelerators.iter().map(|a| a.id.clone()).collect();
    }
    if report.reference.is_empty() {
        report.reference = accelerators
            .iter()
            .find(|a| a.id == "h100-sxm")
            .or_else(|| accelerators.iter().find(|a| a.family == Family::Gpu))
            .or(accelerators.first())
            .map(|a| a.id.clone())
            .unwrap_or_default();
    }
    if report.training_workload.is_none() {
        report.training_workload = training.first().map(|w| w.id.clone());
    }
    if report.inference_workload.is_none() {
        report.inference_workload = inference.first().map(|w| w.id.clone());
    }
    if accelerators.is_empty() && !ctx.diags.has_errors() {
        let origin = match ctx.files.as_slice() {
            [one] => Origin::File {
                file: one.as_str().into(),
                line: 1,
                col: 1,
            },
            _ => Origin::Default,
        };
        ctx.diags.err(
            &origin,
            format!("no [[accelerator]] entries were loaded from {}", ctx.files.join(", ")),
            "point --config at a folder with accelerator files, or run `accel-cost init DIR`",
        );
    }
    if ctx.diags.has_errors() {
        return None;
    }
    Some(ConfigParts {
        economics,
        accelerators,
        training,
        inference,
        measured,
        calibration,
        report,
    })
}

pub(super) struct ConfigParts {
    pub economics: Economics,
    pub accelerators: Vec<Accelerator>,
    pub training: Vec<Training>,
    pub inference: Vec<Inference>,
    pub measured: Vec<Measured>,
    pub calibration: Vec<Calibration>,
    pub report: Report,
}
