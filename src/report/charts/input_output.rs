//! What one request of the report's inference workload costs per chip, split into its input
//! (prefill) and output (decode) tokens: where a workload is input-heavy, the input share
//! shows, which a per-output-token figure hides.

use crate::chart::{AxisScale, Chart, StackSegment, StackedBarChart, Unit};
use crate::fmt::{num, short};
use crate::model::compare::Figures;
use crate::model::trace::get;

use super::super::ChartFile;
use super::super::context::Context;
use super::{axis, label_id, mark};

pub const STEM: &str = "inference-input-vs-output";

/// Requests per bar value: costs are per 1,000 requests.
const REQUESTS: f64 = 1000.0;

/// (input, output) USD of `REQUESTS` requests of `input_tokens` in (of which `cached_tokens`
/// from the prefix cache) and `output_tokens` out, at the row's USD per million fresh input,
/// cached input and output tokens.
pub fn split(f: &crate::model::inference::InferenceFigures, input_tokens: f64, cached_tokens: f64, output_tokens: f64) -> (f64, f64) {
    let cached = cached_tokens.min(input_tokens);
    (
        REQUESTS * ((input_tokens - cached) * f.usd_per_m_input_tokens + cached * f.usd_per_m_cached_input_tokens) / 1e6,
        REQUESTS * output_tokens * f.usd_per_m_output_tokens / 1e6,
    )
}

pub fn input_vs_output(ctx: &Context<'_>) -> Result<ChartFile, String> {
    let cfg = ctx.cfg;
    let w = ctx.iw.ok_or("no inference workload is loaded")?;
    let t = ctx.inference_table().ok_or("no inference workload is loaded")?;
    let (tin, tout) = (
        get(&ctx.v, w.input_tokens, "input tokens", &mut ()),
        get(&ctx.v, w.output_tokens, "output tokens", &mut ()),
    );
    let tc = w
        .cached_input_tokens
        .map_or(0.0, |p| get(&ctx.v, p, "cached input tokens", &mut ()));
    let mut rows: Vec<(String, crate::chart::Look, f64, f64)> = t
        .rows
        .iter()
        // As in the headline: a chip below the per-user target sells a slower service.
        .filter(|r| super::headline::below_target(r).is_none())
        .filter_map(|r| match &r.figures {
            Figures::Inference(f) => {
                let (i, o) = split(f, tin, tc, tout);
                let label = mark(label_id(cfg, &r.accelerator), &ctx.marks, &r.accelerator);
                (i + o > 0.0 && (i + o).is_finite()).then_some((label, r.family.look(), i, o))
            }
            Figures::Training(_) => None,
        })
        .collect();
    rows.sort_by(|a, b| (a.2 + a.3).total_cmp(&(b.2 + b.3)));
    let shares: Vec<f64> = rows.iter().map(|r| r.2 / (r.2 + r.3)).collect();
    let (lo, hi) = shares
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| (a.min(*s), b.max(*s)));
    let mut notes = Vec::new();
    if !shares.is_empty() {
        notes.push(format!(
            "Input ({}) is {}–{}% of a request's cost across these chips",
            if tc > 0.0 { "prefill and cache" } else { "prefill" },
            num(lo * 100.0, 2),
            num(hi * 100.0, 2)
        ));
    }
    notes.extend(super::below_target_note(cfg, t));
    Ok(ChartFile {
        csv: None,
        stem: STEM,
        caption: format!("What 1,000 requests cost, input vs output tokens ({})", w.name),
        chart: Chart::Stacked(StackedBarChart {
            frame: ctx.frame(
                "What a request costs: input vs output tokens".into(),
                format!(
                    "{} · {} in{} / {} out tokens per request · basis {}",
                    w.name,
                    short(tin),
                    if tc > 0.0 {
                        format!(" ({} cached)", short(tc.min(tin)))
                    } else {
                        String::new()
                    },
                    short(tout),
                    ctx.basis
                ),
                notes,
            ),
            value_axis: axis("USD per 1,000 requests", AxisScale::Linear, Unit::Usd),
            categories: rows.iter().map(|r| (r.0.clone(), r.1)).collect(),
            segments: vec![
                StackSegment {
                    name: if tc > 0.0 {
                        "Input tokens (prefill and cache)".into()
                    } else {
                        "Input tokens (prefill)".into()
                    },
                    values: rows.iter().map(|r| r.2).collect(),
                },
                StackSegment {
                    name: "Output tokens (decode)".into(),
                    values: rows.iter().map(|r| r.3).collect(),
                },
            ],
        }),
    })
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    #[test]
    fn a_request_splits_into_its_input_and_output_tokens() {
        let f = crate::model::inference::InferenceFigures {
            usd_per_chip_hour: 1.0,
            chips_per_replica: 1,
            batch: 1.0,
            weights_gb: 1.0,
            kv_bytes_per_token: 1.0,
            step_s: 1.0,
            output_tokens_per_s_per_chip: 1.0,
            tokens_per_s_per_user: 1.0,
            ttft_s: 1.0,
            usd_per_m_input_tokens: 0.5,
            usd_per_m_cached_input_tokens: 0.05,
            usd_per_m_output_tokens: 4.0,
            usd_per_m_tokens: 1.0,
            measured: false,
            memory_bound: false,
            meets_target: true,
        };
        // 1,000 requests of 8,000 in at $0.5/M and 200 out at $4/M:
        // input 1000 * 8000 * 0.5 / 1e6 = $4, output 1000 * 200 * 4 / 1e6 = $0.8
        let (i, o) = super::split(&f, 8000.0, 0.0, 200.0);
        assert_relative_eq!(i, 4.0);
        assert_relative_eq!(o, 0.8);
        // 6,000 of them cached at $0.05/M: 1000 * (2000 * 0.5 + 6000 * 0.05) / 1e6 = $1.3
        let (i, _) = super::split(&f, 8000.0, 6000.0, 200.0);
        assert_relative_eq!(i, 1.3);
    }
}
