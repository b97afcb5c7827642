//! Uncertainty (docs/model.md "Uncertainty"): seeded Monte Carlo over every ranged input, each drawn
//! from a PERT distribution on (low, base, high), and percentiles of any figure.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

use crate::config::{Param, ParamTable};

use super::trace::Trace;

/// P10, P50 and P90 of a figure.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Band {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Band {
    /// A band that is a single value (no ranged input).
    pub fn point(x: f64) -> Band {
        Band { p10: x, p50: x, p90: x }
    }
}

/// Draws are made and read in chunks of this many. The first chunk of every drawn input is
/// kept; each later chunk is drawn again, from the input's stream position saved at the chunk's
/// start, whenever it is read. So the draws held do not grow with `n` (the default 2,000 draws
/// fit in the kept chunk and are never drawn twice), and a value read from a later chunk is
/// the very value the stream gave the first time.
pub const CHUNK: usize = 2048;

/// Monte Carlo draws of the ranged inputs a command uses (docs/model.md "Uncertainty"): `n` draws,
/// each a value vector (indexed by [`Param`]) with the drawn inputs from their PERT
/// distribution and every other number at its base value.
///
/// Each input's draws come from its own ChaCha8 stream, keyed by the seed and the input's key
/// path (or its `shared` name: numbers naming one shared unknown draw one column of values): the draws of one input do not depend on which other inputs are drawn, so a subset
/// report (fewer chips, fewer workloads) draws each chip exactly as the full one does, and the
/// same seed gives the same draws on every platform. Held per drawn input: its first
/// [`CHUNK`] draws and one stream position (16 bytes) per later chunk, so memory is about
/// (inputs drawn) x `min(n, CHUNK)` values, not (inputs drawn) x `n`.
#[derive(Clone, Debug)]
pub struct Draws {
    base: Vec<f64>,
    cols: Vec<Column>,
    n: usize,
    seed: u64,
}

/// One drawn input: its distribution, stream, kept first chunk and later chunks' positions.
#[derive(Clone, Debug)]
struct Column {
    /// Index of the input in the value vector.
    param: usize,
    pert: PertGammas,
    stream: u64,
    /// The first `min(n, CHUNK)` draws.
    head: Vec<f64>,
    /// `marks[k - 1]`: the stream's word position where chunk `k` (k >= 1) starts.
    marks: Vec<u128>,
}

impl Column {
    /// Draws `len` values of chunk `k` (>= 1) into `buf`, from the position saved for it.
    fn redraw(&self, seed: u64, k: usize, len: usize, buf: &mut Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.marks[k - 1]);
        buf.clear();
        buf.extend((0..len).map(|_| self.pert.sample(&mut rng)));
    }
}

impl Draws {
    /// `n` draws of the ranged inputs among `used` (duplicates and unranged ones are ignored;
    /// a range with `low == high` stays at its base).
    pub fn new(params: &ParamTable, used: impl IntoIterator<Item = Param>, n: usize, seed: u64) -> Draws {
        let mut idx: Vec<usize> = used.into_iter().filter(|p| params.info(*p).ranged).map(|p| p.0).collect();
        idx.sort_unstable();
        idx.dedup();
        let column = |k: &usize| {
            let i = &params.infos[*k];
            let pert = pert_gammas(i.low, i.base, i.high)?;
            let stream = stream_of(params.draw_key(Param(*k)));
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(stream);
            let head = (0..n.min(CHUNK)).map(|_| pert.sample(&mut rng)).collect();
            // The later chunks are drawn once here only to learn where each starts.
            let mut marks = Vec::with_capacity(n.saturating_sub(1) / CHUNK);
            for i in CHUNK..n {
                if i % CHUNK == 0 {
                    marks.push(rng.get_word_pos());
                }
                pert.sample(&mut rng);
            }
            Some(Column {
                param: *k,
                pert,
                stream,
                head,
                marks,
            })
        };
        let cols = on_both_cores(&idx, column).into_iter().flatten().collect();
        Draws {
            base: params.base_values(),
            cols,
            n,
            seed,
        }
    }

    /// `n` draws of every ranged input of the config.
    pub fn all(params: &ParamTable, n: usize, seed: u64) -> Draws {
        Draws::new(params, params.ranged(), n, seed)
    }

    /// `n` draws that are all the base vector `base` (no input varies).
    pub fn constant(base: Vec<f64>, n: usize) -> Draws {
        Draws {
            base,
            cols: Vec::new(),
            n,
            seed: 0,
        }
    }

    /// Number of draws.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The first `k` draws (all of them when `k >= len`).
    pub fn first(&self, k: usize) -> Draws {
        let n = k.min(self.n);
        let cols = self
            .cols
            .iter()
            .map(|c| Column {
                head: c.head[..n.min(CHUNK)].to_vec(),
                marks: c.marks[..n.saturating_sub(1) / CHUNK].to_vec(),
                ..c.clone()
            })
            .collect();
        Draws {
            base: self.base.clone(),
            cols,
            n,
            seed: self.seed,
        }
    }

    /// The inputs that vary, in param order.
    pub fn drawn(&self) -> impl Iterator<Item = Param> + '_ {
        self.cols.iter().map(|c| Param(c.param))
    }

    /// The `n` draws of one input (`None` when it is not drawn).
    pub fn column(&self, p: Param) -> Option<Vec<f64>> {
        let c = self.cols.iter().find(|c| c.param == p.0)?;
        let mut out = Vec::with_capacity(self.n);
        self.each_with(&[c], 0..self.n, |_, v| out.push(v[p.0]));
        Some(out)
    }

    /// Bytes held for the draws' values (kept chunks and chunk positions), whatever `n`
    /// beyond [`CHUNK`]: the structural side of "memory flat in draws".
    pub fn held_bytes(&self) -> usize {
        self.cols
            .iter()
            .map(|c| c.head.capacity() * size_of::<f64>() + c.marks.capacity() * size_of::<u128>())
            .sum()
    }

    /// Draw `i` as a whole value vector.
    pub fn vector(&self, i: usize) -> Vec<f64> {
        let mut out = self.base.clone();
        self.each(i..i + 1, |_, v| out.copy_from_slice(v));
        out
    }

    /// `f(i, v)` for each draw `i` in `range` (clipped to the draws), in order, with `v` the
    /// draw's value vector. One buffer is reused: a draw costs the inputs drawn, not a copy of
    /// every number.
    pub fn each(&self, range: std::ops::Range<usize>, f: impl FnMut(usize, &[f64])) {
        let cols: Vec<&Column> = self.cols.iter().collect();
        self.each_with(&cols, range, f);
    }

    /// [`Draws::each`] where only `inputs` vary (the others stay at base): for a figure that
    /// reads no other ranged input (its traced dependencies) the vectors are equivalent, and a
    /// draw costs its own inputs instead of every input drawn.
    pub fn each_of(&self, inputs: &[Param], range: std::ops::Range<usize>, f: impl FnMut(usize, &[f64])) {
        let cols: Vec<&Column> = self.cols.iter().filter(|c| inputs.contains(&Param(c.param))).collect();
        self.each_with(&cols, range, f);
    }

    /// Walks `range` chunk by chunk: the kept first chunk is read in place, a later one is
    /// drawn again into one buffer per input (reused from chunk to chunk).
    fn each_with(&self, cols: &[&Column], range: std::ops::Range<usize>, mut f: impl FnMut(usize, &[f64])) {
        let mut v = self.base.clone();
        let mut bufs: Vec<Vec<f64>> = Vec::new();
        let end = range.end.min(self.n);
        let mut i = range.start;
        while i < end {
            let k = i / CHUNK;
            let start = k * CHUNK;
            let stop = end.min(start + CHUNK);
            let slices: Vec<(usize, &[f64])> = if k == 0 {
                cols.iter().map(|c| (c.param, c.head.as_slice())).collect()
            } else {
                bufs.resize_with(cols.len(), Vec::new);
                for (c, b) in cols.iter().zip(bufs.iter_mut()) {
                    c.redraw(self.seed, k, stop - start, b);
                }
                cols.iter().zip(&bufs).map(|(c, b)| (c.param, b.as_slice())).collect()
            };
            for j in i..stop {
                for (p, s) in &slices {
                    v[*p] = s[j - start];
                }
                f(j, &v);
            }
            i = stop;
        }
    }

    /// `f` of every draw, in order.
    pub fn map<R>(&self, mut f: impl FnMut(&[f64]) -> R) -> Vec<R> {
        let mut out = Vec::with_capacity(self.n);
        self.each(0..self.n, |_, v| out.push(f(v)));
        out
    }
}

/// PERT(low, mode, high) as `low + (high - low) * X / (X + Y)` with X ~ Gamma(alpha),
/// Y ~ Gamma(beta), alpha = 1 + 4 (mode - low) / (high - low), beta = 1 + 4 (high - mode) /
/// (high - low): the same distribution as `rand_distr::Pert` (X / (X + Y) is Beta(alpha, beta)),
/// drawn from two Marsaglia-Tsang gamma variates, about 2.8 times faster here than rand_distr's
/// Beta sampler (Cheng's algorithm, a log and an exp per try). `None` when `high <= low` or the
/// mode lies outside.
#[derive(Clone, Copy, Debug)]
struct PertGammas {
    low: f64,
    width: f64,
    x: Gamma<f64>,
    y: Gamma<f64>,
}

impl PertGammas {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        let (x, y) = (self.x.sample(rng), self.y.sample(rng));
        self.low + self.width * x / (x + y)
    }
}

fn pert_gammas(low: f64, mode: f64, high: f64) -> Option<PertGammas> {
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) || !(low..=high).contains(&mode) {
        return None;
    }
    let width = high - low;
    let alpha = 1.0 + 4.0 * (mode - low) / width;
    let beta = 1.0 + 4.0 * (high - mode) / width;
    Some(PertGammas {
        low,
        width,
        x: Gamma::new(alpha, 1.0).ok()?,
        y: Gamma::new(beta, 1.0).ok()?,
    })
}

/// The ChaCha stream of one input: FNV-1a of its key path (stable across runs, platforms and
/// config edits that add or remove other inputs).
fn stream_of(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub use crate::par::on_both_cores;

/// The `q`-quantile (0..1) of sorted values, linear between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let w = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * w
}

/// The `q`-quantile of unsorted values, as [`quantile`] would give on them sorted, in linear
/// time (selection instead of a sort: Monte Carlo bands take thousands of these).
fn select_quantile(xs: &mut [f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (xs.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let w = pos - lo as f64;
    let (_, a, right) = xs.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    if w == 0.0 || right.is_empty() {
        return a;
    }
    let b = right.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * w
}

/// Fewer draws than this give no bands and no P10/P90 figures (docs/model.md "Uncertainty"): the
/// 10th percentile of a handful of draws is one draw, noise shown as knowledge.
pub const MIN_DRAWS: usize = 100;

/// P10/P50/P90 of the finite samples, as they fall: not widened to include the point figure
/// (where a range's base sits at its end, the point figure may lie outside [P10, P90], and that
/// is what the planner should see). `None` with fewer than [`MIN_DRAWS`] finite samples.
pub fn band(samples: &mut Vec<f64>) -> Option<Band> {
    samples.retain(|x| x.is_finite());
    if samples.len() < MIN_DRAWS {
        return None;
    }
    // The median first; P10 then lies in the part below it and P90 in the part above (same
    // order statistics as three selections over the whole column, at about half the work).
    let n = samples.len();
    let mid = (0.5 * (n - 1) as f64).floor() as usize;
    let p50 = select_quantile(samples, 0.5);
    let (low, high) = samples.split_at_mut(mid + 1);
    let p10 = quantile_in(low, 0, n, 0.1);
    let p90 = quantile_in(high, mid + 1, n, 0.9);
    Some(Band { p10, p50, p90 })
}

/// The `q`-quantile of `n` values of which `part` holds the order statistics from `offset` on
/// (as left by a selection at `offset - 1` or before `part.len()`), for a `q` whose order
/// statistics fall inside `part`.
fn quantile_in(part: &mut [f64], offset: usize, n: usize, q: f64) -> f64 {
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize - offset;
    let w = pos - pos.floor();
    let (_, a, right) = part.select_nth_unstable_by(lo, f64::total_cmp);
    let a = *a;
    if w == 0.0 || right.is_empty() {
        return a;
    }
    let b = right.iter().copied().fold(f64::INFINITY, f64::min);
    a + (b - a) * w
}

/// A tracer that records which config numbers a figure reads.
#[derive(Default)]
pub struct Deps {
    pub params: Vec<Param>,
}

impl Trace for Deps {
    fn input(&mut self, _label: &str, param: Param, _value: f64) {
        if !self.params.contains(&param) {
            self.params.push(param);
        }
    }
}

impl Deps {
    /// The ranged numbers among the recorded ones.
    pub fn ranged(&self, table: &ParamTable) -> Vec<Param> {
        self.params.iter().copied().filter(|p| table.info(*p).ranged).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Origin, ParamInfo};

    fn table(low: f64, base: f64, high: f64) -> ParamTable {
        let mut t = ParamTable::default();
        t.push(ParamInfo {
            path: "x".into(),
            unit: "",
            low,
            base,
            high,
            ranged: true,
            origin: Origin::Default,
            source: None,
            as_of: None,
            estimate: false,
            conversion: None,
        });
        t
    }

    #[test]
    fn pert_mean_and_spread_match_theory() {
        // PERT(a=1, m=2, c=5): mean = (a + 4m + c) / 6 = 14/6 = 2.3333;
        // alpha = 1 + 4 (m - a)/(c - a) = 2, beta = 1 + 4 (c - m)/(c - a) = 4;
        // var = (mean - a)(c - mean) / 7 = 1.3333 * 2.6667 / 7 = 0.50794, sd = 0.71270
        let d = Draws::all(&table(1.0, 2.0, 5.0), 40_000, 7);
        let xs = d.column(Param(0)).expect("the ranged input is drawn").to_vec();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!((mean - 2.3333).abs() < 0.02, "mean {mean}");
        assert!((var.sqrt() - 0.7127).abs() < 0.02, "sd {}", var.sqrt());
        assert!(xs.iter().all(|x| (1.0..=5.0).contains(x)));
        // Mode at the low end, PERT(0, 0, 1): alpha = 1, beta = 5; mean = 1/6 = 0.16667;
        // var = alpha beta / ((alpha + beta)^2 (alpha + beta + 1)) = 5 / (36 * 7) = 0.019841,
        // sd = 0.14086.
        let d = Draws::all(&table(0.0, 0.0, 1.0), 40_000, 11);
        let xs = d.column(Param(0)).expect("drawn").to_vec();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((mean - 0.16667).abs() < 0.005, "mean {mean}");
        assert!((sd - 0.14086).abs() < 0.005, "sd {sd}");
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        // A range of width zero, or a base outside it, is not drawn.
        assert!(pert_gammas(2.0, 2.0, 2.0).is_none() && pert_gammas(1.0, 7.0, 5.0).is_none());
    }

    #[test]
    fn same_seed_same_samples_other_seed_other_samples() {
        let t = table(1.0, 2.0, 5.0);
        let col = |seed| Draws::all(&t, 10, seed).column(Param(0));
        assert_eq!(col(42), col(42));
        assert_ne!(col(42), col(43));
    }

    #[test]
    fn an_input_draws_the_same_whatever_else_is_drawn() {
        // Three ranged inputs; drawing only the last must give it the very values it gets when
        // all three are drawn (its stream is keyed by its path, not its position).
        let mut t = table(1.0, 2.0, 5.0);
        for path in ["y", "z"] {
            let mut info = t.infos[0].clone();
            info.path = path.into();
            t.push(info);
        }
        let all = Draws::all(&t, 50, 3);
        let only_z = Draws::new(&t, [Param(2)], 50, 3);
        assert_eq!(all.column(Param(2)), only_z.column(Param(2)));
        assert_eq!(only_z.column(Param(0)), None);
        // Different inputs with the same range are not the same stream.
        assert_ne!(all.column(Param(0)), all.column(Param(1)));
        // A draw's vector: the drawn value where drawn, base elsewhere.
        let v = only_z.vector(7);
        assert_eq!((v[0], v[1]), (2.0, 2.0));
        assert_eq!(v[2], only_z.column(Param(2)).unwrap()[7]);
        // `each` hands out the same vectors, and `first` keeps the first draws.
        let mut seen = Vec::new();
        only_z.each(5..9, |i, v| seen.push((i, v[2])));
        // `each_of` varies only the inputs asked for.
        let mut none = Vec::new();
        all.each_of(&[Param(1)], 0..3, |_, v| none.push((v[0], v[2])));
        assert_eq!(none, vec![(2.0, 2.0); 3]);
        let col = only_z.column(Param(2)).unwrap();
        assert_eq!(seen, (5..9).map(|i| (i, col[i])).collect::<Vec<_>>());
        assert_eq!(only_z.first(10).column(Param(2)), Some(col[..10].to_vec()));
        assert_eq!(only_z.first(500).len(), 50);
    }

    #[test]
    fn numbers_sharing_one_unknown_draw_one_column() {
        // x and y name the shared unknown "pool.mfu" with the same range: every draw gives
        // them the same value; z, same range but not shared, draws its own.
        let mut t = table(0.3, 0.4, 0.6);
        for path in ["y", "z"] {
            let mut info = t.infos[0].clone();
            info.path = path.into();
            t.push(info);
        }
        t.shared.insert(Param(0), "pool.mfu".into());
        t.shared.insert(Param(1), "pool.mfu".into());
        let d = Draws::all(&t, 200, 9);
        assert_eq!(d.column(Param(0)), d.column(Param(1)));
        assert_ne!(d.column(Param(0)), d.column(Param(2)));
        // Drawn alone, a shared number still draws the unknown's values.
        assert_eq!(Draws::new(&t, [Param(1)], 200, 9).column(Param(1)), d.column(Param(0)));
    }

    #[test]
    fn later_chunks_are_drawn_again_as_the_stream_first_gave_them() {
        // The stream drawn straight through, as one n-long column: what every draw must be,
        // whether it sits in the kept first chunk or in a chunk drawn again from its position.
        let t = table(1.0, 2.0, 5.0);
        let n = 2 * CHUNK + 37;
        let pert = pert_gammas(1.0, 2.0, 5.0).expect("a valid range");
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        rng.set_stream(stream_of("x"));
        let straight: Vec<f64> = (0..n).map(|_| pert.sample(&mut rng)).collect();
        let d = Draws::all(&t, n, 5);
        assert_eq!(d.column(Param(0)), Some(straight.clone()));
        // A range that starts inside one chunk and ends inside another, and one draw alone.
        let mut seen = Vec::new();
        d.each(CHUNK - 3..2 * CHUNK + 2, |i, v| seen.push((i, v[0])));
        let want: Vec<(usize, f64)> = (CHUNK - 3..2 * CHUNK + 2).map(|i| (i, straight[i])).collect();
        assert_eq!(seen, want);
        assert_eq!(d.vector(2 * CHUNK + 36)[0], straight[2 * CHUNK + 36]);
        // `first` cut inside the second chunk keeps its later draws reachable.
        assert_eq!(d.first(CHUNK + 5).column(Param(0)), Some(straight[..CHUNK + 5].to_vec()));
    }

    #[test]
    fn draws_held_do_not_grow_with_the_number_of_draws() {
        // Memory flat in draws: past the kept chunk, a draw adds no value held, only a 16-byte
        // stream position per CHUNK draws. One input: CHUNK values (2048 x 8 = 16,384 bytes),
        // plus (50,000 - 1) / 2048 = 24 positions (384 bytes) at 50,000 draws.
        let t = table(1.0, 2.0, 5.0);
        let kept = CHUNK * size_of::<f64>();
        assert_eq!(Draws::all(&t, CHUNK, 1).held_bytes(), kept);
        assert_eq!(Draws::all(&t, 50_000, 1).held_bytes(), kept + 24 * 16);
        assert_eq!(Draws::all(&t, 100, 1).held_bytes(), 100 * size_of::<f64>());
    }

    #[test]
    fn quantiles_interpolate_and_bands_are_the_draws_percentiles() {
        let s: Vec<f64> = (0..=10).map(f64::from).collect();
        // position 0.1 * 10 = 1 -> 1.0; 0.5 -> 5.0; 0.9 -> 9.0
        assert_eq!(quantile(&s, 0.1), 1.0);
        assert_eq!(quantile(&s, 0.5), 5.0);
        // 0..=100: P10 at position 0.1 * 100 = 10 -> 10.0, P90 -> 90.0, never widened to a
        // point figure outside them.
        let mut hundred: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(
            band(&mut hundred),
            Some(Band {
                p10: 10.0,
                p50: 50.0,
                p90: 90.0
            })
        );
        // 99 draws are too few for a band.
        let mut few: Vec<f64> = (0..99).map(f64::from).collect();
        assert_eq!(band(&mut few), None);
        // selection agrees with sorting on scrambled data
        let mut scrambled: Vec<f64> = (0..1000).map(|k| ((k * 7919) % 1000) as f64).collect();
        let mut sorted = scrambled.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.1, 0.333, 0.5, 0.9, 1.0] {
            assert_eq!(select_quantile(&mut scrambled, q), quantile(&sorted, q));
        }
        // the split selection gives the percentiles a full sort gives, at every size
        for n in [100usize, 101, 102, 103, 999, 1000, 2000, 2001] {
            let mut xs: Vec<f64> = (0..n).map(|k| ((k * 7919 + 13) % n) as f64 * 0.37).collect();
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            let b = band(&mut xs).expect("enough draws");
            assert_eq!(
                (b.p10, b.p50, b.p90),
                (quantile(&sorted, 0.1), quantile(&sorted, 0.5), quantile(&sorted, 0.9)),
                "n = {n}"
            );
        }
        // no ranged input: every sample equals the point
        let mut flat = vec![3.0; 200];
        assert_eq!(band(&mut flat), Some(Band::point(3.0)));
    }
}
