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
    // Config text stays in its cell: control characters (newlines, escape codes) and HTML are
    // escaped, and `|` cannot end the cell.
    let esc = |s: &str| text(s).replace('|', "\\|");
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

/// Config-given `s` as inert Markdown text: control characters (escape sequences, newlines,
/// bidi overrides) written as visible escapes (`\u001b`), and `&`, `<`, `>` as HTML entities,
/// so a name like `<script>` or `<img onerror=...>` shows as typed and no renderer runs it.
/// Markdown's own emphasis characters pass (they cannot run anything).
pub fn text(s: &str) -> String {
    let s = crate::config::diag::escape(s);
    if !s.contains(['&', '<', '>']) {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` inside a code span: control characters escaped, backticks (which would end the span and
/// let what follows be read as Markdown or HTML) written as `'`. Inside a span HTML is inert.
pub fn code(s: &str) -> String {
    format!("`{}`", crate::config::diag::escape(s).replace('`', "'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_control_characters_are_shown_not_run() {
        assert_eq!(
            text("<script>alert(1)</script> & co"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
        );
        assert_eq!(text("red\u{1b}[31m\u{7}"), "red\\u001b[31m\\u0007");
        assert_eq!(text("plain **bold**"), "plain **bold**");
        // A backtick cannot end the span and let HTML out.
        assert_eq!(code("--set a=`<b>`"), "`--set a='<b>'`");
    }
}
