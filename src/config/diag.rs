//! Errors and warnings about configs: what went wrong, where (file:line:col or the `--set`),
//! and a hint. Several are collected in one run so a planner fixes them all at once.

use std::fmt;

use super::tree::Origin;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug)]
pub struct Diag {
    pub severity: Severity,
    pub origin: Origin,
    pub message: String,
    pub hint: Option<String>,
}

impl Diag {
    pub fn error(origin: Origin, message: String, hint: &str) -> Self {
        Diag {
            severity: Severity::Error,
            origin,
            message,
            hint: (!hint.is_empty()).then(|| hint.to_string()),
        }
    }

    pub fn warning(origin: Origin, message: String) -> Self {
        Diag {
            severity: Severity::Warning,
            origin,
            message,
            hint: None,
        }
    }
}

impl fmt::Display for Diag {
    /// `error: <file>:<line>:<col>: <what> (<hint>)`, as docs/cli.md specifies. Control characters
    /// from config text or `--set` (escape sequences, newlines) are shown escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}: {}", escape(&self.origin.to_string()), escape(&self.message))?;
        if let Some(h) = &self.hint {
            write!(f, " ({})", escape(h))?;
        }
        Ok(())
    }
}

/// True for characters that must not reach a terminal raw: C0 controls (newline and tab
/// included), DEL, C1 controls (U+0080..U+009F, e.g. the one-byte CSI) and the bidi
/// overrides and isolates that reorder what is shown.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_unsafe_char`] written as an escape (`\n`, `\t`, `\r`, else `\u001b`
/// style), so one message stays one line and config text cannot drive the terminal.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    escape_except(text, &[])
}

/// Like [`escape`], but the characters in `keep` (e.g. the newlines of a table) pass through.
/// The escapes are valid inside JSON strings, so JSON output stays parseable.
pub fn escape_except<'a>(text: &'a str, keep: &[char]) -> std::borrow::Cow<'a, str> {
    if !text.chars().any(|c| is_unsafe_char(c) && !keep.contains(&c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if keep.contains(&c) || !is_unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                use fmt::Write;
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Collected diagnostics of one run.
#[derive(Clone, Debug, Default)]
pub struct Diags {
    pub items: Vec<Diag>,
}

impl Diags {
    pub fn push(&mut self, d: Diag) {
        self.items.push(d);
    }

    pub fn err(&mut self, origin: &Origin, message: String, hint: &str) {
        self.items.push(Diag::error(origin.clone(), message, hint));
    }

    pub fn warn(&mut self, origin: &Origin, message: String) {
        self.items.push(Diag::warning(origin.clone(), message));
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn into_errors(self) -> Vec<Diag> {
        self.items.into_iter().filter(|d| d.severity == Severity::Error).collect()
    }
}

/// The closest candidate to a misspelt word, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    // An id typed without its suffix (`h100` for `h100-sxm`) is a likely slip too.
    if word.len() >= 3
        && let Some(c) = candidates.iter().find(|c| c.starts_with(word))
    {
        return Some(c);
    }
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The hint for a misspelt word: "did you mean `x`?" when one candidate is close, else `otherwise`.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, otherwise: impl FnOnce() -> String) -> String {
    match did_you_mean(word, candidates) {
        Some(m) => format!("did you mean `{m}`?"),
        None => otherwise(),
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key_for_a_typo() {
        let keys = ["memory_gb", "memory_tb_per_s", "power_w"];
        assert_eq!(did_you_mean("memroy_gb", keys), Some("memory_gb"));
        assert_eq!(did_you_mean("pwer_w", keys), Some("power_w"));
        assert_eq!(did_you_mean("completely_else", keys), None);
        assert_eq!(did_you_mean("h100", ["a100-sxm", "h100-sxm"]), Some("h100-sxm"));
    }

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape("a\u{1b}[31mb\nc\u{9b}\u{202e}"), "a\\u001b[31mb\\nc\\u009b\\u202e");
        assert_eq!(escape_except("a\nb\t\u{7}", &['\n']), "a\nb\\t\\u0007");
        assert!(matches!(escape("plain ünïcode"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn formats_as_the_cli_contract_says() {
        let d = Diag::error(
            Origin::File {
                file: "a.toml".into(),
                line: 3,
                col: 1,
            },
            "unknown key `x`".into(),
            "did you mean `y`?",
        );
        assert_eq!(d.to_string(), "error: a.toml:3:1: unknown key `x` (did you mean `y`?)");
    }
}
