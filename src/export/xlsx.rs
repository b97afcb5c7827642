//! The report's workbook, `accel-cost.xlsx` (docs/cli.md "The workbook"): the compare tables,
//! every config number with unit, source and date, and the headline pairs' costs as live
//! formulas over the input cells. Pure: returns bytes, `crate::output` writes them.
//!
//! The formulas are built from the model's own [`Trace`]: each formula row names the trace step
//! it stands for, stores the value the model recorded for that step (so a spreadsheet that does
//! not recalculate shows the tool's numbers), and shows the model's formula text beside it. A
//! step the model no longer records is an error, and the LibreOffice test (tests/it/workbook.rs)
//! recomputes every formula cell against the stored value, so the sheet cannot drift from the
//! model unnoticed.

use std::collections::HashMap;

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook as Xlsx, Worksheet, XlsxError,
};

use super::csv::neutralise;

use crate::config::{Accelerator, Config, Inference, KvSize, Param, Training};
use crate::model::compare::{Kind, WorkloadTable};
use crate::model::inference::{self, InferenceInputs};
use crate::model::price::{self, PriceChoice};
use crate::model::trace::Trace;
use crate::model::training::{self, Shape};

/// The workbook's bytes and where its formulas are.
pub struct Workbook {
    /// The .xlsx file.
    pub bytes: Vec<u8>,
    /// Every formula cell with the value stored in it (what a recalculation must give).
    pub formulas: Vec<FormulaCell>,
    /// The layout, one line a row: each sheet's headers, Compare's tables and rows, every
    /// Inputs row (key path, unit), every formula-sheet row (step, unit, formula or fixed
    /// value). What the layout snapshot pins.
    pub outline: Vec<String>,
}

/// What the writer records beside the bytes.
#[derive(Default)]
struct Record {
    formulas: Vec<FormulaCell>,
    outline: Vec<String>,
}

/// One formula cell: sheet, 0-based row and column, the accelerator and step of its row, the
/// formula, and the stored value.
#[derive(Clone, Debug, PartialEq)]
pub struct FormulaCell {
    pub sheet: &'static str,
    pub row: u32,
    pub col: u16,
    pub accelerator: String,
    pub step: String,
    pub formula: String,
    pub value: f64,
}

/// The sheets, in order.
pub const SHEETS: [&str; 6] = ["About", "Compare", "Inputs", "Owned", "Training", "Serving"];

/// Column of the live value in the formula sheets (C), and of the base value in `Inputs` (C).
const VALUE_COL: u16 = 2;

/// The workbook for `cfg` at base values, with `tables` (the report's compare tables) on the
/// Compare sheet. Errors: a model step the sheet needs was not recorded (the model changed;
/// the sheet must follow), or the writer failed.
pub fn workbook(cfg: &Config, tables: &[WorkloadTable]) -> Result<Workbook, String> {
    build(cfg, tables).map_err(|e| format!("cannot build accel-cost.xlsx: {e}"))
}

/// Why a workbook could not be built.
#[derive(Debug)]
enum Error {
    Xlsx(XlsxError),
    Model(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Xlsx(e) => write!(f, "{e}"),
            Error::Model(m) => write!(f, "{m}"),
        }
    }
}

impl From<XlsxError> for Error {
    fn from(e: XlsxError) -> Self {
        Error::Xlsx(e)
    }
}

type Res<T> = Result<T, Error>;

/// The model's steps for one section, in order: inputs (label, config number, value) and
/// derived values (label, the model's formula text, value).
#[derive(Default)]
struct Steps {
    inputs: Vec<(String, Param, f64)>,
    derived: Vec<(String, String, f64)>,
}

impl Trace for Steps {
    fn input(&mut self, label: &str, param: Param, value: f64) {
        self.inputs.push((label.into(), param, value));
    }
    fn derived(&mut self, label: &str, formula: &str, value: f64, _unit: &str) {
        self.derived.push((label.into(), formula.into(), value));
    }
    fn enabled(&self) -> bool {
        true
    }
}

impl Steps {
    fn param(&self, label: &str) -> Option<Param> {
        self.inputs.iter().find(|(l, ..)| l == label).map(|(_, p, _)| *p)
    }
    fn step(&self, label: &str) -> Res<(&str, f64)> {
        self.derived
            .iter()
            .find(|(l, ..)| l == label)
            .map(|(_, f, v)| (f.as_str(), *v))
            .ok_or_else(|| Error::Model(format!("the model no longer records the step `{label}`")))
    }
}

struct Formats {
    /// Column headers: bold on grey, wrapped, a rule below.
    header: Format,
    /// A sheet's or a table's title.
    title: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold().set_font_size(13),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// How a number cell looks: a link to an input (blue), a number the model chose (grey,
/// italic: not live), a headline result (bold on yellow), an editable input (on yellow), or
/// plain.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Input,
    Fixed,
    Key,
    Edit,
}

/// The number format of `x` in `style`: whole numbers and numbers from 1,000 to a trillion with
/// thousands separators and no decimals (USD, chip-hours, kWh); three decimals from 1 to 1,000
/// (prices, ratios); four from 0.01 to 1 (shares, ratios); six from 0.0001 (seconds, USD per
/// request); scientific notation outside (FLOPs, bytes, tiny times). The cell keeps full
/// precision; only the display rounds.
fn number_format(x: f64, style: Style) -> Format {
    let a = x.abs();
    let nf = if a == 0.0 || (a < 1e12 && (a.fract() == 0.0 || a >= 1e3)) {
        "#,##0"
    } else if (1.0..1e3).contains(&a) {
        "#,##0.000"
    } else if (1e-2..1.0).contains(&a) {
        "0.0000"
    } else if (1e-4..1e-2).contains(&a) {
        "0.000000"
    } else {
        "0.000E+00"
    };
    let f = Format::new().set_num_format(nf);
    match style {
        Style::Plain => f,
        Style::Input => f.set_font_color(Color::RGB(0x1F4E9A)),
        Style::Fixed => f.set_font_color(Color::RGB(0x707070)).set_italic(),
        Style::Key => f.set_bold().set_background_color(Color::RGB(0xFFF2CC)),
        Style::Edit => f.set_background_color(Color::RGB(0xFFF2CC)),
    }
}

/// Writes a text cell, [`neutralise`]d as the CSVs are: config text a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading single quote.
fn text(ws: &mut Worksheet, r: u32, c: u16, s: &str) -> Res<()> {
    ws.write_string(r, c, neutralise(s).into_owned())?;
    Ok(())
}

/// [`text`] with a format.
fn text_f(ws: &mut Worksheet, r: u32, c: u16, s: &str, f: &Format) -> Res<()> {
    ws.write_string_with_format(r, c, neutralise(s).into_owned(), f)?;
    Ok(())
}

/// A number in the column named `column`: ratios, probabilities, efficiencies and prices per
/// chip-hour with three decimals on every row (a column reads down evenly), others by
/// magnitude ([`number_format`]).
fn number_in(ws: &mut Worksheet, r: u32, c: u16, x: f64, style: Style, column: &str) -> Res<()> {
    let fixed = ["ratio", "p_cheaper", "efficiency", "usd_per_chip_hour"];
    if fixed.iter().any(|k| column.contains(k)) && x.abs() < 1e6 {
        let f = number_format(x, style).set_num_format("#,##0.000");
        ws.write_number_with_format(r, c, x, &f)?;
        Ok(())
    } else {
        number(ws, r, c, x, style)
    }
}

/// A flag as a planner filters it.
fn yes_no(x: bool) -> &'static str {
    if x { "yes" } else { "no" }
}

/// A number cell in its [`number_format`].
fn number(ws: &mut Worksheet, r: u32, c: u16, x: f64, style: Style) -> Res<()> {
    ws.write_number_with_format(r, c, x, &number_format(x, style))?;
    Ok(())
}

/// Headline rows: drawn bold on yellow.
const KEY_ROWS: [&str; 8] = ["total", "cost", "ratio", "usd_in", "usd_out", "usd_req", "ratio_req", "ratio_out"];

/// Writes one section's rows on a formula sheet: column A accelerator, B step, C value (a
/// formula, or a number where the model chose it), D unit, E the model's formula or the key path.
struct Block<'a> {
    ws: &'a mut Worksheet,
    sheet: &'static str,
    row: &'a mut u32,
    acc: String,
    cells: HashMap<String, String>,
    out: &'a mut Record,
    inputs_row: &'a [u32],
    cfg: &'a Config,
    /// Appended to the step names shown (not to the trace labels looked up).
    suffix: &'static str,
}

/// An absolute reference to row `r` (0-based), value column, of `sheet` (`None`: this sheet).
fn addr(sheet: Option<&str>, r: u32) -> String {
    match sheet {
        Some(s) => format!("{s}!$C${}", r + 1),
        None => format!("$C${}", r + 1),
    }
}

impl Block<'_> {
    fn write_row(&mut self, key: &str, label: &str, unit: &str, note: &str) -> Res<u32> {
        let r = *self.row;
        let step = format!("{label}{}", self.suffix);
        text(self.ws, r, 0, &self.acc)?;
        if KEY_ROWS.contains(&key) {
            text_f(self.ws, r, 1, &step, &Format::new().set_bold())?;
        } else {
            text(self.ws, r, 1, &step)?;
        }
        // Indented: the unit reads apart from the right-aligned value before it.
        text_f(self.ws, r, 3, unit, &Format::new().set_indent(1))?;
        text(self.ws, r, 4, note)?;
        self.cells.insert(key.to_string(), addr(None, r));
        self.out
            .outline
            .push(format!("{}!{} {} | {step} | {unit} | {note}", self.sheet, r + 1, self.acc));
        *self.row += 1;
        Ok(r)
    }

    fn formula(&mut self, r: u32, key: &str, label: &str, template: &str, value: f64, style: Style) -> Res<()> {
        let text = self.fill(template)?;
        if !value.is_finite() {
            return Err(Error::Model(format!("{} `{template}` is not a finite number", self.acc)));
        }
        let style = if KEY_ROWS.contains(&key) { Style::Key } else { style };
        let mut format = number_format(value, style);
        if key.starts_with("ratio") {
            format = format.set_num_format("0.0000");
        }
        self.ws
            .write_formula_with_format(r, VALUE_COL, Formula::new(&text).set_result(format!("{value}")), &format)?;
        if let Some(l) = self.out.outline.last_mut() {
            l.push_str(&format!(" | {text}"));
        }
        self.out.formulas.push(FormulaCell {
            sheet: self.sheet,
            row: r,
            col: VALUE_COL,
            accelerator: self.acc.clone(),
            step: format!("{label}{}", self.suffix),
            formula: text,
            value,
        });
        Ok(())
    }

    /// `{key}` in `template` becomes the cell of `key` in this block.
    fn fill(&self, template: &str) -> Res<String> {
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let j = rest[i..]
                .find('}')
                .ok_or_else(|| Error::Model(format!("unclosed `{{` in `{template}`")))?;
            let key = &rest[i + 1..i + j];
            let cell = self
                .cells
                .get(key)
                .ok_or_else(|| Error::Model(format!("no cell `{key}` for `{template}`")))?;
            out.push_str(cell);
            rest = &rest[i + j + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A config number the model read (by its trace label), as a link to its `Inputs` cell.
    fn input(&mut self, key: &str, steps: &Steps, label: &str) -> Res<()> {
        let p = steps
            .param(label)
            .ok_or_else(|| Error::Model(format!("the model no longer reads `{label}`")))?;
        let info = self.cfg.params.info(p);
        let value = steps.inputs.iter().find(|(l, ..)| l == label).map_or(f64::NAN, |x| x.2);
        let (unit, path) = (info.unit, info.path.clone());
        let r = self.write_row(key, label, unit, &path)?;
        let link = format!("={}", addr(Some("Inputs"), self.inputs_row[p.0]));
        self.formula(r, key, label, &link, value, Style::Input)
    }

    /// A model step (by its trace label) as a live formula; the stored value is the model's.
    fn step(&mut self, key: &str, steps: &Steps, label: &str, template: &str, unit: &str) -> Res<()> {
        let (model_formula, value) = steps.step(label)?;
        let model_formula = model_formula.to_string();
        let r = self.write_row(key, label, unit, &model_formula)?;
        self.formula(r, key, label, template, value, Style::Plain)
    }

    /// A unit conversion or a value the model takes from a named function, live.
    fn conv(&mut self, key: &str, label: &str, template: &str, value: f64, unit: &str, note: &str) -> Res<()> {
        let r = self.write_row(key, label, unit, note)?;
        self.formula(r, key, label, template, value, Style::Plain)
    }

    /// A number that is not a config number (a whole-number shape, the replica the model chose).
    fn fixed(&mut self, key: &str, label: &str, value: f64, unit: &str, note: &str) -> Res<()> {
        let r = self.write_row(key, label, unit, note)?;
        if let Some(l) = self.out.outline.last_mut() {
            l.push_str(&format!(" | fixed {value}"));
        }
        number(self.ws, r, VALUE_COL, value, Style::Fixed)
    }

    /// A link to a cell of another block (the owned price, the reference's cost).
    fn link(&mut self, key: &str, label: &str, cell: &str, value: f64, unit: &str, note: &str) -> Res<()> {
        let r = self.write_row(key, label, unit, note)?;
        self.formula(r, key, label, &format!("={cell}"), value, Style::Input)
    }
}

/// The chips of a table, the reference first (the headline pairs), those the table costs.
fn headline<'a>(cfg: &'a Config, t: &WorkloadTable) -> Vec<&'a Accelerator> {
    let mut ids: Vec<&str> = t.rows.iter().map(|r| r.accelerator.as_str()).collect();
    if let Some(i) = ids.iter().position(|id| *id == t.reference) {
        let r = ids.remove(i);
        ids.insert(0, r);
    }
    ids.into_iter().filter_map(|id| cfg.accelerator(id)).collect()
}

/// A config `as_of` (`2026-12-07`, `2026-12`, `2026`) as a date: the first of the month or year
/// where it gives none; 2000-01-01 when there is none.
fn as_of_date(as_of: Option<&str>) -> Res<ExcelDateTime> {
    let mut parts = as_of.unwrap_or("2000").split('-').map(|p| p.trim().parse::<u16>().ok());
    let year = parts.next().flatten().filter(|y| (1900..=9999).contains(y)).unwrap_or(2000);
    let month = parts.next().flatten().filter(|m| (1..=12).contains(m)).unwrap_or(1) as u8;
    let day = parts.next().flatten().filter(|d| (1..=28).contains(d)).unwrap_or(1) as u8;
    Ok(ExcelDateTime::from_ymd(year, month, day)?)
}

fn build(cfg: &Config, tables: &[WorkloadTable]) -> Res<Workbook> {
    let mut wb = Xlsx::new();
    // Fast deflate: the Inputs sheet's XML is most of the file, and level 6 cost the report
    // about a quarter of its run time for a file a few percent smaller.
    wb.set_zip_compression_level(1);
    // The same configs give the same bytes (as the charts and CSVs do): the file's created date
    // is the configs' newest `as_of`, not the clock.
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("accel-cost workbook: {}", cfg.report.title))
            .set_comment(format!("config hash {}", cfg.hash))
            .set_creation_datetime(&as_of_date(cfg.as_of.as_deref())?),
    );
    let f = Formats::new();
    let v = cfg.params.base_values();
    let mut out = Record::default();

    let tw = cfg.report.training_workload.as_deref().and_then(|id| cfg.training(id));
    let iw = cfg.report.inference_workload.as_deref().and_then(|id| cfg.inference(id));
    let table_of = |id: Option<&str>| tables.iter().find(|t| Some(t.id.as_str()) == id);
    let t_table = table_of(tw.map(|w| w.id.as_str()));
    let i_table = table_of(iw.map(|w| w.id.as_str()));

    // About is written last (it counts the formula cells) but stays the first sheet.
    wb.add_worksheet().set_name("About")?;
    compare_sheet(wb.add_worksheet().set_name("Compare")?, tables, &f, &mut out.outline)?;
    let inputs_row = inputs_sheet(wb.add_worksheet().set_name("Inputs")?, cfg, &f, &mut out.outline)?;

    // Owned TCO of every headline chip with an owned price.
    let mut chips: Vec<&Accelerator> = Vec::new();
    for t in [t_table, i_table].into_iter().flatten() {
        for a in headline(cfg, t) {
            if !chips.iter().any(|c| c.id == a.id) {
                chips.push(a);
            }
        }
    }
    let mut owned_total: HashMap<String, String> = HashMap::new();
    {
        let ws = formula_sheet(wb.add_worksheet().set_name("Owned")?, &f, &mut out.outline)?;
        let mut row = 1;
        for acc in chips.iter().filter(|a| a.owned.is_some()) {
            let cell = owned_block(ws, &mut row, &mut out, &inputs_row, cfg, acc, &v)?;
            owned_total.insert(acc.id.clone(), cell);
            row += 1;
        }
    }
    // The model's inputs and the owned-cost cells, shared by both formula sheets.
    let ctx = Ctx {
        cfg,
        v: &v,
        inputs_row: &inputs_row,
        owned_total: &owned_total,
    };
    {
        let ws = formula_sheet(wb.add_worksheet().set_name("Training")?, &f, &mut out.outline)?;
        let mut row = 1;
        if let (Some(w), Some(t)) = (tw, t_table) {
            let mut reference: Option<(String, f64)> = None;
            for acc in headline(cfg, t) {
                let cost = training_block(ws, &mut row, &mut out, &ctx, w, acc, &reference, &t.reference)?;
                if acc.id == t.reference {
                    reference = Some(cost);
                }
                row += 1;
            }
        }
    }
    {
        let ws = formula_sheet(wb.add_worksheet().set_name("Serving")?, &f, &mut out.outline)?;
        let mut row = 1;
        if let (Some(w), Some(t)) = (iw, i_table) {
            let mut reference: Option<ServingRef> = None;
            for acc in headline(cfg, t) {
                let cost = serving_block(ws, &mut row, &mut out, &ctx, w, acc, &reference, &t.reference)?;
                if acc.id == t.reference {
                    reference = Some(cost);
                }
                row += 1;
            }
        }
    }
    about(wb.worksheet_from_name("About")?, cfg, tw, iw, out.formulas.len(), &f)?;
    let bytes = wb.save_to_buffer()?;
    Ok(Workbook {
        bytes,
        formulas: out.formulas,
        outline: out.outline,
    })
}

struct Ctx<'a> {
    cfg: &'a Config,
    v: &'a [f64],
    inputs_row: &'a [u32],
    owned_total: &'a HashMap<String, String>,
}

/// Width of the About sheet's text column (characters).
const ABOUT_WIDTH: f64 = 100.0;

/// Row `r` tall enough for `s` wrapped in the About text column (spreadsheets do not grow a
/// row for wrapped text they did not lay out themselves).
fn fit_rows(ws: &mut Worksheet, r: u32, s: &str) -> Res<()> {
    let lines = (s.chars().count() as f64 / (ABOUT_WIDTH * 1.05)).ceil().max(1.0);
    ws.set_row_height(r, 15.0 * lines + 2.0)?;
    Ok(())
}

/// The first sheet: what the workbook is, what each sheet holds, and what is live.
fn about(ws: &mut Worksheet, cfg: &Config, tw: Option<&Training>, iw: Option<&Inference>, formulas: usize, f: &Formats) -> Res<()> {
    let basis = cfg.economics.basis.name();
    let reference = &cfg.report.reference;
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, ABOUT_WIDTH)?;
    text_f(ws, 0, 0, &format!("accel-cost workbook: {}", cfg.report.title), &f.title)?;
    let facts = [
        ("basis", format!("{basis} (the price each chip-hour is costed at)")),
        ("reference", format!("{reference} (ratios are to it)")),
        ("training", tw.map_or("(none)".into(), |w| format!("{} ({})", w.name, w.id))),
        ("serving", iw.map_or("(none)".into(), |w| format!("{} ({})", w.name, w.id))),
        ("configs as_of", cfg.as_of.clone().unwrap_or_else(|| "(no dates)".into())),
        ("config hash", cfg.hash.clone()),
        ("tool", format!("accel-cost {}", env!("CARGO_PKG_VERSION"))),
    ];
    for (i, (k, v)) in facts.iter().enumerate() {
        let r = 2 + i as u32;
        text_f(ws, r, 0, k, &Format::new().set_bold())?;
        text(ws, r, 1, v)?;
    }
    let mut r = 3 + facts.len() as u32;
    text_f(ws, r, 0, "sheet", &f.header)?;
    text_f(ws, r, 1, "what it holds", &f.header)?;
    r += 1;
    let sheets = [
        (
            "Compare",
            "Every workload x accelerator as `accel-cost compare` gives them: the offer used, each figure, the ratio to the reference with P10/P90, break-even price and efficiency, probability of costing less; then the chips left out, with the reason. Values, not formulas.".to_string(),
        ),
        (
            "Inputs",
            "Every config number, one row each: key path (as --set takes it), unit, base (column C, on yellow: the value the formulas read; edit it here), low, high, range, estimate, source, as_of, where it was set, and any unit conversion.".into(),
        ),
        (
            "Owned",
            "Owned cost of one chip-hour of each headline chip with a chip price, in closed form: capex, capital recovery, maintenance, hosting, energy. Live.".into(),
        ),
        (
            "Training",
            format!(
                "The training workload on each headline chip, in closed form: C, delivered FLOP/s, chip-hours, cost on the {basis} basis, ratio to {reference}, wall-clock, energy. Live."
            ),
        ),
        (
            "Serving",
            format!(
                "The serving workload on each headline chip, from the step terms of the replica the model chose (with and without the step's prefill, and without the cached context where input tokens are cached): one stage or pipeline stages, speculative decoding's verified tokens and draft passes; tokens/s, USD per million input, cached input, output and all tokens, USD per request, ratios to {reference} per request and per output token. Live, except with a disaggregated prefill pool (prefill_chips): there the input, cached-input and blended prices and tokens/s per chip are stored values (grey)."
            ),
        ),
    ];
    for (name, what) in &sheets {
        text_f(ws, r, 0, name, &Format::new().set_bold().set_align(FormatAlign::Top))?;
        text_f(ws, r, 1, what, &f.wrap)?;
        fit_rows(ws, r, what)?;
        r += 1;
    }
    r += 1;
    let notes = [
        format!(
            "Live: the {} formula cells on Owned, Training and Serving are formulas over the Inputs cells. Change a price, an efficiency or a power in Inputs column C and the costs move.",
            crate::fmt::num(formulas as f64, 4)
        ),
        "Each formula cell also stores the tool's own value, so a viewer that does not recalculate shows the tool's numbers. Column E gives the model's formula (as `accel-cost explain` prints it) or the key path.".into(),
        "Colours: blue, a link to an Inputs cell; bold on yellow, a headline result; grey italics, a number the model chose (replica size n, its pipeline stages, running batch B, shape counts) or a stored value (a disaggregated prefill pool's prices): not live, re-run accel-cost after a change that would change them.".into(),
        "Not live either: which offer is cheapest, the Monte Carlo bands (P10/P90), and every figure on Compare.".into(),
        "Text from the configs that a spreadsheet would run as a formula (beginning with =, +, -, @) is written as text with a leading single quote.".into(),
    ];
    for n in &notes {
        text_f(ws, r, 1, n, &f.wrap)?;
        fit_rows(ws, r, n)?;
        r += 1;
    }
    ws.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Printed (or saved as PDF): landscape, one page wide, the header row on every page.
fn print_setup(ws: &mut Worksheet) -> Res<()> {
    ws.set_landscape().set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

fn formula_sheet<'a>(ws: &'a mut Worksheet, f: &Formats, outline: &mut Vec<String>) -> Res<&'a mut Worksheet> {
    let headers = ["accelerator", "step", "value (live)", "unit", "model formula or key path"];
    for (c, h) in headers.iter().enumerate() {
        text_f(ws, 0, c as u16, h, &f.header)?;
    }
    outline.push(format!("{}!1 {}", ws.name(), headers.join(" | ")));
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 44)?;
    ws.set_column_width(2, 16)?;
    ws.set_column_width(3, 24)?;
    ws.set_column_width(4, 100)?;
    ws.set_freeze_panes(1, 2)?;
    print_setup(ws)?;
    Ok(ws)
}

/// The Inputs sheet; returns each config number's row (0-based), by `Param` index.
fn inputs_sheet(ws: &mut Worksheet, cfg: &Config, f: &Formats, outline: &mut Vec<String>) -> Res<Vec<u32>> {
    let headers = [
        ("key path", 62.0),
        ("unit", 24.0),
        ("base", 14.0),
        ("low", 12.0),
        ("high", 12.0),
        ("range", 7.0),
        ("estimate", 8.0),
        ("source", 70.0),
        ("as_of", 11.0),
        ("set at", 44.0),
        ("conversion", 30.0),
    ];
    for (c, (h, w)) in headers.iter().enumerate() {
        text_f(ws, 0, c as u16, h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    let names: Vec<&str> = headers.iter().map(|(h, _)| *h).collect();
    outline.push(format!("Inputs!1 {}", names.join(" | ")));
    let mut rows = Vec::with_capacity(cfg.params.infos.len());
    for (i, info) in cfg.params.infos.iter().enumerate() {
        let r = i as u32 + 1;
        rows.push(r);
        text(ws, r, 0, &info.path)?;
        text(ws, r, 1, info.unit)?;
        outline.push(format!("Inputs!{} {} [{}]", r + 1, info.path, info.unit));
        for (c, x, style) in [
            (2, info.base, Style::Edit),
            (3, info.low, Style::Plain),
            (4, info.high, Style::Plain),
        ] {
            if x.is_finite() {
                number(ws, r, c, x, style)?;
            }
        }
        text(ws, r, 5, yes_no(info.ranged))?;
        text(ws, r, 6, yes_no(info.estimate))?;
        text(ws, r, 7, info.source.as_deref().unwrap_or(""))?;
        text(ws, r, 8, info.as_of.as_deref().unwrap_or(""))?;
        text(ws, r, 9, &info.origin.to_string())?;
        if let Some(c) = &info.conversion {
            text(ws, r, 10, c)?;
        }
    }
    ws.set_freeze_panes(1, 1)?;
    print_setup(ws)?;
    ws.autofilter(0, 0, rows.len() as u32, headers.len() as u16 - 1)?;
    Ok(rows)
}

fn compare_sheet(ws: &mut Worksheet, tables: &[WorkloadTable], f: &Formats, outline: &mut Vec<String>) -> Res<()> {
    let mut r = 0u32;
    let mut widest = 0u16;
    for t in tables {
        let kind = match t.kind {
            Kind::Training => "training",
            Kind::Inference => "inference",
        };
        text_f(
            ws,
            r,
            0,
            &format!("{} ({kind}, {}): reference {}", t.name, t.id, t.reference),
            &f.title,
        )?;
        outline.push(format!("Compare!{} table {} ({kind})", r + 1, t.id));
        r += 1;
        let named: Vec<&str> = t
            .rows
            .first()
            .map_or(Vec::new(), |row| row.figures.named().iter().map(|(k, _)| *k).collect());
        let mut headers: Vec<&str> = vec![
            "accelerator",
            "name",
            "cheapest",
            "offer",
            "provider class",
            "term",
            "as_of",
            "estimate",
        ];
        headers.extend(named.iter().copied());
        headers.extend([
            "ratio_to_reference",
            "ratio P10",
            "ratio P90",
            "break_even_usd_per_chip_hour",
            "break_even_efficiency",
            "p_cheaper_than_reference",
            "price_note",
        ]);
        for (c, h) in headers.iter().enumerate() {
            // Spaces for underscores: a header wraps at a word, never inside one.
            text_f(ws, r, c as u16, &h.replace('_', " "), &f.header)?;
        }
        outline.push(format!("Compare!{} {}", r + 1, headers.join(" | ")));
        // Room for the long figure names (`break_even_usd_per_chip_hour`) on three lines.
        ws.set_row_height(r, 45)?;
        widest = widest.max(headers.len() as u16);
        r += 1;
        for row in &t.rows {
            text(ws, r, 0, &row.accelerator)?;
            text(ws, r, 1, &row.name)?;
            outline.push(format!("Compare!{} {}", r + 1, row.accelerator));
            text(ws, r, 2, yes_no(row.cheapest))?;
            if let Some(o) = &row.offer {
                text(ws, r, 3, &o.short())?;
                text(ws, r, 4, &o.provider_class)?;
                text(ws, r, 5, &o.term)?;
                text(ws, r, 6, o.as_of.as_deref().unwrap_or(""))?;
                text(ws, r, 7, yes_no(o.estimate))?;
            }
            let figures = row.figures.named();
            let mut c = 8u16;
            for k in &named {
                if let Some((_, x)) = figures.iter().find(|(n, _)| n == k)
                    && x.is_finite()
                {
                    number_in(ws, r, c, *x, Style::Plain, k)?;
                }
                c += 1;
            }
            let tail = [
                "ratio_to_reference",
                "ratio P10",
                "ratio P90",
                "break_even_usd_per_chip_hour",
                "break_even_efficiency",
                "p_cheaper_than_reference",
            ];
            let opt = [
                row.ratio_to_reference,
                row.ratio_band.map(|b| b.p10),
                row.ratio_band.map(|b| b.p90),
                row.break_even_usd_per_chip_hour,
                row.break_even_efficiency,
                row.p_cheaper_than_reference,
            ];
            for (j, x) in opt.into_iter().enumerate() {
                if let Some(x) = x.filter(|x| x.is_finite()) {
                    let style = if j == 0 { Style::Key } else { Style::Plain };
                    number_in(ws, r, c, x, style, tail[j])?;
                }
                c += 1;
            }
            text(ws, r, c, row.price_note.as_deref().unwrap_or(""))?;
            r += 1;
        }
        for s in &t.skipped {
            text(ws, r, 0, &s.accelerator)?;
            text(ws, r, 1, &format!("skipped: {}", s.reason))?;
            outline.push(format!("Compare!{} {} skipped", r + 1, s.accelerator));
            r += 1;
        }
        r += 1;
    }
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 26)?;
    ws.set_column_width(2, 9)?;
    ws.set_column_width(3, 50)?;
    ws.set_column_width(4, 13)?;
    ws.set_column_width(5, 11)?;
    ws.set_column_width(6, 11)?;
    ws.set_column_width(7, 9)?;
    for c in 8..widest {
        ws.set_column_width(c, 14)?;
    }
    ws.set_freeze_panes(0, 2)?;
    ws.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Owned cost of one chip-hour (docs/model.md "Owned"), in closed form; returns the total's cell.
fn owned_block(
    ws: &mut Worksheet,
    row: &mut u32,
    out: &mut Record,
    inputs_row: &[u32],
    cfg: &Config,
    acc: &Accelerator,
    v: &[f64],
) -> Res<String> {
    let mut s = Steps::default();
    price::owned(&cfg.economics, acc, v, &mut s).map_err(|e| Error::Model(format!("{} {e}", acc.id)))?;
    let mut b = Block {
        ws,
        sheet: "Owned",
        row,
        acc: acc.id.clone(),
        cells: HashMap::new(),
        out,
        inputs_row,
        cfg,
        suffix: "",
    };
    for (k, l) in [
        ("chip", "chip price"),
        ("so", "system overhead"),
        ("r", "cost of capital"),
        ("L", "lifetime"),
        ("maint", "maintenance"),
        ("avail", "availability"),
        ("hosting", "hosting"),
        ("lf", "load factor"),
        ("pue", "PUE"),
        ("elec", "electricity"),
        ("w", "chip power"),
        ("spf", "system power factor"),
    ] {
        b.input(k, &s, l)?;
    }
    if s.param("vendor gross margin").is_some() {
        b.input("margin", &s, "vendor gross margin")?;
    } else {
        b.fixed("margin", "vendor gross margin", 0.0, "share", "none given")?;
    }
    b.step("kw", &s, "power_kw", "={w}*{spf}/1000", "kW")?;
    b.step("capex", &s, "capex", "={chip}*(1+{so})", "USD")?;
    b.step("crf", &s, "crf", "=IF(ABS({r})<1E-12,1/{L},{r}/(1-(1+{r})^(-{L})))", "per year")?;
    b.step("hours", &s, "usable hours per year", "=8760*{avail}", "h")?;
    b.step("capital", &s, "capital", "={capex}*{crf}/{hours}", "USD/chip-hour")?;
    b.step(
        "vm",
        &s,
        "of which vendor margin",
        "={chip}*{margin}*{crf}/{hours}",
        "USD/chip-hour",
    )?;
    b.step("maintenance", &s, "maintenance", "={capex}*{maint}/{hours}", "USD/chip-hour")?;
    b.step("hosting_h", &s, "hosting", "={kw}*{hosting}*12/{hours}", "USD/chip-hour")?;
    b.step("energy", &s, "energy", "={kw}*{lf}*{pue}*{elec}", "USD/chip-hour")?;
    b.step(
        "total",
        &s,
        "owned USD per chip-hour",
        "={capital}+{maintenance}+{hosting_h}+{energy}",
        "USD/chip-hour",
    )?;
    Ok(format!("Owned!{}", b.cells["total"]))
}

/// The chip-hour price the model used on the basis: a link to the offer's Inputs cell, or to
/// the chip's owned total.
fn price_row(b: &mut Block<'_>, s: &Steps, ctx: &Ctx<'_>, acc: &Accelerator, value: f64) -> Res<()> {
    let e = &ctx.cfg.economics;
    match acc.price_choice_on(e, e.basis) {
        PriceChoice::Owned { .. } => {
            let cell = ctx
                .owned_total
                .get(&acc.id)
                .ok_or_else(|| Error::Model(format!("{} has no owned block", acc.id)))?;
            b.link(
                "price",
                "USD per chip-hour (owned)",
                cell,
                value,
                "USD/chip-hour",
                "the chip's total on the Owned sheet",
            )
        }
        _ => b.input("price", s, "price per chip-hour"),
    }
}

/// `{key}/{reference cell}`: this chip's figure over the reference's.
fn ratio_row(b: &mut Block<'_>, key: &str, value: f64, reference: &Option<(String, f64)>, ref_id: &str) -> Res<()> {
    if let Some((cell, rv)) = reference {
        b.conv(
            "ratio",
            "x reference",
            &format!("={{{key}}}/{cell}"),
            value / rv,
            "ratio",
            &format!("over {ref_id}"),
        )?;
    }
    Ok(())
}

/// Training cost of one chip in closed form (docs/model.md "Training"); returns its cost cell
/// (as seen from another sheet) and value.
#[allow(clippy::too_many_arguments)]
fn training_block(
    ws: &mut Worksheet,
    row: &mut u32,
    out: &mut Record,
    ctx: &Ctx<'_>,
    w: &Training,
    acc: &Accelerator,
    reference: &Option<(String, f64)>,
    ref_id: &str,
) -> Res<(String, f64)> {
    let cfg = ctx.cfg;
    // Inputs and the formulas' steps are traced apart: on the owned basis the price's own
    // steps (its `energy`, in USD per chip-hour) must not stand for training's (kWh).
    let mut si = Steps::default();
    let shape = Shape::from(w);
    let ti = training::inputs(cfg, &shape, acc, ctx.v, &mut si).map_err(|e| Error::Model(format!("{} {e}", acc.id)))?;
    let mut s = Steps::default();
    training::figures(&ti, &mut s);
    let mut b = Block {
        ws,
        sheet: "Training",
        row,
        acc: acc.id.clone(),
        cells: HashMap::new(),
        out,
        inputs_row: ctx.inputs_row,
        cfg,
        suffix: "",
    };
    let prec = w.precision.name();
    price_row(&mut b, &si, ctx, acc, ti.usd_per_chip_hour)?;
    b.input("tf", &si, &format!("dense peak ({prec})"))?;
    b.step("peak", &si, "dense peak", "={tf}*1E12", "FLOP/s")?;
    b.input("mfu", &si, &format!("training MFU ({prec}, steady state)"))?;
    b.input("goodput", &si, "training goodput")?;
    match w.flops {
        Some(_) => {
            b.input("flops_in", &si, "FLOPs")?;
            b.step("C", &s, "C (training FLOPs)", "={flops_in}", "FLOP")?;
        }
        None => {
            b.input("Na_b", &si, "active parameters")?;
            b.input("D_t", &si, "tokens")?;
            b.conv("D", "D (tokens)", "={D_t}*1E12", ti.tokens, "tokens", "tokens_t * 1e12")?;
            b.step("6ND", &s, "6ND (parameter FLOPs)", "=6*({Na_b}*1E9)*{D}", "FLOP")?;
            match w.attention {
                Some(a) => {
                    // 6 (causal) or 12 (full) * layers * attention_width * seq_len per token.
                    let t = format!("={}*{}*{}*{}*{{D}}", a.coefficient(), a.layers, a.attention_width, a.seq_len);
                    b.step("attn", &s, "attention FLOPs", &t, "FLOP")?;
                    b.step("C", &s, "C (training FLOPs)", "={6ND}+{attn}", "FLOP")?;
                }
                None => {
                    b.conv(
                        "C",
                        "C (training FLOPs)",
                        "={6ND}",
                        ti_flops(&s)?,
                        "FLOP",
                        "6ND (no attention shape given)",
                    )?;
                }
            }
        }
    }
    // An MoE run delivers a share of the dense MFU (economics.training_moe_efficiency*).
    let moe_label = [
        "MoE training efficiency, 8-bit (share of dense MFU)",
        "MoE training efficiency, 16-bit (share of dense MFU)",
    ]
    .into_iter()
    .find(|l| si.param(l).is_some());
    match moe_label {
        Some(l) => {
            b.input("moe", &si, l)?;
            // With an exponent on active parameters: min(1, e * (active / 10e9)^exponent).
            let exponent = "MoE efficiency exponent on active parameters";
            if si.step("MoE efficiency at this run's size").is_ok() {
                b.input("moeg", &si, exponent)?;
                if !b.cells.contains_key("Na_b") {
                    b.input("Na_b", &si, "active parameters")?;
                }
                b.step(
                    "moes",
                    &si,
                    "MoE efficiency at this run's size",
                    "=MIN(1,{moe}*({Na_b}*1E9/1E10)^{moeg})",
                    "share of dense MFU",
                )?;
                b.step("del", &s, "delivered FLOP/s per chip", "={peak}*{mfu}*{moes}", "FLOP/s")?;
            } else {
                b.step("del", &s, "delivered FLOP/s per chip", "={peak}*{mfu}*{moe}", "FLOP/s")?;
            }
        }
        None => b.step("del", &s, "delivered FLOP/s per chip", "={peak}*{mfu}", "FLOP/s")?,
    }
    b.step("ch", &s, "chip-hours", "={C}/{del}/{goodput}/3600", "chip-h")?;
    if let Some(chips) = w.chips {
        b.fixed("chips", "chips", chips as f64, "chips", "the workload's chips")?;
        b.step("wall", &s, "wall-clock", "={ch}/{chips}/24", "days")?;
    }
    match (w.chips, ti.billing) {
        // A run of given chips on an offer pays whole instances for whole billing increments.
        (Some(_), Some(bill)) => {
            let (_, billed_chips) = s.step("billed chips")?;
            b.fixed(
                "bchips",
                "billed chips",
                billed_chips,
                "chips",
                "chips rounded up to whole instances (chips_per_instance)",
            )?;
            if si.param("billing increment").is_some() {
                b.input("inc", &si, "billing increment")?;
            } else {
                b.fixed(
                    "inc",
                    "billing increment",
                    bill.increment_hours,
                    "h",
                    "the term's default (1 s on demand, committed, spot; 24 h capacity block)",
                )?;
            }
            b.step("bh", &s, "billed hours", "=MAX(ROUNDUP({wall}*24/{inc}*(1-1E-12),0),1)*{inc}", "h")?;
            b.step("bch", &s, "billed chip-hours", "={bchips}*{bh}", "chip-h")?;
            b.step("cost", &s, "cost", "={bch}*{price}", "USD")?;
        }
        _ => b.step("cost", &s, "cost", "={ch}*{price}", "USD")?,
    }
    let cost = s.step("cost")?.1;
    ratio_row(&mut b, "cost", cost, reference, ref_id)?;
    b.input("w", &si, "chip power")?;
    b.input("spf", &si, "system power factor")?;
    b.step("kw", &si, "power_kw", "={w}*{spf}/1000", "kW")?;
    b.input("lf", &si, "load factor")?;
    b.input("pue", &si, "PUE")?;
    b.step("energy", &s, "energy", "={ch}*{kw}*{lf}*{pue}", "kWh")?;
    Ok((format!("Training!{}", b.cells["cost"]), cost))
}

/// C when the model records it only as 6ND (no attention shape).
fn ti_flops(s: &Steps) -> Res<f64> {
    s.step("6ND (parameter FLOPs)").map(|(_, v)| v)
}

/// Serving cost of one chip from the chosen replica's step terms (docs/model.md "Serving");
/// returns its USD per request cell (from another sheet) and value.
#[allow(clippy::too_many_arguments)]
fn serving_block(
    ws: &mut Worksheet,
    row: &mut u32,
    out: &mut Record,
    ctx: &Ctx<'_>,
    w: &Inference,
    acc: &Accelerator,
    reference: &Option<ServingRef>,
    ref_id: &str,
) -> Res<ServingRef> {
    let cfg = ctx.cfg;
    let err = |e: crate::model::Skip| Error::Model(format!("{} {e}", acc.id));
    // Inputs (and, on the owned basis, the price's own steps) are traced apart from the steps.
    let mut si = Steps::default();
    let i = inference::inputs(cfg, w, acc, ctx.v, &mut si).map_err(err)?;
    // The model's choice of replica and batch, then that replica's steps, traced.
    let mut s = Steps::default();
    let chosen = inference::figures(&i, &mut s).map_err(err)?;
    let (n, batch) = (chosen.chips_per_replica, chosen.batch);
    let mut s0 = Steps::default();
    inference::step(&i, n as f64, batch, 0.0, &mut s0);

    let mut b = Block {
        ws,
        sheet: "Serving",
        row,
        acc: acc.id.clone(),
        cells: HashMap::new(),
        out,
        inputs_row: ctx.inputs_row,
        cfg,
        suffix: "",
    };
    price_row(&mut b, &si, ctx, acc, i.usd_per_chip_hour)?;
    b.input("util", &si, "utilization")?;
    b.input("tf", &si, "dense peak (workload precision)")?;
    b.conv("P", "P (dense peak)", "={tf}*1E12", i.peak_flops, "FLOP/s", "TFLOPS * 1e12")?;
    b.input("bw_tb", &si, "memory bandwidth")?;
    b.conv(
        "BW",
        "BW (memory bandwidth)",
        "={bw_tb}*1E12",
        i.bandwidth,
        "bytes/s",
        "TB/s * 1e12",
    )?;
    b.input("mfu", &si, "serving MFU")?;
    b.input("wbe", &si, "weight bandwidth efficiency")?;
    b.input("kvbe", &si, "KV bandwidth efficiency")?;
    b.input("so", &si, "step overhead per layer")?;
    b.input("tpo", &si, "tensor-parallel overhead per layer")?;
    if si.param("interconnect").is_some() {
        b.input("ic_gb", &si, "interconnect")?;
        b.conv(
            "ic",
            "interconnect (bytes/s)",
            "={ic_gb}*1E9",
            i.interconnect,
            "bytes/s",
            "GB/s * 1e9",
        )?;
    } else {
        b.fixed("ic", "interconnect (bytes/s)", 0.0, "bytes/s", "no interconnect_gb_per_s")?;
    }
    b.input("N_b", &si, "parameters")?;
    b.conv("N", "N (parameters)", "={N_b}*1E9", i.params, "params", "params_b * 1e9")?;
    b.input("Na_b", &si, "active parameters")?;
    b.conv(
        "Na",
        "Na (active parameters)",
        "={Na_b}*1E9",
        i.active_params,
        "params",
        "active_params_b * 1e9",
    )?;
    let (wb_formula, wb_value) = si.step("bytes per weight")?;
    let wb_formula = wb_formula.to_string();
    b.fixed("wb", "bytes per weight", wb_value, "bytes", &wb_formula)?;
    match &w.kv {
        KvSize::BytesPerToken(_) => b.input("kv", &si, "KV bytes per token")?,
        KvSize::Shape { .. } => {
            let (f, x) = si.step("kv (KV bytes per token)")?;
            let f = f.to_string();
            b.fixed("kv", "kv (KV bytes per token)", x, "bytes", &f)?;
        }
    }
    b.input("Lin", &si, "input tokens")?;
    b.input("Lout", &si, "output tokens")?;
    b.fixed("L", "layers", i.layers, "layers", "the workload's layers (0: none given)")?;
    if si.param("attention width").is_some() {
        b.input("d", &si, "attention width")?;
    } else {
        b.fixed("d", "attention width", 0.0, "", "none given")?;
    }
    if si.param("decode attention width").is_some() {
        b.input("dd", &si, "decode attention width")?;
    } else {
        b.conv(
            "dd",
            "decode attention width",
            "={d}",
            i.decode_attention_width,
            "",
            "the attention width (no decode_attention_width given)",
        )?;
    }
    if si.param("hidden (all-reduce width)").is_some() {
        b.input("hidden", &si, "hidden (all-reduce width)")?;
    } else {
        b.conv(
            "hidden",
            "hidden (all-reduce width)",
            "={d}",
            i.hidden,
            "",
            "the attention width (no hidden given)",
        )?;
    }
    let moe = i.experts.is_some() || i.active_params < i.params;
    if moe {
        b.input("moe", &si, "MoE efficiency")?;
    }
    if let Some((e, k)) = i.experts {
        b.fixed("E", "experts", e, "experts", "the workload's experts")?;
        b.fixed("k", "experts per token", k, "experts", "the workload's experts_per_token")?;
        if si.param("shared parameters").is_some() {
            b.input("Ns_b", &si, "shared parameters")?;
            b.conv(
                "Ns",
                "shared parameters",
                "={Ns_b}*1E9",
                i.shared_params,
                "params",
                "shared_params_b * 1e9",
            )?;
        } else {
            b.step(
                "Ns",
                &si,
                "shared parameters",
                "=MIN(MAX(({Na}-{k}*{N}/{E})/(1-{k}/{E}),0),{Na})",
                "params",
            )?;
        }
        b.conv(
            "Ne",
            "Ne (parameters of one routed expert)",
            "=MAX({N}-{Ns},0)/{E}",
            (i.params - i.shared_params).max(0.0) / e,
            "params",
            "(params - shared) / experts, over all layers",
        )?;
    }
    let (_, n_v) = s.step("n (chips per replica)")?;
    b.fixed(
        "n",
        "n (chips per replica)",
        n_v,
        "chips",
        "chosen by the model among its candidates (not live: re-run accel-cost)",
    )?;
    // Pipeline stages across scale-up domains (model: layout): m stages of s chips.
    let stages = inference::layout(&i, n).filter(|&(_, m)| m > 1);
    if stages.is_some() {
        let (_, sv) = s.step("s (chips per stage)")?;
        b.fixed(
            "sn",
            "s (chips per stage)",
            sv,
            "chips",
            "the model's layout of the chosen replica (not live)",
        )?;
        let (_, mv) = s.step("m (pipeline stages)")?;
        b.fixed("stages", "m (pipeline stages)", mv, "stages", "n / s (not live)")?;
    }
    let (how, b_v) = s.step("B (running batch per replica)")?;
    let how = format!("{how} (not live: re-run accel-cost)");
    b.fixed("B", "B (running batch per replica)", b_v, "sequences", &how)?;
    b.step("W", &s, "W (weights)", "={N}*{wb}", "bytes")?;
    b.step("c", &s, "c (mean context)", "={Lin}+{Lout}/2", "tokens")?;
    // r: copies of each KV head (model: kv_copies, over the chips of one stage).
    let stage_n = if stages.is_some() { "{sn}" } else { "{n}" };
    match (i.kv_heads, i.attention_dp) {
        (Some(h), false) if h > 0.0 => {
            b.fixed("kvh", "KV heads", h, "heads", "the workload's kv_heads")?;
            if si.param("tensor-parallel ranks per chip (stack unit)").is_some() {
                b.input("tpu", &si, "tensor-parallel ranks per chip (stack unit)")?;
            } else {
                b.fixed("tpu", "tensor-parallel ranks per chip (stack unit)", 1.0, "ranks", "none given: 1")?;
            }
            b.step(
                "r",
                &s,
                "r (copies of each KV head)",
                &format!("=MAX({{kvh}},{stage_n}*{{tpu}})/{{kvh}}"),
                "",
            )?;
        }
        _ => b.step("r", &s, "r (copies of each KV head)", "=1", "")?,
    }
    // Prefix caching: Lc of each request's input tokens come from the cache.
    let cached = i.cached_tokens > 0.0;
    if cached {
        b.input("Lc_in", &si, "Lc (cached input tokens)")?;
        b.conv(
            "Lc",
            "Lc (cached input tokens, at most Lin)",
            "=MIN({Lc_in},{Lin})",
            i.cached_tokens,
            "tokens",
            "min(cached_input_tokens, Lin)",
        )?;
        b.conv(
            "fresh",
            "Lin - Lc (fresh input tokens)",
            "=MAX({Lin}-{Lc},0)",
            inference::fresh_input(&i),
            "tokens",
            "the prompt tokens prefill computes",
        )?;
    } else {
        let lin = b.cells["Lin"].clone();
        b.cells.insert("fresh".into(), lin);
    }
    // Speculative decoding / MTP: k drafted tokens per sequence per step, a emitted.
    let spec = i.spec_tokens > 0.0;
    if spec {
        b.fixed(
            "ks",
            "k (speculative tokens)",
            i.spec_tokens,
            "tokens",
            "the workload's speculative_tokens",
        )?;
        if si.param("a (acceptance length)").is_some() {
            b.input("a", &si, "a (acceptance length)")?;
        } else {
            b.fixed("a", "a (acceptance length)", 1.0, "tokens", "no acceptance_length: 1")?;
        }
        if si.param("Nd (draft weights)").is_some() {
            b.input("Nd_b", &si, "Nd (draft weights)")?;
            b.conv(
                "Nd",
                "Nd (draft weights)",
                "={Nd_b}*1E9",
                i.draft_params,
                "params",
                "draft_params_b * 1e9",
            )?;
        } else {
            b.fixed(
                "Nd",
                "Nd (draft weights)",
                0.0,
                "params",
                "no draft_params_b: the draft's passes are not counted",
            )?;
        }
        if si.param("Nda (draft active weights)").is_some() {
            b.input("Nda_b", &si, "Nda (draft active weights)")?;
            b.conv(
                "Nda",
                "Nda (draft active weights)",
                "=MIN({Nda_b}*1E9,{Nd})",
                i.draft_active_params,
                "params",
                "min(draft_active_params_b * 1e9, Nd)",
            )?;
        } else {
            b.conv(
                "Nda",
                "Nda (draft active weights)",
                "={Nd}",
                i.draft_active_params,
                "params",
                "Nd (no draft_active_params_b)",
            )?;
        }
        b.fixed("Ld", "Ld (draft layers)", i.draft_layers, "layers", "the workload's draft_layers")?;
    } else {
        b.cells.insert("a".into(), "1".into());
    }
    let disaggregated = i.prefill_chips.is_some();
    let p_formula = if disaggregated {
        "=0"
    } else if spec {
        "={B}*{a}*{fresh}/{Lout}"
    } else if cached {
        "={B}*{fresh}/{Lout}"
    } else {
        "={B}*{Lin}/{Lout}"
    };
    b.step("p", &s, "p (prefill tokens per step)", p_formula, "tokens")?;
    if let Some((_, m)) = stages {
        if si.param("scale-out bandwidth per chip").is_some() {
            b.input("so_gb", &si, "scale-out bandwidth per chip")?;
        }
        b.conv("sob", "scale-out (bytes/s)", "={so_gb}*1E9", i.scale_out, "bytes/s", "GB/s * 1e9")?;
        b.step("mb", &s, "mb (micro-batches)", "=MIN({stages},MAX({B},1))", "")?;
        let mf = m as f64;
        let stage_rows = [
            ("sN", "N of one stage", "={N}/{stages}", i.params / mf, "params"),
            ("sNa", "Na of one stage", "={Na}/{stages}", i.active_params / mf, "params"),
            (
                "sNs",
                "shared parameters of one stage",
                "={Ns}/{stages}",
                i.shared_params / mf,
                "params",
            ),
            ("sW", "W of one stage", "={sN}*{wb}", i.params / mf * i.weight_bytes, "bytes"),
            ("skv", "kv of one stage", "={kv}/{stages}", i.kv_bytes_per_token / mf, "bytes"),
            ("sL", "layers of one stage", "={L}/{stages}", i.layers / mf, "layers"),
            (
                "sB",
                "B / mb (sequences of one micro-batch)",
                "={B}/{mb}",
                b_v / s.step("mb (micro-batches)")?.1,
                "sequences",
            ),
            (
                "sp",
                "p / mb (prefill tokens of one micro-batch)",
                "={p}/{mb}",
                s.step("p (prefill tokens per step)")?.1 / s.step("mb (micro-batches)")?.1,
                "tokens",
            ),
        ];
        for (key, label, template, value, unit) in stage_rows {
            if key == "sNs" && i.experts.is_none() {
                continue;
            }
            b.conv(
                key,
                label,
                template,
                value,
                unit,
                "one pipeline stage holds 1/m of the layers, weights and KV",
            )?;
        }
        if let Some((e, _)) = i.experts {
            b.conv(
                "sNe",
                "Ne of one stage",
                "=MAX({sN}-{sNs},0)/{E}",
                (i.params / mf - i.shared_params / mf).max(0.0) / e,
                "params",
                "(stage params - stage shared) / experts",
            )?;
        }
    } else {
        for (stage_key, key) in [
            ("sN", "N"),
            ("sNa", "Na"),
            ("sNs", "Ns"),
            ("sNe", "Ne"),
            ("sW", "W"),
            ("skv", "kv"),
            ("sL", "L"),
            ("sn", "n"),
            ("sB", "B"),
            ("sp", "p"),
        ] {
            if let Some(cell) = b.cells.get(key).cloned() {
                b.cells.insert(stage_key.into(), cell);
            }
        }
    }
    let layout = Layout {
        pipeline: stages.is_some(),
        stages: stages.map_or(1.0, |(_, m)| m as f64),
        stage_chips: stages.map_or(n as f64, |(sc, _)| sc as f64),
        spec,
        cached,
    };
    // Chunked prefill (model: step_with): with p below the chunk P_c a share r = p / P_c of
    // the steps carries a chunk; t_step blends the chunk step and the decode-only step.
    let chunked = s.step("P_c (prefill chunk)").is_ok();
    if chunked {
        b.input("Pb", &si, "prefill chunk budget")?;
        let per_seq = if spec { "({ks}+1)" } else { "1" };
        let pc = if i.attention_dp {
            let g = inference::schedulers(&i, n as f64);
            b.fixed(
                "gsch",
                "g (schedulers: attention ranks)",
                g,
                "",
                "one token budget per attention rank",
            )?;
            format!("=MIN({{Pb}}-{{B}}*{per_seq}/{{gsch}},{{fresh}})")
        } else {
            format!("=MIN({{Pb}}-{{B}}*{per_seq},{{fresh}})")
        };
        b.step("Pc", &s, "P_c (prefill chunk)", &pc, "tokens")?;
        b.step("rc", &s, "s_c (share of steps carrying a chunk)", "={p}/{Pc}", "")?;
        if layout.pipeline {
            let mb = s.step("mb (micro-batches)")?.1;
            b.conv(
                "sPc",
                "P_c / mb (chunk tokens of one micro-batch)",
                "={Pc}/{mb}",
                s.step("P_c (prefill chunk)")?.1 / mb,
                "tokens",
                "each micro-batch carries its share of the chunk",
            )?;
        } else {
            let pc = b.cells["Pc"].clone();
            b.cells.insert("sPc".into(), pc);
        }
        b.suffix = ", a step carrying a prefill chunk";
        step_rows(&mut b, &s, &i, layout, "c", "{sPc}", true, true)?;
    } else {
        step_rows(&mut b, &s, &i, layout, "", "{sp}", true, false)?;
    }
    b.suffix = ", without prefill (p = 0)";
    step_rows(&mut b, &s0, &i, layout, "0", "0", true, false)?;
    if chunked {
        b.suffix = "";
        b.step("t_step", &s, "t_step", "={t_step0}+{rc}*({t_stepc}-{t_step0})", "s")?;
    }
    if cached && !disaggregated {
        let mut sx = Steps::default();
        inference::step_without_cached_context(&i, n as f64, batch, s.step("p (prefill tokens per step)")?.1, &mut sx);
        b.suffix = ", without the cached context";
        if chunked {
            step_rows(&mut b, &sx, &i, layout, "xc", "{sPc}", false, true)?;
            b.step("t_stepx", &sx, "t_step", "={t_step0}+{rc}*({t_stepxc}-{t_step0})", "s")?;
        } else {
            step_rows(&mut b, &sx, &i, layout, "x", "{sp}", false, false)?;
        }
    }
    b.suffix = "";
    let stored = "stored, not live: the disaggregated prefill pool (prefill_chips) is not built as formulas (re-run accel-cost)";
    if disaggregated {
        let (f, v) = s.step("output tokens/s per chip")?;
        b.fixed("tps", "output tokens/s per chip", v, "tokens/s", &format!("{f}; {stored}"))?;
    } else {
        b.step(
            "tps",
            &s,
            "output tokens/s per chip",
            if spec { "={B}*{a}/{t_step}/{n}" } else { "={B}/{t_step}/{n}" },
            "tokens/s",
        )?;
    }
    b.step(
        "user",
        &s,
        "tokens/s per user",
        if spec { "={a}/{t_step}" } else { "=1/{t_step}" },
        "tokens/s",
    )?;
    b.step("usd_s", &s, "replica USD per second", "={n}*{price}/3600/{util}", "USD/s")?;
    b.step(
        "usd_out",
        &s,
        "USD per million output tokens",
        if spec {
            "={usd_s}*{t_step0}/({B}*{a})*1E6"
        } else {
            "={usd_s}*{t_step0}/{B}*1E6"
        },
        "USD/M tokens",
    )?;
    if disaggregated {
        for (key, label, unit) in [
            ("usd_in", "USD per million input tokens", "USD/M tokens"),
            ("usd_cached", "USD per million cached input tokens", "USD/M tokens"),
            ("usd_all", "USD per million tokens (blended)", "USD/M tokens"),
        ] {
            if key == "usd_cached" && !cached {
                continue;
            }
            let (f, v) = s.step(label)?;
            b.fixed(key, label, v, unit, &format!("{f}; {stored}"))?;
        }
    } else {
        let no_ctx = if cached { "{t_stepx}" } else { "{t_step}" };
        b.step(
            "share_in",
            &s,
            "input share of the step",
            &format!("=MIN(MAX(({no_ctx}-{{t_step0}})/{{t_step}},0),1)"),
            "",
        )?;
        b.step(
            "usd_in",
            &s,
            "USD per million input tokens",
            "=IF({p}>0,{usd_s}*{share_in}/({p}/{t_step})*1E6,0)",
            "USD/M tokens",
        )?;
        if cached {
            b.step(
                "share_cached",
                &s,
                "cached share of the step",
                "=MIN(MAX(({t_step}-{t_stepx})/{t_step},0),1)",
                "",
            )?;
            b.step(
                "usd_cached",
                &s,
                "USD per million cached input tokens",
                "={usd_s}*{share_cached}/(({B}*{a}*{Lc}/{Lout})/{t_step})*1E6",
                "USD/M tokens",
            )?;
        }
        let blended = if cached {
            "=({fresh}*{usd_in}+{Lc}*{usd_cached}+{Lout}*{usd_out})/({Lin}+{Lout})"
        } else {
            "=({Lin}*{usd_in}+{Lout}*{usd_out})/({Lin}+{Lout})"
        };
        b.step("usd_all", &s, "USD per million tokens (blended)", blended, "USD/M tokens")?;
    }
    let usd_in = s.step("USD per million input tokens")?.1;
    let usd_out = s.step("USD per million output tokens")?.1;
    let usd_cached = if cached {
        s.step("USD per million cached input tokens")?.1
    } else {
        0.0
    };
    let fresh = inference::fresh_input(&i);
    let per_request = (fresh * usd_in + i.cached_tokens * usd_cached + i.output_tokens * usd_out) / 1e6;
    let (req_formula, req_note) = if cached {
        (
            "=({fresh}*{usd_in}+{Lc}*{usd_cached}+{Lout}*{usd_out})/1E6",
            "((Lin - Lc) * USD per M input + Lc * USD per M cached input + Lout * USD per M output) / 1e6: the workload's request shape",
        )
    } else {
        (
            "=({Lin}*{usd_in}+{Lout}*{usd_out})/1E6",
            "(Lin * USD per M input + Lout * USD per M output) / 1e6: the workload's request shape",
        )
    };
    b.conv("usd_req", "USD per request", req_formula, per_request, "USD/request", req_note)?;
    if let Some(r) = reference {
        b.conv(
            "ratio_req",
            "x reference, per request",
            &format!("={{usd_req}}/{}", r.request.0),
            per_request / r.request.1,
            "ratio",
            &format!("USD per request over {ref_id}'s (input and output tokens)"),
        )?;
        b.conv(
            "ratio_out",
            "x reference, per output token",
            &format!("={{usd_out}}/{}", r.output.0),
            usd_out / r.output.1,
            "ratio",
            &format!("USD per million output tokens over {ref_id}'s"),
        )?;
    }
    Ok(ServingRef {
        request: (format!("Serving!{}", b.cells["usd_req"]), per_request),
        output: (format!("Serving!{}", b.cells["usd_out"]), usd_out),
    })
}

/// The reference chip's serving cells (as seen from another sheet) and values: USD per
/// request, USD per million output tokens.
struct ServingRef {
    request: (String, f64),
    output: (String, f64),
}

/// Which terms a replica's step has: pipeline stages, speculative decoding, a cached context.
#[derive(Clone, Copy)]
struct Layout {
    pipeline: bool,
    /// m, and the chips of one stage (n for one stage).
    stages: f64,
    stage_chips: f64,
    spec: bool,
    cached: bool,
}

/// One step's terms (`inference::step`) for prefill `p` (a cell or 0), keys suffixed `sfx`: one
/// stage's pass (the whole replica, or one pipeline stage's share of the layers on `s` chips at
/// `B / mb` sequences: the `s…` cells), the draft's passes, and `t_step`. With `cached_ctx`
/// false the prefill's attention over and reads of the cached context are left out
/// (`inference::step_without_cached_context`).
#[allow(clippy::too_many_arguments)]
fn step_rows(
    b: &mut Block<'_>,
    s: &Steps,
    i: &InferenceInputs,
    layout: Layout,
    sfx: &str,
    p: &str,
    cached_ctx: bool,
    chunk: bool,
) -> Res<()> {
    // The pass a chunked-prefill step blends records its t_step "with a prefill chunk".
    let with = if chunk { " with a prefill chunk" } else { "" };
    let step_label = format!("t_step{with}");
    let cycle_label = format!("t_step (one pipeline cycle){with}");
    // Keys of this step: `T` becomes `T0` for the step without prefill, and so on.
    let k = |key: &str| format!("{key}{sfx}");
    let t = |template: &str| {
        let mut out = template.replace("{p}", p);
        for key in [
            "T", "Et", "rows", "m", "Wread", "sc", "sm", "rc", "rm", "gc", "gm", "t_gemm", "ac", "am", "t_attn", "t_tp", "ovh", "tau", "x",
            "t_draft", "t_step",
        ] {
            out = out.replace(&format!("{{{key}}}"), &format!("{{{key}{sfx}}}"));
        }
        out
    };
    let tokens_f = if layout.spec { "={sB}*({ks}+1)+{p}" } else { "={sB}+{p}" };
    b.step(&k("T"), s, "T (tokens per step)", &t(tokens_f), "tokens")?;
    match i.experts {
        Some((e, kk)) => {
            b.step(
                &k("Et"),
                s,
                "E_t (experts touched per layer)",
                &t("={E}*(1-(1-{k}/{E})^{T})"),
                "experts",
            )?;
            b.step(&k("rows"), s, "rows per touched expert", &t("={T}*{k}/{Et}"), "tokens")?;
            b.step(&k("m"), s, "m (MoE GEMM efficiency)", "={moe}", "")?;
            b.step(
                &k("Wread"),
                s,
                "Wread (weights read per step)",
                &t("=MIN({sNs}*{wb}+{Et}*{sNe}*{wb},{sW})"),
                "bytes",
            )?;
            // The shared weights' GEMM and the touched experts' GEMMs, each bound by compute
            // or by streaming its weights (model: gemm_time); the model records their sums
            // and t_gemm, which the rows below must give.
            let (stage_m, n) = (layout.stages, layout.stage_chips);
            let (params, shared) = (i.params / stage_m, i.shared_params / stage_m);
            let tokens = s.step("T (tokens per step)")?.1;
            let wread = s.step("Wread (weights read per step)")?.1;
            let compute = n * i.peak_flops * i.eff.serving_mfu;
            let stream = n * i.bandwidth * i.eff.weight_bw_eff;
            let ne = (params - shared).max(0.0) / e;
            let shared_bytes = shared * i.weight_bytes;
            let terms = [
                (
                    "sc",
                    "shared GEMM, compute",
                    "=2*{sNs}*{T}/({sn}*{P}*{mfu})",
                    2.0 * shared * tokens / compute,
                    "2 * shared * T / (n * P * serving_mfu)",
                ),
                (
                    "sm",
                    "shared GEMM, weights",
                    "={sNs}*{wb}/({sn}*{BW}*{wbe})",
                    shared_bytes / stream,
                    "shared * bytes per weight / (n * BW * weight_bw_eff)",
                ),
                (
                    "rc",
                    "routed GEMMs, compute",
                    "=2*{k}*{sNe}*{T}/({sn}*{P}*{mfu}*{m})",
                    2.0 * kk * ne * tokens / (compute * i.eff.moe_efficiency),
                    "2 * k * expert params * T / (n * P * serving_mfu * m): k * T rows of one expert's width",
                ),
                (
                    "rm",
                    "routed GEMMs, touched experts' weights",
                    "=MAX({Wread}-{sNs}*{wb},0)/({sn}*{BW}*{wbe})",
                    (wread - shared_bytes).max(0.0) / stream,
                    "(Wread - shared bytes) / (n * BW * weight_bw_eff)",
                ),
            ];
            for (key, label, template, value, note) in terms {
                b.conv(&k(key), label, &t(template), value, "s", note)?;
            }
            b.step(&k("gc"), s, "GEMM time, compute", &t("={sc}+{rc}"), "s")?;
            b.step(&k("gm"), s, "GEMM time, weights", &t("={sm}+{rm}"), "s")?;
            b.step(&k("t_gemm"), s, "t_gemm", &t("=MAX({sc},{sm})+MAX({rc},{rm})"), "s")?;
        }
        None => {
            let m = if i.active_params < i.params { "={moe}" } else { "=1" };
            b.step(&k("m"), s, "m (MoE GEMM efficiency)", m, "")?;
            b.step(
                &k("Wread"),
                s,
                "Wread (weights read per step)",
                &t("=MIN({sW},{T}*{sNa}*{wb})"),
                "bytes",
            )?;
            b.step(&k("gc"), s, "GEMM time, compute", &t("=2*{sNa}*{T}/({sn}*{P}*{mfu}*{m})"), "s")?;
            b.step(&k("gm"), s, "GEMM time, weights", &t("={Wread}/({sn}*{BW}*{wbe})"), "s")?;
            b.step(&k("t_gemm"), s, "t_gemm", &t("=MAX({gc},{gm})"), "s")?;
        }
    }
    let per_seq = if layout.spec { "{sB}*({ks}+1)" } else { "{sB}" };
    let (ac, am) = if layout.cached && cached_ctx {
        (
            format!("=4*{{sL}}*({{dd}}*{per_seq}*{{c}}+{{d}}*{{p}}*({{Lc}}+{{fresh}}/2))/({{sn}}*{{P}}*{{mfu}})"),
            "=({sB}*{c}+IF({fresh}>0,{p}/{fresh},0)*{Lc})*{r}*{skv}/({sn}*{BW}*{kvbe})".to_string(),
        )
    } else {
        (
            format!("=4*{{sL}}*({{dd}}*{per_seq}*{{c}}+{{d}}*{{p}}*{{fresh}}/2)/({{sn}}*{{P}}*{{mfu}})"),
            "={sB}*{c}*{r}*{skv}/({sn}*{BW}*{kvbe})".to_string(),
        )
    };
    if cached_ctx {
        b.step(&k("ac"), s, "attention time, compute", &t(&ac), "s")?;
        b.step(&k("am"), s, "attention time, KV reads", &t(&am), "s")?;
    } else {
        // The model's formula text is the one with the cached context; say what is left out.
        for (key, label, template) in [("ac", "attention time, compute", &ac), ("am", "attention time, KV reads", &am)] {
            let (f, v) = s.step(label)?;
            let note = format!("{f}; here without the cached context: Lc = 0 in the prefill's attention, no reads of its KV");
            b.conv(&k(key), label, &t(template), v, "s", &note)?;
        }
    }
    b.step(&k("t_attn"), s, "t_attn", &t("=MAX({ac},{am})"), "s")?;
    // The model's case: expert-parallel all-to-all where attention runs data-parallel on an
    // MoE with expert counts, else ring all-reduces; none on one chip or without interconnect.
    let tp = if i.attention_dp && i.experts.is_some() {
        "=IF(AND({sn}>1,{ic}>0),2*{sL}*({T}/{sn})*{k}*{hidden}*2*({sn}-1)/{sn}/{ic},0)"
    } else {
        "=IF(AND({sn}>1,{ic}>0),2*{sL}*{T}*{hidden}*2*2*({sn}-1)/{sn}/{ic},0)"
    };
    b.step(&k("t_tp"), s, "t_tp", &t(tp), "s")?;
    b.step(&k("ovh"), s, "per-layer overheads", &t("={sL}*({so}+IF({sn}>1,{tpo},0))*1E-6"), "s")?;
    let stage_sum = "={t_gemm}+{t_attn}+{t_tp}+{ovh}";
    // The draft's k passes (model: draft_time), on the chips of one stage at B / mb sequences.
    let draft = "=IF(AND({sB}>0,{Nd}>0),{ks}*(MAX(2*{Nda}*{sB}/({sn}*{P}*{mfu}),MIN({Nd},{sB}*{Nda})*{wb}/({sn}*{BW}*{wbe}))+IF({L}>0,{sB}*{c}*{r}*{kv}*({Ld}/{L})/({sn}*{BW}*{kvbe}),0)+{Ld}*({so}+IF({sn}>1,{tpo},0))*1E-6),0)";
    if layout.pipeline {
        b.step(&k("tau"), s, "tau (one stage's pass of a micro-batch)", &t(stage_sum), "s")?;
        b.step(
            &k("x"),
            s,
            "x (activations to the next stage)",
            &t("={T}*{hidden}*2/({sn}*{sob})"),
            "s",
        )?;
        let cycle = if layout.spec {
            b.step(&k("t_draft"), s, "t_draft (last stage, one micro-batch)", &t(draft), "s")?;
            "=MAX({stages}*({tau}+{x})+{t_draft},{mb}*({tau}+{x}+{t_draft}))"
        } else {
            "=MAX({stages}*({tau}+{x}),{mb}*({tau}+{x}))"
        };
        b.step(&k("t_step"), s, &cycle_label, &t(cycle), "s")?;
    } else if layout.spec {
        b.step(&k("t_draft"), s, "t_draft", &t(draft), "s")?;
        b.step(&k("t_step"), s, &step_label, &t("={t_gemm}+{t_attn}+{t_tp}+{ovh}+{t_draft}"), "s")?;
    } else {
        b.step(&k("t_step"), s, &step_label, &t(stage_sum), "s")?;
    }
    Ok(())
}
