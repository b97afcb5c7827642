//! Aligned plain-text tables for the terminal.

use super::{CompareView, Exporter, grid};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let mut out = String::new();
        for t in view.tables {
            let g = grid(view, t);
            let mut widths: Vec<usize> = g.headers.iter().map(|h| h.chars().count()).collect();
            for r in &g.rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            out.push_str(&g.title);
            out.push('\n');
            let line = |cells: Vec<&str>| {
                let mut s = String::new();
                for (k, (c, w)) in cells.iter().zip(&widths).enumerate() {
                    let pad = w - c.chars().count();
                    // first two columns (mark, id) left-aligned, numbers right-aligned
                    if k < 2 {
                        s.push_str(c);
                        s.push_str(&" ".repeat(pad));
                    } else {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                    s.push_str("  ");
                }
                s.trim_end().to_string() + "\n"
            };
            out.push_str(&line(g.headers.clone()));
            for r in &g.rows {
                out.push_str(&line(r.iter().map(String::as_str).collect()));
            }
            for n in &g.notes {
                out.push_str(&format!("  {n}\n"));
            }
            out.push('\n');
        }
        out.push_str("* cheapest per workload; x ref = cost relative to the reference; break-even = chip-hour price at which it costs what the reference does\n");
        out.into_bytes()
    }
}
