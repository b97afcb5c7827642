//! What every chart, the findings and summary.json read: the config, point values, Monte
//! Carlo draws, the compare tables with bands, calibration, and the model's chart data (price-
//! performance, owned TCO, fleet, tornado, break-even), each computed once. Pure: no I/O.

use crate::chart::Frame;
use crate::config::{Accelerator, Config, Family, Inference, Training};
use crate::model::Skipped;
use crate::model::calibrate::{CalibrationReport, calibrate};
use crate::model::compare::{self, Workload, WorkloadTable};
use crate::model::curves::{self, PricePerf};
use crate::model::fleet::{self, Fleet, Tco};
use crate::model::sensitivity::{self, BreakEvenMap, Tornado};
use crate::model::uncertainty::{Draws, MIN_DRAWS};

use super::charts::label;

/// Monte Carlo draws behind the shaded bands of the curves.
pub const CURVE_BAND_SAMPLES: usize = 500;

/// The report's inputs and shared results.
pub struct Context<'a> {
    pub cfg: &'a Config,
    /// Point (base) value of every config number.
    pub v: Vec<f64>,
    /// The accelerators the report draws (`report.accelerators`), in config order.
    pub accs: Vec<&'a Accelerator>,
    /// `economics.basis`, as written, with the market when it is not the default hyperscaler
    /// one ("on_demand, neocloud market"): what chart subtitles and footers say.
    pub basis: String,
    footer: String,
    /// The footer's config hash and version.
    footer_tail: String,
    /// True when some config number is a range and `report.monte_carlo.samples` is at least
    /// `MIN_DRAWS` (then there are draws and bands).
    pub any_range: bool,
    /// Monte Carlo draws of the ranged inputs the tables read (none without ranges).
    pub samples: Draws,
    /// The draws behind curve bands: the first [`CURVE_BAND_SAMPLES`] of `samples`.
    pub curve_samples: Draws,
    /// The note under a chart with bands.
    pub band_note: String,
    /// Every workload x drawn accelerator, with bands.
    pub tables: Vec<WorkloadTable>,
    pub calibration: CalibrationReport,
    pub ref_label: String,
    /// `report.training_workload` and `report.inference_workload`.
    pub tw: Option<&'a Training>,
    pub iw: Option<&'a Inference>,
    pub price_performance: (Vec<PricePerf>, Vec<Skipped>),
    pub tco: (Vec<Tco>, Vec<Skipped>),
    pub fleet: (Vec<Fleet>, Vec<Skipped>),
    /// The chip of the tornado and break-even charts (`report.tornado_accelerator`, else the
    /// cheapest non-GPU on the training workload).
    pub tornado_accelerator: Option<&'a Accelerator>,
    pub tornado: Option<Tornado>,
    /// The break-even map and the chip's price today (USD per chip-hour).
    pub break_even: Option<(BreakEvenMap, f64)>,
    /// The mark after each accelerator's label whose price is not a public price of the basis:
    /// " †" another term or market, " ‡" a negotiated price, " *" an estimate (combined).
    pub marks: Vec<(String, String)>,
    /// The key lines every chart carries naming those prices (empty when none).
    price_notes: Vec<String>,
}

impl<'a> Context<'a> {
    /// Runs the model for everything the report draws.
    pub fn new(cfg: &'a Config) -> Self {
        let v = cfg.params.base_values();
        let accs: Vec<&Accelerator> = cfg.report.accelerators.iter().filter_map(|id| cfg.accelerator(id)).collect();
        let basis = match cfg.economics.market {
            crate::config::Market::Hyperscaler => cfg.economics.basis.name().to_string(),
            m => format!("{}, {} market", cfg.economics.basis.name(), m.words()),
        };
        // Bands need ranged inputs and enough draws for a percentile to mean something.
        let any_range = cfg.params.infos.iter().any(|i| i.ranged) && cfg.report.samples as usize >= MIN_DRAWS;
        let mut tables: Vec<WorkloadTable> = Workload::all(cfg).into_iter().map(|w| compare::table(cfg, w, &accs, &v)).collect();
        // The footer: basis and market, and the span of the price dates the tables (and so the
        // charts) use, oldest to newest.
        let mut dates: Vec<&str> = tables
            .iter()
            .flat_map(|t| t.rows.iter().filter_map(|r| r.offer.as_ref()?.as_of.as_deref()))
            .collect();
        dates.sort_unstable();
        let prices = match (dates.first(), dates.last()) {
            (Some(a), Some(b)) if a != b => format!("prices as of {a} to {b}"),
            (Some(a), _) => format!("prices as of {a}"),
            _ => "prices undated".to_string(),
        };
        let footer_tail = format!("config {}  |  accel-cost {}", cfg.hash, env!("CARGO_PKG_VERSION"));
        let footer = format!(
            "basis: {}, {} market  |  {prices}  |  {footer_tail}",
            cfg.economics.basis.name(),
            cfg.economics.market.words(),
        );
        // Only the ranged inputs the drawn rows read are drawn: an input's draws do not depend
        // on which others are drawn, so this changes no band, only the work.
        let n = if any_range { cfg.report.samples as usize } else { 0 };
        let used = tables
            .iter()
            .flat_map(|t| t.rows.iter().flat_map(|r| r.ranged_inputs.iter().copied()));
        let samples = Draws::new(&cfg.params, used, n, cfg.report.seed);
        // Curve bands use the first CURVE_BAND_SAMPLES draws: a P10/P90 from 500 draws is within a
        // few percent of one from 2000, invisible on a log axis, at a quarter of the cost. Tables and
        // summary.json use every draw.
        let curve_samples = samples.first(CURVE_BAND_SAMPLES);
        let band_note = if any_range {
            if curve_samples.len() < samples.len() {
                format!(
                    "Shaded: P10–P90 over every ranged input ({} of the {} Monte Carlo draws; tables use all)",
                    curve_samples.len(),
                    samples.len()
                )
            } else {
                format!("Shaded: P10–P90 over every ranged input ({} Monte Carlo draws)", samples.len())
            }
        } else {
            String::new()
        };
        if any_range {
            compare::add_bands_all(cfg, &mut tables, &samples);
        }
        let calibration = calibrate(cfg, &v);
        let reference = cfg.accelerator(&cfg.report.reference);
        let ref_label = reference.map(label).unwrap_or_else(|| cfg.report.reference.clone());
        let tw = cfg.report.training_workload.as_deref().and_then(|id| cfg.training(id));
        let iw = cfg.report.inference_workload.as_deref().and_then(|id| cfg.inference(id));
        let price_performance = curves::price_performance(cfg, &accs, &v);
        let tco = fleet::tco(cfg, &accs, &v);
        let fleet = fleet::fleet(cfg, iw, &accs, &v, &mut ());
        let ttab = tw.and_then(|w| tables.iter().find(|t| t.id == w.id));
        let tornado_accelerator = cfg
            .report
            .tornado_accelerator
            .as_deref()
            .and_then(|id| cfg.accelerator(id))
            .or_else(|| {
                ttab.and_then(|t| {
                    t.rows
                        .iter()
                        .filter(|r| r.family != Family::Gpu)
                        .min_by(|a, b| a.figures.metric().total_cmp(&b.figures.metric()))
                        .and_then(|r| cfg.accelerator(&r.accelerator))
                })
            });
        let (mut tornado, mut break_even) = (None, None);
        if let (Some(a), Some(r), Some(w)) = (tornado_accelerator, reference, tw) {
            tornado = sensitivity::tornado(cfg, Workload::Training(w), a, r);
            if let Some(row) = ttab.and_then(|t| t.rows.iter().find(|row| row.accelerator == a.id))
                && let Some(ratio) = row.ratio_to_reference
            {
                let price = row.figures.usd_per_chip_hour();
                break_even = Some((sensitivity::break_even_map(&w.id, &a.id, &r.id, price, ratio), price));
            }
        }
        // chip_usd of chips their makers do not sell is an internal cost estimate (docs/model.md).
        let internal: Vec<&str> = accs
            .iter()
            .filter(|a| a.not_sold() && a.owned.is_some())
            .map(|a| a.id.as_str())
            .collect();
        let internal_note = (!internal.is_empty()).then(|| {
            format!(
                "chip_usd of {} is an internal cost estimate: their makers do not sell these chips",
                internal.join(", ")
            )
        });
        let owned_basis = cfg.economics.basis == crate::config::Basis::Owned;
        // One mark per kind of price that is not a public price of the basis, each with its
        // key line: † another term or market, ‡ the planner's negotiated price, * an estimate.
        use crate::model::price::PriceOrigin;
        let mut marks = Vec::new();
        let (mut borrowed, mut negotiated, mut estimated) = (Vec::new(), Vec::new(), Vec::new());
        for a in &accs {
            let Some((o, _)) = crate::model::price::offer_of(cfg, a) else {
                continue;
            };
            let mut m = String::new();
            match a.price_origin(&cfg.economics) {
                PriceOrigin::OtherTermOrMarket => {
                    m.push_str(" †");
                    let class = if o.provider_class == cfg.economics.market.words() {
                        String::new()
                    } else {
                        format!(", {}", o.provider_class)
                    };
                    borrowed.push(format!("{} ({} {}{class})", a.id, o.provider, o.term));
                }
                PriceOrigin::Negotiated => {
                    m.push_str(" ‡");
                    negotiated.push(format!("{} {} {}", a.id, o.provider, o.term));
                }
                PriceOrigin::Basis | PriceOrigin::Missing => {}
            }
            if o.estimate {
                m.push_str(" *");
                estimated.push(a.id.clone());
            }
            if !m.is_empty() {
                marks.push((a.id.clone(), m));
            }
        }
        let mut price_notes = Vec::new();
        if !borrowed.is_empty() {
            price_notes.push(format!(
                "† priced from another term or market than {} ({} market): {}",
                cfg.economics.basis.name(),
                cfg.economics.market.words(),
                borrowed.join("; ")
            ));
        }
        if !negotiated.is_empty() {
            price_notes.push(format!("‡ the planner's negotiated price: {}", negotiated.join("; ")));
        }
        if !estimated.is_empty() {
            let what = if owned_basis { "chip_usd" } else { "price" };
            price_notes.push(format!("* estimated {what}: {}", estimated.join(", ")));
        }
        if owned_basis {
            price_notes.extend(internal_note.clone());
        }
        Context {
            marks,
            price_notes,
            cfg,
            v,
            accs,
            basis,
            footer,
            footer_tail,
            any_range,
            samples,
            curve_samples,
            band_note,
            tables,
            calibration,
            ref_label,
            tw,
            iw,
            price_performance,
            tco,
            fleet,
            tornado_accelerator,
            tornado,
            break_even,
        }
    }

    /// [`Context::frame`] for a chart costed on the owned basis whatever `economics.basis` is
    /// (owned TCO, the fleet's capex): its footer says so.
    pub fn frame_owned(&self, title: String, subtitle: String, notes: Vec<String>) -> Frame {
        let mut f = self.frame(title, subtitle, notes);
        if self.cfg.economics.basis != crate::config::Basis::Owned {
            // No offer prices here: the offer marks' key does not apply.
            f.key.retain(|k| !self.price_notes.contains(k));
            // No offer prices here: chip prices and economics, dated in the configs.
            f.footer = format!(
                "basis: owned (this chart; the report's is {})  |  configs as of {}  |  {}",
                self.cfg.economics.basis.name(),
                self.cfg.as_of.as_deref().unwrap_or("(undated)"),
                self.footer_tail
            );
        }
        f
    }

    /// A chart frame with the report's footer.
    /// Notes that explain a mark or the shading ("* internal cost estimate ...", the band note)
    /// join the key, which is never cut.
    pub fn frame(&self, title: String, subtitle: String, notes: Vec<String>) -> Frame {
        let is_key = |n: &String| n.starts_with("* internal cost estimate") || (!self.band_note.is_empty() && *n == self.band_note);
        let (own_key, notes): (Vec<String>, Vec<String>) = notes.into_iter().partition(is_key);
        Frame {
            title,
            subtitle,
            footer: self.footer.clone(),
            notes,
            key: self.price_notes.iter().cloned().chain(own_key).collect(),
        }
    }

    /// The training workload and the chip the tornado and break-even charts analyse, or why
    /// there are none.
    pub fn tornado_subject(&self) -> Result<(&'a Training, &'a Accelerator), String> {
        let w = self.tw.ok_or("no training workload is loaded")?;
        let a = self
            .tornado_accelerator
            .ok_or("no accelerator to analyse (set report.tornado_accelerator)")?;
        Ok((w, a))
    }

    /// The table of the training workload of the report.
    pub fn training_table(&self) -> Option<&WorkloadTable> {
        self.tw.and_then(|w| self.tables.iter().find(|t| t.id == w.id))
    }

    /// The table of the inference workload of the report.
    pub fn inference_table(&self) -> Option<&WorkloadTable> {
        self.iw.and_then(|w| self.tables.iter().find(|t| t.id == w.id))
    }
}
