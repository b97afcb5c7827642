//! The commands: load the config, run the model, hand bytes to `output`.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::cli::{Cli, Command, ConfigArgs, TableFormat};
use crate::config::diag::escape;
use crate::config::{self, Basis, Config, Family, Origin};
use crate::explain::Recorder;
use crate::export::{self, CompareView};
use crate::fmt::{num, short};
use crate::model::calibrate::calibrate;
use crate::model::compare::{self, Figures, Workload, WorkloadTable};
use crate::model::uncertainty::Draws;
use crate::output;

pub use crate::error::AppError;

pub fn run(cli: Cli) -> Result<(), AppError> {
    crate::msg::set_quiet(cli.config.quiet);
    match cli.command {
        Command::Schema { format } => schema(format),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "accel-cost", &mut buf);
            output::stdout(&buf).map_err(AppError::from)
        }
        Command::Init { dir } => crate::init::init(&dir),
        Command::Validate { defaults } => validate(&load(&cli.config)?, defaults),
        Command::Compare { workload, format } => compare(&load(&cli.config)?, workload.as_deref(), format),
        Command::Estimate {
            workload,
            accelerator,
            json,
        } => estimate(&load(&cli.config)?, &workload, accelerator.as_deref(), json),
        Command::Explain { workload, accelerator } => explain(&load(&cli.config)?, &workload, &accelerator),
        Command::Calibrate { json, fit } => calibrate_cmd(&load(&cli.config)?, json, fit),
        Command::Fleet {
            accelerator,
            chips,
            budget_usd,
            power_mw,
            json,
        } => {
            use crate::model::fleet::FleetSize;
            let size = match (chips, budget_usd, power_mw) {
                (Some(n), _, _) => FleetSize::Chips(n),
                (_, Some(x), _) => FleetSize::BudgetUsd(x),
                (_, _, Some(p)) => FleetSize::PowerMw(p),
                _ => return Err(AppError::usage("no fleet size", "give --chips, --budget-usd or --power-mw")),
            };
            fleet_cmd(&load(&cli.config)?, &accelerator, size, json)
        }
        Command::Report { out, format, scale } => {
            let cfg = load(&cli.config)?;
            refuse_config_folder(&cfg, &out)?;
            crate::report::run(&cfg, &out, format, scale)
        }
    }
}

/// A report's output folder must not be a folder the configs were read from: charts and CSVs
/// among the planner's inputs are a slip (e.g. `-o configs`), and would be read as configs next
/// time if they were TOML.
fn refuse_config_folder(cfg: &Config, out: &std::path::Path) -> Result<(), AppError> {
    let Ok(out_dir) = out.canonicalize() else {
        return Ok(()); // not there yet: created by the report, so no config is in it
    };
    let holds_config = cfg.files.iter().any(|f| {
        std::path::Path::new(f)
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p == out_dir)
    });
    if holds_config {
        return Err(AppError::usage(
            format!("the output folder {} holds config files this run read", out.display()),
            "write the report elsewhere, e.g. -o output",
        ));
    }
    Ok(())
}

/// Loads configs (default `configs/`) and prints warnings.
pub fn load(args: &ConfigArgs) -> Result<Config, AppError> {
    let paths = if args.configs.is_empty() {
        vec![PathBuf::from("configs")]
    } else {
        args.configs.clone()
    };
    let cfg = config::load(&paths, &args.sets).map_err(AppError::Config)?;
    for w in &cfg.warnings {
        crate::msg::warn(w);
    }
    Ok(cfg)
}

fn find_accelerator<'a>(cfg: &'a Config, id: &str) -> Result<&'a config::Accelerator, AppError> {
    cfg.accelerator(id).ok_or_else(|| {
        let ids: Vec<&str> = cfg.accelerators.iter().map(|a| a.id.as_str()).collect();
        AppError::usage(
            format!("unknown accelerator `{id}`"),
            config::diag::suggest(id, ids.iter().copied(), || format!("known: {}", ids.join(", "))),
        )
    })
}

/// The error for a command that needs workloads when the configs define none: names the
/// files that were read.
fn no_workloads(cfg: &Config, what: String) -> AppError {
    AppError::usage(
        format!(
            "{what}: no [[training]] or [[inference]] workloads are loaded from {}",
            if cfg.files.is_empty() {
                "(no files)".to_string()
            } else {
                cfg.files.join(", ")
            }
        ),
        "add a workloads file to --config; `accel-cost init DIR` writes an example",
    )
}

fn find_workload<'a>(cfg: &'a Config, id: &str) -> Result<Workload<'a>, AppError> {
    if Workload::all(cfg).is_empty() {
        return Err(no_workloads(cfg, format!("unknown workload `{id}`")));
    }
    Workload::find(cfg, id).ok_or_else(|| {
        let ids: Vec<&str> = Workload::all(cfg).iter().map(|w| w.id()).collect();
        AppError::usage(
            format!("unknown workload `{id}`"),
            config::diag::suggest(id, ids.iter().copied(), || format!("known: {}", ids.join(", "))),
        )
    })
}

/// Tables with Monte Carlo bands where inputs are ranges, and warnings for skipped or
/// infeasible pairs.
pub fn tables(cfg: &Config, workloads: &[Workload<'_>], accs: &[&config::Accelerator]) -> Vec<WorkloadTable> {
    let base = cfg.params.base_values();
    let mut out: Vec<WorkloadTable> = workloads.iter().map(|w| compare::table(cfg, *w, accs, &base)).collect();
    let enough = cfg.report.samples as usize >= crate::model::uncertainty::MIN_DRAWS;
    if enough && out.iter().any(|t| t.rows.iter().any(|r| !r.ranged_inputs.is_empty())) {
        // Only the ranged inputs these rows read are drawn (each input's draws do not depend on
        // which others are drawn).
        let used = out.iter().flat_map(|t| t.rows.iter().flat_map(|r| r.ranged_inputs.iter().copied()));
        let samples = Draws::new(&cfg.params, used, cfg.report.samples as usize, cfg.report.seed);
        compare::add_bands_all(cfg, &mut out, &samples);
    }
    out
}

fn warn_skips(cfg: &Config, tables: &[WorkloadTable]) {
    for t in tables {
        if let Some(m) = compare::reference_missing(t) {
            crate::msg::warn(format_args!("warning: {m}"));
        }
        if !t.skipped.is_empty() {
            let list: Vec<&str> = t.skipped.iter().map(|s| s.reason.as_str()).collect();
            crate::msg::warn(format_args!("warning: {}: skipped {}", t.id, list.join("; ")));
        }
        if t.rows.is_empty() {
            // Nothing costed: say which bases the skipped chips do have prices on.
            let chips: Vec<&config::Accelerator> = t.skipped.iter().filter_map(|s| cfg.accelerator(&s.accelerator)).collect();
            let terms: Vec<&str> = Basis::NAMES
                .iter()
                .copied()
                .filter(|n| {
                    Basis::parse(n).is_some_and(|b| match b.term() {
                        Some(term) => chips.iter().any(|a| a.offers.iter().any(|o| o.term == term)),
                        None => chips.iter().any(|a| a.owned.is_some()),
                    })
                })
                .collect();
            if !terms.is_empty() && !terms.contains(&cfg.economics.basis.name()) {
                crate::msg::warn(format_args!(
                    "warning: {}: nothing is costed on basis {}; these chips have prices on: {} (e.g. --set economics.basis={})",
                    t.id,
                    cfg.economics.basis.name(),
                    terms.join(", "),
                    terms[0]
                ));
            }
        }
        for r in &t.rows {
            if let Figures::Training(f) = r.figures
                && !f.feasible
            {
                let chips = cfg.training(&t.id).and_then(|w| w.chips).unwrap_or(0);
                if f.min_chips == u64::MAX {
                    crate::msg::warn(format_args!(
                        "warning: {}: on {} one sequence's activations and two gathered layers exceed a chip: no cluster of fully sharded data parallelism holds it (row marked infeasible; tensor or context parallelism would be needed)",
                        t.id, r.accelerator
                    ));
                } else {
                    crate::msg::warn(format_args!(
                        "warning: {}: {} chips of {} cannot hold the training state and activations; at least {} are needed (row marked infeasible)",
                        t.id, chips, r.accelerator, f.min_chips
                    ));
                }
            }
            // A given batch above what the KV cache holds is clamped by the model; say so.
            if let Figures::Inference(f) = r.figures
                && let Some(given) = cfg.inference(&t.id).and_then(|w| w.batch).map(|p| cfg.params.info(p).base)
                && f.batch < given
            {
                crate::msg::warn(format_args!(
                    "warning: {}: {}: the given batch of {} sequences is above the {:.0} the KV cache of {} chip(s) holds: costed at {:.0}",
                    t.id, r.accelerator, given, f.batch, f.chips_per_replica, f.batch
                ));
            }
        }
    }
}

fn compare(cfg: &Config, workload: Option<&str>, format: TableFormat) -> Result<(), AppError> {
    let workloads = match workload {
        Some(id) => vec![find_workload(cfg, id)?],
        None => Workload::all(cfg),
    };
    if workloads.is_empty() {
        return Err(no_workloads(cfg, "nothing to compare".to_string()));
    }
    // Today's chips: legacy and next-generation ones (`era`) only when asked for by id.
    let accs: Vec<&config::Accelerator> = cfg.accelerators.iter().filter(|a| a.era == config::Era::Current).collect();
    let tables = tables(cfg, &workloads, &accs);
    warn_skips(cfg, &tables);
    let view = CompareView { cfg, tables: &tables };
    output::stdout(&export::exporter(format).export(&view))?;
    Ok(())
}

fn estimate(cfg: &Config, workload: &str, accelerator: Option<&str>, json: bool) -> Result<(), AppError> {
    let w = find_workload(cfg, workload)?;
    let accs: Vec<&config::Accelerator> = match accelerator {
        Some(id) => vec![find_accelerator(cfg, id)?],
        None => cfg.accelerators.iter().filter(|a| a.era == config::Era::Current).collect(),
    };
    let tables = tables(cfg, &[w], &accs);
    warn_skips(cfg, &tables);
    let bytes = if json {
        let mut b = serde_json::to_vec_pretty(&export::table_json(&tables[0], cfg.economics.basis)).unwrap_or_default();
        b.push(b'\n');
        b
    } else {
        let view = CompareView { cfg, tables: &tables };
        export::exporter(TableFormat::Table).export(&view)
    };
    output::stdout(&bytes)?;
    Ok(())
}

/// `accel-cost fleet` (docs/cli.md "fleet"): one fleet's figures at base values, with
/// P10/P50/P90 over the Monte Carlo draws of the inputs they read.
fn fleet_cmd(cfg: &Config, accelerator: &str, size: crate::model::fleet::FleetSize, json: bool) -> Result<(), AppError> {
    use crate::model::fleet::{FleetPlan, plan};
    use crate::model::uncertainty::{Band, Deps, Draws, MIN_DRAWS, band};
    let acc = find_accelerator(cfg, accelerator)?;
    let iw = cfg.report.inference_workload.as_deref().and_then(|id| cfg.inference(id));
    let v = cfg.params.base_values();
    let mut deps = Deps::default();
    let base = plan(cfg, acc, size, iw, &v, &mut deps).map_err(|e| {
        // The hint that fits the error: an owned price is missing, or the fleet's size is off.
        let hint = if e.contains("owned") {
            "give an accelerator with [accelerator.owned] chip_usd"
        } else {
            "e.g. --chips 1000, --budget-usd 1e9 or --power-mw 100"
        };
        AppError::usage(e, hint)
    })?;
    let used = deps.ranged(&cfg.params);
    let n = cfg.report.samples as usize;
    // Each figure by name, with its draws.
    let figures = |p: &FleetPlan| -> Vec<(String, f64)> {
        let mut f = vec![
            ("chips".to_string(), p.chips),
            ("capex_usd".into(), p.capex_usd),
            ("capex_chips_usd".into(), p.capex_chips_usd),
            ("capex_servers_usd".into(), p.capex_servers_usd),
            ("capex_buildings_usd".into(), p.capex_buildings_usd),
            ("facility_mw".into(), p.facility_mw),
            ("usd_per_year_owned".into(), p.usd_per_year_owned),
        ];
        for (b, x) in &p.usd_per_year_rented {
            f.push((format!("usd_per_year_{b}"), *x));
        }
        f.push(("training_pflops".into(), p.training_pflops.unwrap_or(f64::NAN)));
        f.push(("output_tokens_per_day".into(), p.output_tokens_per_day.unwrap_or(f64::NAN)));
        f
    };
    let point = figures(&base);
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); point.len()];
    if !used.is_empty() && n >= MIN_DRAWS {
        let draws = Draws::new(&cfg.params, used.iter().copied(), n, cfg.report.seed);
        draws.each(0..draws.len(), |_, dv| {
            if let Ok(p) = plan(cfg, acc, size, iw, dv, &mut ()) {
                for (c, (_, x)) in cols.iter_mut().zip(figures(&p)) {
                    c.push(x);
                }
            }
        });
    }
    let bands: Vec<Option<Band>> = cols.iter_mut().map(band).collect();
    let workload = iw.map(|w| w.id.clone());
    let bytes = if json {
        let mut m = serde_json::Map::new();
        for ((name, x), b) in point.iter().zip(&bands) {
            let val = |x: f64| {
                if x.is_finite() {
                    serde_json::json!(x)
                } else {
                    serde_json::Value::Null
                }
            };
            m.insert(name.clone(), val(*x));
            if let Some(b) = b {
                m.insert(format!("{name}_p10"), val(b.p10));
                m.insert(format!("{name}_p90"), val(b.p90));
            }
        }
        let doc = serde_json::json!({
            "accelerator": acc.id,
            "name": acc.name,
            "size": match size {
                crate::model::fleet::FleetSize::Chips(n) => serde_json::json!({ "chips": n }),
                crate::model::fleet::FleetSize::BudgetUsd(x) => serde_json::json!({ "budget_usd": x }),
                crate::model::fleet::FleetSize::PowerMw(p) => serde_json::json!({ "power_mw": p }),
            },
            "inference_workload": workload,
            "meets_per_user_target": base.meets_target,
            "draws": if bands.iter().any(Option::is_some) { n } else { 0 },
            "figures": m,
        });
        let mut b = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        b.push(b'\n');
        b
    } else {
        let mut out = format!(
            "Fleet of {} ({}); tokens/day of {}; P10-P90 over {} draws\n",
            acc.name,
            acc.id,
            workload.as_deref().unwrap_or("(no report.inference_workload)"),
            if bands.iter().any(Option::is_some) { n } else { 0 }
        );
        // Dollars as "$42.8B", power in MW, counts as "568T": readable at a glance; --json
        // keeps every digit.
        let show = |name: &str, x: f64| -> String {
            if !x.is_finite() {
                "-".into()
            } else if name.ends_with("_usd") || name.starts_with("usd_") {
                crate::fmt::usd(x)
            } else if name == "facility_mw" {
                format!("{} MW", crate::fmt::num(x, 4))
            } else {
                crate::chart::format_value(x, &crate::chart::Unit::Count)
            }
        };
        for ((name, x), b) in point.iter().zip(&bands) {
            let range = b.filter(|b| (b.p90 - b.p10).abs() > 1e-9 * x.abs()).map_or(String::new(), |b| {
                format!("  (P10 {} - P90 {})", show(name, b.p10), show(name, b.p90))
            });
            out.push_str(&format!("  {name:<28} {}{range}\n", show(name, *x)));
        }
        if base.meets_target == Some(false) {
            out.push_str("  (output tokens below the workload's per-user target: the chip's fastest replica is a slower service)\n");
        }
        out.into_bytes()
    };
    output::stdout(&bytes)?;
    Ok(())
}

fn explain(cfg: &Config, workload: &str, accelerator: &str) -> Result<(), AppError> {
    let w = find_workload(cfg, workload)?;
    let acc = find_accelerator(cfg, accelerator)?;
    let v = cfg.params.base_values();
    let mut rec = Recorder::default();
    let result = w.estimate(cfg, acc, &v, &mut rec);
    let heading = format!(
        "{} ({}) on {} ({}), basis {} ({})",
        w.id(),
        w.name(),
        acc.id,
        acc.name,
        cfg.economics.basis.name(),
        cfg.economics.basis_origin
    );
    let mut text = rec.render(cfg, &heading);
    match result {
        Ok(f) => {
            let (name, unit) = w.metric_name();
            let _ = writeln!(text, "\nResult: {name} = {} {unit}", num(f.metric(), 6));
            if let Some(r) = cfg.accelerator(&cfg.report.reference).filter(|r| r.id != acc.id)
                && let Ok(rf) = w.estimate(cfg, r, &v, &mut ())
            {
                let _ = writeln!(
                    text,
                    "Relative to the reference {}: {} / {} = {}x",
                    r.id,
                    num(f.metric(), 6),
                    num(rf.metric(), 6),
                    num(f.metric() / rf.metric(), 4)
                );
                // The headline compares a request (input and output tokens of the workload's
                // shape): USD per million tokens of the whole request, over the reference's.
                if let (Figures::Inference(a), Figures::Inference(b)) = (&f, &rf) {
                    let _ = writeln!(
                        text,
                        "Per request (the headline's ratio, USD per million tokens of a whole request): {} / {} = {}x",
                        num(a.usd_per_m_tokens, 6),
                        num(b.usd_per_m_tokens, 6),
                        num(a.usd_per_m_tokens / b.usd_per_m_tokens, 4)
                    );
                }
            }
        }
        Err(s) => {
            let _ = writeln!(text, "\nNot costed: {}", escape(&format!("{} {s}", acc.id)));
        }
    }
    let _ = writeln!(
        text,
        "\nPrice: basis {}, {} market, fallback {}. Offers of {}:",
        cfg.economics.basis.name(),
        cfg.economics.market.words(),
        if cfg.economics.fallback { "any" } else { "none" },
        acc.id
    );
    let chosen = match acc.price_choice(&cfg.economics) {
        crate::model::price::PriceChoice::Offer { offer, note } => {
            if let Some(n) = note {
                let _ = writeln!(text, "  note: {}", escape(&n));
            }
            Some(offer.id.clone())
        }
        crate::model::price::PriceChoice::Owned { .. } => {
            let _ = writeln!(text, "  owned basis: total cost of ownership from [accelerator.owned]");
            if acc.not_sold() {
                let _ = writeln!(
                    text,
                    "  chip_usd is an internal cost estimate: {} does not sell {}",
                    escape(&acc.vendor),
                    acc.id
                );
            }
            None
        }
        crate::model::price::PriceChoice::Missing => None,
    };
    for o in &acc.offers {
        let mark = if chosen.as_deref() == Some(o.id.as_str()) { "->" } else { "  " };
        let mut state = match &o.valid_from {
            Some(f) => format!("  valid from {f}"),
            None => String::new(),
        };
        match (&o.superseded_by, &o.valid_until) {
            (Some(n), Some(u)) => state.push_str(&format!("  (superseded by {n} from {u})")),
            (Some(n), None) => state.push_str(&format!("  (superseded by {n})")),
            _ => {}
        }
        let _ = writeln!(
            text,
            "  {mark} {:<28} {:<11} ${}/chip-h  {}{}{state}",
            o.id,
            o.class.name(),
            num(crate::model::trace::get(&v, o.price, "offer price", &mut ()), 4),
            escape(&o.label()),
            if o.estimate { " ESTIMATE" } else { "" }
        );
    }
    output::stdout(text.as_bytes())?;
    Ok(())
}

fn calibrate_cmd(cfg: &Config, json: bool, fit: bool) -> Result<(), AppError> {
    let v = cfg.params.base_values();
    let rep = calibrate(cfg, &v);
    let serving = fit.then(|| crate::model::serve_fit::fit(cfg, &v, &this_month()));
    let bytes = if json {
        let mut val = serde_json::to_value(&rep).unwrap_or_default();
        if let (Some(f), Some(m)) = (&serving, val.as_object_mut()) {
            m.insert("serving_fit".into(), serde_json::to_value(f).unwrap_or_default());
        }
        training_fit_json(cfg, &rep, fit, &mut val);
        let mut b = serde_json::to_vec_pretty(&val).unwrap_or_default();
        b.push(b'\n');
        b
    } else {
        let mut s = export::table::text(&export::calibration_grid(&rep));
        if fit {
            s.push_str(&training_fit_text(cfg, &rep));
        }
        if !rep.benchmarks.is_empty() {
            for g in export::benchmark_grids(&rep) {
                s.push('\n');
                s.push_str(&export::table::text(&g));
            }
        }
        if let Some(f) = &serving {
            s.push('\n');
            s.push_str(&serving_fit_text(f));
        }
        s.into_bytes()
    };
    output::stdout(&bytes)?;
    Ok(())
}

/// `calibrate --fit`, training half: the fitted steady-state MFU and the TOML lines to paste.
fn training_fit_text(cfg: &Config, rep: &crate::model::calibrate::CalibrationReport) -> String {
    use crate::fmt::today;
    use crate::model::training_calibration::toml_lines;
    let mut s = String::from("\nTraining MFU fit (steady state, attention FLOPs counted; geometric mean of the runs' implied MFU):\n");
    for f in &rep.fit {
        let _ = writeln!(
            s,
            "  {} {}: {:.1}% (range {:.1}-{:.1}%) on {} run(s): {}",
            escape(&f.accelerator),
            f.precision,
            f.mfu * 100.0,
            f.low * 100.0,
            f.high * 100.0,
            f.runs.len(),
            escape(&f.runs.join(", "))
        );
    }
    for m in &rep.moe_fit {
        let key = if m.matmuls == "8-bit" {
            "training_moe_efficiency_fp8"
        } else {
            "training_moe_efficiency"
        };
        let _ = writeln!(
            s,
            "\nMoE training efficiency, {} matmuls (share of the chip's dense MFU at 10B active parameters; least squares of ln(share) = a + exponent * ln(active / 10B) over the MoE runs, exponent {:.3} shared by both widths): {:.3} (range {:.3}-{:.3} brought to 10B active) on {} run(s), each run's own share: {}",
            m.matmuls,
            m.exponent,
            m.efficiency,
            m.low,
            m.high,
            m.runs.len(),
            escape(&m.runs.iter().map(|(id, x)| format!("{id} {x:.3}")).collect::<Vec<_>>().join(", "))
        );
        let _ = writeln!(
            s,
            "Paste into [economics]:\n{key} = {{ low = {}, base = {}, high = {} }}",
            crate::fmt::num(m.low, 3),
            crate::fmt::num(m.efficiency, 3),
            crate::fmt::num(m.high, 3)
        );
    }
    if let Some(m) = rep.moe_fit.first() {
        let _ = writeln!(
            s,
            "Paste into [economics] (both widths):\ntraining_moe_active_exponent = {}",
            crate::fmt::num(m.exponent, 3)
        );
    }
    let _ = writeln!(s, "\nPaste into each accelerator's [accelerator.efficiency]:\n");
    // Escaped against control characters in ids, but one TOML line per line, ready to paste.
    s.push_str(&crate::config::diag::escape_except(&toml_lines(cfg, &rep.fit, &today()), &['\n']));
    s
}

/// `calibrate --json`: the training fit and its TOML lines only with `--fit`.
fn training_fit_json(cfg: &Config, rep: &crate::model::calibrate::CalibrationReport, fit: bool, v: &mut serde_json::Value) {
    let Some(m) = v.as_object_mut() else { return };
    if fit {
        use crate::fmt::today;
        use crate::model::training_calibration::toml_lines;
        let lines = toml_lines(cfg, &rep.fit, &today());
        m.insert("training_fit_toml".into(), serde_json::Value::String(lines));
    } else {
        m.remove("training_fit");
        m.remove("moe_fit");
    }
}

/// "YYYY-MM" of today (UTC), for the fit's source line.
fn this_month() -> String {
    crate::fmt::today().chars().take(7).collect()
}

/// The serving half of `calibrate --fit` as text: the held-out errors (in sample, 5-fold,
/// leave one chip out) overall, per chip and per source, the pooling strengths tried, the
/// fitted parameters and the TOML to paste.
fn serving_fit_text(f: &crate::model::serve_fit::ServingFit) -> String {
    use crate::config::ServingEfficiency;
    use crate::model::serve_fit::FitBasis;
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |e| format!("{e:.1}%"));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Serving fit (calibrate --fit): step-model efficiencies fitted on {} benchmarks, least squares on log error",
        f.points
    );
    let _ = writeln!(
        s,
        "  software parameters (per-layer overheads, moe_efficiency) one per serving stack; serving_mfu, weight_bw_eff, kv_bw_eff per chip, partially pooled towards the stack and the mean over stacks"
    );
    let _ = writeln!(s, "  median |error| in sample: {}", pct(f.median_abs_error_pct));
    let _ = writeln!(
        s,
        "  {}-fold cross-validated median |error|: {}",
        f.cv_folds,
        pct(f.cv_median_abs_error_pct)
    );
    let _ = writeln!(
        s,
        "  leave-one-chip-out median |error| (each chip predicted by the pooled fit it would borrow without its points): {}",
        pct(f.leave_chip_out_median_abs_error_pct)
    );
    let _ = writeln!(
        s,
        "  pooling strength (chip, stack) chosen by leave-one-chip-out: ({}, {}); tried (mean over chips of their leave-chip-out median |error|; over points):",
        f.chip_strength, f.stack_strength
    );
    for t in &f.strengths {
        let _ = writeln!(
            s,
            "    ({}, {}): {:.1}%; {}",
            t.chip_strength,
            t.stack_strength,
            t.mean_chip_leave_chip_out_pct,
            pct(t.leave_chip_out_median_abs_error_pct)
        );
    }
    let mut headers: Vec<String> = ["chip", "stack", "points", "fit", "in sample", "5-fold", "leave-chip-out"]
        .into_iter()
        .map(String::from)
        .collect();
    headers.extend(ServingEfficiency::KEYS.iter().map(|k| k.to_string()));
    let grid = export::Grid {
        title: "Fitted serving efficiencies per accelerator (median |error| of its points: in sample, 5-fold, leave-one-chip-out)".into(),
        headers,
        left_cols: 2,
        rows: f
            .chips
            .iter()
            .map(|c| {
                let mut r = vec![
                    c.accelerator.clone(),
                    c.stack.clone(),
                    c.points.to_string(),
                    match c.basis {
                        FitBasis::Own => "own".into(),
                        FitBasis::Stack => format!("ESTIMATE: {} pool, {} held out", c.stack, pct(c.heldout_error_pct)),
                        FitBasis::Global => format!("ESTIMATE: all stacks, {} held out", pct(c.heldout_error_pct)),
                    },
                    pct(c.median_abs_error_pct),
                    pct(c.cv_median_abs_error_pct),
                    pct(c.leave_chip_out_median_abs_error_pct),
                ];
                r.extend(c.base.iter().map(|x| num(*x, 3)));
                r
            })
            .collect(),
        notes: Vec::new(),
    };
    s.push_str(&export::table::text(&grid));
    let _ = writeln!(s, "\nBy source (median |error|: in sample / 5-fold / leave-one-chip-out):");
    for src in &f.sources {
        let _ = writeln!(
            s,
            "  {}: {} points, {} / {} / {}",
            escape(&src.source),
            src.points,
            pct(src.median_abs_error_pct),
            pct(src.cv_median_abs_error_pct),
            pct(src.leave_chip_out_median_abs_error_pct)
        );
    }
    if !f.cross.is_empty() {
        let _ = writeln!(
            s,
            "\nOne chip's benchmarks predicted with another chip's fit (same stack; fitted without the predicted chip's points):"
        );
        for c in &f.cross {
            let _ = writeln!(
                s,
                "  {} with {}'s fit: {} points, median |error| {}, largest {}",
                c.predicted,
                c.with_fit_of,
                c.points,
                pct(c.median_abs_error_pct),
                pct(c.max_abs_error_pct)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nTOML to paste into [accelerator.efficiency] (ranges: spread over the fold refits, at least +/-10%; borrowed: at least the leave-one-chip-out error, at least +/-20%; `shared`: one unknown in Monte Carlo):\n"
    );
    s.push_str(&f.toml);
    s
}

fn validate(cfg: &Config, all_defaults: bool) -> Result<(), AppError> {
    let mut s = String::new();
    // Config text (ids, names, paths) is shown escaped: one line each, no terminal codes.
    let e = |t: &str| escape(t).into_owned();
    let _ = writeln!(s, "Loaded {} file(s): {}", cfg.files.len(), e(&cfg.files.join(", ")));
    let _ = writeln!(
        s,
        "Basis: {} (set at {}), market {}, fallback {}",
        cfg.economics.basis.name(),
        e(&cfg.economics.basis_origin.to_string()),
        cfg.economics.market.name(),
        if cfg.economics.fallback { "any" } else { "none" }
    );
    let _ = writeln!(
        s,
        "Configs as of: {}   config hash: {}",
        e(cfg.as_of.as_deref().unwrap_or("(no as_of)")),
        cfg.hash
    );
    let v = cfg.params.base_values();
    let _ = writeln!(
        s,
        "\nAccelerators ({}), USD per chip-hour on basis {}:",
        cfg.accelerators.len(),
        cfg.economics.basis.name()
    );
    for &fam in Family::ALL {
        let accs: Vec<_> = cfg.accelerators.iter().filter(|a| a.family == fam).collect();
        if accs.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  {} ({}):", fam.name(), accs.len());
        for a in accs {
            let price = match crate::model::price::usd_per_chip_hour(&cfg.economics, a, cfg.economics.basis, &v, &mut ()) {
                Ok(p) => format!("{:>12}/chip-h", format!("${}", num(p, 4))),
                Err(why) => format!("no price: {why}"),
            };
            let offer = match crate::model::price::offer_of(cfg, a) {
                Some((o, note)) => format!("  {}{}", o.short(), if note.is_some() { " †" } else { "" }),
                None => String::new(),
            };
            let precisions: Vec<&str> = a.dense_tflops.iter().map(|(p, _)| p.name()).collect();
            let _ = writeln!(
                s,
                "    {:<10} {:<34} {}  {}  [{}]{}",
                e(&a.id),
                e(&a.name),
                a.year,
                price,
                precisions.join(" "),
                e(&offer)
            );
        }
    }
    let ids = |v: Vec<&str>| {
        if v.is_empty() { "(none)".to_string() } else { v.join(", ") }
    };
    let _ = writeln!(
        s,
        "\nTraining workloads ({}): {}",
        cfg.training.len(),
        e(&ids(cfg.training.iter().map(|w| w.id.as_str()).collect()))
    );
    let _ = writeln!(
        s,
        "Inference workloads ({}): {}",
        cfg.inference.len(),
        e(&ids(cfg.inference.iter().map(|w| w.id.as_str()).collect()))
    );
    let _ = writeln!(
        s,
        "Measured figures: {}   calibration runs: {}",
        cfg.measured.len(),
        cfg.calibration.len()
    );
    let ranged = cfg.params.infos.iter().filter(|i| i.ranged).count();
    let estimates = cfg
        .params
        .infos
        .iter()
        .filter(|i| i.estimate && !matches!(i.origin, Origin::Default))
        .count();
    let defaults: Vec<&config::ParamInfo> = cfg.params.infos.iter().filter(|i| matches!(i.origin, Origin::Default)).collect();
    let _ = writeln!(
        s,
        "Numbers: {} in all, {} given as ranges, {} marked as estimates",
        cfg.params.infos.len(),
        ranged,
        estimates
    );
    if !defaults.is_empty() {
        let _ = writeln!(
            s,
            "Built-in defaults used ({}{}):",
            defaults.len(),
            if all_defaults { "" } else { "; `validate --defaults` lists each" }
        );
        for line in defaults_summary(cfg, &defaults) {
            let _ = writeln!(s, "  {}", e(&line));
        }
        if all_defaults {
            let _ = writeln!(s, "Each built-in default:");
            for i in &defaults {
                let _ = writeln!(s, "  {} = {}", e(&i.path), default_value(&[i]));
            }
        }
    }
    let r = &cfg.report;
    let _ = writeln!(
        s,
        "Report: reference {}, training workload {}, inference workload {}, {} accelerators",
        e(&r.reference),
        e(r.training_workload.as_deref().unwrap_or("(none)")),
        e(r.inference_workload.as_deref().unwrap_or("(none)")),
        r.accelerators.len()
    );
    if cfg.overrides.is_empty() {
        let _ = writeln!(s, "Overrides: none");
    } else {
        let _ = writeln!(s, "Overrides applied:");
        for o in &cfg.overrides {
            let _ = writeln!(s, "  --set {}", e(o));
        }
    }
    let _ = writeln!(s, "Warnings: {}", cfg.warnings.len());
    output::stdout(s.as_bytes())?;
    Ok(())
}

/// The value of one or more defaults of one key: `256`, `0.66 / 0.9 / 0.97 (low / base /
/// high)`, or `from 0 to 1` when they differ.
fn default_value(infos: &[&config::ParamInfo]) -> String {
    let one = |i: &config::ParamInfo| {
        if i.ranged {
            format!("{} / {} / {} (low / base / high)", short(i.low), short(i.base), short(i.high))
        } else {
            short(i.base)
        }
    };
    let first = one(infos[0]);
    if infos.iter().all(|i| one(i) == first) {
        return first;
    }
    let lo = infos.iter().map(|i| i.base).fold(f64::INFINITY, f64::min);
    let hi = infos.iter().map(|i| i.base).fold(f64::NEG_INFINITY, f64::max);
    format!("from {} to {}", short(lo), short(hi))
}

/// Built-in defaults, one line per key: a key left to its default in several entries of a list
/// (`inference.<id>.max_batch`) is one line, "max_batch: default 256 in 91 inference workloads
/// (88 benchmarks)"; a key of `[economics]` is its path and value.
fn defaults_summary(cfg: &Config, defaults: &[&config::ParamInfo]) -> Vec<String> {
    // (list, key below the entry) -> the entries' ids and infos, in first-seen order.
    type Group<'a> = ((String, String), Vec<(&'a str, &'a config::ParamInfo)>);
    let mut groups: Vec<Group> = Vec::new();
    for i in defaults {
        let segs: Vec<&str> = i.path.splitn(3, '.').collect();
        let (group, id) = match segs.as_slice() {
            [list, id, key] if config::tree::LIST_KEYS.contains(list) => ((list.to_string(), key.to_string()), *id),
            _ => ((i.path.clone(), String::new()), ""),
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, v)) => v.push((id, i)),
            None => groups.push((group, vec![(id, i)])),
        }
    }
    groups
        .into_iter()
        .map(|((list, key), entries)| {
            let infos: Vec<&config::ParamInfo> = entries.iter().map(|(_, i)| *i).collect();
            let value = default_value(&infos);
            if key.is_empty() {
                return format!("{list}: default {value}");
            }
            let n = entries.len();
            let what = match (list.as_str(), n) {
                ("accelerator", 1) => "accelerator".to_string(),
                ("accelerator", _) => "accelerators".to_string(),
                ("inference", 1) => "inference workload".to_string(),
                ("inference", _) => "inference workloads".to_string(),
                ("training", 1) => "training workload".to_string(),
                ("training", _) => "training workloads".to_string(),
                (l, _) => format!("[[{l}]] entries"),
            };
            let benchmarks = if list == "inference" {
                let b = entries
                    .iter()
                    .filter(|(id, _)| cfg.inference.iter().any(|w| w.id == *id && w.benchmark))
                    .count();
                if b > 0 {
                    format!(" ({b} benchmark{})", if b == 1 { "" } else { "s" })
                } else {
                    String::new()
                }
            } else {
                String::new()
            };
            let single = if n == 1 { format!(" `{}`", entries[0].0) } else { String::new() };
            let verb = if value.starts_with("from") { "defaults" } else { "default" };
            format!("{key}: {verb} {value} in {n} {what}{single}{benchmarks}")
        })
        .collect()
}

/// `schema`: the JSON Schema or the key reference, both generated from the key declarations.
fn schema(format: crate::cli::SchemaFormat) -> Result<(), AppError> {
    let text = match format {
        crate::cli::SchemaFormat::Json => {
            let mut s = serde_json::to_string_pretty(&config::schema::json_schema()).map_err(|e| AppError::Io(e.to_string()))?;
            s.push('\n');
            s
        }
        crate::cli::SchemaFormat::Markdown => config::schema::markdown(),
    };
    output::stdout(text.as_bytes())?;
    Ok(())
}
