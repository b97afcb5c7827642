//! Optional step recording: the formula functions report each input and intermediate to a
//! [`Trace`], so `explain` shows exactly what the numbers were computed from, with no second
//! copy of any formula. The no-op `()` tracer costs nothing in hot loops.

use crate::config::Param;

pub trait Trace {
    /// A config number used as an input, with the value used (base, sampled or overridden).
    fn input(&mut self, _label: &str, _param: Param, _value: f64) {}
    /// An intermediate or result, with the formula that gave it.
    fn derived(&mut self, _label: &str, _formula: &str, _value: f64, _unit: &str) {}
    /// A remark (a default applied, a measured figure used, ...). Its `\n` are line breaks
    /// `explain` prints as lines; config text (names, providers) in it must be escaped by the
    /// caller (`crate::config::diag::escape`).
    fn note(&mut self, _text: String) {}
    /// Whether this tracer keeps anything (lets callers skip building note text).
    fn enabled(&self) -> bool {
        false
    }
}

impl Trace for () {}

/// Reads a config number from a value vector and reports it to the tracer.
#[inline]
pub fn get(v: &[f64], p: Param, label: &str, t: &mut impl Trace) -> f64 {
    let x = v[p.0];
    t.input(label, p, x);
    x
}

/// Records a derived value and returns it, so formulas read as one line each.
#[inline]
pub fn d(t: &mut impl Trace, label: &str, formula: &str, value: f64, unit: &str) -> f64 {
    t.derived(label, formula, value, unit);
    value
}
