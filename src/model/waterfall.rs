//! Where the decline came from: the cost per million output tokens of one fixed model (the
//! report's inference workload) from the reference chip at its launch price (hyperscaler list,
//! bf16) to today's cheapest option, one step per cause (docs/model.md "The waterfall").
//!
//! Every state is a real evaluation of the serving model ([`inference::figures`]) on one chip,
//! at one precision, at one offer's price; a step's ratio is the quotient of two states, so the
//! steps multiply to the end-to-end ratio exactly (up to rounding).

use crate::config::{Accelerator, Config, Era, Family, Inference, Offer, Precision, ProviderClass, Term};
use crate::model::inference;

/// Which offers a market step considers.
type OfferFilter<'a> = &'a dyn Fn(&Offer) -> bool;

/// One state of the waterfall: a chip at a precision at one offer's price.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct State {
    /// The cause of the step into this state ("start" for the first).
    pub cause: String,
    pub accelerator: String,
    /// Compute, weight and KV-cache precision (names in JSON).
    #[serde(serialize_with = "precision_names")]
    pub precision: [Precision; 3],
    /// The offer priced (as `explain` labels it) and its id.
    pub offer: String,
    pub offer_id: String,
    /// The date the offer's price began (`valid_from`, else `as_of`).
    pub from: Option<String>,
    /// The offer's price is an estimate.
    pub estimate: bool,
    /// USD per chip-hour.
    pub usd_per_chip_hour: f64,
    /// USD per million output tokens (the model's figure at this state).
    pub usd_per_m_output_tokens: f64,
    pub chips_per_replica: u64,
    /// The `explain` command that reproduces the state's figure (at today's cheapest offer of
    /// the state's term and market; a launch-era price scales it by the price ratio).
    pub explain: String,
}

fn precision_names<S: serde::Serializer>(p: &[Precision; 3], s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&p.map(Precision::name), s)
}

/// The waterfall: states in order, and the causes left out with why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Waterfall {
    pub workload: String,
    pub states: Vec<State>,
    pub omitted: Vec<String>,
}

impl Waterfall {
    /// Each step's ratio (state i / state i-1), with its cause.
    pub fn steps(&self) -> Vec<(&str, f64)> {
        self.states
            .windows(2)
            .map(|p| (p[1].cause.as_str(), p[1].usd_per_m_output_tokens / p[0].usd_per_m_output_tokens))
            .collect()
    }

    /// End state / start state.
    pub fn end_to_end(&self) -> f64 {
        match (self.states.first(), self.states.last()) {
            (Some(a), Some(b)) => b.usd_per_m_output_tokens / a.usd_per_m_output_tokens,
            _ => f64::NAN,
        }
    }
}

/// The precisions a chip serves at: bf16 (every weight, activation and KV in 16 bits), fp8
/// (all in 8 bits), fp4 (weights and GEMMs in 4 bits, KV cache in fp8), those it has.
fn paths(acc: &Accelerator) -> Vec<[Precision; 3]> {
    use Precision::*;
    [[Bf16, Bf16, Bf16], [Fp8, Fp8, Fp8], [Fp4, Fp4, Fp8]]
        .into_iter()
        .filter(|p| acc.tflops(p[0]).is_some())
        .collect()
}

/// Offers a planner can buy today: current (not superseded), public, on-demand or committed.
fn current(o: &Offer) -> bool {
    o.superseded_by.is_none()
        && o.class != ProviderClass::Negotiated
        && matches!(o.term, Term::OnDemand | Term::Committed1y | Term::Committed3y)
}

/// The chip's launch-era hyperscaler list price: its earliest-dated hyperscaler on-demand offer.
fn launch_offer(acc: &Accelerator) -> Option<&Offer> {
    acc.offers
        .iter()
        .filter(|o| o.term == Term::OnDemand && o.class == ProviderClass::Hyperscaler)
        .filter(|o| o.start().is_some())
        .min_by(|a, b| a.start().cmp(&b.start()).then(a.base.total_cmp(&b.base)))
}

/// The model at one state: `acc` serving `w` at precision `p`, priced at `o`.
fn evaluate(cfg: &Config, w: &Inference, acc: &Accelerator, p: [Precision; 3], o: &Offer, v: &[f64]) -> Option<(f64, u64)> {
    let w = at(w, p);
    let mut i = inference::unpriced_inputs(cfg, &w, acc, v, &mut ()).ok()?;
    i.usd_per_chip_hour = v[o.price.0];
    let f = inference::figures(&i, &mut ()).ok()?;
    (f.usd_per_m_output_tokens.is_finite() && f.meets_target).then_some((f.usd_per_m_output_tokens, f.chips_per_replica))
}

fn at(w: &Inference, p: [Precision; 3]) -> Inference {
    Inference {
        precision: p[0],
        weight_precision: p[1],
        kv_precision: p[2],
        ..w.clone()
    }
}

fn state(cfg: &Config, w: &Inference, cause: &str, acc: &Accelerator, p: [Precision; 3], o: &Offer, v: &[f64]) -> Option<State> {
    let (cost, chips) = evaluate(cfg, w, acc, p, o, v)?;
    let market = match o.class {
        ProviderClass::Neocloud => "neocloud",
        _ => "hyperscaler",
    };
    let explain = format!(
        "accel-cost explain --workload {} --accelerator {} --set inference.{}.precision={} --set inference.{}.weight_precision={} --set inference.{}.kv_precision={} --set economics.basis={} --set economics.provider_class={market}",
        w.id,
        acc.id,
        w.id,
        p[0].name(),
        w.id,
        p[1].name(),
        w.id,
        p[2].name(),
        o.term.name(),
    );
    Some(State {
        cause: cause.to_string(),
        accelerator: acc.id.clone(),
        precision: p,
        offer: o.label(),
        offer_id: o.id.clone(),
        from: o.start().map(str::to_string),
        estimate: o.estimate,
        usd_per_chip_hour: v[o.price.0],
        usd_per_m_output_tokens: cost,
        chips_per_replica: chips,
        explain,
    })
}

/// The cheapest state among `cands` (chip, precision, offer).
fn cheapest<'a>(
    cfg: &Config,
    w: &Inference,
    v: &[f64],
    cands: impl Iterator<Item = (&'a Accelerator, [Precision; 3], &'a Offer)>,
) -> Option<(&'a Accelerator, [Precision; 3], &'a Offer, f64)> {
    cands
        .filter_map(|(a, p, o)| evaluate(cfg, w, a, p, o, v).map(|(c, _)| (a, p, o, c)))
        .min_by(|x, y| x.3.total_cmp(&y.3))
}

/// The waterfall of `w` from `reference` at launch to today's cheapest option, at values `v`.
/// Causes, in order: hardware generation (the NVIDIA GPU of today's era cheapest in bf16 at its
/// own launch list price), precision bf16 -> fp8 -> fp4 (on that chip, where it has them),
/// market (today's hyperscaler list, then committed, then neocloud: the chip's cheapest current
/// offer of each), and the cheapest other chip (ASIC or AMD) when it is cheaper. Serving
/// software is left out: the configs give one efficiency set per chip, not dated ones.
/// `Err` names what is missing.
pub fn waterfall(cfg: &Config, w: &Inference, reference: &Accelerator, v: &[f64]) -> Result<Waterfall, String> {
    use Precision::*;
    let bf16 = [Bf16, Bf16, Bf16];
    let mut omitted = vec![
        "serving software (one efficiency set per chip in the configs; no dated benchmarks of one chip's older and newer software are shipped)".to_string(),
    ];
    let start_offer = launch_offer(reference).ok_or_else(|| format!("{} has no dated hyperscaler on_demand offer", reference.id))?;
    let s0 =
        state(cfg, w, "start", reference, bf16, start_offer, v).ok_or_else(|| format!("{} cannot serve {} in bf16", reference.id, w.id))?;
    let mut states = vec![s0];
    let today: Vec<&Accelerator> = cfg.accelerators.iter().filter(|a| a.era == Era::Current).collect();
    // Hardware generation: at each NVIDIA GPU's own launch list price, bf16.
    let nvidia = today
        .iter()
        .filter(|a| a.family == Family::Gpu && a.vendor.eq_ignore_ascii_case("NVIDIA"))
        .filter_map(|a| launch_offer(a).map(|o| (*a, bf16, o)));
    let (hw, _, hw_offer, _) = cheapest(cfg, w, v, nvidia).ok_or("no NVIDIA GPU serves the workload in bf16")?;
    states.extend(state(cfg, w, &format!("hardware generation ({})", hw.id), hw, bf16, hw_offer, v));
    // Precision on the same chip and price.
    let mut p = bf16;
    for (q, cause) in [
        ([Fp8, Fp8, Fp8], "precision bf16 -> fp8"),
        ([Fp4, Fp4, Fp8], "precision fp8 -> fp4"),
    ] {
        if hw.tflops(q[0]).is_none() {
            omitted.push(format!("{cause}: {} has no {}", hw.id, q[0].name()));
            continue;
        }
        if let Some(s) = state(cfg, w, cause, hw, q, hw_offer, v) {
            states.push(s);
            p = q;
        }
    }
    // Market: today's cheapest offer of each kind, same chip and precision.
    let markets: [(&str, OfferFilter); 3] = [
        ("market: today's hyperscaler list", &|o| {
            o.class == ProviderClass::Hyperscaler && o.term == Term::OnDemand
        }),
        ("market: hyperscaler committed", &|o| {
            o.class == ProviderClass::Hyperscaler && o.term != Term::OnDemand
        }),
        ("market: neocloud", &|o| o.class == ProviderClass::Neocloud),
    ];
    for (cause, keep) in markets {
        let offers = hw.offers.iter().filter(|o| current(o) && keep(o)).map(|o| (hw, p, o));
        match cheapest(cfg, w, v, offers) {
            // The state already priced at this offer: no step.
            Some((_, _, o, _)) if states.last().is_some_and(|s| s.accelerator == hw.id && s.offer_id == o.id) => {
                omitted.push(format!("{cause}: {} is already at it ({})", hw.id, o.label()))
            }
            Some((a, q, o, _)) => states.extend(state(cfg, w, cause, a, q, o, v)),
            None => omitted.push(format!("{cause}: {} has no such offer", hw.id)),
        }
    }
    // Today's cheapest option over every chip, precision and current offer.
    let all = today
        .iter()
        .flat_map(|a| paths(a).into_iter().map(move |q| (*a, q)))
        .flat_map(|(a, q)| a.offers.iter().filter(|o| current(o)).map(move |o| (a, q, o)));
    if let Some((a, q, o, c)) = cheapest(cfg, w, v, all) {
        let last = states.last().map_or(f64::INFINITY, |s| s.usd_per_m_output_tokens);
        if c < last {
            let cause = match (a.family, a.vendor.eq_ignore_ascii_case("AMD")) {
                (Family::Tpu | Family::Trainium | Family::Inferentia, _) => format!("ASIC ({})", a.id),
                (_, true) => format!("AMD GPU ({})", a.id),
                _ => format!("cheapest option ({})", a.id),
            };
            states.extend(state(cfg, w, &cause, a, q, o, v));
        } else {
            omitted.push(format!("ASIC: no chip is cheaper than {} at its cheapest market", hw.id));
        }
    }
    Ok(Waterfall {
        workload: w.id.clone(),
        states,
        omitted,
    })
}
