//! Fitting efficiencies to public measurements, shared by the training fit (MFU per chip and
//! precision) and the serving fit (the step model's efficiencies): least squares on the log of
//! predicted / measured, a bounded Nelder-Mead minimiser, and the error summaries that
//! `calibrate` prints (median |error|, leave-one-out, k-fold). Pure functions, no I/O.

/// Signed error of a prediction in percent: `(predicted / actual - 1) * 100`.
/// Example: predicted 110, actual 100 -> +10.0.
pub fn error_pct(predicted: f64, actual: f64) -> f64 {
    (predicted / actual - 1.0) * 100.0
}

/// Squared log error `ln(predicted / actual)^2`, the term the fits minimise: symmetric in
/// over- and under-prediction by the same factor. Infinite when either value is not positive.
pub fn log_sq_error(predicted: f64, actual: f64) -> f64 {
    if predicted > 0.0 && actual > 0.0 && predicted.is_finite() && actual.is_finite() {
        (predicted / actual).ln().powi(2)
    } else {
        f64::INFINITY
    }
}

/// Median of `xs` (mean of the two middle values for an even count); `None` when empty or
/// when any value is NaN.
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Median of the absolute values of `xs` (e.g. errors in percent).
pub fn median_abs(xs: &[f64]) -> Option<f64> {
    median(&xs.iter().map(|x| x.abs()).collect::<Vec<_>>())
}

/// Geometric mean of positive values; `None` when empty or any value is not positive.
/// The least-squares-on-log fit of one multiplicative factor is this mean of the ratios.
pub fn geometric_mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan() || *x <= 0.0 || !x.is_finite()) {
        return None;
    }
    Some((xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp())
}

/// Deterministic k-fold split of `n` items: item `i` goes to fold `i % k`. Returns the folds'
/// held-out index lists (empty folds are dropped, so `k > n` gives leave-one-out).
pub fn k_folds(n: usize, k: usize) -> Vec<Vec<usize>> {
    let k = k.max(1);
    let mut folds = vec![Vec::new(); k];
    for i in 0..n {
        folds[i % k].push(i);
    }
    folds.retain(|f| !f.is_empty());
    folds
}

/// Box bounds of one fitted parameter (both > 0: efficiencies, overheads).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub low: f64,
    pub high: f64,
}

/// Result of [`minimize`]: the parameters found and the objective there.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
}

/// Minimises `f` over positive parameters within `bounds`, starting at `x0`, by Nelder-Mead on
/// the logs of the parameters (so a factor of 2 is the same step at 0.01 as at 100), each
/// clamped to its bound. Deterministic. `x0` is clamped into the bounds first; `max_iter`
/// bounds the work. Non-finite objective values count as +infinity.
/// Stops once the simplex's values agree to `tol` (relative) and its vertices to
/// `max(tol, 1e-9)` in log space: a loose `tol` (e.g. 1e-7) stops sooner where a fit is refitted
/// many times (cross-validation) and the last digits do not matter.
pub fn minimize_to(f: impl Fn(&[f64]) -> f64, x0: &[f64], bounds: &[Bound], max_iter: usize, tol: f64) -> Minimum {
    let n = x0.len();
    let lo: Vec<f64> = bounds.iter().map(|b| b.low.max(f64::MIN_POSITIVE).ln()).collect();
    let hi: Vec<f64> = bounds.iter().map(|b| b.high.max(b.low).max(f64::MIN_POSITIVE).ln()).collect();
    let clamp = |u: &mut Vec<f64>| {
        for i in 0..n {
            u[i] = u[i].clamp(lo[i], hi[i]);
        }
    };
    let eval = |u: &[f64]| {
        let x: Vec<f64> = u.iter().map(|v| v.exp()).collect();
        let v = f(&x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut start: Vec<f64> = x0.iter().map(|x| x.max(f64::MIN_POSITIVE).ln()).collect();
    clamp(&mut start);
    if n == 0 {
        let value = eval(&start);
        return Minimum {
            x: Vec::new(),
            value,
            iterations: 0,
        };
    }
    // Initial simplex: a step of ln(1.5) (a factor 1.5) along each axis, inward at a bound.
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.clone(), eval(&start)));
    for i in 0..n {
        let mut u = start.clone();
        let step = 0.405;
        u[i] = if u[i] + step <= hi[i] { u[i] + step } else { u[i] - step };
        clamp(&mut u);
        let v = eval(&u);
        simplex.push((u, v));
    }
    let mut iterations = 0;
    while iterations < max_iter {
        iterations += 1;
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[n].1;
        if (worst - best).abs() <= tol * (1.0 + best.abs()) {
            let spread = (0..n)
                .map(|i| {
                    simplex.iter().map(|s| s.0[i]).fold(f64::NEG_INFINITY, f64::max)
                        - simplex.iter().map(|s| s.0[i]).fold(f64::INFINITY, f64::min)
                })
                .fold(0.0, f64::max);
            if spread < 1e-9_f64.max(tol) {
                break;
            }
        }
        let centroid: Vec<f64> = (0..n)
            .map(|i| simplex[..n].iter().map(|s| s.0[i]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| {
            let mut u: Vec<f64> = (0..n).map(|i| centroid[i] + t * (simplex[n].0[i] - centroid[i])).collect();
            clamp(&mut u);
            u
        };
        let xr = towards(-1.0);
        let fr = eval(&xr);
        if fr < simplex[0].1 {
            let xe = towards(-2.0);
            let fe = eval(&xe);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let xc = if fr < simplex[n].1 { towards(-0.5) } else { towards(0.5) };
            let fc = eval(&xc);
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (xc, fc);
            } else {
                // Shrink towards the best vertex.
                let best_u = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    let mut u: Vec<f64> = (0..n).map(|i| best_u[i] + 0.5 * (s.0[i] - best_u[i])).collect();
                    clamp(&mut u);
                    let v = eval(&u);
                    *s = (u, v);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (u, value) = simplex.swap_remove(0);
    Minimum {
        x: u.iter().map(|v| v.exp()).collect(),
        value,
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn error_and_log_error() {
        // 110 vs 100: +10%; ln(1.1)^2 = 0.0953102^2 = 0.0090840.
        assert_relative_eq!(error_pct(110.0, 100.0), 10.0, max_relative = 1e-12);
        assert_relative_eq!(log_sq_error(110.0, 100.0), 0.009_084_0, max_relative = 1e-4);
        // Symmetric in the factor: 2x over and 2x under weigh the same.
        assert_relative_eq!(log_sq_error(2.0, 1.0), log_sq_error(1.0, 2.0), max_relative = 1e-12);
        assert!(log_sq_error(0.0, 1.0).is_infinite());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median_abs(&[-5.0, 1.0, 3.0]), Some(3.0));
        // sqrt(2 * 8) = 4.
        assert_relative_eq!(geometric_mean(&[2.0, 8.0]).unwrap_or(0.0), 4.0, max_relative = 1e-12);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
    }

    #[test]
    fn folds_cover_every_item_once() {
        let folds = k_folds(7, 5);
        assert_eq!(folds.len(), 5);
        let mut all: Vec<usize> = folds.concat();
        all.sort();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        // k > n is leave-one-out.
        assert_eq!(k_folds(3, 10), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn recovers_known_factors() {
        // Measurements made by y = a * x1 + b * x2 with a = 0.4, b = 0.03: the fit on log
        // error must find them (the data are exact, so the minimum is 0 there).
        let pts: Vec<(f64, f64)> = vec![(1.0, 10.0), (2.0, 1.0), (5.0, 40.0), (0.5, 100.0)];
        let y: Vec<f64> = pts.iter().map(|(a, b)| 0.4 * a + 0.03 * b).collect();
        let f = |p: &[f64]| {
            pts.iter()
                .zip(&y)
                .map(|((a, b), m)| log_sq_error(p[0] * a + p[1] * b, *m))
                .sum::<f64>()
        };
        let bounds = [Bound { low: 0.01, high: 1.0 }, Bound { low: 0.001, high: 1.0 }];
        let m = minimize_to(f, &[0.9, 0.5], &bounds, 2000, 1e-12);
        assert_relative_eq!(m.x[0], 0.4, max_relative = 1e-4);
        assert_relative_eq!(m.x[1], 0.03, max_relative = 1e-4);
        assert!(m.value < 1e-10);
    }

    #[test]
    fn respects_bounds() {
        // The unconstrained minimum of (x - 5)^2 is 5; with x <= 2 it is 2.
        let m = minimize_to(|p| (p[0] - 5.0).powi(2), &[1.0], &[Bound { low: 0.5, high: 2.0 }], 500, 1e-12);
        assert_relative_eq!(m.x[0], 2.0, max_relative = 1e-9);
    }
}
