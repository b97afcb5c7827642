//! `explain`: the derivation of one figure, every input with its value, unit, key path, file:line
//! and source, every intermediate with its formula. Built from the model's own [`Trace`] events.

use std::fmt::Write;

use crate::config::{Config, Param};
use crate::fmt::short as trim;
use crate::model::trace::Trace;

enum Event {
    Input {
        label: String,
        param: Param,
        value: f64,
    },
    Derived {
        label: String,
        formula: String,
        value: f64,
        unit: String,
    },
    Note(String),
}

/// Records the model's steps in order.
#[derive(Default)]
pub struct Recorder {
    events: Vec<Event>,
}

impl Trace for Recorder {
    fn input(&mut self, label: &str, param: Param, value: f64) {
        let seen = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Input { param: p, .. } if *p == param));
        if !seen {
            self.events.push(Event::Input {
                label: label.into(),
                param,
                value,
            });
        }
    }
    fn derived(&mut self, label: &str, formula: &str, value: f64, unit: &str) {
        // A step the model needs twice (chip power for price and for energy) is shown once.
        let seen = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Derived { label: l, value: v, .. } if l == label && *v == value));
        if seen {
            return;
        }
        self.events.push(Event::Derived {
            label: label.into(),
            formula: formula.into(),
            value,
            unit: unit.into(),
        });
    }
    fn note(&mut self, text: String) {
        self.events.push(Event::Note(text));
    }
    fn enabled(&self) -> bool {
        true
    }
}

impl Recorder {
    /// The derivation as text a planner can follow.
    pub fn render(&self, cfg: &Config, heading: &str) -> String {
        let mut out = String::new();
        let mut sources: Vec<&str> = Vec::new();
        // Config text (names, sources, paths) is shown escaped: one line each, no terminal codes.
        let esc = |t: &str| crate::config::diag::escape(t).into_owned();
        let _ = writeln!(out, "{}\n", esc(heading));
        let _ = writeln!(out, "Inputs (value used, unit; key path and where it was set; source):");
        let mut k = 0;
        for e in &self.events {
            if let Event::Input { label, param, value } = e {
                k += 1;
                let i = cfg.params.info(*param);
                let range = if i.ranged {
                    format!("   range {} / {} / {} (low / base / high)", trim(i.low), trim(i.base), trim(i.high))
                } else {
                    String::new()
                };
                let est = if i.estimate { "   ESTIMATE" } else { "" };
                let _ = writeln!(out, "  [{k}] {} = {} {}{range}{est}", esc(label), trim(*value), i.unit);
                let _ = writeln!(out, "       {} at {}", esc(&i.path), esc(&i.origin.to_string()));
                if let Some(c) = &i.conversion {
                    let _ = writeln!(out, "       {}", esc(c));
                }
                if let Some(src) = &i.source {
                    let n = match sources.iter().position(|x| *x == &**src) {
                        Some(n) => n,
                        None => {
                            sources.push(src);
                            sources.len() - 1
                        }
                    };
                    let date = i.as_of.as_deref().map(|d| format!(", as of {}", esc(d))).unwrap_or_default();
                    let _ = writeln!(out, "       source [S{}]{date}", n + 1);
                } else if let crate::config::Origin::File { file, .. } = &i.origin {
                    // A file's table that gives no `source`: its figures are the planner's own.
                    let _ = writeln!(out, "       no source given ({})", esc(file));
                }
            }
        }
        let _ = writeln!(out, "\nSteps:");
        for e in &self.events {
            match e {
                Event::Derived {
                    label,
                    formula,
                    value,
                    unit,
                } => {
                    let _ = writeln!(out, "  {} = {}\n      = {} {unit}", esc(label), esc(formula), trim(*value));
                }
                Event::Note(n) => {
                    // The model's own line breaks are lines (each escaped: config text inside a
                    // note is escaped where the note is written, so it cannot add one).
                    let mut lines = n.split('\n');
                    let _ = writeln!(out, "  note: {}", esc(lines.next().unwrap_or_default()));
                    for line in lines {
                        let _ = writeln!(out, "        {}", esc(line));
                    }
                }
                Event::Input { .. } => {}
            }
        }
        if !sources.is_empty() {
            let _ = writeln!(out, "\nSources:");
            for (n, src) in sources.iter().enumerate() {
                let _ = writeln!(out, "  [S{}] {}", n + 1, esc(src));
            }
        }
        out
    }
}
