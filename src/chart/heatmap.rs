//! Break-even heatmap: cells coloured on a diverging scale centred on the contour value (green
//! below = cheaper than the reference, red above), a colour bar, the contour traced with
//! marching squares and labelled in line, and a marker for today's point.

use std::collections::HashMap;

use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::axis;
use super::draw::{Align, Font, Painter, Region};
use super::layout::{self, AxisData, DomainRule};
use super::style::*;
use super::{AxisScale, ChartError, Heatmap, Unit};

/// Valid grid coordinates of one axis: (original index, value), sorted by value, and the cell
/// boundaries between them in transformed (log10 for log axes) space.
struct Grid {
    idx: Vec<usize>,
    t: Vec<f64>,
    bounds: Vec<f64>,
}

fn grid(values: &[f64], scale: AxisScale) -> Grid {
    let tr = |v: f64| match scale {
        AxisScale::Linear => v,
        AxisScale::Log => v.log10(),
    };
    let mut pts: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| axis::valid(**v, scale))
        .map(|(i, v)| (i, tr(*v)))
        .collect();
    pts.sort_by(|a, b| a.1.total_cmp(&b.1));
    pts.dedup_by(|a, b| (a.1 - b.1).abs() < 1e-12);
    let t: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let mut bounds = Vec::with_capacity(t.len() + 1);
    match t.len() {
        0 => {}
        1 => {
            let h = match scale {
                AxisScale::Linear => (t[0].abs() * 0.1).max(0.5),
                AxisScale::Log => 0.15,
            };
            bounds.extend([t[0] - h, t[0] + h]);
        }
        n => {
            bounds.push(t[0] - (t[1] - t[0]) / 2.0);
            for w in t.windows(2) {
                bounds.push((w[0] + w[1]) / 2.0);
            }
            bounds.push(t[n - 1] + (t[n - 1] - t[n - 2]) / 2.0);
        }
    }
    Grid {
        idx: pts.iter().map(|p| p.0).collect(),
        t,
        bounds,
    }
}

fn untr(t: f64, scale: AxisScale) -> f64 {
    match scale {
        AxisScale::Linear => t,
        AxisScale::Log => 10f64.powf(t),
    }
}

/// Deviation from the contour value that the colours show: log ratio when every value is
/// positive (so 0.5x and 2x are equally strong), plain difference otherwise.
struct ColorScale {
    log: bool,
    centre: f64,
    max_dev: f64,
}

impl ColorScale {
    fn dev(&self, z: f64) -> f64 {
        if !z.is_finite() {
            return f64::NAN;
        }
        if self.log {
            if z > 0.0 { (z / self.centre).ln() } else { f64::NAN }
        } else {
            z - self.centre
        }
    }
    fn value_at(&self, dev: f64) -> f64 {
        if self.log { self.centre * dev.exp() } else { self.centre + dev }
    }
}

pub(super) fn draw<DB: DrawingBackend>(p: &Painter<DB>, c: &Heatmap) -> Result<(), ChartError> {
    let gx = grid(&c.xs, c.x.scale);
    let gy = grid(&c.ys, c.y.scale);
    let z_at = |gi: usize, gj: usize| -> f64 { c.z.get(gy.idx[gj]).and_then(|row| row.get(gx.idx[gi])).copied().unwrap_or(f64::NAN) };
    let finite: Vec<f64> = (0..gx.t.len())
        .flat_map(|i| (0..gy.t.len()).map(move |j| (i, j)))
        .map(|(i, j)| z_at(i, j))
        .filter(|z| z.is_finite())
        .collect();
    let centre = if c.contour.is_finite() { c.contour } else { 1.0 };
    let log = centre > 0.0 && !finite.is_empty() && finite.iter().all(|z| *z > 0.0);
    let mut cs = ColorScale { log, centre, max_dev: 0.0 };
    cs.max_dev = finite
        .iter()
        .map(|z| cs.dev(*z).abs())
        .filter(|d| d.is_finite())
        .fold(0.0, f64::max);
    if cs.max_dev <= 1e-12 {
        cs.max_dev = if log { 2f64.ln() } else { centre.abs().max(1.0) * 0.5 };
    }

    let x_range = match (gx.bounds.first(), gx.bounds.last()) {
        (Some(a), Some(b)) => Some((untr(*a, c.x.scale), untr(*b, c.x.scale))),
        _ => None,
    };
    let y_range = match (gy.bounds.first(), gy.bounds.last()) {
        (Some(a), Some(b)) => Some((untr(*a, c.y.scale), untr(*b, c.y.scale))),
        _ => None,
    };
    let mut extra_notes = Vec::new();
    let marker_inside = c.marker.as_ref().is_some_and(|(mx, my, _)| {
        let inside = |v: f64, r: Option<(f64, f64)>| r.is_some_and(|(a, b)| v >= a && v <= b);
        inside(*mx, x_range) && inside(*my, y_range)
    });
    if let Some((_, _, label)) = &c.marker
        && !marker_inside
        && x_range.is_some()
    {
        extra_notes.push(format!("Not drawn (outside the map): {label}"));
    }
    let cells = gx.t.len() * gy.t.len();
    if finite.len() < cells {
        extra_notes.push(format!("Grey cells: no value ({} of {cells})", cells - finite.len()));
    }
    // Whether the contour shows at all (traced in grid units; pixels come later).
    let f = |i: usize, j: usize| cs.dev(z_at(i, j));
    let (ix, iy): (Vec<f64>, Vec<f64>) = (
        (0..gx.t.len()).map(|i| i as f64).collect(),
        (0..gy.t.len()).map(|j| j as f64).collect(),
    );
    let traced = !contour_chains(gx.t.len(), gy.t.len(), &f, &ix, &iy).is_empty();
    if !traced && !finite.is_empty() && !c.contour_label.trim().is_empty() {
        let level = axis::format_value(centre, &bar_unit_for(centre));
        let why = if finite.iter().all(|z| cs.dev(*z) <= 0.0) {
            format!("every value is at or below {level}")
        } else if finite.iter().all(|z| cs.dev(*z) > 0.0) {
            format!("every value is above {level}")
        } else {
            "it falls only between cells without values".to_string()
        };
        extra_notes.push(format!("{}: not on this map ({why})", c.contour_label.trim()));
    }
    let content = layout::draw_frame(p, &c.frame, &extra_notes)?;

    let bar_unit = bar_unit_for(centre);
    let bar_ticks = colorbar_ticks(&cs, &bar_unit);
    let tick_font = Font::new(TICK_SIZE, TEXT_MID);
    let caption_font = Font::new(ANNOTATION_SIZE, TEXT_MID);
    let mut label_w: f64 = 0.0;
    for t in &bar_ticks {
        label_w = label_w.max(p.text_width(&t.label, &tick_font)?);
    }
    let captions = ("more expensive", "cheaper");
    let caption_w = p
        .text_width(captions.0, &caption_font)?
        .max(p.text_width(captions.1, &caption_font)?);
    let bar_block = (p.s(COLORBAR_WIDTH) + p.s(10.0) + label_w).max(caption_w);
    let reserve = p.s(COLORBAR_GAP) + bar_block;

    let rule = DomainRule {
        pad: 0.0,
        zero: false,
        round: false,
    };
    let x = AxisData {
        axis: &c.x,
        range: x_range,
        rule,
    };
    let y = AxisData {
        axis: &c.y,
        range: y_range,
        rule,
    };
    let plot = layout::xy_plot(p, content, x, y, reserve)?;
    let rect = plot.rect;
    if gx.t.is_empty() || gy.t.is_empty() {
        return layout::no_data(p, &rect, "No data to plot");
    }

    // Cells.
    let bx: Vec<f64> = gx.bounds.iter().map(|t| plot.x.px_t(*t)).collect();
    let by: Vec<f64> = gy.bounds.iter().map(|t| plot.y.px_t(*t)).collect();
    for i in 0..gx.t.len() {
        for j in 0..gy.t.len() {
            let t = cs.dev(z_at(i, j)) / cs.max_dev;
            let cell = Region::new(bx[i], by[j + 1], bx[i + 1], by[j]);
            p.fill_rect(cell, diverging(t).to_rgba())?;
        }
    }
    p.stroke_rect(rect, AXIS.to_rgba(), AXIS_WIDTH)?;

    // Contour through cell centres.
    let px: Vec<f64> = gx.t.iter().map(|t| plot.x.px_t(*t)).collect();
    let py: Vec<f64> = gy.t.iter().map(|t| plot.y.px_t(*t)).collect();
    let mut chains = contour_chains(gx.t.len(), gy.t.len(), &f, &px, &py);
    extend_to_edges(&mut chains, &px, &py, &rect);
    for chain in &chains {
        p.polyline_clipped(chain, &rect, BACKGROUND.mix(0.7), CONTOUR_WIDTH + 3.0, &[])?;
    }
    for chain in &chains {
        p.polyline_clipped(chain, &rect, CONTOUR.to_rgba(), CONTOUR_WIDTH, &[])?;
    }

    // Marker (today) and its label.
    let ann = Font::new(ANNOTATION_SIZE, TEXT_DARK);
    let mut taken: Vec<Region> = Vec::new();
    if let Some((mx, my, label)) = &c.marker
        && marker_inside
        && let (Some(x), Some(y)) = (plot.x.px(*mx), plot.y.px(*my))
    {
        let r = p.s(SCATTER_MARKER_SIZE);
        p.disc((x, y), r + p.s(3.0), CONTOUR.to_rgba())?;
        p.disc((x, y), r, BACKGROUND.to_rgba())?;
        p.disc((x, y), r * 0.4, CONTOUR.to_rgba())?;
        let w = p.text_width(label, &ann)?;
        let cap = p.cap(&ann);
        let pad = p.s(6.0);
        let gap = r + p.s(10.0);
        let candidates = [
            (x + gap, y),
            (x - gap - w, y),
            (x - w / 2.0, y - gap - cap),
            (x - w / 2.0, y + gap + cap),
        ];
        let mut best = candidates[0];
        for cand in candidates {
            let b = Region::new(cand.0 - pad, cand.1 - cap / 2.0 - pad, cand.0 + w + pad, cand.1 + cap / 2.0 + pad);
            if rect.overlap(&b) >= b.w() * b.h() - 1.0 {
                best = cand;
                break;
            }
        }
        let b = Region::new(best.0 - pad, best.1 - cap / 2.0 - pad, best.0 + w + pad, best.1 + cap / 2.0 + pad);
        p.fill_rect(b, BACKGROUND.mix(0.92))?;
        p.text_mid(label, best.0, best.1, &ann, Align::Left)?;
        taken.push(b);
        taken.push(Region::new(x - r, y - r, x + r, y + r));
    }

    // Contour label, in line on the longest chain.
    if !c.contour_label.trim().is_empty()
        && let Some(chain) = chains.iter().max_by(|a, b| chain_len(a).total_cmp(&chain_len(b)))
    {
        let bold = Font::bold(ANNOTATION_SIZE, CONTOUR);
        let text = p.fit(c.contour_label.trim(), &bold, rect.w() * 0.6)?;
        let w = p.text_width(&text, &bold)?;
        let cap = p.cap(&bold);
        let pad = p.s(7.0);
        let mut chosen = None;
        for frac in [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9] {
            let (x, y) = point_along(chain, frac);
            let b = Region::new(x - w / 2.0 - pad, y - cap / 2.0 - pad, x + w / 2.0 + pad, y + cap / 2.0 + pad);
            let inside = rect.overlap(&b) >= b.w() * b.h() - 1.0;
            if inside && taken.iter().all(|t| t.overlap(&b) == 0.0) {
                chosen = Some((x, y, b));
                break;
            }
        }
        if let Some((x, y, b)) = chosen {
            p.fill_rect(b, BACKGROUND.mix(0.95))?;
            p.stroke_rect(b, CONTOUR.to_rgba(), 1.5)?;
            p.text_mid(&text, x, y, &bold, Align::Center)?;
        }
    }

    // Colour bar.
    let bar = Region::new(
        rect.x1 + p.s(COLORBAR_GAP),
        rect.y0,
        rect.x1 + p.s(COLORBAR_GAP + COLORBAR_WIDTH),
        rect.y1,
    );
    let steps = 120;
    for s in 0..steps {
        let (a, b) = (s as f64 / steps as f64, (s + 1) as f64 / steps as f64);
        let t = (a + b) - 1.0; // midpoint mapped to [-1, 1]
        let y0 = bar.y1 - b * bar.h();
        let y1 = bar.y1 - a * bar.h();
        p.fill_rect(Region::new(bar.x0, y0, bar.x1, y1), diverging(t).to_rgba())?;
    }
    p.stroke_rect(bar, AXIS.to_rgba(), 1.0)?;
    let bar_y = |v: f64| {
        let t = cs.dev(v) / cs.max_dev;
        bar.y1 - (t + 1.0) / 2.0 * bar.h()
    };
    let mut last: Option<f64> = None;
    for t in &bar_ticks {
        let y = bar_y(t.value);
        if !(y.is_finite() && y >= bar.y0 - 0.5 && y <= bar.y1 + 0.5) {
            continue;
        }
        if last.is_some_and(|l| (l - y).abs() < p.s(TICK_SIZE * 1.1)) {
            continue;
        }
        p.polyline(&[(bar.x1, y), (bar.x1 + p.s(5.0), y)], AXIS.to_rgba(), 1.0, &[])?;
        p.text_mid(&t.label, bar.x1 + p.s(10.0), y, &tick_font, Align::Left)?;
        last = Some(y);
    }
    let cy = bar_y(centre);
    if cy.is_finite() {
        p.polyline(&[(bar.x0, cy), (bar.x1, cy)], CONTOUR.to_rgba(), CONTOUR_WIDTH * 0.7, &[])?;
    }
    // Captions clear of the end tick labels, which are centred on the bar ends.
    let clear = p.cap(&tick_font) / 2.0 + p.s(20.0);
    p.text(captions.0, bar.x0, bar.y0 - clear, &caption_font, Align::Left)?;
    p.text(
        captions.1,
        bar.x0,
        bar.y1 + clear + p.cap(&caption_font),
        &caption_font,
        Align::Left,
    )?;
    Ok(())
}

/// Colour-bar values read as ratios when the contour is 1, as plain numbers otherwise.
fn bar_unit_for(centre: f64) -> Unit {
    if (centre - 1.0).abs() < 1e-12 {
        Unit::Ratio
    } else {
        Unit::Plain(String::new())
    }
}

fn colorbar_ticks(cs: &ColorScale, unit: &Unit) -> Vec<axis::Tick> {
    let lo = cs.value_at(-cs.max_dev);
    let hi = cs.value_at(cs.max_dev);
    let scale = if cs.log { AxisScale::Log } else { AxisScale::Linear };
    let mut ticks = axis::ticks((lo, hi), scale, unit, 7);
    if !ticks.iter().any(|t| (t.value - cs.centre).abs() <= 1e-9 * cs.centre.abs().max(1.0)) {
        ticks.push(axis::Tick {
            value: cs.centre,
            label: axis::format_tick(cs.centre, unit),
        });
        ticks.sort_by(|a, b| a.value.total_cmp(&b.value));
    }
    ticks
}

/// Contours stop at the outermost cell centres, half a cell short of the plot edge; carry
/// chain ends that sit on that outer ring straight on to the edge.
fn extend_to_edges(chains: &mut [Vec<(f64, f64)>], px: &[f64], py: &[f64], rect: &Region) {
    let (Some(&x_first), Some(&x_last), Some(&y_first), Some(&y_last)) = (px.first(), px.last(), py.first(), py.last()) else {
        return;
    };
    let cell = |v: &[f64]| v.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
    let max_len = 1.5 * cell(px).max(cell(py));
    let near = |a: f64, b: f64| (a - b).abs() < 0.5;
    let nearest = |v: f64, a: f64, b: f64| if (v - a).abs() < (v - b).abs() { a } else { b };
    let extend = |end: (f64, f64), prev: (f64, f64)| -> Option<(f64, f64)> {
        let (dx, dy) = (end.0 - prev.0, end.1 - prev.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len.is_nan() || len <= 1e-9 {
            return None;
        }
        let (ux, uy) = (dx / len, dy / len);
        let mut best: Option<f64> = None;
        if near(end.0, x_first) || near(end.0, x_last) {
            let edge = nearest(end.0, rect.x0, rect.x1);
            if ux.abs() > 1e-3 && (edge - end.0) * ux > 0.0 {
                best = Some((edge - end.0) / ux);
            }
        }
        if near(end.1, y_first) || near(end.1, y_last) {
            let edge = nearest(end.1, rect.y0, rect.y1);
            if uy.abs() > 1e-3 && (edge - end.1) * uy > 0.0 {
                let t = (edge - end.1) / uy;
                best = Some(best.map_or(t, |b: f64| b.min(t)));
            }
        }
        best.filter(|t| *t <= max_len).map(|t| (end.0 + ux * t, end.1 + uy * t))
    };
    for chain in chains.iter_mut() {
        let n = chain.len();
        if n < 2 || chain[0] == chain[n - 1] {
            continue;
        }
        if let Some(p) = extend(chain[n - 1], chain[n - 2]) {
            chain.push(p);
        }
        if let Some(p) = extend(chain[0], chain[1]) {
            chain.insert(0, p);
        }
    }
}

fn chain_len(c: &[(f64, f64)]) -> f64 {
    c.windows(2)
        .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
        .sum()
}

fn point_along(c: &[(f64, f64)], frac: f64) -> (f64, f64) {
    let total = chain_len(c);
    let target = total * frac;
    let mut walked = 0.0;
    for w in c.windows(2) {
        let l = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
        if walked + l >= target && l > 0.0 {
            let t = (target - walked) / l;
            return (w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t);
        }
        walked += l;
    }
    c.last().copied().unwrap_or((0.0, 0.0))
}

/// A grid edge a contour crosses: horizontal (between (i, j) and (i+1, j)) or vertical
/// (between (i, j) and (i, j+1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Edge {
    H(usize, usize),
    V(usize, usize),
}

/// Marching squares on the zero level of `f` over an `nx` x `ny` grid whose points sit at
/// pixels (`px[i]`, `py[j]`); returns the contour as chained polylines.
fn contour_chains(nx: usize, ny: usize, f: &dyn Fn(usize, usize) -> f64, px: &[f64], py: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if nx < 2 || ny < 2 {
        return Vec::new();
    }
    let point = |e: Edge| -> (f64, f64) {
        let ((i0, j0), (i1, j1)) = match e {
            Edge::H(i, j) => ((i, j), (i + 1, j)),
            Edge::V(i, j) => ((i, j), (i, j + 1)),
        };
        let (a, b) = (f(i0, j0), f(i1, j1));
        let t = if (a - b).abs() > 1e-300 {
            (a / (a - b)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        (px[i0] + (px[i1] - px[i0]) * t, py[j0] + (py[j1] - py[j0]) * t)
    };
    let mut segs: Vec<(Edge, Edge)> = Vec::new();
    for i in 0..nx - 1 {
        for j in 0..ny - 1 {
            let (bl, br, tr, tl) = (f(i, j), f(i + 1, j), f(i + 1, j + 1), f(i, j + 1));
            if ![bl, br, tr, tl].iter().all(|v| v.is_finite()) {
                continue;
            }
            let case = (bl > 0.0) as u8 | ((br > 0.0) as u8) << 1 | ((tr > 0.0) as u8) << 2 | ((tl > 0.0) as u8) << 3;
            let (b, r, t, l) = (Edge::H(i, j), Edge::V(i + 1, j), Edge::H(i, j + 1), Edge::V(i, j));
            let centre_above = (bl + br + tr + tl) / 4.0 > 0.0;
            match case {
                1 | 14 => segs.push((l, b)),
                2 | 13 => segs.push((b, r)),
                3 | 12 => segs.push((l, r)),
                4 | 11 => segs.push((t, r)),
                6 | 9 => segs.push((b, t)),
                7 | 8 => segs.push((l, t)),
                5 => {
                    if centre_above {
                        segs.push((b, r));
                        segs.push((l, t));
                    } else {
                        segs.push((l, b));
                        segs.push((t, r));
                    }
                }
                10 => {
                    if centre_above {
                        segs.push((l, b));
                        segs.push((t, r));
                    } else {
                        segs.push((b, r));
                        segs.push((l, t));
                    }
                }
                _ => {}
            }
        }
    }
    // Chain segments that share an edge crossing.
    let mut by_edge: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (k, (a, b)) in segs.iter().enumerate() {
        by_edge.entry(*a).or_default().push(k);
        by_edge.entry(*b).or_default().push(k);
    }
    let mut used = vec![false; segs.len()];
    let mut chains = Vec::new();
    // Open chains start at an edge with one segment; loops at any unused segment.
    let mut starts: Vec<usize> = segs
        .iter()
        .enumerate()
        .filter(|(_, (a, b))| by_edge[a].len() == 1 || by_edge[b].len() == 1)
        .map(|(k, _)| k)
        .collect();
    starts.extend(0..segs.len());
    for start in starts {
        if used[start] {
            continue;
        }
        used[start] = true;
        let (a, b) = segs[start];
        let (first, mut at) = if by_edge[&a].len() == 1 { (a, b) } else { (b, a) };
        let mut chain = vec![point(first), point(at)];
        loop {
            let next = by_edge[&at].iter().copied().find(|k| !used[*k]);
            let Some(k) = next else { break };
            used[k] = true;
            let (x, y) = segs[k];
            at = if x == at { y } else { x };
            chain.push(point(at));
        }
        chains.push(chain);
    }
    chains
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contour_of_a_plane_is_one_chain() {
        // f = i - 2.5 on a 6 x 4 grid: the zero level is the vertical line i = 2.5.
        let px: Vec<f64> = (0..6).map(|i| i as f64 * 10.0).collect();
        let py: Vec<f64> = (0..4).map(|j| j as f64 * 10.0).collect();
        let f = |i: usize, _j: usize| i as f64 - 2.5;
        let chains = contour_chains(6, 4, &f, &px, &py);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].len(), 4);
        assert!(chains[0].iter().all(|p| (p.0 - 25.0).abs() < 1e-9));
    }

    #[test]
    fn contour_of_a_bump_is_a_loop() {
        let px: Vec<f64> = (0..9).map(f64::from).collect();
        let py = px.clone();
        let f = |i: usize, j: usize| 2.0 - ((i as f64 - 4.0).powi(2) + (j as f64 - 4.0).powi(2)).sqrt();
        let chains = contour_chains(9, 9, &f, &px, &py);
        assert_eq!(chains.len(), 1);
        let c = &chains[0];
        assert_eq!(c.first(), c.last());
    }
}
