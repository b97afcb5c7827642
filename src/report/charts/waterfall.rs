//! Where the decline came from: the cost per million output tokens of the report's inference
//! workload from the reference chip at launch (hyperscaler list, bf16) to today's cheapest
//! option, one bar per state, each step's factor at its bar (`model::waterfall`).

use crate::chart::{AxisScale, Bar, BarChart, Chart, Frame, PanelChart, Unit};
use crate::config::Family;
use crate::fmt::num;
use crate::model::waterfall::{State, Waterfall, waterfall};

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label_id};

pub const STEM: &str = "cost-decline-waterfall";

/// The report's waterfall (also summary.json `waterfall`), or why there is none.
pub fn model(ctx: &Context<'_>) -> Result<Waterfall, String> {
    let cfg = ctx.cfg;
    let w = ctx.iw.ok_or("no inference workload is loaded")?;
    let r = cfg
        .accelerator(&cfg.report.reference)
        .ok_or_else(|| format!("the reference `{}` is not loaded", cfg.report.reference))?;
    waterfall(cfg, w, r, &ctx.v)
}

/// A state as its bar label says it, short enough for half a slide: "start 2023 · H100 bf16 ·
/// AWS $12.3/h", "fp4 · GB200 (KV fp8) · Oracle $16.0/h", "neocloud · GB200 fp4 · Spheron $4.54/h".
fn state_label(ctx: &Context<'_>, s: &State) -> String {
    let cause = match s.cause.as_str() {
        "start" => format!("start {}", s.from.as_deref().map_or("", |d| &d[..d.len().min(4)])),
        c if c.starts_with("hardware") => "hardware".into(),
        c if c.starts_with("precision") => c.rsplit(' ').next().unwrap_or(c).to_string(),
        c if c.starts_with("market: ") => match c.trim_start_matches("market: ") {
            "today's hyperscaler list" => "list today".to_string(),
            "hyperscaler committed" => "committed".to_string(),
            m => m.to_string(),
        },
        c => c.split(" (").next().unwrap_or(c).to_string(),
    };
    let p = if s.precision[2] == s.precision[0] {
        s.precision[0].name().to_string()
    } else {
        format!("{} (KV {})", s.precision[0].name(), s.precision[2].name())
    };
    let chip = label_id(ctx.cfg, &s.accelerator)
        .replace(" SXM 80GB", "")
        .replace(" NVL72", "")
        .replace(" HGX", "");
    let provider = s.offer.split(' ').next().unwrap_or("");
    format!(
        "{cause} · {chip} {p} · {provider} ${}/h{}",
        num(s.usd_per_chip_hour, 3),
        if s.estimate { " *" } else { "" }
    )
}

pub fn chart(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let wf = model(ctx)?;
    let start = wf.states.first().ok_or("no state")?.usd_per_m_output_tokens;
    let mut prev = start;
    let bars: Vec<Bar> = wf
        .states
        .iter()
        .map(|s| {
            let c = s.usd_per_m_output_tokens;
            let step = if s.cause == "start" {
                String::new()
            } else {
                format!("x{} -> ", num(c / prev, 2))
            };
            prev = c;
            let family = ctx.cfg.accelerator(&s.accelerator).map_or(Family::Gpu, |a| a.family);
            Bar {
                label: state_label(ctx, s),
                look: family.look(),
                value: c / start,
                text: format!("{step}${}", num(c, 3)),
                whisker: None,
                extra: Vec::new(),
            }
        })
        .collect();
    let end = wf.end_to_end();
    let mut notes = vec![format!(
        "Each bar: the serving model on one chip, precision and price (USD per million output tokens; x = the step's factor); the steps multiply to the end-to-end x{} (1/{})",
        num(end, 3),
        num(1.0 / end, 3)
    )];
    notes.extend(wf.omitted.iter().map(|o| format!("Left out: {o}")));
    if wf.states.iter().any(|s| s.estimate) {
        notes.push("* estimated price".into());
    }
    notes.push("Trace a bar: the explain command in the CSV (launch-era prices: scale by the price ratio)".into());
    let w = ctx.iw.map_or(wf.workload.clone(), |w| w.name.clone());
    Ok(ChartFile {
        csv: Some(states_csv(&wf)),
        stem: STEM,
        caption: format!("Where the cost of a million output tokens ({w}) went: one step per cause"),
        chart: Chart::Panels(PanelChart {
            frame: ctx.frame(
                "Where the decline came from".into(),
                format!("{w} · from the reference at launch to today's cheapest option"),
                notes,
            ),
            panels: vec![BarChart {
                frame: Frame {
                    title: String::new(),
                    subtitle: String::new(),
                    footer: String::new(),
                    notes: Vec::new(),
                    key: Vec::new(),
                },
                value_axis: axis("Cost relative to the start (x, log scale)", AxisScale::Log, Unit::Ratio),
                bars,
                reference_line: Some((1.0, "start = 1.0x".into())),
            }],
        }),
    })
}

/// The waterfall's CSV: one row per state with its step factor, chip, precisions, offer and the
/// `explain` command that traces it.
fn states_csv(wf: &Waterfall) -> String {
    use crate::export::csv_field as q;
    let mut out = String::from(
        "cause,accelerator,precision,weight_precision,kv_precision,offer,offer_id,price_from,estimate,usd_per_chip_hour,chips_per_replica,usd_per_m_output_tokens,step_factor,relative_to_start,explain\n",
    );
    let start = wf.states.first().map_or(f64::NAN, |s| s.usd_per_m_output_tokens);
    let mut prev = start;
    for s in &wf.states {
        let c = s.usd_per_m_output_tokens;
        let step = if s.cause == "start" {
            String::new()
        } else {
            (c / prev).to_string()
        };
        prev = c;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            q(&s.cause),
            q(&s.accelerator),
            s.precision[0].name(),
            s.precision[1].name(),
            s.precision[2].name(),
            q(&s.offer),
            q(&s.offer_id),
            s.from.as_deref().unwrap_or(""),
            s.estimate,
            s.usd_per_chip_hour,
            s.chips_per_replica,
            c,
            step,
            c / start,
            q(&s.explain)
        ));
    }
    out
}
