//! `[[accelerator.offer]]` (and the v1 `[accelerator.cloud]`): one price of one chip, who sells
//! it, on what term. Declarations, the validated struct, its reader, and the rules that weigh a
//! chip's offers against each other (superseded prices, unit slips).

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::param::{Param, Provenance};
use crate::config::reader::{Ctx, Reader, check_id, show};
use crate::config::schema::{Check, Key, Kind, TableDecl, num, text};
use crate::config::tree::{Node, Origin, Table, Value};

/// `[[accelerator.offer]]`: one price of one chip (docs/model.md "Price of one chip-hour").
pub static OFFER: TableDecl = TableDecl {
    name: "accelerator.offer",
    list: true,
    doc: "One price offer: who sells the chip-hour, on what term, at how much. `--set` addresses it as accelerator.<chip>.offer.<id>, the id being `id` or else <provider>-<term> lowercased with '-'.",
    keys: &[
        text("id", "how --set addresses the offer; default <provider>-<term>, e.g. aws-on-demand"),
        text("provider", "who sells it, e.g. \"AWS\", \"CoreWeave\"").required(),
        Key::new(
            "provider_class",
            Kind::Choice(&ProviderClass::NAMES),
            "",
            "hyperscaler | neocloud | negotiated (a planner's own price: wins for its term, marked)",
        )
        .required(),
        Key::new("term", Kind::Choice(&Term::ACCEPTED), "", "contract term of the price").required(),
        text("instance", "the instance the price is for, e.g. \"p5.48xlarge\""),
        Key::new(
            "chips_per_instance",
            Kind::Int { min: 1, max: 1_000_000 },
            "",
            "chips in the instance (divides usd_per_instance_hour)",
        ),
        num(
            "usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "price per chip-hour (or usd_per_instance_hour)",
        ),
        num(
            "usd_per_instance_hour",
            Check::Positive,
            "USD/instance-hour",
            "price per instance-hour; divided by chips_per_instance",
        ),
        text("region", "where the price applies"),
        num(
            "billing_increment_hours",
            Check::Positive,
            "hours",
            "what a run's hours round up to on this offer; default one second (1/3600) on demand, committed and spot, 24 (whole days) for a capacity block",
        ),
        Key::new("estimate", Kind::Bool, "", "true: the price is an estimate, not a quoted figure"),
        Key::new(
            "valid_from",
            Kind::Date,
            "",
            "first date the price is known to hold (e.g. the instance's launch, for a list price that did not change), not after as_of; default as_of. as_of stays the date the price was seen",
        ),
    ],
};

/// `[accelerator.cloud]`: cloud prices per chip-hour (v1; each becomes one offer).
pub static CLOUD: TableDecl = TableDecl {
    name: "accelerator.cloud",
    list: false,
    doc: "Cloud prices of one chip (v1 keys: each price becomes one [[accelerator.offer]]).",
    keys: &[
        num(
            "on_demand_usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "on-demand price per chip (instance price / chips)",
        ),
        num(
            "committed_usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "committed-use price per chip",
        ),
        text("instance", "the instance the price is for, e.g. \"p5.48xlarge (8 chips)\""),
        text("provider", "who sells it; default \"cloud\""),
        Key::new(
            "provider_class",
            Kind::Choice(&ProviderClass::NAMES),
            "",
            "class of both offers; default hyperscaler",
        ),
        text("region", "where the prices apply"),
    ],
};

/// The contract term of an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    OnDemand,
    CapacityBlock,
    Committed1y,
    Committed3y,
    Spot,
}

impl Term {
    /// The billing increment of the term when an offer declares none (hours): one second on
    /// demand, committed and spot; whole days for a capacity block (docs/model.md "Training").
    pub fn billing_increment_hours(self) -> f64 {
        match self {
            Term::CapacityBlock => 24.0,
            _ => 1.0 / 3600.0,
        }
    }

    pub const NAMES: [&'static str; 5] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "spot"];
    /// What a config may write: the names and the v1 alias `committed`.
    pub const ACCEPTED: [&'static str; 6] = ["on_demand", "capacity_block", "committed_1y", "committed_3y", "spot", "committed"];
    const ALL: [Term; 5] = [
        Term::OnDemand,
        Term::CapacityBlock,
        Term::Committed1y,
        Term::Committed3y,
        Term::Spot,
    ];

    pub fn parse(s: &str) -> Option<Term> {
        if s == "committed" {
            return Some(Term::Committed1y);
        }
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Who sells an offer: a hyperscaler (AWS, Google, Azure, Oracle), a neocloud (CoreWeave,
/// Lambda, Nebius, ...) or the planner's own negotiated price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderClass {
    Hyperscaler,
    Neocloud,
    Negotiated,
}

impl ProviderClass {
    pub const NAMES: [&'static str; 3] = ["hyperscaler", "neocloud", "negotiated"];
    const ALL: [ProviderClass; 3] = [ProviderClass::Hyperscaler, ProviderClass::Neocloud, ProviderClass::Negotiated];

    pub fn parse(s: &str) -> Option<ProviderClass> {
        Self::NAMES.iter().position(|n| *n == s).map(|i| Self::ALL[i])
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// One price of one chip: who sells it, on what term, at how much per chip-hour.
#[derive(Clone, Debug)]
pub struct Offer {
    /// `id`, or `<provider>-<term>` lowercased with '-' (how `--set` addresses it:
    /// `accelerator.<chip>.offer.<id>.usd_per_chip_hour`).
    pub id: String,
    pub provider: String,
    pub class: ProviderClass,
    pub term: Term,
    pub instance: Option<String>,
    pub chips_per_instance: Option<u64>,
    /// What a run's hours round up to (hours); `None`: the term's default (`Term::billing_increment_hours`).
    pub billing_increment_hours: Option<Param>,
    /// USD per chip-hour (an instance price is stored divided by its chips).
    pub price: Param,
    /// The base value of `price`: offers are chosen on base values, so a sampled draw never
    /// switches a chip to another market.
    pub base: f64,
    pub region: Option<String>,
    /// `estimate = true`, or the price listed in `estimates`.
    pub estimate: bool,
    /// A newer offer of the same provider, term, instance and region (its id): this one is
    /// history and is not chosen.
    pub superseded_by: Option<String>,
    /// `valid_from`: the first date ("YYYY", "YYYY-MM" or "YYYY-MM-DD") the price is known to
    /// hold; `None` when not given (the span then starts at `prov.as_of`, the date seen).
    pub valid_from: Option<String>,
    /// For a superseded offer, the date the superseding offer's price began (its `valid_from`,
    /// else its `as_of`): the end of this price's span. Derived by [`supersede`].
    pub valid_until: Option<String>,
    pub prov: Provenance,
}

impl Offer {
    /// The first date the price is known to hold: `valid_from`, else `as_of` (the date seen).
    pub fn start(&self) -> Option<&str> {
        self.valid_from.as_deref().or(self.prov.as_of.as_deref())
    }

    /// The offer as rows and `explain` show it: "AWS on_demand p5.48xlarge us-east-1 (2026-01)".
    pub fn label(&self) -> String {
        let mut s = format!("{} {}", self.provider, self.term.name());
        for x in [&self.instance, &self.region].into_iter().flatten() {
            s.push(' ');
            s.push_str(x);
        }
        if let Some(a) = &self.prov.as_of {
            s.push_str(&format!(" ({a})"));
        }
        s
    }
}

/// Reads one `[[accelerator.offer]]`.
pub(crate) fn read(t: &Table, origin: Origin, acc: &str, seen: &mut HashMap<String, Origin>, ctx: &mut Ctx) -> Option<Offer> {
    let mut r = Reader::new(t, origin.clone(), format!("accelerator.{acc}.offer"), &OFFER, ctx);
    r.what = format!("[[accelerator.offer]] of `{acc}`");
    let provider = r.str_req("provider", "e.g. provider = \"AWS\"", ctx);
    if t.get("provider_class").is_none() {
        r.missing("provider_class", "hyperscaler, neocloud or negotiated", ctx);
    }
    let class = r.choice("provider_class", ProviderClass::parse, ctx);
    if t.get("term").is_none() {
        r.missing("term", "on_demand, capacity_block, committed_1y, committed_3y or spot", ctx);
    }
    let term = r.choice("term", Term::parse, ctx);
    let id_origin = t.get("id").map_or_else(|| origin.clone(), |n| n.origin.clone());
    let id = match r.str_opt("id", ctx) {
        Some(s) => s,
        None => crate::config::tree::offer_id(t).unwrap_or_default(),
    };
    if !id.is_empty() {
        check_id(&id, &id_origin, "offer", ctx);
        if let Some(first) = seen.get(&id) {
            ctx.diags.err(
                &id_origin,
                format!("two offers of `{acc}` have the id `{id}`; the first is at {first}"),
                "offers are addressed by id (default: <provider>-<term>); give one an `id`, e.g. id = \"aws-on-demand-2025\"",
            );
        } else {
            seen.insert(id.clone(), id_origin);
        }
    }
    r.path = format!("accelerator.{acc}.offer.{id}");
    r.what = if id.is_empty() {
        format!("[[accelerator.offer]] of `{acc}` (provider {provider})")
    } else {
        format!("[[accelerator.offer]] `{id}` of `{acc}`")
    };
    let instance = r.str_opt("instance", ctx);
    let region = r.str_opt("region", ctx);
    let chips = r.int_opt("chips_per_instance", ctx).map(|c| c as u64);
    let billing_increment_hours = r.num_opt("billing_increment_hours", ctx);
    let flag_origin = t.get("estimate").map(|n| n.origin.clone());
    let flag = match r.node("estimate") {
        None => false,
        Some(Node { value: Value::Bool(b), .. }) => *b,
        Some(n) => {
            ctx.diags.err(
                &n.origin,
                format!("`estimate` in {} must be true or false, found {}", r.what, n.value.type_name()),
                "e.g. estimate = true",
            );
            false
        }
    };
    // A later file's or a `--set`'s form replaces the earlier file's other form (a planner
    // cannot remove a key): `--set ...usd_per_chip_hour=2` on an offer priced per instance.
    let (per_chip, per_inst) = (r.node("usd_per_chip_hour"), r.node("usd_per_instance_hour"));
    let (per_chip, per_inst) = r.later_wins(per_chip, per_inst);
    let price = match (per_chip, per_inst, chips) {
        (Some(n), None, _) => Some(r.register("usd_per_chip_hour", n, Check::Positive, "USD/chip-hour", 1.0, None, ctx)),
        (None, Some(n), Some(k)) => {
            let note = format!("usd_per_instance_hour / chips_per_instance ({k})");
            Some(r.register(
                "usd_per_instance_hour",
                n,
                Check::Positive,
                "USD/chip-hour",
                1.0 / k as f64,
                Some(note),
                ctx,
            ))
        }
        (None, Some(n), None) => {
            ctx.diags.err(
                &n.origin,
                format!("{} gives usd_per_instance_hour but no chips_per_instance", r.what),
                "add chips_per_instance = <chips in the instance>, or give usd_per_chip_hour",
            );
            None
        }
        (Some(_), Some(n), _) => {
            ctx.diags.err(
                &n.origin,
                format!("{} gives both usd_per_chip_hour and usd_per_instance_hour", r.what),
                "keep one of them",
            );
            None
        }
        (None, None, _) => {
            r.missing(
                "usd_per_chip_hour",
                "add usd_per_chip_hour = <USD> or usd_per_instance_hour with chips_per_instance",
                ctx,
            );
            None
        }
    };
    if let (Some(p), true, Some(flag_at)) = (price, flag, &flag_origin) {
        // A price from `--set` or a later file's patch is the planner's own: the file's
        // `estimate = true` described the price it replaced.
        let at = &ctx.params.infos[p.0].origin;
        // A planner's own `--set ...estimate=true` marks whatever price the offer has.
        let marks = match (at, flag_at) {
            (Origin::Set(_), _) => flag_at == at,
            (_, Origin::Set(_)) => true,
            _ => t.layer_of(at) == t.layer_of(flag_at),
        };
        if marks {
            ctx.params.infos[p.0].estimate = true;
        }
    }
    if class == Some(ProviderClass::Negotiated) {
        // A planner's own price is a single number by nature: no "give a range" warning.
        r.single_numbers_ok();
    }
    let valid_from = read_valid_from(&mut r, ctx);
    let what = r.what.clone();
    let prov = r.finish(ctx);
    if let (Some(from), Some(seen)) = (&valid_from, prov.as_of.as_deref())
        && after(from, seen)
        && let Some(n) = t.get("valid_from")
    {
        ctx.diags.err(
            &n.origin,
            format!("`valid_from` of {what} is {from}, after its as_of {seen}: a price's span starts no later than the date it was seen"),
            "valid_from is the first date the price is known to hold (e.g. the launch date), as_of the date it was seen: swapped?",
        );
    }
    let (class, term, price) = (class?, term?, price?);
    let info = ctx.params.info(price);
    Some(Offer {
        id,
        provider,
        class,
        term,
        instance,
        chips_per_instance: chips,
        billing_increment_hours,
        price,
        base: info.base,
        region,
        estimate: info.estimate,
        superseded_by: None,
        valid_from,
        valid_until: None,
        prov,
    })
}

/// Whether date `a` is after date `b`, each "YYYY", "YYYY-MM" or "YYYY-MM-DD", compared at
/// the coarser of the two precisions ("2025-06-15" is not after "2025-06").
fn after(a: &str, b: &str) -> bool {
    let n = a.len().min(b.len());
    a[..n] > b[..n]
}

/// `valid_from`: a real calendar date, else a located error (`None`).
fn read_valid_from(r: &mut Reader<'_>, ctx: &mut Ctx) -> Option<String> {
    let n = r.node("valid_from")?;
    let s = match &n.value {
        Value::Str(s) | Value::Datetime(s) => s.clone(),
        v => {
            ctx.diags.err(
                &n.origin,
                format!("`valid_from` in {} must be a date string, found {}", r.what, v.type_name()),
                "write \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. valid_from = \"2023-07-26\"",
            );
            return None;
        }
    };
    if let Err(why) = crate::config::reader::check_date(&s) {
        ctx.diags.err(
            &n.origin,
            format!("`valid_from` in {} is \"{s}\", not a date: {why}", r.what),
            "write a real calendar date as \"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. valid_from = \"2023-07-26\"",
        );
        return None;
    }
    Some(s)
}

/// Marks public offers that a newer one of the same provider, term, instance and region
/// replaces (old and new prices both stay in the config; only the newest is chosen).
pub(crate) fn supersede(offers: &mut [Offer]) {
    let key = |o: &Offer| {
        (
            o.provider.to_lowercase(),
            o.term,
            o.instance.clone().unwrap_or_default(),
            o.region.clone().unwrap_or_default(),
        )
    };
    for i in 0..offers.len() {
        if offers[i].class == ProviderClass::Negotiated {
            continue;
        }
        let date = offers[i].prov.as_of.clone().unwrap_or_else(|| Arc::from(""));
        let newer = offers
            .iter()
            .filter(|o| o.class != ProviderClass::Negotiated && key(o) == key(&offers[i]))
            .filter(|o| o.prov.as_of.as_deref().unwrap_or("") > &*date)
            .max_by(|a, b| a.prov.as_of.cmp(&b.prov.as_of))
            .map(|o| o.id.clone());
        // The span ends where the next price of the same provider, term, instance and region
        // begins: the earliest start among the newer offers.
        let until = offers
            .iter()
            .filter(|o| o.class != ProviderClass::Negotiated && key(o) == key(&offers[i]))
            .filter(|o| o.prov.as_of.as_deref().unwrap_or("") > &*date)
            .filter_map(|o| o.start().map(str::to_string))
            .min();
        offers[i].superseded_by = newer;
        offers[i].valid_until = until;
    }
}

/// Plausibility of prices (docs/config.md "Validation"): warnings, each naming the likely slip.
///
/// Besides the fixed bounds, a price is weighed against the chip's other offers (their
/// per-chip base prices: the cheapest `lo`, the dearest `hi`, and `m`, the lower median, which
/// one odd offer cannot drag):
/// - a negotiated per-chip price above `2 hi` whose hundredth lies in `[lo / 2, 3 m]`: a price
///   in cents;
/// - an instance price (`chips_per_instance` k >= 4) whose per-chip price is under `lo / 2`
///   while the instance price as typed lies in `[lo / 2, 3 m]`: the per-chip price typed as the
///   instance price. With k >= 4 the two readings differ at least 4x; the shipped offers
///   (spot at a third of on-demand, k = 2 instances) stay clear of both rules.
///
/// A warning is about the odd value, never about an offer that only looks odd next to another
/// odd one: an offer found odd is weighed again without the other offers found odd, and warned
/// about only if it still is (a planner's price in cents does not make the shipped spot offer
/// look like a per-chip price typed as the instance price).
pub(crate) fn offer_plausibility(acc: &str, offers: &[Offer], ctx: &mut Ctx) {
    let none = vec![false; offers.len()];
    let odd: Vec<bool> = (0..offers.len())
        .map(|n| offer_slip(acc, offers, n, &none, ctx).is_some())
        .collect();
    for n in 0..offers.len() {
        if !odd[n] {
            continue;
        }
        let mut others_odd = odd.clone();
        others_odd[n] = false;
        if let Some((origin, message)) = offer_slip(acc, offers, n, &others_odd, ctx) {
            ctx.diags.warn(&origin, message);
        }
    }
}

/// The likely slip of offer `n` of `offers`, weighed against the offers not `excluded`: where
/// it is and what to say.
fn offer_slip(acc: &str, offers: &[Offer], n: usize, excluded: &[bool], ctx: &Ctx) -> Option<(Origin, String)> {
    let o = &offers[n];
    let info = ctx.params.info(o.price);
    let key = info.path.rsplit('.').next().unwrap_or("usd_per_chip_hour").to_string();
    let mut others: Vec<&Offer> = offers
        .iter()
        .enumerate()
        .filter(|(m, x)| *m != n && !excluded.get(*m).copied().unwrap_or(false) && x.base.is_finite() && x.base > 0.0)
        .map(|(_, x)| x)
        .collect();
    others.sort_by(|a, b| a.base.total_cmp(&b.base));
    let cheapest = others.first().copied();
    let hi = others.last().map_or(f64::NAN, |x| x.base);
    // The lower median: with two others, the cheaper one.
    let median = others.get(others.len().saturating_sub(1) / 2).map_or(f64::NAN, |x| x.base);
    let within = |x: f64, lo: f64| x >= lo / 2.0 && x <= 3.0 * median;
    if let Some(c) = cheapest
        && o.class == ProviderClass::Negotiated
        && info.conversion.is_none()
        && o.base > 2.0 * hi
        && within(o.base / 100.0, c.base)
    {
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of negotiated offer `{}` of `{acc}` is {}, about 100 x the chip's other offers ({} to {} USD per chip-hour): a price in cents? (write {key} = {})",
                o.id,
                show(o.base),
                show(c.base),
                show(hi),
                show(o.base / 100.0)
            ),
        ));
    }
    if let (Some(c), Some(k)) = (cheapest, o.chips_per_instance)
        && info.conversion.is_some()
        && k >= 4
        && o.base < c.base / 2.0
        && within(o.base * k as f64, c.base)
    {
        let typed = o.base * k as f64;
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of offer `{}` of `{acc}` is {} for {k} chips: {} USD per chip-hour, under half the cheapest other offer of this chip (`{}`, {}): the per-chip price typed as the instance price? (write usd_per_chip_hour = {}, or usd_per_instance_hour = {})",
                o.id,
                show(typed),
                show(o.base),
                c.id,
                show(c.base),
                show(typed),
                show(typed * k as f64)
            ),
        ));
    }
    if info.high > 100.0 {
        return Some((
            info.origin.clone(),
            format!(
                "`{key}` of offer `{}` of `{acc}` gives {} USD per chip-hour, above $100/h: an instance price typed as a per-chip price? (give usd_per_instance_hour with chips_per_instance)",
                o.id,
                show(info.high)
            ),
        ));
    }
    if info.conversion.is_some() {
        return None;
    }
    for (m, other) in offers.iter().enumerate() {
        if other.id == o.id || excluded.get(m).copied().unwrap_or(false) {
            continue;
        }
        let Some(k) = other.chips_per_instance.filter(|k| *k > 1) else {
            continue;
        };
        let inst = other.base * k as f64;
        if (o.base - inst).abs() <= 1e-3 * inst {
            return Some((
                info.origin.clone(),
                format!(
                    "`{key}` of offer `{}` of `{acc}` is {}, which is {k} x the per-chip price of offer `{}` (its instance price): an instance price typed as a per-chip price?",
                    o.id,
                    show(o.base),
                    other.id
                ),
            ));
        }
    }
    // Far above every other offer of the chip (over 8 x the dearest; over 4 x when near an
    // instance's worth of another offer's per-chip price): an instance price in a per-chip
    // key. Spot at a third of on-demand, the widest shipped spread, stays clear of both.
    if let Some(c) = cheapest
        && o.base > 4.0 * hi
    {
        let near = offers
            .iter()
            .enumerate()
            .filter(|(m, _)| *m != n && !excluded.get(*m).copied().unwrap_or(false))
            .filter_map(|(_, x)| Some((x, x.chips_per_instance.filter(|k| *k > 1)?)))
            .find(|(x, k)| (o.base / (x.base * *k as f64) - 1.0).abs() <= 0.3);
        if near.is_some() || o.base > 8.0 * hi {
            let why = match near {
                Some((x, k)) => format!(", near {k} x the per-chip price of offer `{}` ({k} chips per instance)", x.id),
                None => String::new(),
            };
            return Some((
                info.origin.clone(),
                format!(
                    "`{key}` of offer `{}` of `{acc}` is {} USD per chip-hour, {} x the dearest other offer of this chip (`{}` at {}; cheapest {}){why}: an instance price in a per-chip key? (divide by the chips per instance, or write usd_per_instance_hour with chips_per_instance)",
                    o.id,
                    show(o.base),
                    show((o.base / hi * 10.0).round() / 10.0),
                    others.last().map_or("", |x| x.id.as_str()),
                    show(hi),
                    show(c.base)
                ),
            ));
        }
    }
    None
}
