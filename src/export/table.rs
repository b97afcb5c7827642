//! Aligned plain-text tables for the terminal.

use super::{CompareView, Exporter, Grid, grid};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let mut out = String::new();
        for t in view.tables {
            out.push_str(&text(&grid(view, t)));
            out.push('\n');
        }
        out.push_str("* cheapest per workload; (est.) estimated price; x ref = cost relative to the reference (inference: per output token; x ref/request: per request of the workload's shape, as the headline); break-even = chip-hour price, or multiple of its configured efficiency, at which it costs what the reference does\n");
        out.into_bytes()
    }
}

/// A grid as aligned text: the first `left_cols` columns left-aligned, numbers right-aligned.
pub fn text(g: &Grid) -> String {
    // Config text in a cell (a name with a newline or an escape sequence) stays on its row.
    let esc = |cells: &[String]| -> Vec<String> { cells.iter().map(|c| crate::config::diag::escape(c).into_owned()).collect() };
    let (headers, rows) = (esc(&g.headers), g.rows.iter().map(|r| esc(r)).collect::<Vec<_>>());
    let g = Grid {
        title: g.title.clone(),
        headers,
        left_cols: g.left_cols,
        rows,
        notes: g.notes.clone(),
    };
    let g = &g;
    let mut widths: Vec<usize> = g.headers.iter().map(|h| h.chars().count()).collect();
    for r in &g.rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (k, (c, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            if k < g.left_cols {
                s.push_str(c);
                s.push_str(&pad);
            } else {
                s.push_str(&pad);
                s.push_str(c);
            }
            s.push_str("  ");
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = format!("{}\n", g.title);
    out.push_str(&line(&g.headers));
    for r in &g.rows {
        out.push_str(&line(r));
    }
    for n in &g.notes {
        out.push_str(&format!("  {n}\n"));
    }
    out
}
