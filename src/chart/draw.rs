//! Drawing primitives over a plotters drawing area, in pixel coordinates: text placed by its
//! baseline (the same on bitmap and SVG), text measuring and wrapping, dashed polylines,
//! markers, filled shapes, and clipping of lines and polygons to the plot rectangle.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBAColor, RGBColor, ShapeStyle};

use super::style::{self, ASCENT, BITMAP_TOP_TO_BASELINE, CAP_HEIGHT, SVG_TOP_TO_BASELINE};
use super::{ChartError, draw_error};

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Region {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Region {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Region {
        Region { x0, y0, x1, y1 }
    }
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
    pub fn inflate(&self, d: f64) -> Region {
        Region::new(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)
    }
    /// Area of the overlap with `o` (0 when apart).
    pub fn overlap(&self, o: &Region) -> f64 {
        let w = self.x1.min(o.x1) - self.x0.max(o.x0);
        let h = self.y1.min(o.y1) - self.y0.max(o.y0);
        if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
    }
}

/// Horizontal alignment of text at its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// A text face: size in design pixels, weight and colour.
#[derive(Debug, Clone, Copy)]
pub(super) struct Font {
    pub size: f64,
    pub bold: bool,
    pub color: RGBColor,
}

impl Font {
    pub const fn new(size: f64, color: RGBColor) -> Font {
        Font { size, bold: false, color }
    }
    pub const fn bold(size: f64, color: RGBColor) -> Font {
        Font { size, bold: true, color }
    }
}

/// Marker shapes for points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Triangle,
    Square,
    Diamond,
    Cross,
    TriangleDown,
}

/// Draws on a plotters area in pixel coordinates; sizes are given in design pixels (at
/// 1600x1000) and multiplied by `k`.
pub(super) struct Painter<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// Output pixels per design pixel.
    pub k: f64,
    svg: bool,
    pub width: f64,
    pub height: f64,
}

/// `text` as charts draw it: control characters (which XML 1.0 forbids in an SVG, and which no
/// font draws) and bidi overrides become visible escapes (`\u001b`), as on the terminal and in
/// report.md; the non-characters U+FFFE and U+FFFF, also forbidden in XML, become U+FFFD. The
/// SVG backend escapes `&`, `<`, `>` and quotes itself, so with this any name gives valid XML.
pub(super) fn drawable(text: &str) -> std::borrow::Cow<'_, str> {
    let text = crate::config::diag::escape(text);
    if text.contains(['\u{fffe}', '\u{ffff}']) {
        std::borrow::Cow::Owned(text.replace(['\u{fffe}', '\u{ffff}'], "\u{fffd}"))
    } else {
        text
    }
}

fn ipt(p: (f64, f64)) -> (i32, i32) {
    (round_px(p.0), round_px(p.1))
}

fn round_px(v: f64) -> i32 {
    if v.is_finite() { v.round().clamp(-1e8, 1e8) as i32 } else { 0 }
}

impl<'a, DB: DrawingBackend> Painter<'a, DB> {
    pub fn new(area: &'a DrawingArea<DB, Shift>, k: f64, svg: bool) -> Self {
        let (w, h) = area.dim_in_pixel();
        Painter {
            area,
            k: if k.is_finite() && k > 0.0 { k } else { 1.0 },
            svg,
            width: f64::from(w),
            height: f64::from(h),
        }
    }

    /// Design pixels to output pixels.
    pub fn s(&self, design: f64) -> f64 {
        design * self.k
    }

    /// Stroke width in whole output pixels, at least 1.
    fn stroke(&self, design: f64) -> u32 {
        self.s(design).round().max(1.0) as u32
    }

    pub fn clear(&self) -> Result<(), ChartError> {
        self.area.fill(&style::BACKGROUND).map_err(draw_error)
    }

    fn weight(font: &Font) -> FontStyle {
        if font.bold { FontStyle::Bold } else { FontStyle::Normal }
    }

    /// The face used to measure text: the embedded DejaVu Sans at the bitmap pixel scale.
    fn font_desc(&self, font: &Font) -> FontDesc<'static> {
        FontDesc::new(FontFamily::SansSerif, self.s(font.size), Self::weight(font))
    }

    /// The face used to draw text: on SVG, the CSS font list at a size with the same em.
    fn draw_desc(&self, font: &Font) -> FontDesc<'static> {
        if self.svg {
            FontDesc::new(
                FontFamily::Name(style::SVG_FONT_STACK),
                self.s(font.size) * style::SVG_SIZE_FIX,
                Self::weight(font),
            )
        } else {
            self.font_desc(font)
        }
    }

    // ---- text ------------------------------------------------------------------------------

    /// Width of `text` in output pixels (as [`Self::text`] draws it: see [`drawable`]).
    pub fn text_width(&self, text: &str, font: &Font) -> Result<f64, ChartError> {
        if text.is_empty() {
            return Ok(0.0);
        }
        let text = drawable(text);
        let (w, _) = self.font_desc(font).box_size(&text).map_err(|e| ChartError::Font(e.to_string()))?;
        Ok(f64::from(w))
    }

    /// Cap height of `font` in output pixels.
    pub fn cap(&self, font: &Font) -> f64 {
        self.s(font.size) * CAP_HEIGHT
    }

    /// Ascent (top of tall letters above the baseline) in output pixels.
    pub fn ascent(&self, font: &Font) -> f64 {
        self.s(font.size) * ASCENT
    }

    /// Line pitch for wrapped text in output pixels.
    pub fn line_height(&self, font: &Font) -> f64 {
        self.s(font.size) * style::LINE_HEIGHT
    }

    /// Draws `text` with its baseline at `baseline`, aligned at `x`.
    pub fn text(&self, text: &str, x: f64, baseline: f64, font: &Font, align: Align) -> Result<(), ChartError> {
        if text.is_empty() {
            return Ok(());
        }
        let text = drawable(text);
        let size = self.s(font.size);
        let top = baseline - size * self.top_to_baseline();
        let h = match align {
            Align::Left => HPos::Left,
            Align::Center => HPos::Center,
            Align::Right => HPos::Right,
        };
        let style = self.draw_desc(font).color(&font.color).pos(Pos::new(h, VPos::Top));
        self.area.draw(&Text::new(text.as_ref(), ipt((x, top)), style)).map_err(draw_error)
    }

    /// Draws `text` vertically centred (on its capitals) at `cy`.
    pub fn text_mid(&self, text: &str, x: f64, cy: f64, font: &Font, align: Align) -> Result<(), ChartError> {
        self.text(text, x, cy + self.cap(font) / 2.0, font, align)
    }

    fn top_to_baseline(&self) -> f64 {
        if self.svg { SVG_TOP_TO_BASELINE } else { BITMAP_TOP_TO_BASELINE }
    }

    /// `text` cut to fit `max_w` pixels, with an ellipsis when cut.
    pub fn fit(&self, text: &str, font: &Font, max_w: f64) -> Result<String, ChartError> {
        if self.text_width(text, font)? <= max_w {
            return Ok(text.to_string());
        }
        let chars: Vec<char> = text.chars().collect();
        let (mut lo, mut hi) = (0usize, chars.len());
        // Longest prefix that fits with the ellipsis (binary search).
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let candidate: String = chars[..mid].iter().collect::<String>() + "…";
            if self.text_width(&candidate, font)? <= max_w {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let kept: String = chars[..lo].iter().collect();
        Ok(format!("{}…", kept.trim_end()))
    }

    /// Splits `text` into lines no wider than `max_w` (words longer than a line are cut with
    /// an ellipsis); at most `max_lines`, the last one ellipsised when text is left over.
    pub fn wrap(&self, text: &str, font: &Font, max_w: f64, max_lines: usize) -> Result<Vec<String>, ChartError> {
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut overflow = false;
        for (i, word) in words.iter().enumerate() {
            let candidate = if current.is_empty() {
                (*word).to_string()
            } else {
                format!("{current} {word}")
            };
            if self.text_width(&candidate, font)? <= max_w {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if lines.len() >= max_lines {
                overflow = i < words.len();
                break;
            }
            current = self.fit(word, font, max_w)?;
        }
        if !current.is_empty() {
            if lines.len() < max_lines {
                lines.push(current);
            } else {
                overflow = true;
            }
        }
        if overflow && let Some(last) = lines.last_mut() {
            *last = self.fit(&format!("{last} …"), font, max_w)?;
            if !last.ends_with('…') {
                last.push('…');
            }
        }
        Ok(lines)
    }

    // ---- shapes ------------------------------------------------------------------------

    /// Filled rectangle.
    pub fn fill_rect(&self, r: Region, color: RGBAColor) -> Result<(), ChartError> {
        let (a, b) = (ipt((r.x0, r.y0)), ipt((r.x1, r.y1)));
        if a.0 == b.0 || a.1 == b.1 {
            return Ok(());
        }
        // Filled rectangles are half-open on both backends ([x0, x1) x [y0, y1)), so
        // neighbouring cells that share a rounded edge neither overlap nor leave a gap.
        self.area.draw(&Rectangle::new([a, b], color.filled())).map_err(draw_error)
    }

    /// Rectangle outline.
    pub fn stroke_rect(&self, r: Region, color: RGBAColor, width: f64) -> Result<(), ChartError> {
        let pts = [(r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1), (r.x0, r.y0)];
        self.polyline(&pts, color, width, &[])
    }

    /// Filled polygon.
    pub fn fill_polygon(&self, pts: &[(f64, f64)], color: RGBAColor) -> Result<(), ChartError> {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<(i32, i32)> = pts.iter().map(|p| ipt(*p)).collect();
        self.area.draw(&Polygon::new(v, color.filled())).map_err(draw_error)
    }

    /// Polyline of `width` design pixels; `dash` (design pixels, on/off pairs) empty for
    /// solid.
    pub fn polyline(&self, pts: &[(f64, f64)], color: RGBAColor, width: f64, dash: &[f64]) -> Result<(), ChartError> {
        if pts.len() < 2 {
            return Ok(());
        }
        let style = ShapeStyle {
            color,
            filled: false,
            stroke_width: self.stroke(width),
        };
        let pattern: Vec<f64> = dash.iter().map(|d| self.s(*d)).collect();
        for piece in dash_polyline(pts, &pattern) {
            let v: Vec<(i32, i32)> = dedup(piece.iter().map(|p| ipt(*p)));
            if v.len() >= 2 {
                self.area.draw(&PathElement::new(v, style)).map_err(draw_error)?;
            } else if let Some(&p) = v.first() {
                // A dot of a dotted line collapsed to one pixel: draw it as a round dot.
                let r = (style.stroke_width / 2).max(1);
                self.area.draw(&Circle::new(p, r, color.filled())).map_err(draw_error)?;
            }
        }
        Ok(())
    }

    /// Polyline clipped to `clip`; points are pixels, gaps already split by the caller.
    pub fn polyline_clipped(
        &self,
        pts: &[(f64, f64)],
        clip: &Region,
        color: RGBAColor,
        width: f64,
        dash: &[f64],
    ) -> Result<(), ChartError> {
        for piece in clip_polyline(pts, clip) {
            self.polyline(&piece, color, width, dash)?;
        }
        Ok(())
    }

    /// Filled circle.
    pub fn disc(&self, c: (f64, f64), r: f64, color: RGBAColor) -> Result<(), ChartError> {
        let r = r.round().max(1.0) as u32;
        self.area.draw(&Circle::new(ipt(c), r, color.filled())).map_err(draw_error)
    }

    /// A marker of `size` design pixels (radius-like) with a white halo.
    pub fn marker(&self, m: Marker, c: (f64, f64), size: f64, color: RGBColor) -> Result<(), ChartError> {
        let halo = self.s(style::MARKER_HALO);
        let r = self.s(size);
        self.marker_shape(m, c, r + halo, &style::BACKGROUND.to_rgba(), halo * 2.0)?;
        self.marker_shape(m, c, r, &color.to_rgba(), 0.0)
    }

    fn marker_shape(&self, m: Marker, (x, y): (f64, f64), r: f64, color: &RGBAColor, extra_stroke: f64) -> Result<(), ChartError> {
        match m {
            Marker::Circle => self.disc((x, y), r, *color),
            Marker::Square => {
                let h = r * 0.86;
                self.fill_rect(Region::new(x - h, y - h, x + h, y + h), *color)
            }
            Marker::Diamond => {
                let h = r * 1.2;
                self.fill_polygon(&[(x, y - h), (x + h, y), (x, y + h), (x - h, y)], *color)
            }
            Marker::Triangle | Marker::TriangleDown => {
                let s = if m == Marker::Triangle { 1.0 } else { -1.0 };
                let h = r * 1.25;
                self.fill_polygon(
                    &[(x, y - s * h), (x + h * 0.95, y + s * h * 0.62), (x - h * 0.95, y + s * h * 0.62)],
                    *color,
                )
            }
            Marker::Cross => {
                let h = r * 0.95;
                let w = (r * 0.55 + extra_stroke) / self.k;
                self.polyline(&[(x - h, y - h), (x + h, y + h)], *color, w, &[])?;
                self.polyline(&[(x - h, y + h), (x + h, y - h)], *color, w, &[])
            }
        }
    }
}

fn dedup(it: impl Iterator<Item = (i32, i32)>) -> Vec<(i32, i32)> {
    let mut v: Vec<(i32, i32)> = Vec::new();
    for p in it {
        if v.last() != Some(&p) {
            v.push(p);
        }
    }
    v
}

// ---- geometry -------------------------------------------------------------------------------

/// Cuts a polyline into the "on" pieces of a dash pattern (empty pattern: the whole line).
pub(super) fn dash_polyline(pts: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let usable = pattern.len() >= 2 && pattern.iter().all(|d| d.is_finite() && *d > 0.0);
    if !usable || pts.is_empty() {
        return vec![pts.to_vec()];
    }
    let mut out = Vec::new();
    let mut idx = 0usize;
    let mut left = pattern[0];
    let mut on = true;
    let mut current: Vec<(f64, f64)> = vec![pts[0]];
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        if !len.is_finite() {
            continue;
        }
        let mut pos = 0.0;
        while len - pos > left {
            pos += left;
            let t = pos / len;
            let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            if on {
                current.push(p);
                out.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            on = !on;
            idx = (idx + 1) % pattern.len();
            left = pattern[idx];
        }
        left -= len - pos;
        if on {
            current.push(b);
        }
    }
    if on && current.len() >= 2 {
        out.push(current);
    }
    out
}

/// Liang-Barsky: the part of segment a-b inside `r`.
pub(super) fn clip_segment(a: (f64, f64), b: (f64, f64), r: &Region) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [(-dx, a.0 - r.x0), (dx, r.x1 - a.0), (-dy, a.1 - r.y0), (dy, r.y1 - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some(((a.0 + dx * t0, a.1 + dy * t0), (a.0 + dx * t1, a.1 + dy * t1)))
}

/// The pieces of a polyline inside `r`.
pub(super) fn clip_polyline(pts: &[(f64, f64)], r: &Region) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((p, q)) => {
                let joined = current.last().is_some_and(|l| (l.0 - p.0).abs() < 1e-6 && (l.1 - p.1).abs() < 1e-6);
                if !joined {
                    if current.len() >= 2 {
                        out.push(std::mem::take(&mut current));
                    }
                    current = vec![p];
                }
                current.push(q);
            }
            None => {
                if current.len() >= 2 {
                    out.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        out.push(current);
    }
    out
}

/// Sutherland-Hodgman: polygon clipped to `r`.
pub(super) fn clip_polygon(pts: &[(f64, f64)], r: &Region) -> Vec<(f64, f64)> {
    type Edge = (fn(&(f64, f64), f64) -> bool, fn((f64, f64), (f64, f64), f64) -> (f64, f64), f64);
    fn at_x(a: (f64, f64), b: (f64, f64), x: f64) -> (f64, f64) {
        let t = (x - a.0) / (b.0 - a.0);
        (x, a.1 + (b.1 - a.1) * t)
    }
    fn at_y(a: (f64, f64), b: (f64, f64), y: f64) -> (f64, f64) {
        let t = (y - a.1) / (b.1 - a.1);
        (a.0 + (b.0 - a.0) * t, y)
    }
    let edges: [Edge; 4] = [
        (|p, v| p.0 >= v, at_x, r.x0),
        (|p, v| p.0 <= v, at_x, r.x1),
        (|p, v| p.1 >= v, at_y, r.y0),
        (|p, v| p.1 <= v, at_y, r.y1),
    ];
    let mut poly = pts.to_vec();
    for (inside, cut, v) in edges {
        if poly.is_empty() {
            break;
        }
        let input = std::mem::take(&mut poly);
        let mut prev = input[input.len() - 1];
        for &cur in &input {
            match (inside(&cur, v), inside(&prev, v)) {
                (true, true) => poly.push(cur),
                (true, false) => {
                    poly.push(cut(prev, cur, v));
                    poly.push(cur);
                }
                (false, true) => poly.push(cut(prev, cur, v)),
                (false, false) => {}
            }
            prev = cur;
        }
    }
    poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_cover_about_half_a_dashed_line() {
        let pieces = dash_polyline(&[(0.0, 0.0), (100.0, 0.0)], &[10.0, 10.0]);
        assert_eq!(pieces.len(), 5);
        assert!(pieces.iter().all(|p| (p[p.len() - 1].0 - p[0].0 - 10.0).abs() < 1e-9));
    }

    #[test]
    fn clipping_keeps_inside_parts() {
        let r = Region::new(0.0, 0.0, 10.0, 10.0);
        let pieces = clip_polyline(&[(-5.0, 5.0), (5.0, 5.0), (15.0, 5.0)], &r);
        assert_eq!(pieces, vec![vec![(0.0, 5.0), (5.0, 5.0), (10.0, 5.0)]]);
        let poly = clip_polygon(&[(-5.0, -5.0), (15.0, -5.0), (15.0, 15.0), (-5.0, 15.0)], &r);
        assert_eq!(poly.len(), 4);
        assert!(poly.iter().all(|p| r.contains(p.0, p.1)));
    }
}
