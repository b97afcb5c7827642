//! report.md: title, findings written from the numbers, the tables, every chart, calibration,
//! and the sources the configs cite.

use std::fmt::Write;

use crate::config::Config;
use crate::export::CompareView;
use crate::export::markdown::{code, markdown_table, text as t};
use crate::fmt::num;

use super::ReportData;

pub fn report_md(cfg: &Config, data: &ReportData, image_ext: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", t(&cfg.report.title));
    let _ = writeln!(
        s,
        "Basis **{}** · reference **{}** · configs as of {} · config `{}` · accel-cost {}\n",
        cfg.economics.basis.name(),
        t(&cfg.report.reference),
        t(cfg.as_of.as_deref().unwrap_or("(undated)")),
        cfg.hash,
        env!("CARGO_PKG_VERSION")
    );
    if !cfg.overrides.is_empty() {
        let _ = writeln!(
            s,
            "Overrides: {}\n",
            cfg.overrides
                .iter()
                .map(|o| code(&format!("--set {o}")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(s, "## Findings\n");
    for f in &data.findings {
        let _ = writeln!(s, "- {}", t(f));
    }
    let _ = writeln!(s, "\n## Charts\n");
    for c in &data.charts {
        let _ = writeln!(
            s,
            "### {}\n\n![{}]({}.{image_ext})\n\nData: [{}.csv]({}.csv)\n",
            t(&c.caption),
            // Alt text ends at the first `]`.
            t(&c.caption).replace('[', "\\[").replace(']', "\\]"),
            c.stem,
            c.stem,
            c.stem
        );
        // Every note in full (a chart shows at most seven lines of them).
        let notes: Vec<&String> = c.chart.frame().notes.iter().filter(|n| !n.trim().is_empty()).collect();
        if !notes.is_empty() {
            for n in notes {
                let _ = writeln!(s, "- {}", t(n.trim()));
            }
            let _ = writeln!(s);
        }
    }
    if !data.not_drawn.is_empty() {
        let _ = writeln!(s, "Not drawn:\n");
        for (name, why) in &data.not_drawn {
            let _ = writeln!(s, "- {}: {}", code(name), t(why));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "## Tables\n");
    let view = CompareView { cfg, tables: &data.tables };
    for t in &data.tables {
        let _ = writeln!(s, "{}", markdown_table(&view, t));
    }
    let _ = writeln!(
        s,
        "`*` cheapest per workload · `(est.)` estimated price · `x ref` cost relative to the reference · break-even: the chip-hour price, or the multiple of its configured efficiency (MFU, MBU), at which an accelerator costs what the reference does.\n"
    );
    let _ = writeln!(s, "## Prices used (basis {})\n", cfg.economics.basis.name());
    let _ = writeln!(
        s,
        "Every chip is priced from one market: {} offers of term {} (the cheapest current one; a planner's negotiated offer wins), fallback {}. A note says where a price is not of that market.\n",
        cfg.economics.market.words(),
        cfg.economics.basis.name(),
        if cfg.economics.fallback {
            "any (borrowed prices are marked)"
        } else {
            "none (chips without such an offer are left out)"
        }
    );
    let _ = writeln!(
        s,
        "| accelerator | USD per chip-hour | provider | class | term | instance | region | as of | estimate | note |\n| --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    let v = cfg.params.base_values();
    let cell = |x: &str| t(x).replace('|', "/");
    for id in &cfg.report.accelerators {
        let Some(a) = cfg.accelerator(id) else { continue };
        let price = crate::model::price::usd_per_chip_hour(&cfg.economics, a, cfg.economics.basis, &v, &mut ());
        match crate::model::price::offer_of(cfg, a) {
            Some((o, note)) => {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    a.id,
                    price.map_or("–".into(), |p| num(p, 4)),
                    cell(&o.provider),
                    o.provider_class,
                    o.term,
                    cell(o.instance.as_deref().unwrap_or("")),
                    cell(o.region.as_deref().unwrap_or("")),
                    cell(o.as_of.as_deref().unwrap_or("")),
                    if o.estimate { "yes" } else { "" },
                    cell(note.as_deref().unwrap_or(""))
                );
            }
            None => {
                let reason = match price {
                    Err(e) => format!("{} {e}: left out", a.id),
                    Ok(_) => String::new(),
                };
                let _ = writeln!(s, "| {} | – | | | | | | | | {} |", a.id, cell(&reason));
            }
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "## Calibration against public training runs\n");
    let _ = writeln!(
        s,
        "{}",
        crate::export::markdown::md(&crate::export::calibration_grid(&data.calibration))
    );
    if !data.calibration.benchmarks.is_empty() {
        // Per chip and per source; the per-point table is `accel-cost calibrate`.
        let _ = writeln!(s, "\n## Serving model against public benchmarks\n");
        for g in crate::export::benchmark_grids(&data.calibration).iter().skip(1) {
            let _ = writeln!(s, "{}\n", crate::export::markdown::md(g));
        }
    }
    let _ = writeln!(s, "\n## Sources\n");
    for src in cfg.sources() {
        let _ = writeln!(s, "- {}", t(&src));
    }
    // A planner's figure without a source is listed as such, never under another's source.
    for u in cfg.unsourced() {
        let _ = writeln!(s, "- no source given: {}", t(&u));
    }
    s
}
