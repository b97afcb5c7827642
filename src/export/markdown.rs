//! GitHub-flavoured Markdown tables, ready to paste into a report.

use super::{CompareView, Exporter, Grid, grid};

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn export(&self, view: &CompareView<'_>) -> Vec<u8> {
        let mut out = String::new();
        for t in view.tables {
            out.push_str(&markdown_table(view, t));
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// One workload's table in Markdown (also used by report.md).
pub fn markdown_table(view: &CompareView<'_>, t: &crate::model::compare::WorkloadTable) -> String {
    md(&grid(view, t))
}

/// A grid as a Markdown table under a `###` heading; a row marked `*` has its name in bold.
pub fn md(g: &Grid) -> String {
    // Config text stays in its cell: control characters (newlines, escape codes) are escaped.
    let esc = |s: &str| crate::config::diag::escape(s).replace('|', "\\|");
    let mut out = format!("### {}\n\n", esc(&g.title));
    out.push_str(&format!(
        "| {} |\n",
        g.headers.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | ")
    ));
    let align: String = (0..g.headers.len())
        .map(|k| if k < g.left_cols { " --- |" } else { " ---: |" })
        .collect();
    out.push_str(&format!("|{align}\n"));
    for r in &g.rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(k, c)| if k == 1 && r[0] == "*" { format!("**{}**", esc(c)) } else { esc(c) })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    for n in &g.notes {
        out.push_str(&format!("\n- {}", esc(n)));
    }
    if !g.notes.is_empty() {
        out.push('\n');
    }
    out
}
