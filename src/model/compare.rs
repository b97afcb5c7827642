//! The compare table: every workload on every accelerator, the cheapest marked, ratios to the
//! reference, break-even prices and efficiencies, and (optionally) Monte Carlo bands.

use crate::config::{Accelerator, Config, Family, Inference, Param, Training};

use super::inference::{self, InferenceFigures};
use super::trace::Trace;
use super::training::{self, TrainingFigures};
use super::uncertainty::{Band, Deps, Draws, MIN_DRAWS, band, on_both_cores};
use super::{Skip, Skipped};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Training,
    Inference,
}

/// A workload of either kind.
#[derive(Clone, Copy, Debug)]
pub enum Workload<'a> {
    Training(&'a Training),
    Inference(&'a Inference),
}

impl<'a> Workload<'a> {
    pub fn find(cfg: &'a Config, id: &str) -> Option<Workload<'a>> {
        cfg.training(id)
            .map(Workload::Training)
            .or_else(|| cfg.inference(id).map(Workload::Inference))
    }

    pub fn all(cfg: &'a Config) -> Vec<Workload<'a>> {
        cfg.training
            .iter()
            .map(Workload::Training)
            .chain(cfg.served().map(Workload::Inference))
            .collect()
    }

    pub fn id(&self) -> &'a str {
        match self {
            Workload::Training(w) => &w.id,
            Workload::Inference(w) => &w.id,
        }
    }

    /// The compute precision the workload runs at.
    pub fn precision(&self) -> crate::config::Precision {
        match self {
            Workload::Training(w) => w.precision,
            Workload::Inference(w) => w.precision,
        }
    }

    pub fn name(&self) -> &'a str {
        match self {
            Workload::Training(w) => &w.name,
            Workload::Inference(w) => &w.name,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Workload::Training(_) => Kind::Training,
            Workload::Inference(_) => Kind::Inference,
        }
    }

    /// The figure tables rank by, and its unit.
    pub fn metric_name(&self) -> (&'static str, &'static str) {
        match self {
            Workload::Training(_) => ("cost_usd", "USD"),
            Workload::Inference(_) => ("usd_per_m_output_tokens", "USD per million output tokens"),
        }
    }

    pub fn estimate(&self, cfg: &Config, acc: &Accelerator, v: &[f64], t: &mut impl Trace) -> Result<Figures, Skip> {
        match self {
            Workload::Training(w) => training::estimate(cfg, w, acc, v, t).map(Figures::Training),
            Workload::Inference(w) => inference::estimate(cfg, w, acc, v, t).map(Figures::Inference),
        }
    }

    /// [`Self::estimate`] in one Monte Carlo draw, on the deployment of the point estimate
    /// `at`: a serving row keeps the replica size chosen at base values (the planner deploys
    /// one configuration; the draw varies its inputs, it does not re-plan it), so the band
    /// shows what uncertain inputs do to that deployment. Training is unchanged.
    pub fn estimate_at(&self, cfg: &Config, acc: &Accelerator, v: &[f64], at: &Figures) -> Result<Figures, Skip> {
        match (self, at) {
            (Workload::Inference(w), Figures::Inference(p)) => {
                let mut i = inference::inputs(cfg, w, acc, v, &mut ())?;
                i.chips_per_replica = Some(p.chips_per_replica);
                inference::figures(&i, &mut ()).map(Figures::Inference)
            }
            _ => self.estimate(cfg, acc, v, &mut ()),
        }
    }
}

/// The figures of one workload x accelerator; serialized flat (untagged) into a result row.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Figures {
    Training(TrainingFigures),
    Inference(InferenceFigures),
}

impl Figures {
    /// Training cost (USD) or USD per million output tokens.
    pub fn metric(&self) -> f64 {
        match self {
            Figures::Training(f) => f.cost_usd,
            Figures::Inference(f) => f.usd_per_m_output_tokens,
        }
    }

    /// What one unit of the workload costs: the training run (USD), or, for serving, USD per
    /// million tokens blended over input and output. The blend is what one request costs
    /// over its Lin + Lout tokens (prefill runs Lin / Lout tokens per output token, so
    /// Lin * input price + Lout * output price = (Lin + Lout) * blended price): ratios of it
    /// between chips are ratios of the cost of a request of the workload's shape.
    pub fn request_metric(&self) -> f64 {
        match self {
            Figures::Training(f) => f.cost_usd,
            Figures::Inference(f) => f.usd_per_m_tokens,
        }
    }

    /// The chip-hour price the figures were computed at.
    pub fn usd_per_chip_hour(&self) -> f64 {
        match self {
            Figures::Training(f) => f.usd_per_chip_hour,
            Figures::Inference(f) => f.usd_per_chip_hour,
        }
    }

    /// Every numeric figure by its JSON name (the ones that get P10/P90 keys).
    pub fn named(&self) -> Vec<(&'static str, f64)> {
        let (arr, n) = self.named_array();
        arr[..n].to_vec()
    }

    /// [`Self::named`] without allocating (Monte Carlo calls it per sample).
    pub fn named_array(&self) -> ([(&'static str, f64); 8], usize) {
        match self {
            Figures::Training(f) => {
                let w = f.wall_days.unwrap_or(f64::NAN);
                let arr = [
                    ("usd_per_chip_hour", f.usd_per_chip_hour),
                    ("chip_hours", f.chip_hours),
                    ("cost_usd", f.cost_usd),
                    ("energy_kwh", f.energy_kwh),
                    ("wall_days", w),
                    ("", 0.0),
                    ("", 0.0),
                    ("", 0.0),
                ];
                (arr, if f.wall_days.is_some() { 5 } else { 4 })
            }
            Figures::Inference(f) => (
                [
                    ("usd_per_chip_hour", f.usd_per_chip_hour),
                    ("output_tokens_per_s_per_chip", f.output_tokens_per_s_per_chip),
                    ("tokens_per_s_per_user", f.tokens_per_s_per_user),
                    ("ttft_s", f.ttft_s),
                    ("usd_per_m_input_tokens", f.usd_per_m_input_tokens),
                    ("usd_per_m_output_tokens", f.usd_per_m_output_tokens),
                    ("usd_per_m_tokens", f.usd_per_m_tokens),
                    ("batch", f.batch),
                ],
                8,
            ),
        }
    }
}

/// One accelerator's line in a workload's table.
#[derive(Clone, Debug)]
pub struct Row {
    pub accelerator: String,
    pub name: String,
    pub family: Family,
    pub figures: Figures,
    /// metric / reference's metric (absent when the reference is skipped).
    pub ratio_to_reference: Option<f64>,
    /// [`Figures::request_metric`] / the reference's: the cost of a request of the workload's
    /// shape (input and output) relative to the reference; the training cost ratio in training.
    pub request_ratio: Option<f64>,
    /// P10/P50/P90 of `request_ratio` over paired draws.
    pub request_ratio_band: Option<Band>,
    /// Share of the draws in which a request costs less here than on the reference.
    pub p_request_cheaper: Option<f64>,
    pub cheapest: bool,
    /// Chip-hour price at which this accelerator costs what the reference does.
    pub break_even_usd_per_chip_hour: Option<f64>,
    /// Multiplier on this accelerator's efficiencies at which it costs what the reference does.
    pub break_even_efficiency: Option<f64>,
    /// Ranged config numbers this row (with the reference) depends on.
    pub ranged_inputs: Vec<Param>,
    /// The ranged numbers among them that this row's own figures read (the reference's
    /// figures excluded): the inputs its Monte Carlo draws vary.
    pub own_ranged_inputs: Vec<Param>,
    /// P10/P50/P90 of each named figure, where `ranged_inputs` is not empty.
    pub bands: Vec<(&'static str, Band)>,
    pub ratio_band: Option<Band>,
    /// Share of the Monte Carlo draws in which this row costs less than the reference (paired
    /// draws); absent without at least `MIN_DRAWS` draws.
    pub p_cheaper_than_reference: Option<f64>,
    /// The offer the price came from (docs/cli.md `offer`).
    pub offer: Option<super::price::OfferInfo>,
    /// Why the price is not of the basis's market (fallback, negotiated, internal estimate).
    pub price_note: Option<String>,
    /// Where the price comes from: the basis, a negotiated offer, or another term or market.
    pub price_origin: super::price::PriceOrigin,
}

#[derive(Clone, Debug)]
pub struct WorkloadTable {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub reference: String,
    pub rows: Vec<Row>,
    pub skipped: Vec<Skipped>,
}

/// Every workload's table over `accelerators`, at values `v`.
pub fn compare(cfg: &Config, accelerators: &[&Accelerator], v: &[f64]) -> Vec<WorkloadTable> {
    Workload::all(cfg).into_iter().map(|w| table(cfg, w, accelerators, v)).collect()
}

/// One workload's table.
pub fn table(cfg: &Config, w: Workload<'_>, accelerators: &[&Accelerator], v: &[f64]) -> WorkloadTable {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let reference = cfg.report.reference.clone();
    let ref_deps = cfg.accelerator(&reference).map(|r| {
        let mut d = Deps::default();
        let m = w.estimate(cfg, r, v, &mut d).ok();
        (m, d)
    });
    let (ref_figures, ref_params) = match ref_deps {
        Some((m, d)) => (m, d.params),
        None => (None, Vec::new()),
    };
    let ref_metric = ref_figures.map(|f| f.metric());
    for acc in accelerators {
        let mut deps = Deps::default();
        match w.estimate(cfg, acc, v, &mut deps) {
            Ok(figures) => {
                let metric = figures.metric();
                let ratio = ref_metric.map(|r| metric / r);
                let be = ref_metric.filter(|_| acc.id != reference);
                let own_ranged_inputs = deps.ranged(&cfg.params);
                for p in &ref_params {
                    if !deps.params.contains(p) {
                        deps.params.push(*p);
                    }
                }
                let (offer, price_note) = match super::price::offer_of(cfg, acc) {
                    Some((o, n)) => (Some(o), n),
                    None => (None, None),
                };
                rows.push(Row {
                    offer,
                    price_note,
                    price_origin: acc.price_origin(&cfg.economics),
                    accelerator: acc.id.clone(),
                    name: acc.name.clone(),
                    family: acc.family,
                    figures,
                    ratio_to_reference: ratio,
                    request_ratio: ref_figures.map(|r| figures.request_metric() / r.request_metric()),
                    request_ratio_band: None,
                    p_request_cheaper: None,
                    cheapest: false,
                    break_even_usd_per_chip_hour: be.map(|r| {
                        let price = figures.usd_per_chip_hour();
                        price * r / metric
                    }),
                    break_even_efficiency: be.map(|r| metric / r),
                    ranged_inputs: deps.ranged(&cfg.params),
                    own_ranged_inputs,
                    bands: Vec::new(),
                    ratio_band: None,
                    p_cheaper_than_reference: None,
                });
            }
            Err(s) => skipped.push(Skipped::new(&acc.id, s)),
        }
    }
    // "Cheapest" only among two or more rows, only among prices of the basis (a price
    // borrowed from another term or market, a neocloud's on-demand price against 3-year
    // hyperscaler prices, is drawn, marked, and never "cheapest"), and never a serving row that
    // misses the per-user target (its cost is that of a slower service).
    if rows.len() > 1
        && let Some(best) = rows
            .iter_mut()
            .filter(|r| r.price_origin != super::price::PriceOrigin::OtherTermOrMarket)
            .filter(|r| r.figures.metric().is_finite())
            .filter(|r| !matches!(r.figures, Figures::Inference(i) if !i.meets_target))
            .min_by(|a, b| a.figures.metric().total_cmp(&b.figures.metric()))
    {
        best.cheapest = true;
    }
    WorkloadTable {
        id: w.id().to_string(),
        name: w.name().to_string(),
        kind: w.kind(),
        reference,
        rows,
        skipped,
    }
}

/// Why a table has no ratios or break-even figures: its reference is not among the rows (left
/// out for a missing price or precision, or not drawn). `None` when the reference is costed.
pub fn reference_missing(t: &WorkloadTable) -> Option<String> {
    // Costed when it is a row, or when rows carry ratios to it (a table of other chips only,
    // as `estimate --accelerator` gives). A table with no row says why through its skips.
    if t.rows.is_empty()
        || t.rows
            .iter()
            .any(|r| r.accelerator == t.reference || r.ratio_to_reference.is_some())
    {
        return None;
    }
    let why = t
        .skipped
        .iter()
        .find(|s| s.accelerator == t.reference)
        .map_or_else(|| "it is not among the accelerators drawn".to_string(), |s| s.why.clone());
    Some(format!(
        "{}: the reference `{}` is not costed ({why}), so there are no ratios or break-even figures; set report.reference to a costed chip or change economics.basis",
        t.id, t.reference
    ))
}

/// Adds P10/P50/P90 bands to every row that depends on a ranged number, from value vectors
/// drawn by [`Draws`].
pub fn add_bands(cfg: &Config, t: &mut WorkloadTable, samples: &Draws) {
    add_bands_all(cfg, std::slice::from_mut(t), samples);
}

/// What the draws give one row: its bands, ratio band and share of draws cheaper than the
/// reference.
struct RowBands {
    bands: Vec<(&'static str, Band)>,
    ratio_band: Option<Band>,
    p_cheaper: Option<f64>,
    request_ratio_band: Option<Band>,
    p_request_cheaper: Option<f64>,
}

/// One row's figures over the draws, gathered draw by draw: one column per named figure and
/// the ratios to the reference (of the metric and of a request). The only per-draw figures
/// held (exact percentiles need every value of a figure), and only while the row's bands are
/// taken.
struct RowColumns {
    cols: Vec<Vec<f64>>,
    ratios: Vec<f64>,
    request_ratios: Vec<f64>,
}

impl RowColumns {
    fn new(figures: usize, n: usize) -> RowColumns {
        RowColumns {
            cols: vec![Vec::with_capacity(n); figures],
            ratios: Vec::with_capacity(n),
            request_ratios: Vec::with_capacity(n),
        }
    }

    /// One draw's figures, and its ratios to the reference's `rm` where that is costed.
    fn push(&mut self, f: &Figures, rm: Option<RefDraw>) {
        let (arr, n) = f.named_array();
        for (k, (_, x)) in arr[..n].iter().enumerate() {
            if let Some(c) = self.cols.get_mut(k) {
                c.push(*x);
            }
        }
        if let Some(r) = rm {
            self.ratios.push(f.metric() / r.metric);
            self.request_ratios.push(f.request_metric() / r.request);
        }
    }

    fn bands(mut self, names: &[(&'static str, f64)]) -> RowBands {
        let bands = names
            .iter()
            .zip(self.cols.iter_mut())
            .filter_map(|((name, _), c)| Some((*name, band(c)?)))
            .collect();
        // Paired draws: the share in which this row costs less than the reference.
        let share = |x: &[f64]| (x.len() >= MIN_DRAWS).then(|| x.iter().filter(|r| **r < 1.0).count() as f64 / x.len() as f64);
        RowBands {
            bands,
            p_cheaper: share(&self.ratios),
            p_request_cheaper: share(&self.request_ratios),
            ratio_band: band(&mut self.ratios),
            request_ratio_band: band(&mut self.request_ratios),
        }
    }
}

/// The reference's figures one draw's ratios need: its metric and a request's cost.
#[derive(Clone, Copy)]
struct RefDraw {
    metric: f64,
    request: f64,
}

impl RefDraw {
    fn of(f: &Figures) -> RefDraw {
        RefDraw {
            metric: f.metric(),
            request: f.request_metric(),
        }
    }
}

/// The reference's metric and request cost in every draw, 17 bytes a draw: `metric[i]` and
/// `request[i]` where `costed[i]`.
struct RefMetrics {
    metric: Vec<f64>,
    request: Vec<f64>,
    costed: Vec<bool>,
}

impl RefMetrics {
    fn get(&self, i: usize) -> Option<RefDraw> {
        self.costed.get(i).copied().unwrap_or(false).then(|| RefDraw {
            metric: self.metric[i],
            request: self.request[i],
        })
    }
}

/// The reference's metric in every draw (for the other rows' ratios), and the reference row's
/// own bands, taken in the same pass (`None` when it is not a row or reads no ranged input).
fn reference_pass(cfg: &Config, t: &WorkloadTable, samples: &Draws) -> Option<(RefMetrics, Option<RowBands>)> {
    let w = Workload::find(cfg, &t.id)?;
    let reference = cfg.accelerator(&t.reference);
    let row = t.rows.iter().find(|r| r.accelerator == t.reference);
    let point = row.map(|r| r.figures);
    let mut refs = RefMetrics {
        metric: Vec::with_capacity(samples.len()),
        request: Vec::with_capacity(samples.len()),
        costed: Vec::with_capacity(samples.len()),
    };
    let banded = row.filter(|r| !r.ranged_inputs.is_empty());
    let mut own = banded.map(|r| RowColumns::new(r.figures.named_array().1, samples.len()));
    let mut each = |_, v: &[f64]| {
        let f = reference.and_then(|r| match &point {
            Some(p) => w.estimate_at(cfg, r, v, p).ok(),
            None => w.estimate(cfg, r, v, &mut ()).ok(),
        });
        let m = f.as_ref().map(RefDraw::of);
        refs.metric.push(m.map_or(f64::NAN, |m| m.metric));
        refs.request.push(m.map_or(f64::NAN, |m| m.request));
        refs.costed.push(m.is_some());
        if let (Some(own), Some(f)) = (own.as_mut(), f) {
            own.push(&f, m);
        }
    };
    // Only the reference's own ranged inputs vary, when its row traced them.
    match row {
        Some(row) => samples.each_of(&row.ranged_inputs, 0..samples.len(), &mut each),
        None => samples.each(0..samples.len(), &mut each),
    }
    let own = banded.zip(own).map(|(r, c)| c.bands(&r.figures.named()));
    Some((refs, own))
}

/// The bands of a row other than the reference, paired draw by draw with the reference's
/// metrics `refs`.
fn row_bands(cfg: &Config, t: &WorkloadTable, row: &Row, samples: &Draws, refs: &RefMetrics) -> Option<RowBands> {
    let w = Workload::find(cfg, &t.id)?;
    let acc = cfg.accelerator(&row.accelerator)?;
    let names = row.figures.named();
    let mut cols = RowColumns::new(names.len(), samples.len());
    // Only the inputs the row's own figures read vary (the reference's are in `refs`): the
    // same figures as varying every input, at the cost of its own.
    samples.each_of(&row.own_ranged_inputs, 0..refs.metric.len(), |i, v| {
        if let Ok(f) = w.estimate_at(cfg, acc, v, &row.figures) {
            cols.push(&f, refs.get(i));
        }
    });
    Some(cols.bands(&names))
}

/// [`add_bands`] on every table. The work (each table's reference, then each ranged row) is
/// shared over two threads from one queue, so both cores stay busy however uneven the tables
/// are (a serving row costs far more per draw than a training row).
pub fn add_bands_all(cfg: &Config, tables: &mut [WorkloadTable], samples: &Draws) {
    let shared: &[WorkloadTable] = tables;
    // Serving tables first: the queue's last items are then the cheap training ones, so the
    // two threads finish together instead of one waiting on a long serving item.
    let mut order: Vec<usize> = (0..shared.len()).collect();
    order.sort_by_key(|&ti| shared[ti].kind != Kind::Inference);
    let mut refs: Vec<Option<RefMetrics>> = (0..shared.len()).map(|_| None).collect();
    let mut own: Vec<Option<RowBands>> = (0..shared.len()).map(|_| None).collect();
    for (ti, r) in order
        .iter()
        .zip(on_both_cores(&order, |&ti| reference_pass(cfg, &shared[ti], samples)))
    {
        if let Some((m, b)) = r {
            refs[*ti] = Some(m);
            own[*ti] = b;
        }
    }
    // The reference rows have their bands from the reference pass.
    let items: Vec<(usize, usize)> = order
        .iter()
        .flat_map(|&ti| {
            shared[ti]
                .rows
                .iter()
                .enumerate()
                .filter(move |(_, r)| !r.ranged_inputs.is_empty() && r.accelerator != shared[ti].reference)
                .map(move |(ri, _)| (ti, ri))
        })
        .collect();
    let done = on_both_cores(&items, |&(ti, ri)| {
        let rm = refs.get(ti)?.as_ref()?;
        row_bands(cfg, &shared[ti], &shared[ti].rows[ri], samples, rm)
    });
    let reference_rows = own.into_iter().enumerate().filter_map(|(ti, b)| {
        let ri = shared[ti].rows.iter().position(|r| r.accelerator == shared[ti].reference)?;
        Some(((ti, ri), b))
    });
    let done: Vec<((usize, usize), Option<RowBands>)> = items.into_iter().zip(done).chain(reference_rows).collect();
    for ((ti, ri), b) in done {
        if let Some(b) = b
            && let Some(row) = tables.get_mut(ti).and_then(|t| t.rows.get_mut(ri))
        {
            row.bands = b.bands;
            row.ratio_band = b.ratio_band;
            row.p_cheaper_than_reference = b.p_cheaper;
            row.request_ratio_band = b.request_ratio_band;
            row.p_request_cheaper = b.p_request_cheaper;
        }
    }
}
