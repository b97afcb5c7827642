//! Labelled points (the line charts' points-only series): labels are placed greedily at the
//! candidate position around each point that overlaps other labels, markers, lines and the
//! plot edge least; a label pushed away from its point gets a thin leader line.

use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::ChartError;
use super::draw::{Align, Font, Painter, Region};
use super::style::*;

/// One point to draw with its label, in pixels.
pub(super) struct LabelledPoint<'a> {
    pub at: (f64, f64),
    pub marker: super::draw::Marker,
    pub color: plotters::style::RGBColor,
    pub label: &'a str,
}

/// Draws points as markers (`SCATTER_MARKER_SIZE`) with every label placed next to its point
/// (away from other labels, markers, the `obstacles` samples and the plot edge; a label pushed
/// away gets a leader line). Points that would hide each other sit side by side and share one
/// label naming each. Returns the label boxes drawn.
pub(super) fn draw_labelled_points<DB: DrawingBackend>(
    p: &Painter<DB>,
    placed: &[LabelledPoint<'_>],
    obstacles: &[(f64, f64)],
    clip: &Region,
) -> Result<Vec<Region>, ChartError> {
    let font = Font::new(POINT_LABEL_SIZE, TEXT_DARK);
    let r = p.s(SCATTER_MARKER_SIZE);
    // Points that would hide each other (two chips at the same year and price) form one
    // group: their markers sit side by side and share one label naming each of them.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, q) in placed.iter().enumerate() {
        let pt = q.at;
        let near = |g: &Vec<usize>| {
            let c = placed[g[0]].at;
            (c.0 - pt.0).abs() < r * 1.2 && (c.1 - pt.1).abs() < r * 1.2
        };
        match groups.iter_mut().find(|g| near(g)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let step = r * 2.1;
    let centres: Vec<(f64, f64)> = groups.iter().map(|g| placed[g[0]].at).collect();
    let half_widths: Vec<f64> = groups.iter().map(|g| r + (g.len() - 1) as f64 * step / 2.0).collect();
    // One line per name of the group.
    let texts: Vec<Vec<String>> = groups
        .iter()
        .map(|g| g.iter().map(|&i| p.fit(placed[i].label, &font, clip.w() * 0.6)).collect())
        .collect::<Result<_, _>>()?;
    let labels = place_labels(p, &texts, &centres, &half_widths, obstacles, clip, &font, r)?;

    // Leader lines first, then markers, then labels on top.
    for (c, lab) in centres.iter().zip(&labels) {
        if let Some(anchor) = lab.leader {
            p.polyline(&[*c, anchor], TEXT_LIGHT.to_rgba(), 1.2, &[])?;
        }
    }
    for ((g, c), hw) in groups.iter().zip(&centres).zip(&half_widths) {
        // Unlabelled points at one place (offers of one price and date) are one marker: side by
        // side they would read as later dates and run past the plot's edge.
        if g.iter().all(|&i| placed[i].label.is_empty()) {
            let q = &placed[g[0]];
            p.marker(q.marker, *c, SCATTER_MARKER_SIZE, q.color)?;
            continue;
        }
        // A group side by side stays inside the plot.
        let shift = (clip.x1 - (c.0 + hw)).min(0.0) + (clip.x0 - (c.0 - hw)).max(0.0);
        for (k, &i) in g.iter().enumerate() {
            let dx = (k as f64 - (g.len() - 1) as f64 / 2.0) * step + shift;
            let q = &placed[i];
            p.marker(q.marker, (c.0 + dx, c.1), SCATTER_MARKER_SIZE, q.color)?;
        }
    }
    let line_h = group_line_height(p, &font);
    let mut boxes = Vec::new();
    for (lines, lab) in texts.iter().zip(&labels) {
        if lines.iter().all(|t| t.is_empty()) {
            continue;
        }
        p.fill_rect(lab.bounds.inflate(p.s(1.0)), BACKGROUND.mix(0.8))?;
        for (j, text) in lines.iter().enumerate() {
            p.text(text, lab.bounds.x0, lab.baseline + j as f64 * line_h, &font, Align::Left)?;
        }
        boxes.push(lab.bounds);
    }
    Ok(boxes)
}

/// A placed point label.
struct Label {
    bounds: Region,
    baseline: f64,
    /// End of a leader line when the label sits away from its point.
    leader: Option<(f64, f64)>,
}

#[allow(clippy::too_many_arguments)]
fn place_labels<DB: DrawingBackend>(
    p: &Painter<DB>,
    texts: &[Vec<String>],
    centres: &[(f64, f64)],
    half_widths: &[f64],
    trend: &[(f64, f64)],
    clip: &Region,
    font: &Font,
    r: f64,
) -> Result<Vec<Label>, ChartError> {
    // Order: dense points first, so crowded labels get the best spots.
    let mut order: Vec<usize> = (0..texts.len().min(centres.len())).collect();
    let crowd = |i: usize| {
        centres
            .iter()
            .filter(|c| {
                let d = ((c.0 - centres[i].0).powi(2) + (c.1 - centres[i].1).powi(2)).sqrt();
                d < p.s(120.0)
            })
            .count()
    };
    order.sort_by_key(|&i| std::cmp::Reverse(crowd(i)));
    // A label that still overlaps something (or whose leader crosses one) after a pass is
    // placed first on the next pass; the pass with the least trouble wins.
    let mut best_pass: Option<(f64, Vec<Label>)> = None;
    for _ in 0..4 {
        let (labels, scores) = place_pass(p, texts, centres, half_widths, trend, clip, font, r, &order)?;
        let trouble: Vec<usize> = order.iter().copied().filter(|&i| scores[i] >= 10_000.0).collect();
        let total: f64 = trouble.iter().map(|&i| scores[i]).sum();
        if best_pass.as_ref().is_none_or(|(t, _)| total < *t) {
            best_pass = Some((total, labels));
        }
        if trouble.is_empty() {
            break;
        }
        order.retain(|i| !trouble.contains(i));
        order.splice(0..0, trouble);
    }
    Ok(best_pass.map(|(_, l)| l).unwrap_or_default())
}

/// One greedy pass of [`place_labels`] in the given order: the labels and each one's score
/// (>= 10,000 when it overlaps another label or marker, or its leader crosses one).
#[allow(clippy::too_many_arguments)]
fn place_pass<DB: DrawingBackend>(
    p: &Painter<DB>,
    texts: &[Vec<String>],
    centres: &[(f64, f64)],
    half_widths: &[f64],
    trend: &[(f64, f64)],
    clip: &Region,
    font: &Font,
    r: f64,
    order: &[usize],
) -> Result<(Vec<Label>, Vec<f64>), ChartError> {
    let cap = p.cap(font);
    let pad = p.s(3.0);
    let gap = r + p.s(5.0);
    let mut scores = vec![0.0; centres.len()];
    let mut taken: Vec<Region> = Vec::new();
    // Leader lines placed so far: a new one must not cross them.
    let mut leaders: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let mut result: Vec<Option<Label>> = (0..centres.len()).map(|_| None).collect();
    for &i in order {
        // A point without a label text (the decade charts label only some launches) gets no
        // box and no leader: an empty box pushed away drew a long stray leader line.
        if texts[i].iter().all(|t| t.is_empty()) {
            continue;
        }
        let (x, y) = centres[i];
        let mut w: f64 = 0.0;
        for t in &texts[i] {
            w = w.max(p.text_width(t, font)?);
        }
        let h = cap + texts[i].len().saturating_sub(1) as f64 * group_line_height(p, font);
        // Left/right of a group of markers side by side, the gap starts at its outer marker.
        let gx = gap + half_widths.get(i).copied().unwrap_or(r) - r;
        // (dx of left edge, dy of cap centre, uses leader)
        let mut candidates: Vec<(f64, f64, bool)> = vec![
            (gx, 0.0, false),
            (-gx - w, 0.0, false),
            (gx * 0.7, -gap - h / 2.0, false),
            (gx * 0.7, gap + h / 2.0, false),
            (-gx * 0.7 - w, -gap - h / 2.0, false),
            (-gx * 0.7 - w, gap + h / 2.0, false),
            (-w / 2.0, -gap - h, false),
            (-w / 2.0, gap + h, false),
        ];
        for f in [2.4, 3.6, 5.0, 6.5, 8.0, 10.0, 12.5, 15.0, 18.0] {
            for (dx, dy) in [
                (1.0, -1.0),
                (1.0, 1.0),
                (-1.0, -1.0),
                (-1.0, 1.0),
                (0.0, -1.4),
                (0.0, 1.4),
                (1.0, 0.0),
                (-1.0, 0.0),
                (1.0, -0.5),
                (1.0, 0.5),
                (-1.0, -0.5),
                (-1.0, 0.5),
            ] {
                let left = if dx > 0.0 {
                    gx * f * 0.8
                } else if dx < 0.0 {
                    -gx * f * 0.8 - w
                } else {
                    -w / 2.0
                };
                candidates.push((left, dy * gap * f * 0.8, true));
            }
        }
        let mut best: Option<(f64, Label)> = None;
        for (k, (dx, dy, leader)) in candidates.iter().enumerate() {
            let cy = y + dy;
            let b = Region::new(x + dx - pad, cy - h / 2.0 - pad, x + dx + w + pad, cy + h / 2.0 + pad);
            let mut score = k as f64 * 0.5 + if *leader { 40.0 } else { 0.0 };
            // Every later candidate starts from a higher score than this one: none can win.
            if best.as_ref().is_some_and(|(s, _)| score >= *s) {
                break;
            }
            score += taken.iter().map(|t| t.overlap(&b)).sum::<f64>() * 100.0;
            for (j, c) in centres.iter().enumerate() {
                let hw = half_widths.get(j).copied().unwrap_or(r);
                let m = Region::new(c.0 - hw, c.1 - r, c.0 + hw, c.1 + r);
                let weight = if j == i { 40.0 } else { 200.0 };
                score += m.overlap(&b) * weight;
            }
            score += trend.iter().filter(|t| b.contains(t.0, t.1)).count() as f64 * 20.0;
            // Nor may a label sit on a leader already drawn.
            score += leaders.iter().filter(|(p0, p1)| segment_hits_box(*p0, *p1, &b)).count() as f64 * 20_000.0;
            let inside = b.overlap(clip);
            let area = b.w() * b.h();
            score += (area - inside) * 1000.0;
            let anchor = if *leader {
                // Leader from the point to the nearest edge of the label.
                let lx = (x).clamp(b.x0, b.x1);
                let ly = (y).clamp(b.y0, b.y1);
                Some((lx, ly))
            } else {
                None
            };
            if let Some(a) = anchor {
                let crossings = leaders.iter().filter(|(p0, p1)| segments_cross((x, y), a, *p0, *p1)).count();
                score += crossings as f64 * 20_000.0;
                // Nor run through another point's label or marker.
                score += taken.iter().filter(|t| segment_hits_box((x, y), a, t)).count() as f64 * 20_000.0;
                let markers = centres.iter().enumerate().filter(|(j, c)| {
                    let hw = half_widths.get(*j).copied().unwrap_or(r);
                    *j != i && segment_hits_box((x, y), a, &Region::new(c.0 - hw, c.1 - r, c.0 + hw, c.1 + r))
                });
                score += markers.count() as f64 * 20_000.0;
            }
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((
                    score,
                    Label {
                        bounds: Region::new(b.x0 + pad, b.y0 + pad, b.x1 - pad, b.y1 - pad),
                        baseline: cy - h / 2.0 + cap,
                        leader: anchor,
                    },
                ));
            }
        }
        if let Some((score, label)) = best {
            scores[i] = score;
            if let Some(a) = label.leader {
                leaders.push(((x, y), a));
            }
            taken.push(label.bounds.inflate(pad));
            result[i] = Some(label);
        }
    }
    let labels = result
        .into_iter()
        .map(|l| {
            l.unwrap_or(Label {
                bounds: Region::new(0.0, 0.0, 0.0, 0.0),
                baseline: 0.0,
                leader: None,
            })
        })
        .collect();
    Ok((labels, scores))
}

/// Whether segments a-b and c-d cross (touching ends do not count).
fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let side = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
    let (d1, d2) = (side(c, d, a), side(c, d, b));
    let (d3, d4) = (side(a, b, c), side(a, b, d));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// Whether segment a-b passes through the box `r`, its last 3 px at either end excluded (the
/// leader starts at its own point and ends on its own label). Liang-Barsky clipping: O(1).
fn segment_hits_box(a: (f64, f64), b: (f64, f64), r: &Region) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.hypot(dy);
    if !(len.is_finite() && len > 0.0) {
        return false;
    }
    let eps = (3.0 / len).min(0.5);
    let (a2, b2) = ((a.0 + dx * eps, a.1 + dy * eps), (a.0 + dx * (1.0 - eps), a.1 + dy * (1.0 - eps)));
    // A piece of positive length inside: touching a corner or an edge is not a hit.
    super::draw::clip_segment(a2, b2, r).is_some_and(|(p, q)| p != q)
}

/// Line pitch inside one label naming several points: tighter than body text, so the names
/// read as one label.
fn group_line_height<DB: DrawingBackend>(p: &Painter<DB>, font: &Font) -> f64 {
    p.s(font.size) * 1.08
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_hits_a_box_it_passes_through_but_not_one_it_only_ends_in() {
        let r = Region::new(10.0, 10.0, 20.0, 20.0);
        assert!(segment_hits_box((0.0, 15.0), (30.0, 15.0), &r));
        assert!(segment_hits_box((0.0, 0.0), (30.0, 30.0), &r));
        assert!(!segment_hits_box((0.0, 25.0), (30.0, 25.0), &r));
        assert!(!segment_hits_box((0.0, 0.0), (30.0, 0.0), &r));
        // Ends in the box only by its last 2 px: excluded, as the leader's own label is.
        assert!(!segment_hits_box((0.0, 15.0), (12.0, 15.0), &r));
        assert!(segment_hits_box((0.0, 15.0), (14.0, 15.0), &r));
        // Vertical, beside the box.
        assert!(!segment_hits_box((25.0, 0.0), (25.0, 30.0), &r));
        assert!(!segment_hits_box((5.0, 5.0), (5.0, 5.0), &r));
    }
}
