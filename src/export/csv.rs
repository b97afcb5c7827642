//! CSV: one flat file, a row per workload x accelerator, full-precision numbers.

use super::{CompareView, Exporter};
use crate::model::evaluate::Figures;

pub struct CsvExporter;

/// Quotes a field when it needs it (RFC 4180).
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

impl Exporter for CsvExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let mut out = String::from(
            "workload,kind,basis,accelerator,family,usd_per_chip_hour,metric,metric_value,p10_metric,p90_metric,ratio_to_reference,cheapest,break_even_usd_per_chip_hour,break_even_efficiency,chip_hours,wall_days,min_chips,feasible,chips_per_replica,output_tokens_per_s_per_chip,tokens_per_s_per_user,ttft_s,usd_per_m_tokens,measured\n",
        );
        for t in view.tables {
            for r in &t.rows {
                let metric = match r.figures {
                    Figures::Training(_) => "cost_usd",
                    Figures::Inference(_) => "usd_per_m_output_tokens",
                };
                let band = r.bands.iter().find(|(k, _)| *k == metric).map(|(_, b)| *b);
                let mut cells = vec![
                    field(&t.id),
                    format!("{:?}", t.kind).to_lowercase(),
                    view.cfg.economics.basis.name().into(),
                    field(&r.accelerator),
                    r.family.name().into(),
                ];
                let tail = match r.figures {
                    Figures::Training(f) => vec![
                        f.usd_per_chip_hour.to_string(),
                        metric.into(),
                        f.cost_usd.to_string(),
                        opt(band.map(|b| b.p10)),
                        opt(band.map(|b| b.p90)),
                        opt(r.ratio_to_reference),
                        r.cheapest.to_string(),
                        opt(r.break_even_usd_per_chip_hour),
                        opt(r.break_even_efficiency),
                        f.chip_hours.to_string(),
                        opt(f.wall_days),
                        f.min_chips.to_string(),
                        f.feasible.to_string(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ],
                    Figures::Inference(f) => vec![
                        f.usd_per_chip_hour.to_string(),
                        metric.into(),
                        f.usd_per_m_output_tokens.to_string(),
                        opt(band.map(|b| b.p10)),
                        opt(band.map(|b| b.p90)),
                        opt(r.ratio_to_reference),
                        r.cheapest.to_string(),
                        opt(r.break_even_usd_per_chip_hour),
                        opt(r.break_even_efficiency),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        f.chips_per_replica.to_string(),
                        f.output_tokens_per_s_per_chip.to_string(),
                        f.tokens_per_s_per_user.to_string(),
                        f.ttft_s.to_string(),
                        f.usd_per_m_tokens.to_string(),
                        f.measured.to_string(),
                    ],
                };
                cells.extend(tail);
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        }
        out.into_bytes()
    }
}
