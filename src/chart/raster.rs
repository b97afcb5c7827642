//! The bitmap backend: a plotters `DrawingBackend` over an RGB buffer that anti-aliases every
//! primitive at the output size, instead of drawing at twice the size and shrinking.
//!
//! Coordinates reach it in "virtual" units of 1/[`SUB`] pixel (the painter is built with its
//! scale multiplied by `SUB`), so lines, polygons and circles keep sub-pixel positions and
//! widths. Polygons and sloped strokes are rasterised by exact area coverage
//! (`ab_glyph_rasterizer`), circles by distance to the edge, rectangles and axis-parallel lines
//! are snapped to whole pixels (crisp bars and grid lines), and text is drawn from a per-thread
//! cache of rasterised glyphs (DejaVu Sans, keyed by weight, size and character).

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use ab_glyph_rasterizer::{Rasterizer, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontStyle};

use super::draw::{Region, clip_polygon, clip_segment};
use super::fonts;

/// Virtual units per output pixel: the painter draws at `SUB` times the output scale.
pub(super) const SUB: u32 = 4;
const SUB_F: f64 = SUB as f64;
/// Largest bounding box (pixels) rasterised in one pass when batching stroke segments.
const BATCH_AREA: f64 = 60_000.0;
/// Width in pixels of the vertical slabs a large polygon is filled in.
const SLAB_WIDTH: f64 = 48.0;
/// Coverage below this is not blended (invisible after rounding to 8 bits).
const MIN_COVERAGE: f32 = 1.0 / 512.0;

type Result2 = Result<(), DrawingErrorKind<Infallible>>;

/// An RGB buffer (`width * height * 3` bytes, rows top to bottom) drawn through plotters.
pub(super) struct Raster<'a> {
    buf: &'a mut [u8],
    w: u32,
    h: u32,
    ras: Rasterizer,
}

impl<'a> Raster<'a> {
    /// Wraps `buf`, which must hold `w * h * 3` bytes (`None` otherwise).
    pub fn new(buf: &'a mut [u8], w: u32, h: u32) -> Option<Raster<'a>> {
        (buf.len() == w as usize * h as usize * 3).then(|| Raster {
            buf,
            w,
            h,
            ras: Rasterizer::new(0, 0),
        })
    }

    #[inline(always)]
    fn blend(&mut self, x: i32, y: i32, rgb: (u8, u8, u8), a: f32) {
        if x < 0 || y < 0 || x as u32 >= self.w || y as u32 >= self.h {
            return;
        }
        let i = (y as usize * self.w as usize + x as usize) * 3;
        let px = &mut self.buf[i..i + 3];
        if a >= 1.0 {
            px.copy_from_slice(&[rgb.0, rgb.1, rgb.2]);
        } else {
            for (d, s) in px.iter_mut().zip([rgb.0, rgb.1, rgb.2]) {
                let dv = f32::from(*d);
                *d = (dv + (f32::from(s) - dv) * a + 0.5) as u8;
            }
        }
    }

    /// Fills whole pixels `[x0, x1) x [y0, y1)` (clamped to the canvas).
    fn fill_px(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: BackendColor) {
        let (w, h) = (i64::from(self.w), i64::from(self.h));
        let (x0, x1, y0, y1) = (x0.clamp(0, w), x1.clamp(0, w), y0.clamp(0, h), y1.clamp(0, h));
        if x0 >= x1 || y0 >= y1 || c.alpha <= 0.0 {
            return;
        }
        let a = c.alpha as f32;
        let rgb = [c.rgb.0, c.rgb.1, c.rgb.2];
        for y in y0..y1 {
            let row = &mut self.buf[(y * w + x0) as usize * 3..(y * w + x1) as usize * 3];
            if a >= 1.0 {
                if rgb[0] == rgb[1] && rgb[1] == rgb[2] {
                    // White, black and greys (the background, grid, text boxes): one memset.
                    row.fill(rgb[0]);
                } else {
                    for px in row.chunks_exact_mut(3) {
                        px.copy_from_slice(&rgb);
                    }
                }
            } else {
                for px in row.chunks_exact_mut(3) {
                    for (d, s) in px.iter_mut().zip(rgb) {
                        let dv = f32::from(*d);
                        *d = (dv + (f32::from(s) - dv) * a + 0.5) as u8;
                    }
                }
            }
        }
    }

    /// Fills the union of `polys` (pixel coordinates, inside the canvas) with coverage
    /// anti-aliasing; overlapping parts are blended once.
    fn fill_union(&mut self, polys: &[Vec<(f64, f64)>], c: BackendColor) {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for p in polys.iter().flatten() {
            x0 = x0.min(p.0);
            y0 = y0.min(p.1);
            x1 = x1.max(p.0);
            y1 = y1.max(p.1);
        }
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) || c.alpha <= 0.0 {
            return;
        }
        let (bx, by) = (x0.floor().max(0.0), y0.floor().max(0.0));
        let bw = (x1.ceil().min(f64::from(self.w)) - bx) as usize + 2;
        let bh = (y1.ceil().min(f64::from(self.h)) - by) as usize + 1;
        if bw > 40_000 || bh > 40_000 {
            return;
        }
        self.ras.reset(bw, bh);
        for poly in polys {
            // Same orientation for every piece, so overlaps add up (then clamp) instead of
            // cancelling.
            let area: f64 = poly
                .iter()
                .zip(poly.iter().cycle().skip(1))
                .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
                .sum();
            let pts: Vec<_> = poly.iter().map(|p| point((p.0 - bx) as f32, (p.1 - by) as f32)).collect();
            let n = pts.len();
            for i in 0..n {
                let (a, b) = (pts[i], pts[(i + 1) % n]);
                if area >= 0.0 {
                    self.ras.draw_line(a, b);
                } else {
                    self.ras.draw_line(b, a);
                }
            }
        }
        let alpha = c.alpha as f32;
        let rgb = c.rgb;
        let ras = std::mem::replace(&mut self.ras, Rasterizer::new(0, 0));
        ras.for_each_pixel_2d(|x, y, cov| {
            let cov = cov.min(1.0);
            if cov > MIN_COVERAGE {
                self.blend(x as i32 + bx as i32, y as i32 + by as i32, rgb, cov * alpha);
            }
        });
        self.ras = ras;
    }

    fn canvas(&self) -> Region {
        Region::new(0.0, 0.0, f64::from(self.w), f64::from(self.h))
    }

    /// Strokes a polyline (pixel coordinates) `width` pixels wide: butt ends, round joins.
    fn stroke(&mut self, pts: &[(f64, f64)], width: f64, c: BackendColor) {
        let half = width / 2.0;
        let clip = self.canvas().inflate(width + 2.0);
        let last = pts.len().saturating_sub(1);
        let mut batch: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut bbox = Region::new(f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (i, seg) in pts.windows(2).enumerate() {
            let (a, b) = (seg[0], seg[1]);
            let Some((a, b)) = clip_segment(a, b, &clip) else { continue };
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = (dx * dx + dy * dy).sqrt();
            if len.is_nan() || len <= 1e-9 {
                continue;
            }
            let ext_a = if i > 0 { half } else { 0.0 };
            let ext_b = if i + 1 < last { half } else { 0.0 };
            if dy.abs() < 1e-9 || dx.abs() < 1e-9 {
                // Axis-parallel: whole pixels, so grid lines and axes stay crisp.
                let n = width.round().max(1.0) as i64;
                if dy.abs() < 1e-9 {
                    let (lo, hi) = if a.0 <= b.0 {
                        (a.0 - ext_a, b.0 + ext_b)
                    } else {
                        (b.0 - ext_b, a.0 + ext_a)
                    };
                    let top = (a.1 - width / 2.0).round() as i64;
                    let (x0, x1) = (lo.round() as i64, hi.round() as i64);
                    self.fill_px(x0, top, x1.max(x0 + 1), top + n, c);
                } else {
                    let (lo, hi) = if a.1 <= b.1 {
                        (a.1 - ext_a, b.1 + ext_b)
                    } else {
                        (b.1 - ext_b, a.1 + ext_a)
                    };
                    let left = (a.0 - width / 2.0).round() as i64;
                    let (y0, y1) = (lo.round() as i64, hi.round() as i64);
                    self.fill_px(left, y0, left + n, y1.max(y0 + 1), c);
                }
                continue;
            }
            let (nx, ny) = (-dy / len * half, dx / len * half);
            let mut pieces = vec![vec![
                (a.0 + nx, a.1 + ny),
                (b.0 + nx, b.1 + ny),
                (b.0 - nx, b.1 - ny),
                (a.0 - nx, a.1 - ny),
            ]];
            if i > 0 && width >= 1.5 {
                pieces.push(circle_polygon(a, half));
            }
            let piece_box = Region::new(a.0.min(b.0) - half, a.1.min(b.1) - half, a.0.max(b.0) + half, a.1.max(b.1) + half);
            let joined = Region::new(
                bbox.x0.min(piece_box.x0),
                bbox.y0.min(piece_box.y0),
                bbox.x1.max(piece_box.x1),
                bbox.y1.max(piece_box.y1),
            );
            if !batch.is_empty() && joined.w() * joined.h() > BATCH_AREA {
                self.fill_union(&batch, c);
                batch.clear();
                bbox = piece_box;
            } else {
                bbox = joined;
            }
            batch.extend(
                pieces
                    .into_iter()
                    .map(|p| clip_polygon(&p, &self.canvas()))
                    .filter(|p| p.len() >= 3),
            );
        }
        if !batch.is_empty() {
            self.fill_union(&batch, c);
        }
    }

    /// Anti-aliased filled disc (pixel coordinates).
    fn disc(&mut self, (cx, cy): (f64, f64), r: f64, c: BackendColor) {
        let a = c.alpha as f32;
        let y0 = (cy - r - 1.0).floor().max(0.0) as i32;
        let y1 = (cy + r + 1.0).ceil().min(f64::from(self.h)) as i32;
        let x0 = (cx - r - 1.0).floor().max(0.0) as i32;
        let x1 = (cx + r + 1.0).ceil().min(f64::from(self.w)) as i32;
        for y in y0..y1 {
            let dy = f64::from(y) + 0.5 - cy;
            for x in x0..x1 {
                let dx = f64::from(x) + 0.5 - cx;
                let cov = (r + 0.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0) as f32;
                if cov > MIN_COVERAGE {
                    self.blend(x, y, c.rgb, cov * a);
                }
            }
        }
    }
}

/// A circle as a polygon with enough sides to look round at radius `r` pixels.
fn circle_polygon(c: (f64, f64), r: f64) -> Vec<(f64, f64)> {
    let n = ((r * 4.0).ceil() as usize).clamp(8, 48);
    (0..n)
        .map(|k| {
            let t = k as f64 / n as f64 * std::f64::consts::TAU;
            (c.0 + r * t.cos(), c.1 + r * t.sin())
        })
        .collect()
}

/// Virtual coordinate to pixel coordinate.
fn px(v: BackendCoord) -> (f64, f64) {
    (f64::from(v.0) / SUB_F, f64::from(v.1) / SUB_F)
}

impl DrawingBackend for Raster<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        (self.w * SUB, self.h * SUB)
    }

    fn ensure_prepared(&mut self) -> Result2 {
        Ok(())
    }

    fn present(&mut self) -> Result2 {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result2 {
        let (x, y) = px(point);
        self.blend(x as i32, y as i32, color.rgb, color.alpha as f32);
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result2 {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> Result2 {
        if fill {
            let snap = |v: i32| (f64::from(v) / SUB_F).round() as i64;
            let (x0, x1) = (snap(ul.0.min(br.0)), snap(ul.0.max(br.0)));
            let (y0, y1) = (snap(ul.1.min(br.1)), snap(ul.1.max(br.1)));
            // A rectangle thinner than a pixel still shows as one pixel.
            let x1 = if x1 == x0 && ul.0 != br.0 { x0 + 1 } else { x1 };
            let y1 = if y1 == y0 && ul.1 != br.1 { y0 + 1 } else { y1 };
            self.fill_px(x0, y0, x1, y1, style.color());
            Ok(())
        } else {
            self.draw_path([ul, (br.0, ul.1), br, (ul.0, br.1), ul], style)
        }
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Result2 {
        let pts: Vec<(f64, f64)> = path.into_iter().map(px).collect();
        let width = f64::from(style.stroke_width()) / SUB_F;
        self.stroke(&pts, width, style.color());
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Result2 {
        let r = f64::from(radius) / SUB_F;
        if fill {
            self.disc(px(center), r, style.color());
        } else {
            let ring = circle_polygon(px(center), r);
            let mut closed = ring.clone();
            closed.extend(ring.first());
            self.stroke(&closed, f64::from(style.stroke_width()) / SUB_F, style.color());
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Result2 {
        let pts: Vec<(f64, f64)> = vert.into_iter().map(px).collect();
        let clipped = clip_polygon(&pts, &self.canvas());
        if clipped.len() < 3 {
            return Ok(());
        }
        let (x0, x1) = clipped
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (y0, y1) = clipped
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
        if (x1 - x0) * (y1 - y0) <= BATCH_AREA {
            self.fill_union(&[clipped], style.color());
            return Ok(());
        }
        // A large polygon (a P10-P90 band across the plot) in vertical slabs on whole-pixel
        // boundaries: each slab's box hugs the band there, so far fewer empty pixels are
        // visited, and no pixel column is blended twice.
        let mut xa = x0.floor();
        while xa < x1 {
            let xb = xa + SLAB_WIDTH;
            let slab = clip_polygon(&clipped, &Region::new(xa, y0, xb, y1));
            if slab.len() >= 3 {
                self.fill_union(&[slab], style.color());
            }
            xa = xb;
        }
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Result2 {
        let color = style.color();
        if color.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let Some(faces) = faces() else {
            return Err(DrawingErrorKind::FontError(Box::new(FontMissing)));
        };
        let bold = matches!(style.style(), FontStyle::Bold);
        let face = if bold { &faces.1 } else { &faces.0 };
        let ((min_x, min_y), (max_x, max_y)) = style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let size_v = style.size();
        // plotters' ab_glyph text puts the baseline half a font size below the top.
        let left = f64::from(pos.0 + dx - min_x) / SUB_F;
        let baseline = ((f64::from(pos.1 + dy - min_y) + size_v / 2.0) / SUB_F).round() as i32;
        let size_key = ((size_v / SUB_F) * 64.0).round().clamp(1.0, 1e7) as u32;
        let scale = PxScale::from(size_key as f32 / 64.0);
        let scaled = face.as_scaled(scale);
        let mut caret = left as f32;
        let mut prev = None;
        GLYPHS.with(|cache| {
            let mut cache = cache.borrow_mut();
            for ch in text.chars() {
                let id = scaled.glyph_id(ch);
                if let Some(p) = prev {
                    caret += scaled.kern(p, id);
                }
                prev = Some(id);
                let glyph = cache
                    .entry((bold, size_key, ch))
                    .or_insert_with(|| rasterize_glyph(face, scale, ch))
                    .clone();
                if let Some(g) = glyph {
                    let gx = caret.round() as i32 + g.left;
                    let gy = baseline + g.top;
                    for (j, row) in g.cov.chunks_exact(g.w.max(1)).enumerate() {
                        for (i, &c) in row.iter().enumerate() {
                            if c > 0 {
                                let a = f32::from(c) / 255.0 * color.alpha as f32;
                                self.blend(gx + i as i32, gy + j as i32, color.rgb, a);
                            }
                        }
                    }
                }
                caret += scaled.h_advance(id);
            }
        });
        Ok(())
    }
}

/// One rasterised glyph: coverage (0-255) of a `w`-wide box whose top-left is (`left`, `top`)
/// pixels from the pen position on the baseline.
struct Glyph {
    left: i32,
    top: i32,
    w: usize,
    cov: Vec<u8>,
}

/// Rasterised glyphs by (bold, size in 1/64 px, character); `None`: nothing to draw.
type GlyphCache = HashMap<(bool, u32, char), Option<Rc<Glyph>>>;

thread_local! {
    /// Glyphs drawn so far on this thread, by (bold, size in 1/64 px, character).
    static GLYPHS: RefCell<GlyphCache> = RefCell::new(HashMap::new());
}

fn rasterize_glyph(face: &FontRef<'static>, scale: PxScale, ch: char) -> Option<Rc<Glyph>> {
    let glyph = face.as_scaled(scale).scaled_glyph(ch);
    let outline = face.outline_glyph(glyph)?;
    let b = outline.px_bounds();
    let w = b.width().max(0.0) as usize;
    let h = b.height().max(0.0) as usize;
    if w == 0 || h == 0 {
        return None;
    }
    let mut cov = vec![0u8; w * h];
    outline.draw(|x, y, c| {
        if let Some(v) = cov.get_mut(y as usize * w + x as usize) {
            *v = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    });
    Some(Rc::new(Glyph {
        left: b.min.x as i32,
        top: b.min.y as i32,
        w,
        cov,
    }))
}

/// The embedded regular and bold faces, parsed once.
fn faces() -> Option<&'static (FontRef<'static>, FontRef<'static>)> {
    static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            Some((
                FontRef::try_from_slice(fonts::REGULAR).ok()?,
                FontRef::try_from_slice(fonts::BOLD).ok()?,
            ))
        })
        .as_ref()
}

#[derive(Debug)]
struct FontMissing;

impl std::fmt::Display for FontMissing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the embedded fonts could not be parsed")
    }
}

impl std::error::Error for FontMissing {}
