//! The price of one chip-hour by basis (docs/model.md "Price of one chip-hour: offers and the basis"): which
//! offer prices a chip (the policy: a negotiated offer of the basis's term first, else the
//! cheapest current offer of the market, else, with `fallback = "any"`, the nearest other
//! market, noted), and what an owned chip-hour costs.

use crate::config::{Accelerator, Basis, Economics, Offer, Origin, Param, ProviderClass, Term};

use super::Skip;
use super::trace::{Trace, d, get};

/// The price an accelerator gets on a basis: an offer (with a note when it is not of the
/// basis's market), or its owned cost; `Missing` when it has none.
#[derive(Clone, Debug)]
pub enum PriceChoice<'a> {
    Offer { offer: &'a Offer, note: Option<String> },
    Owned { note: Option<String> },
    Missing,
}

impl Accelerator {
    /// The price this chip gets under `econ` (docs/model.md "Price of one chip-hour"): a negotiated
    /// offer of the basis's term wins; else the cheapest current offer of that term in the
    /// market; else, with `fallback = "any"`, the nearest other market, noted; else `Missing`.
    pub fn price_choice(&self, econ: &Economics) -> PriceChoice<'_> {
        self.price_choice_on(econ, econ.basis)
    }

    /// [`Self::price_choice`] on another basis than the config's.
    pub fn price_choice_on(&self, econ: &Economics, basis: Basis) -> PriceChoice<'_> {
        let cheapest = |f: &dyn Fn(&Offer) -> bool| -> Option<&Offer> {
            self.offers
                .iter()
                .filter(|o| o.superseded_by.is_none() && f(o))
                .min_by(|a, b| a.base.total_cmp(&b.base))
        };
        let Some(term) = basis.term() else {
            if self.owned.is_some() {
                return PriceChoice::Owned { note: None };
            }
            if econ.fallback {
                let alt = cheapest(&|o| o.term == Term::OnDemand && econ.market.admits(o.class))
                    .or_else(|| cheapest(&|o| o.term == Term::OnDemand));
                if let Some(o) = alt {
                    let note = format!(
                        "{} has no owned price (chip_usd): priced from {} ({})",
                        self.id,
                        o.label(),
                        o.class.name()
                    );
                    return PriceChoice::Offer {
                        offer: o,
                        note: Some(note),
                    };
                }
            }
            return PriceChoice::Missing;
        };
        if let Some(o) = cheapest(&|o| o.term == term && o.class == ProviderClass::Negotiated) {
            let note = format!("negotiated price: {}", o.label());
            return PriceChoice::Offer {
                offer: o,
                note: Some(note),
            };
        }
        if let Some(o) = cheapest(&|o| o.term == term && econ.market.admits(o.class)) {
            return PriceChoice::Offer { offer: o, note: None };
        }
        if !econ.fallback {
            return PriceChoice::Missing;
        }
        // Stay in the market on the other terms first (a hyperscaler's capacity block is closer
        // to its on-demand list than a neocloud's price is), then any public class.
        let terms = [Term::OnDemand, Term::CapacityBlock, Term::Committed1y, Term::Committed3y];
        let public = |o: &Offer| o.class != ProviderClass::Negotiated;
        let alt = terms
            .iter()
            .filter(|t| **t != term)
            .find_map(|t| cheapest(&|o| o.term == *t && econ.market.admits(o.class)))
            .or_else(|| cheapest(&|o| o.term == term && public(o)))
            .or_else(|| {
                terms
                    .iter()
                    .filter(|t| **t != term)
                    .find_map(|t| cheapest(&|o| o.term == *t && public(o)))
            });
        match alt {
            Some(o) => {
                let note = format!(
                    "{} has no {} {} offer: priced from {} ({})",
                    self.id,
                    econ.market.words(),
                    term.name(),
                    o.label(),
                    o.class.name()
                );
                PriceChoice::Offer {
                    offer: o,
                    note: Some(note),
                }
            }
            None => PriceChoice::Missing,
        }
    }

    /// Where this chip's price on the basis comes from (docs/model.md "Price of one chip-hour"):
    /// the basis's own market and term, a planner's negotiated offer of that term, another
    /// term or market (a fallback), or nowhere. Charts mark each kind differently, and
    /// "cheapest" is only ever a price of the basis.
    pub fn price_origin(&self, econ: &Economics) -> PriceOrigin {
        match self.price_choice(econ) {
            PriceChoice::Owned { .. } => PriceOrigin::Basis,
            PriceChoice::Offer { offer, .. } if offer.class == ProviderClass::Negotiated && Some(offer.term) == econ.basis.term() => {
                PriceOrigin::Negotiated
            }
            PriceChoice::Offer { note: Some(_), .. } => PriceOrigin::OtherTermOrMarket,
            PriceChoice::Offer { note: None, .. } => PriceOrigin::Basis,
            PriceChoice::Missing => PriceOrigin::Missing,
        }
    }

    /// The config number that sets this chip's price under `econ`: the chosen offer's price,
    /// or the chip price when owned (the rest of an owned price is economics). `None`: no price.
    pub fn price_param(&self, econ: &Economics) -> Option<Param> {
        match self.price_choice(econ) {
            PriceChoice::Offer { offer, .. } => Some(offer.price),
            PriceChoice::Owned { .. } => self.owned.as_ref().map(|o| o.chip_usd),
            PriceChoice::Missing => None,
        }
    }
}

/// Where a chip's price on the basis comes from ([`Accelerator::price_origin`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceOrigin {
    /// An offer of the basis's term and market, or the owned cost on the owned basis.
    Basis,
    /// The planner's negotiated offer of the basis's term (marked ‡ on charts).
    Negotiated,
    /// An offer of another term or market, taken by `fallback = "any"` (marked † on charts).
    OtherTermOrMarket,
    /// No price on the basis, and no fallback.
    Missing,
}

/// Owned cost of one chip-hour, split as the TCO chart stacks it (USD per chip-hour).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct OwnedBreakdown {
    /// Capital recovery of the system, less the vendor's margin.
    pub capital: f64,
    /// Capital recovery of the chip vendor's gross margin (0 when no margin is given).
    pub vendor_margin: f64,
    pub maintenance: f64,
    pub hosting: f64,
    pub energy: f64,
}

impl OwnedBreakdown {
    pub fn total(&self) -> f64 {
        self.capital + self.vendor_margin + self.maintenance + self.hosting + self.energy
    }
}

/// Capital recovery factor: the yearly payment that repays 1 USD over `years` at `rate`.
pub fn crf(rate: f64, years: f64) -> f64 {
    // 1 - (1 + r)^-L written as -expm1(-L ln(1 + r)): exact even when r * L is tiny.
    let denom = -(-years * rate.ln_1p()).exp_m1();
    if rate.abs() < 1e-12 || denom <= 0.0 {
        1.0 / years
    } else {
        rate / denom
    }
}

/// Chip power as the chip's share of whole-server draw, in kW.
pub fn power_kw(econ: &Economics, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> f64 {
    let w = get(v, acc.power_w, "chip power", t);
    let f = get(v, econ.system_power_factor, "system power factor", t);
    d(t, "power_kw", "power_w * system_power_factor / 1000", w * f / 1000.0, "kW")
}

/// Total cost of ownership per chip-hour.
pub fn owned(econ: &Economics, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<OwnedBreakdown, Skip> {
    let o = acc.owned.as_ref().ok_or(Skip::NoPrice(Basis::Owned, econ.market))?;
    let chip = get(v, o.chip_usd, "chip price", t);
    let so = get(v, o.system_overhead.unwrap_or(econ.system_overhead), "system overhead", t);
    let margin = match o.vendor_gross_margin {
        Some(m) => get(v, m, "vendor gross margin", t),
        None => 0.0,
    };
    let r = get(v, econ.cost_of_capital, "cost of capital", t);
    let years = get(v, econ.lifetime_years, "lifetime", t);
    let maint = get(v, econ.maintenance_per_year, "maintenance", t);
    let avail = get(v, econ.availability, "availability", t);
    let hosting = get(v, econ.hosting_usd_per_kw_month, "hosting", t);
    let lf = get(v, econ.load_factor, "load factor", t);
    let pue = get(v, econ.pue, "PUE", t);
    let elec = get(v, econ.electricity_usd_per_kwh, "electricity", t);
    let kw = power_kw(econ, acc, v, t);

    let capex = d(t, "capex", "chip_usd * (1 + system_overhead)", chip * (1.0 + so), "USD");
    let crf = d(t, "crf", "r / (1 - (1 + r)^-L)", crf(r, years), "per year");
    let hours = d(t, "usable hours per year", "8760 * availability", 8760.0 * avail, "h");
    let capital_all = d(t, "capital", "capex * crf / usable hours", capex * crf / hours, "USD/chip-hour");
    let vendor_margin = d(
        t,
        "of which vendor margin",
        "chip_usd * vendor_gross_margin * crf / usable hours",
        chip * margin * crf / hours,
        "USD/chip-hour",
    );
    let maintenance = d(
        t,
        "maintenance",
        "capex * maintenance_per_year / usable hours",
        capex * maint / hours,
        "USD/chip-hour",
    );
    let hosting = d(
        t,
        "hosting",
        "power_kw * hosting_usd_per_kw_month * 12 / usable hours",
        kw * hosting * 12.0 / hours,
        "USD/chip-hour",
    );
    let energy = d(
        t,
        "energy",
        "power_kw * load_factor * pue * electricity",
        kw * lf * pue * elec,
        "USD/chip-hour",
    );
    let b = OwnedBreakdown {
        capital: capital_all - vendor_margin,
        vendor_margin,
        maintenance,
        hosting,
        energy,
    };
    d(
        t,
        "owned USD per chip-hour",
        "capital + maintenance + hosting + energy",
        b.total(),
        "USD/chip-hour",
    );
    Ok(b)
}

/// USD per chip-hour on `basis` (the chosen offer's price, or the owned cost), or why the
/// accelerator has no price there.
pub fn usd_per_chip_hour(econ: &Economics, acc: &Accelerator, basis: Basis, v: &[f64], t: &mut impl Trace) -> Result<f64, Skip> {
    match acc.price_choice_on(econ, basis) {
        PriceChoice::Owned { .. } => owned(econ, acc, v, t).map(|b| b.total()),
        PriceChoice::Offer { offer, note } => {
            if t.enabled() {
                let why = match &note {
                    Some(n) => n.clone(),
                    None => format!(
                        "cheapest current {} {} offer of {} on basis {}",
                        econ.market.words(),
                        offer.term.name(),
                        acc.id,
                        basis.name()
                    ),
                };
                // Config text is escaped here: a note's line breaks are the model's own.
                let esc = crate::config::diag::escape;
                t.note(format!("price: {} [{}], {}", esc(&offer.label()), offer.class.name(), esc(&why)));
            }
            Ok(get(v, offer.price, "price per chip-hour", t))
        }
        PriceChoice::Missing => Err(Skip::NoPrice(basis, econ.market)),
    }
}

/// The offer a row was priced from, as every row of every command carries it (docs/cli.md shape:
/// provider, provider_class, term, instance, region, as_of, estimate; plus its id and the USD
/// per chip-hour of the offer at base). On the owned basis: provider, class and term "owned".
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OfferInfo {
    pub id: String,
    pub provider: String,
    pub provider_class: String,
    pub term: String,
    pub instance: Option<String>,
    pub region: Option<String>,
    pub as_of: Option<String>,
    pub estimate: bool,
}

impl OfferInfo {
    /// "AWS on_demand p5.48xlarge (2026-01)", for table cells and chart notes.
    pub fn short(&self) -> String {
        let mut s = format!("{} {}", self.provider, self.term);
        if let Some(i) = &self.instance {
            s.push(' ');
            s.push_str(i);
        }
        if let Some(a) = &self.as_of {
            s.push_str(&format!(" ({a})"));
        }
        s
    }
}

/// The offer `acc` is priced from under `cfg`'s basis, and its `price_note` (why the price is
/// not of the basis's market: a fallback, a negotiated price, or an owned chip price that is an
/// internal cost estimate). `None` when the chip has no price there.
///
/// A price the planner wrote over an offer of an earlier file (a `--set`, or a later file's
/// patch of the offer) is the planner's number, not the offer's: it carries a note saying so
/// ("h100-sxm price set on the command line ...", "h100-sxm price from FILE:LINE (your
/// number)"), and the date of the price, not of the offer (none for a `--set`).
pub fn offer_of(cfg: &crate::config::Config, acc: &Accelerator) -> Option<(OfferInfo, Option<String>)> {
    match acc.price_choice(&cfg.economics) {
        PriceChoice::Offer { offer, note } => {
            let price = cfg.params.info(offer.price);
            let yours = planners_price(&acc.id, &price.origin, &offer.prov.origin);
            let note = match (note, yours) {
                (Some(n), Some(y)) => Some(format!("{n}; {y}")),
                (n, y) => n.or(y),
            };
            Some((
                OfferInfo {
                    id: offer.id.clone(),
                    provider: offer.provider.clone(),
                    provider_class: offer.class.name().to_string(),
                    term: offer.term.name().to_string(),
                    instance: offer.instance.clone(),
                    region: offer.region.clone(),
                    as_of: price.as_of.as_deref().map(str::to_string),
                    estimate: offer.estimate,
                },
                note,
            ))
        }
        PriceChoice::Owned { note } => {
            let o = acc.owned.as_ref()?;
            let note = note.or_else(|| {
                acc.not_sold().then(|| {
                    format!(
                        "owned: chip_usd of {} is an internal cost estimate ({} does not sell the chip)",
                        acc.id, acc.vendor
                    )
                })
            });
            Some((
                OfferInfo {
                    id: "owned".into(),
                    provider: "owned".into(),
                    provider_class: "owned".into(),
                    term: "owned".into(),
                    instance: None,
                    region: None,
                    as_of: o.prov.as_of.as_deref().map(str::to_string),
                    estimate: cfg.params.info(o.chip_usd).estimate,
                },
                note,
            ))
        }
        PriceChoice::Missing => None,
    }
}

/// The note of a price written at `price` over an offer defined at `offer`, when the planner
/// wrote it: a `--set`, or a file other than the offer's (a patch of a shipped offer).
fn planners_price(acc: &str, price: &Origin, offer: &Origin) -> Option<String> {
    match (price, offer) {
        (Origin::Set(arg), _) => Some(format!("{acc} price set on the command line (--set {arg})")),
        (Origin::File { file, line, .. }, Origin::File { file: f, .. }) if file != f => {
            Some(format!("{acc} price from {file}:{line} (your number)"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// A chip with offers of several markets and dates, loaded through the real loader.
    fn chip(econ: &str, offers: &str) -> crate::config::Config {
        let text = format!(
            "[economics]\n{econ}\n[[accelerator]]\nid = \"c\"\nfamily = \"gpu\"\nyear = 2024\ndense_tflops = {{ bf16 = 100 }}\nmemory_gb = 80\nmemory_tb_per_s = 1\npower_w = 500\nsource = \"s\"\nas_of = \"2026-01\"\n[accelerator.efficiency]\ntraining_mfu = 0.4\nserving_mfu = 0.5\nweight_bw_eff = 0.9\nsource = \"s\"\nas_of = \"2026-01\"\n{offers}"
        );
        crate::config::load_str("c.toml", &text, &[]).unwrap_or_else(|d| panic!("{d:?}"))
    }

    fn offer(provider: &str, class: &str, term: &str, price: f64, as_of: &str, id: &str) -> String {
        format!(
            "[[accelerator.offer]]\nid = \"{id}\"\nprovider = \"{provider}\"\nprovider_class = \"{class}\"\nterm = \"{term}\"\nusd_per_chip_hour = {price}\nsource = \"s\"\nas_of = \"{as_of}\"\n"
        )
    }

    fn price(cfg: &crate::config::Config) -> Result<f64, Skip> {
        let v = cfg.params.base_values();
        usd_per_chip_hour(&cfg.economics, &cfg.accelerators[0], cfg.economics.basis, &v, &mut ())
    }

    #[test]
    fn the_basis_takes_the_cheapest_current_offer_of_its_market() {
        let offers = [
            offer("AWS", "hyperscaler", "on_demand", 6.88, "2026-01", "a"),
            offer("GCP", "hyperscaler", "on_demand", 11.06, "2026-01", "b"),
            offer("Lambda", "neocloud", "on_demand", 3.99, "2026-01", "c"),
            // Older and cheaper, same provider/term/instance/region as "e": superseded.
            offer("AWS", "hyperscaler", "capacity_block", 3.933, "2026-03", "d"),
            offer("AWS", "hyperscaler", "capacity_block", 5.191, "2026-07", "e"),
        ]
        .concat();
        // Hyperscaler on-demand: AWS 6.88 beats GCP 11.06; Lambda's 3.99 is another market.
        assert_eq!(price(&chip("basis = \"on_demand\"", &offers)), Ok(6.88));
        assert_eq!(
            price(&chip("basis = \"on_demand\"\nprovider_class = \"neocloud\"", &offers)),
            Ok(3.99)
        );
        assert_eq!(price(&chip("basis = \"on_demand\"\nprovider_class = \"any\"", &offers)), Ok(3.99));
        assert_eq!(price(&chip("basis = \"capacity_block\"", &offers)), Ok(5.191));
        // No 3-year offer: skipped with the market in the reason, or borrowed with fallback.
        let cfg = chip("basis = \"committed_3y\"", &offers);
        let skip = price(&cfg).expect_err("no 3-year offer");
        assert_eq!(skip.to_string(), "has no hyperscaler committed_3y offer");
        let cfg = chip("basis = \"committed_3y\"\nfallback = \"any\"", &offers);
        // Within the market first, terms in order: on_demand (6.88) before capacity_block.
        assert_eq!(price(&cfg), Ok(6.88));
        let note = offer_of(&cfg, &cfg.accelerators[0]).and_then(|(_, n)| n).unwrap_or_default();
        assert!(
            note.starts_with("c has no hyperscaler committed_3y offer: priced from AWS on_demand"),
            "{note}"
        );
    }

    #[test]
    fn a_negotiated_offer_wins_its_term_and_is_noted() {
        let offers = [
            offer("AWS", "hyperscaler", "committed_3y", 2.75, "2026-01", "a"),
            offer("Us", "negotiated", "committed_3y", 3.10, "2026-11", "ours"),
        ]
        .concat();
        let cfg = chip("basis = \"committed_3y\"", &offers);
        // Dearer than the public offer, and still the one used: it is what the planner pays.
        assert_eq!(price(&cfg), Ok(3.10));
        let (o, note) = offer_of(&cfg, &cfg.accelerators[0]).unwrap_or_else(|| panic!());
        assert_eq!(o.provider_class, "negotiated");
        assert!(note.is_some_and(|n| n.starts_with("negotiated price")));
        // Another term: the negotiated offer does not apply.
        assert_eq!(price(&chip("basis = \"on_demand\"", &offers)).ok(), None);
    }

    #[test]
    fn an_instance_price_is_divided_by_its_chips() {
        let o = "[[accelerator.offer]]\nprovider = \"AWS\"\nprovider_class = \"hyperscaler\"\nterm = \"on_demand\"\nchips_per_instance = 8\nusd_per_instance_hour = 55.04\nsource = \"s\"\nas_of = \"2026-01\"\n";
        // 55.04 / 8 = 6.88
        assert_relative_eq!(price(&chip("", o)).unwrap_or(f64::NAN), 6.88, max_relative = 1e-12);
    }

    #[test]
    fn crf_matches_the_annuity_formula() {
        // r = 0.08, L = 5: 0.08 / (1 - 1.08^-5) = 0.08 / (1 - 0.680583) = 0.250456
        assert_relative_eq!(crf(0.08, 5.0), 0.250_456_45, max_relative = 1e-6);
        // r = 0: straight-line, 1 / L
        assert_relative_eq!(crf(0.0, 4.0), 0.25);
        // r * L tiny: tends to 1 / L, not 0 / 0
        assert_relative_eq!(crf(3.6e-7, 1.3e-11), 1.0 / 1.3e-11, max_relative = 1e-6);
    }
}
