//! Line charts: one line per series, coloured by family, with dash pattern, marker and shade
//! by position within the family; optional P10-P90 bands shaded in the series colour; the
//! legend in a column right of the plot so it never covers data.

use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::axis::{self, Scale};
use super::draw::{Align, Font, Painter, Region, clip_polygon};
use super::layout::{self, AxisData, DomainRule, LegendItem, Swatch};
use super::scatter::{LabelledPoint, draw_labelled_points};
use super::style::*;
use super::{AxisScale, ChartError, LineChart, Series};

pub(super) fn draw<DB: DrawingBackend>(p: &Painter<DB>, c: &LineChart) -> Result<(), ChartError> {
    let (xs, ys) = (c.x.scale, c.y.scale);
    let ok = |x: f64, y: f64| axis::valid(x, xs) && axis::valid(y, ys);
    let skipped = c.series.iter().flat_map(|s| s.points.iter()).filter(|(x, y)| !ok(*x, *y)).count();
    let any_log = xs == AxisScale::Log || ys == AxisScale::Log;
    let notes: Vec<String> = layout::skipped_note(skipped, any_log).into_iter().collect();
    let content = layout::draw_frame(p, &c.frame, &notes)?;

    let mut x_vals = Vec::new();
    let mut y_vals = Vec::new();
    for s in &c.series {
        for &(x, y) in s.points.iter().filter(|(x, y)| ok(*x, *y)) {
            x_vals.push(x);
            y_vals.push(y);
        }
        for &(x, y, _) in s.point_labels.iter().filter(|(x, y, _)| ok(*x, *y)) {
            x_vals.push(x);
            y_vals.push(y);
        }
        for &(x, lo, hi) in s.band.iter().flatten() {
            if ok(x, lo) && ok(x, hi) {
                x_vals.push(x);
                y_vals.push(lo);
                y_vals.push(hi);
            }
        }
    }
    let x_range = axis::data_range(x_vals, xs);
    let y_range = axis::data_range(y_vals, ys);

    let items = legend_items(c);
    let legend_w = layout::legend_column_width(p, &items)?;
    let reserve = if legend_w > 0.0 { legend_w + p.s(LEGEND_GAP) } else { 0.0 };
    let x = AxisData {
        axis: &c.x,
        range: x_range,
        rule: DomainRule {
            pad: 0.02,
            zero: false,
            round: false,
        },
    };
    let y = AxisData {
        axis: &c.y,
        range: y_range,
        rule: DomainRule {
            pad: 0.05,
            zero: true,
            round: true,
        },
    };
    let plot = layout::xy_plot(p, content, x, y, reserve)?;
    let clip = plot.rect;

    for s in &c.series {
        draw_band(p, s, &plot.x, &plot.y, &clip)?;
    }
    let mut lines: Vec<(&Series, Runs)> = Vec::new();
    for s in &c.series {
        let runs = pixel_runs(&s.points, &plot.x, &plot.y);
        let color = series_color(&s.look, s.style_index).to_rgba();
        for run in &runs {
            p.polyline_clipped(run, &clip, color, SERIES_WIDTH, series_dash(s.style_index))?;
        }
        lines.push((s, runs));
    }
    let per_line = if c.series.len() >= CROWDED_SERIES {
        MARKERS_PER_LINE_CROWDED
    } else {
        MAX_MARKERS_PER_LINE
    };
    // What a point label must keep off: the lines (sampled) and their markers.
    let step = p.s(6.0);
    let mut obstacles: Vec<(f64, f64)> = lines
        .iter()
        .flat_map(|(_, runs)| runs.iter().flat_map(|r| sample(r, step)))
        .collect();
    for (i, (s, runs)) in lines.iter().enumerate() {
        let color = series_color(&s.look, s.style_index);
        let marker = series_marker(s.style_index);
        for pt in marker_positions(runs, i, per_line) {
            if clip.contains(pt.0, pt.1) {
                p.marker(marker, pt, MARKER_SIZE, color)?;
                obstacles.push(pt);
            }
        }
    }
    let vline_labels = draw_vlines(p, c, &plot.x, &clip)?;

    draw_point_labels(p, c, &plot.x, &plot.y, &clip, &obstacles, &vline_labels)?;
    // Series of points only: scatter markers, every one labelled, clear of the lines.
    let dots: Vec<LabelledPoint> = c
        .series
        .iter()
        .filter(|s| is_point_series(s))
        .flat_map(|s| s.point_labels.iter().map(move |q| (s, q)))
        .filter_map(|(s, (vx, vy, text))| {
            let at = (plot.x.px(*vx)?, plot.y.px(*vy)?);
            clip.contains(at.0, at.1).then(|| LabelledPoint {
                at,
                marker: s.look.marker,
                color: series_color(&s.look, s.style_index),
                label: text.as_str(),
            })
        })
        .collect();
    if !dots.is_empty() {
        draw_labelled_points(p, &dots, &obstacles, &clip)?;
    }
    if legend_w > 0.0 {
        let r = Region::new(content.x1 - legend_w, content.y0, content.x1, content.y1);
        layout::draw_legend_column(p, &items, r)?;
    }
    if x_range.is_none() || y_range.is_none() {
        layout::no_data(p, &plot.rect, "No data to plot")?;
    }
    Ok(())
}

/// The legend column: one entry per series showing what is drawn (a line with its marker, or
/// a marker alone for a series of points), and the band entry when any band is drawn.
fn legend_items(c: &LineChart) -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = c
        .series
        .iter()
        .map(|s| LegendItem {
            // The legend shows what is drawn: a marker alone for a series of points.
            swatch: if is_point_series(s) {
                Swatch::Point(s.look.marker, series_color(&s.look, s.style_index))
            } else {
                Swatch::Line {
                    color: series_color(&s.look, s.style_index),
                    width: SERIES_WIDTH,
                    dash: series_dash(s.style_index),
                    marker: Some(series_marker(s.style_index)),
                }
            },
            label: s.name.clone(),
        })
        .collect();
    if c.series.iter().any(|s| s.band.as_ref().is_some_and(|b| !b.is_empty())) {
        items.push(LegendItem {
            swatch: Swatch::Band(OTHER_GREY),
            label: "Shaded: P10–P90 range".to_string(),
        });
    }
    items
}

/// A series drawn as points only (no line): its point labels are its data.
fn is_point_series(s: &Series) -> bool {
    s.points.is_empty() && !s.point_labels.is_empty()
}

/// Points every `step` pixels along a polyline.
fn sample(run: &[(f64, f64)], step: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for w in run.windows(2) {
        let len = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
        let n = (len / step.max(1.0)).ceil().clamp(1.0, 10_000.0) as usize;
        out.extend((0..=n).map(|i| {
            let t = i as f64 / n as f64;
            (w[0].0 + (w[1].0 - w[0].0) * t, w[0].1 + (w[1].1 - w[0].1) * t)
        }));
    }
    out
}

/// Draws the labelled dashed vertical lines; returns the boxes of their labels.
fn draw_vlines<DB: DrawingBackend>(p: &Painter<DB>, c: &LineChart, x: &Scale, clip: &Region) -> Result<Vec<Region>, ChartError> {
    let mut boxes = Vec::new();
    for (v, label) in &c.vlines {
        let Some(px) = x.px(*v).filter(|_| axis::valid(*v, c.x.scale)) else {
            continue;
        };
        if !(clip.x0..=clip.x1).contains(&px) {
            continue;
        }
        p.polyline_clipped(
            &[(px, clip.y0), (px, clip.y1)],
            clip,
            TEXT_DARK.to_rgba(),
            SERIES_WIDTH * 0.6,
            &[8.0, 6.0],
        )?;
        let font = Font::new(ANNOTATION_SIZE, TEXT_DARK);
        let w = p.text_width(label, &font)?;
        // Right of the line, unless that leaves the plot.
        let x0 = if px + p.s(6.0) + w <= clip.x1 {
            px + p.s(6.0)
        } else {
            px - p.s(6.0) - w
        };
        let baseline = clip.y0 + p.ascent(&font) + p.s(4.0);
        p.text(label, x0, baseline, &font, Align::Left)?;
        boxes.push(Region::new(
            x0,
            baseline - p.ascent(&font),
            x0 + w,
            baseline + p.s(ANNOTATION_SIZE * DESCENT),
        ));
    }
    Ok(boxes)
}

/// Pixel polylines of one series.
type Runs = Vec<Vec<(f64, f64)>>;

/// Pixel polylines of a series, split where a point cannot be placed (NaN, <= 0 on log).
fn pixel_runs(points: &[(f64, f64)], x: &Scale, y: &Scale) -> Runs {
    let mut runs = Vec::new();
    let mut current = Vec::new();
    for &(vx, vy) in points {
        match (x.px_clamped(vx), y.px_clamped(vy)) {
            (Some(px), Some(py)) => current.push((px, py)),
            _ => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

fn draw_band<DB: DrawingBackend>(p: &Painter<DB>, s: &Series, x: &Scale, y: &Scale, clip: &Region) -> Result<(), ChartError> {
    let Some(band) = &s.band else {
        return Ok(());
    };
    let color = layout::translucent(series_color(&s.look, s.style_index), BAND_ALPHA);
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64, f64)>| -> Result<(), ChartError> {
        if run.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = run.iter().map(|&(px, _, hi)| (px, hi)).collect();
            poly.extend(run.iter().rev().map(|&(px, lo, _)| (px, lo)));
            p.fill_polygon(&clip_polygon(&poly, clip), color)?;
        }
        run.clear();
        Ok(())
    };
    for &(vx, lo, hi) in band {
        match (x.px_clamped(vx), y.px_clamped(lo), y.px_clamped(hi)) {
            (Some(px), Some(plo), Some(phi)) => run.push((px, plo, phi)),
            _ => flush(&mut run)?,
        }
    }
    flush(&mut run)
}

/// Where to put markers along a series: every point of a short series; otherwise evenly
/// spaced by arc length, staggered per series so markers of close lines do not coincide.
fn marker_positions(runs: &[Vec<(f64, f64)>], series_idx: usize, n: usize) -> Vec<(f64, f64)> {
    let total_points: usize = runs.iter().map(Vec::len).sum();
    if total_points <= n {
        return runs.iter().flatten().copied().collect();
    }
    let seg_len = |a: (f64, f64), b: (f64, f64)| ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let total: f64 = runs.iter().flat_map(|r| r.windows(2).map(|w| seg_len(w[0], w[1]))).sum();
    if !(total.is_finite() && total > 0.0) {
        return runs.iter().filter_map(|r| r.first().copied()).collect();
    }
    let phase = (series_idx as f64 * 0.382).fract();
    let mut targets = (0..n).map(|j| (j as f64 + 0.25 + 0.5 * phase) / n as f64 * total);
    let mut out = Vec::new();
    let mut walked = 0.0;
    let mut next = targets.next();
    for r in runs {
        for w in r.windows(2) {
            let l = seg_len(w[0], w[1]);
            while let Some(t) = next {
                if t > walked + l {
                    break;
                }
                let f = if l > 0.0 { (t - walked) / l } else { 0.0 };
                out.push((w[0].0 + (w[1].0 - w[0].0) * f, w[0].1 + (w[1].1 - w[0].1) * f));
                next = targets.next();
            }
            walked += l;
        }
    }
    out
}

/// One point label to place: its point (pixels), text width and whether it is its series'
/// first label (always kept).
struct LabelRequest {
    at: (f64, f64),
    width: f64,
    first: bool,
}

/// Where each point label goes: its text box, or `None` when it is dropped. Labels sit next to
/// their point (left or right, above, level or below it, a little farther out if need be),
/// inside the plot, clear of `blocked` boxes and of each other; among clear spots the one
/// crossing fewest `obstacles` (line samples, markers) wins. Each series' first label is placed
/// before any other and may go farther out; any label with no clear spot is dropped rather
/// than overprint (a crowd of curves starting together keeps the first labels that fit; the
/// legend still names each curve).
/// `cap` and `descent` are the text's height above and below its baseline.
fn place_point_labels(
    reqs: &[LabelRequest],
    cap: f64,
    descent: f64,
    gap: f64,
    obstacles: &[(f64, f64)],
    blocked: &[Region],
    clip: &Region,
) -> Vec<Option<Region>> {
    let mut order: Vec<usize> = (0..reqs.len()).filter(|&i| reqs[i].first).collect();
    order.extend((0..reqs.len()).filter(|&i| !reqs[i].first));
    let mut placed: Vec<Region> = Vec::new();
    let mut out: Vec<Option<Region>> = vec![None; reqs.len()];
    let h = cap + descent;
    for i in order {
        let LabelRequest {
            at: (px, py), width: w, ..
        } = reqs[i];
        let mut best: Option<(f64, Region)> = None;
        // A first label may go a little farther out before it is dropped.
        let rings: &[f64] = if reqs[i].first {
            &[1.0, 2.0, 3.2, 4.5, 6.0]
        } else {
            &[1.0, 2.0, 3.2]
        };
        for (ring, &far) in rings.iter().enumerate() {
            let g = gap * far;
            // (left edge, top edge) around the point, nearest first.
            let spots = [
                (px + g, py - h / 2.0),
                (px - g - w, py - h / 2.0),
                (px + g * 0.5, py - g - h),
                (px - g * 0.5 - w, py - g - h),
                (px + g * 0.5, py + g),
                (px - g * 0.5 - w, py + g),
                (px - w / 2.0, py - g - h),
                (px - w / 2.0, py + g),
            ];
            for (k, (x0, y0)) in spots.into_iter().enumerate() {
                let b = Region::new(x0, y0, x0 + w, y0 + h);
                let inside = b.x0 >= clip.x0 && b.x1 <= clip.x1 && b.y0 >= clip.y0 && b.y1 <= clip.y1;
                let clear = |q: &Region| b.overlap(&q.inflate(gap * 0.3)) <= 0.0;
                // Two labels a hair apart read as one ("1 chip2 chips"): keep a word's
                // space (about a gap) between labels.
                let apart = |q: &Region| b.overlap(&q.inflate(gap)) <= 0.0;
                if !inside {
                    continue;
                }
                if !placed.iter().all(apart) || !blocked.iter().all(clear) {
                    continue;
                }
                let hits = obstacles.iter().filter(|o| b.inflate(gap * 0.2).contains(o.0, o.1)).count();
                let score = hits as f64 * 10.0 + ring as f64 * 25.0 + k as f64;
                if best.as_ref().is_none_or(|(s, _)| score < *s) {
                    best = Some((score, b));
                }
            }
        }
        if let Some((_, b)) = best {
            placed.push(b);
            out[i] = Some(b);
        }
    }
    out
}

/// Each line series' point labels (e.g. "8 chips" where the replica size changes): a dot on
/// the line and the text beside it in the series colour on a white backing, placed by
/// [`place_point_labels`]. Returns the text boxes drawn.
fn draw_point_labels<DB: DrawingBackend>(
    p: &Painter<DB>,
    c: &LineChart,
    x: &Scale,
    y: &Scale,
    clip: &Region,
    obstacles: &[(f64, f64)],
    blocked: &[Region],
) -> Result<Vec<Region>, ChartError> {
    let font = Font::new(POINT_LABEL_SIZE, TEXT_DARK);
    let mut reqs = Vec::new();
    let mut what = Vec::new();
    for s in c.series.iter().filter(|s| !is_point_series(s)) {
        let color = series_color(&s.look, s.style_index);
        let mut first = true;
        for (vx, vy, text) in &s.point_labels {
            let (Some(px), Some(py)) = (x.px(*vx), y.px(*vy)) else { continue };
            if !clip.contains(px, py) {
                continue;
            }
            let r = p.s(4.5);
            p.fill_rect(Region::new(px - r, py - r, px + r, py + r), color.to_rgba())?;
            if text.is_empty() {
                continue;
            }
            reqs.push(LabelRequest {
                at: (px, py),
                width: p.text_width(text, &font)?,
                first,
            });
            what.push((text, color));
            first = false;
        }
    }
    let descent = p.s(POINT_LABEL_SIZE * DESCENT);
    let boxes = place_point_labels(&reqs, p.cap(&font), descent, p.s(8.0), obstacles, blocked, clip);
    let mut drawn = Vec::new();
    for (b, (text, color)) in boxes.iter().zip(what) {
        let Some(b) = b else { continue };
        p.fill_rect(b.inflate(p.s(2.0)), BACKGROUND.mix(0.85))?;
        p.text(text, b.x0, b.y1 - descent, &Font::new(POINT_LABEL_SIZE, color), Align::Left)?;
        drawn.push(*b);
    }
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use plotters::prelude::{IntoDrawingArea, SVGBackend};

    use super::super::draw::Marker;
    use super::super::{Axis, Frame, Unit};
    use super::*;
    use crate::family::Family;

    fn chart(series: Vec<Series>) -> LineChart {
        let axis = |scale| Axis {
            label: String::new(),
            scale,
            unit: Unit::Plain(String::new()),
        };
        LineChart {
            frame: Frame {
                title: String::new(),
                subtitle: String::new(),
                footer: String::new(),
                notes: Vec::new(),
                key: Vec::new(),
            },
            x: axis(AxisScale::Linear),
            y: axis(AxisScale::Log),
            series,
            vlines: Vec::new(),
        }
    }

    fn points_only(family: Family, pts: &[(f64, f64, &str)]) -> Series {
        Series {
            name: "prices".into(),
            look: family.look(),
            style_index: 0,
            points: Vec::new(),
            band: None,
            point_labels: pts.iter().map(|&(x, y, t)| (x, y, t.to_string())).collect(),
        }
    }

    #[test]
    fn legend_shows_a_marker_alone_for_a_series_of_points() {
        let mut line = points_only(Family::Tpu, &[(1.0, 1.0, "a")]);
        line.points = vec![(1.0, 1.0), (2.0, 2.0)];
        let c = chart(vec![points_only(Family::Tpu, &[(1.0, 1.0, "a")]), line]);
        let items = legend_items(&c);
        // The points-only series: the TPU family marker (square), as drawn.
        assert!(matches!(items[0].swatch, Swatch::Point(Marker::Square, _)), "{:?}", items[0]);
        // A line keeps its line sample.
        assert!(matches!(items[1].swatch, Swatch::Line { .. }), "{:?}", items[1]);
    }

    #[test]
    fn replica_labels_keep_a_gap_apart_and_first_labels_go_first() {
        // Ten curves starting within 90 px of each other at the bottom left (as the "1 chip"
        // labels of the interactivity chart do), each with three more labels further along,
        // some right under the target line's label.
        let clip = Region::new(100.0, 100.0, 1100.0, 700.0);
        let target = Region::new(700.0, 104.0, 1090.0, 140.0);
        let mut reqs = Vec::new();
        for c in 0..10 {
            let (x0, y0) = (140.0 + 10.0 * c as f64, 640.0 - 10.0 * c as f64);
            reqs.push(LabelRequest {
                at: (x0, y0),
                width: 70.0,
                first: true,
            });
            for k in 1..4 {
                reqs.push(LabelRequest {
                    at: (x0 + 200.0 * k as f64, y0 - 170.0 * k as f64 + 12.0 * c as f64),
                    width: 90.0,
                    first: false,
                });
            }
        }
        let (cap, descent, gap) = (17.5, 5.6, 8.0);
        let obstacles: Vec<(f64, f64)> = (0..200).map(|i| (100.0 + 5.0 * i as f64, 400.0)).collect();
        let boxes = place_point_labels(&reqs, cap, descent, gap, &obstacles, &[target], &clip);
        // First labels go first: in 90 px, seven of the ten find a clear spot a word's space
        // from the others; the rest are dropped rather than printed into a neighbour.
        let firsts = reqs.iter().zip(&boxes).filter(|(r, b)| r.first && b.is_some()).count();
        assert!(firsts >= 7, "{firsts} first labels kept");
        for (r, b) in reqs.iter().zip(&boxes) {
            let Some(b) = b else { continue };
            assert!(b.x0 >= clip.x0 && b.x1 <= clip.x1 && b.y0 >= clip.y0 && b.y1 <= clip.y1, "{b:?}");
            assert!(b.overlap(&target) <= 0.0, "{b:?} covers the target line's label");
            // Next to its point: the box edges within the farthest ring (6 gaps for a first
            // label, 3.2 for others) across and up.
            let dx = (b.x0 - r.at.0).max(r.at.0 - b.x1).max(0.0);
            let dy = (b.y0 - r.at.1).max(r.at.1 - b.y1).max(0.0);
            let ring = if r.first { 6.0 } else { 3.2 };
            assert!(dx.max(dy) <= ring * gap + 1e-9, "{b:?} is far from {:?}", r.at);
        }
        let kept: Vec<&Region> = boxes.iter().flatten().collect();
        for (i, a) in kept.iter().enumerate() {
            for b in &kept[i + 1..] {
                assert!(a.overlap(&b.inflate(gap - 1e-9)) <= 0.0, "labels {a:?} and {b:?} closer than a gap");
            }
        }
        // Not everything fits, and what does is kept: seven first labels and ten later ones.
        assert!(kept.len() >= 17 && kept.len() < reqs.len(), "{} of {}", kept.len(), reqs.len());
    }

    #[test]
    fn every_point_of_a_crowded_series_gets_its_own_label() {
        crate::chart::fonts::ensure_registered().unwrap_or_default();
        let mut svg = String::new();
        let root = SVGBackend::with_string(&mut svg, (1600, 1000)).into_drawing_area();
        let p = Painter::new(&root, 1.0, true);
        let clip = Region::new(150.0, 200.0, 1200.0, 730.0);
        // Twelve points, several close together (as chips priced the same month are).
        let at = [
            (170.0, 250.0),
            (200.0, 260.0),
            (560.0, 400.0),
            (560.0, 430.0),
            (575.0, 420.0),
            (700.0, 420.0),
            (705.0, 450.0),
            (720.0, 430.0),
            (900.0, 600.0),
            (1150.0, 500.0),
            (1180.0, 520.0),
            (1180.0, 700.0),
        ];
        let names: Vec<String> = (0..at.len()).map(|i| format!("Chip {i} · Provider")).collect();
        let pts: Vec<LabelledPoint> = at
            .iter()
            .zip(&names)
            .map(|(&at, label)| LabelledPoint {
                at,
                marker: Marker::Circle,
                color: GPU_GREEN,
                label,
            })
            .collect();
        let boxes = draw_labelled_points(&p, &pts, &[], &clip).unwrap_or_default();
        // Markers 24 px wide: no two of these points coincide, so each gets a label.
        assert_eq!(boxes.len(), at.len());
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a.x0 >= clip.x0 && a.x1 <= clip.x1 && a.y0 >= clip.y0 && a.y1 <= clip.y1,
                "{a:?} leaves the plot"
            );
            for b in &boxes[i + 1..] {
                assert!(a.overlap(b) <= 0.0, "labels {a:?} and {b:?} overlap");
            }
        }
    }
}
