//! Whole-chart tests: every chart type renders to a non-blank bitmap and to SVG, empty and
//! hostile input (NaN, infinities, zero and negative values on log axes) renders without
//! panicking, and files are written atomically.

use super::*;
use crate::family::Family;

fn frame(title: &str) -> Frame {
    Frame {
        title: title.to_string(),
        subtitle: "subtitle".to_string(),
        footer: "basis: on_demand · test".to_string(),
        notes: vec!["Not drawn: nothing".to_string()],
        key: Vec::new(),
    }
}

fn axis(label: &str, scale: AxisScale, unit: Unit) -> Axis {
    Axis {
        label: label.to_string(),
        scale,
        unit,
    }
}

fn small() -> Canvas {
    Canvas { width: 400, height: 250 }
}

fn line_chart(points: Vec<(f64, f64)>) -> Chart {
    Chart::Line(LineChart {
        frame: frame("Line"),
        x: axis("Params (B, log)", AxisScale::Log, Unit::Plain(String::new())),
        y: axis("Cost (USD, log)", AxisScale::Log, Unit::Usd),
        series: vec![Series {
            name: "H100 SXM".to_string(),
            look: Family::Gpu.look(),
            style_index: 0,
            band: Some(points.iter().map(|&(x, y)| (x, y * 0.8, y * 1.2)).collect()),
            point_labels: vec![(10.0, 1e5, "8 chips".into())],
            points,
        }],
        vlines: vec![(20.0, "target".into())],
    })
}

fn all_charts() -> Vec<Chart> {
    let bars = BarChart {
        frame: frame("Bars"),
        value_axis: axis("Cost vs H100", AxisScale::Linear, Unit::Ratio),
        bars: vec![
            Bar {
                label: "Trainium2".into(),
                look: Family::Trainium.look(),
                value: 0.42,
                text: "0.42x".into(),
                whisker: Some((0.3, 0.6)),
                extra: Vec::new(),
            },
            Bar {
                label: "H100 SXM".into(),
                look: Family::Gpu.look(),
                value: 1.0,
                text: "1.00x".into(),
                whisker: None,
                extra: Vec::new(),
            },
        ],
        reference_line: Some((1.0, "H100 = 1.0x".into())),
    };
    vec![
        line_chart(vec![(1.0, 1e3), (10.0, 1e5), (100.0, 1e7)]),
        Chart::Panels(PanelChart {
            frame: frame("Panels"),
            panels: vec![
                BarChart {
                    frame: frame("Training"),
                    ..bars.clone()
                },
                BarChart {
                    frame: frame("Inference"),
                    ..bars
                },
            ],
        }),
        Chart::Stacked(StackedBarChart {
            frame: frame("Stacked"),
            value_axis: axis("USD per chip-hour", AxisScale::Linear, Unit::UsdPerHour),
            categories: vec![("H100".into(), Family::Gpu.look()), ("TPU v6e".into(), Family::Tpu.look())],
            segments: vec![
                StackSegment {
                    name: "Capital".into(),
                    values: vec![1.2, 0.9],
                },
                StackSegment {
                    name: "Energy".into(),
                    values: vec![0.3, 0.2],
                },
            ],
        }),
        Chart::Tornado(TornadoChart {
            frame: frame("Tornado"),
            value_axis: axis("Cost vs H100", AxisScale::Linear, Unit::Ratio),
            base: 0.8,
            bars: vec![TornadoBar {
                input: "MFU".into(),
                low_value: 1.1,
                high_value: 0.6,
                low_input: "30%".into(),
                high_input: "55%".into(),
            }],
            marks: vec![(1.0, "parity".into())],
        }),
        Chart::Heatmap(Heatmap {
            frame: frame("Heatmap"),
            x: axis("Price (USD/h)", AxisScale::Linear, Unit::UsdPerHour),
            y: axis("Efficiency", AxisScale::Linear, Unit::Ratio),
            xs: (1..=10).map(f64::from).collect(),
            ys: (1..=8).map(|j| f64::from(j) * 0.2).collect(),
            z: (1..=8)
                .map(|j| (1..=10).map(|i| f64::from(i) / 4.0 / (f64::from(j) * 0.2)).collect())
                .collect(),
            contour: 1.0,
            contour_label: "break-even".into(),
            marker: Some((4.0, 1.0, "today".into())),
        }),
    ]
}

/// Share of pixels that are not white.
fn ink(rgb: &[u8]) -> f64 {
    let dark = rgb.chunks_exact(3).filter(|p| p.iter().any(|c| *c < 230)).count();
    dark as f64 / (rgb.len() / 3) as f64
}

/// Whether any pixel in the buffer is strongly coloured (not grey).
fn has_colour(rgb: &[u8]) -> bool {
    rgb.chunks_exact(3).any(|p| {
        let (mx, mn) = (p.iter().max().copied(), p.iter().min().copied());
        matches!((mx, mn), (Some(a), Some(b)) if a - b > 80)
    })
}

#[test]
fn every_chart_type_renders_non_blank() {
    for chart in all_charts() {
        let rgb = match render_rgb(&chart, small()) {
            Ok(rgb) => rgb,
            Err(e) => panic!("render failed: {e}"),
        };
        assert_eq!(rgb.len(), 400 * 250 * 3);
        let share = ink(&rgb);
        assert!(share > 0.008, "chart looks blank ({share}): {chart:?}");
        assert!(has_colour(&rgb), "chart has no colour: {chart:?}");
    }
}

#[test]
fn every_chart_type_renders_svg() {
    for chart in all_charts() {
        let svg = match render_svg_string(&chart, Canvas::default()) {
            Ok(s) => s,
            Err(e) => panic!("svg failed: {e}"),
        };
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<text"));
    }
}

fn empty_charts() -> Vec<Chart> {
    let f = Frame::default();
    let lin = axis("", AxisScale::Linear, Unit::Count);
    let log = axis("", AxisScale::Log, Unit::Usd);
    vec![
        Chart::Line(LineChart {
            frame: f.clone(),
            x: log.clone(),
            y: log.clone(),
            series: vec![],
            vlines: vec![],
        }),
        Chart::Panels(PanelChart {
            frame: f.clone(),
            panels: vec![BarChart {
                frame: f.clone(),
                value_axis: log.clone(),
                bars: vec![],
                reference_line: None,
            }],
        }),
        Chart::Panels(PanelChart {
            frame: f.clone(),
            panels: vec![],
        }),
        Chart::Stacked(StackedBarChart {
            frame: f.clone(),
            value_axis: lin.clone(),
            categories: vec![],
            segments: vec![],
        }),
        Chart::Tornado(TornadoChart {
            frame: f.clone(),
            value_axis: lin.clone(),
            base: f64::NAN,
            bars: vec![],
            marks: vec![],
        }),
        Chart::Heatmap(Heatmap {
            frame: f,
            x: lin.clone(),
            y: lin,
            xs: vec![],
            ys: vec![],
            z: vec![],
            contour: 1.0,
            contour_label: String::new(),
            marker: None,
        }),
    ]
}

#[test]
fn empty_charts_render() {
    for chart in empty_charts() {
        assert!(render_rgb(&chart, small()).is_ok(), "{chart:?}");
        assert!(render_svg_string(&chart, small()).is_ok(), "{chart:?}");
    }
}

#[test]
fn hostile_values_render_without_panic() {
    let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -5.0, 1e308, 1e-308];
    let pts: Vec<(f64, f64)> = bad
        .iter()
        .flat_map(|&x| bad.iter().map(move |&y| (x, y)))
        .chain([(1.0, 10.0)])
        .collect();
    let mut charts = vec![line_chart(pts.clone()), line_chart(vec![(5.0, 5.0)])];
    for mut chart in all_charts() {
        match &mut chart {
            Chart::Panels(p) => {
                for c in &mut p.panels {
                    c.value_axis.scale = AxisScale::Log;
                    for (i, b) in c.bars.iter_mut().enumerate() {
                        b.value = bad[(i + 3) % bad.len()];
                    }
                    c.reference_line = Some((f64::NAN, "ref".into()));
                }
            }
            Chart::Stacked(c) => {
                c.segments[0].values = vec![f64::NAN];
                c.segments[1].values = vec![-1.0, f64::INFINITY, 3.0];
            }
            Chart::Tornado(c) => {
                c.bars[0].low_value = f64::INFINITY;
                c.marks.push((f64::NAN, "nan".into()));
                c.bars.push(TornadoBar {
                    input: "same".into(),
                    low_value: 0.8,
                    high_value: 0.8,
                    low_input: "a".into(),
                    high_input: "b".into(),
                });
            }
            Chart::Heatmap(c) => {
                c.z[2][3] = f64::NAN;
                c.z[4].truncate(2);
                c.xs[1] = f64::NAN;
                c.marker = Some((1e9, 1.0, "far away".into()));
            }
            _ => {}
        }
        charts.push(chart);
    }
    // Single-cell heatmap and a single bar.
    charts.push(Chart::Heatmap(Heatmap {
        frame: Frame::default(),
        x: axis("x", AxisScale::Log, Unit::UsdPerHour),
        y: axis("y", AxisScale::Linear, Unit::Ratio),
        xs: vec![2.0],
        ys: vec![1.0],
        z: vec![vec![0.5]],
        contour: 1.0,
        contour_label: "c".into(),
        marker: None,
    }));
    for chart in &charts {
        assert!(render_rgb(chart, small()).is_ok(), "{chart:?}");
        assert!(render_svg_string(chart, small()).is_ok(), "{chart:?}");
    }
}

#[test]
fn tiny_and_odd_canvases_render() {
    for canvas in [
        Canvas { width: 200, height: 200 },
        Canvas { width: 2000, height: 200 },
        Canvas { width: 200, height: 1200 },
    ] {
        for chart in all_charts().iter().chain(&empty_charts()) {
            assert!(render_rgb(chart, canvas).is_ok(), "{canvas:?} {chart:?}");
        }
    }
}

#[test]
fn long_text_is_fitted_not_overflowing() {
    let long = "A very long title that goes on and on about accelerators ".repeat(6);
    let mut chart = line_chart(vec![(1.0, 10.0), (2.0, 20.0)]);
    if let Chart::Line(c) = &mut chart {
        c.frame.title = long.clone();
        c.frame.subtitle = long.clone();
        c.frame.notes = vec![long.clone(); 8];
        c.series[0].name = long;
    }
    assert!(render_rgb(&chart, Canvas::default()).is_ok());
}

#[test]
fn invalid_canvas_is_an_error() {
    let chart = line_chart(vec![]);
    for (w, h) in [(0, 0), (10, 1000), (100_000, 100_000)] {
        let err = render_rgb(&chart, Canvas { width: w, height: h });
        assert!(matches!(err, Err(ChartError::InvalidCanvas { .. })));
    }
}

#[test]
fn charts_render_to_png_and_svg_bytes() {
    let chart = all_charts().remove(2);
    let png = render_bytes(&chart, small(), Format::Png).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let svg = render_bytes(&chart, small(), Format::Svg).unwrap_or_default();
    assert!(svg.starts_with(b"<svg"));
    assert!(render_bytes(&chart, Canvas { width: 1, height: 1 }, Format::Png).is_err());
}

#[test]
fn errors_display() {
    let e = ChartError::Draw("no room".into());
    assert!(e.to_string().contains("no room"));
    let e = ChartError::InvalidCanvas { width: 1, height: 2 };
    assert!(e.to_string().contains("1x2"));
}

#[test]
fn points_at_the_same_place_both_show() {
    // Two chips at the same year and price (as B200 and Trainium3 once were): before, the
    // later marker covered the earlier; now they sit side by side, so both colours show.
    let pt = |label: &str, family: Family| Series {
        name: label.to_string(),
        look: family.look(),
        style_index: 0,
        points: Vec::new(),
        band: None,
        point_labels: vec![(2025.0, 16.66, label.to_string())],
    };
    let chart = Chart::Line(LineChart {
        frame: frame("Points"),
        x: axis("Year", AxisScale::Linear, Unit::Plain(String::new())),
        y: axis("USD", AxisScale::Log, Unit::Usd),
        series: vec![
            pt("GPU chip", Family::Gpu),
            pt("Trainium chip", Family::Trainium),
            pt("Other", Family::Tpu),
        ],
        vlines: Vec::new(),
    });
    let rgb = render_rgb(&chart, Canvas::default()).unwrap_or_default();
    let count = |c: plotters::style::RGBColor| rgb.chunks_exact(3).filter(|p| p == &[c.0, c.1, c.2]).count();
    // A marker of radius ~12 px has a few hundred fully covered pixels; the legend swatch
    // alone has far fewer.
    let (gpu, trn) = (count(style::GPU_GREEN), count(style::TRAINIUM_ORANGE));
    assert!(gpu > 250 && trn > 250, "gpu {gpu} px, trainium {trn} px");
}

#[test]
fn text_with_control_characters_draws_as_visible_escapes_and_the_svg_stays_xml() {
    use super::draw::drawable;
    assert_eq!(drawable("a\u{1b}[31mb\u{0}"), "a\\u001b[31mb\\u0000");
    assert_eq!(drawable("x\u{fffe}y\u{ffff}"), "x\u{fffd}y\u{fffd}");
    assert_eq!(drawable("H100 <b> & \"q\""), "H100 <b> & \"q\"");
}

#[test]
fn a_chart_with_many_bars_grows_taller_never_wider_and_at_most_a_slides_height() {
    let panel = |n: usize| BarChart {
        frame: frame(""),
        value_axis: axis("x", AxisScale::Linear, Unit::Ratio),
        bars: (0..n)
            .map(|i| Bar {
                label: format!("chip {i}"),
                look: Family::Gpu.look(),
                value: 1.0,
                text: "1x".into(),
                whisker: None,
                extra: Vec::new(),
            })
            .collect(),
        reference_line: None,
    };
    let panels = |n: usize| {
        Chart::Panels(PanelChart {
            frame: frame("Panels"),
            panels: vec![panel(n), panel(2)],
        })
    };
    let base = Canvas::default();
    // 6 rows: 700 + 44 x 6 = 964 < 1000, unchanged.
    assert_eq!(base.fit_rows(&panels(6)), base);
    // 14 rows: 700 + 44 x 14 = 1316 (one short note: no extra lines).
    assert_eq!(base.fit_rows(&panels(14)), Canvas { width: 1600, height: 1316 });
    // 40 rows would need 2460: capped at 1800; at --scale 2 everything doubles.
    assert_eq!(base.fit_rows(&panels(40)), Canvas { width: 1600, height: 1800 });
    let double = Canvas { width: 3200, height: 2000 };
    assert_eq!(double.fit_rows(&panels(14)), Canvas { width: 3200, height: 2632 });
}

#[test]
fn a_key_line_stays_only_where_a_drawn_name_carries_its_mark() {
    let bar = |label: &str| Bar {
        label: label.into(),
        look: Family::Gpu.look(),
        value: 1.0,
        text: "1x".into(),
        whisker: None,
        extra: Vec::new(),
    };
    let mut f = frame("Panels");
    f.key = vec![
        "† priced from another term or market: trn2".into(),
        "‡ the planner's negotiated price: h100".into(),
        "* estimated price: tpu7x".into(),
        "Whiskers: P10-P90".into(),
    ];
    let mut c = Chart::Panels(PanelChart {
        frame: f,
        panels: vec![BarChart {
            frame: frame(""),
            value_axis: axis("x", AxisScale::Linear, Unit::Ratio),
            bars: vec![bar("Trainium2 (Trn2) †"), bar("H100 SXM 80GB")],
            reference_line: None,
        }],
    });
    c.drop_unused_mark_keys();
    // Only † is drawn: the ‡ and * lines go, the whisker line (no mark) stays.
    assert_eq!(
        c.frame().key,
        vec![
            "† priced from another term or market: trn2".to_string(),
            "Whiskers: P10-P90".to_string()
        ]
    );
}

#[test]
fn overflowing_notes_are_cut_at_whole_notes() {
    // Twelve notes of one short line each and one long one: more than the note lines allowed,
    // so the chart keeps whole notes and says how many it left out, never half a note.
    let long = "Inference: median error of the step model's throughput 3-28% on their own public benchmarks (5-fold held out); 22% for tpu-v5p (no benchmark: pooled fit, ESTIMATE; leave-one-chip-out)".to_string();
    let mut notes: Vec<String> = (0..12).map(|k| format!("note {k}")).collect();
    notes.insert(5, long.clone());
    let Chart::Line(mut c) = line_chart(vec![(1.0, 1e3), (10.0, 1e4)]) else {
        panic!("a line chart")
    };
    c.frame.notes = notes;
    let svg = render_svg_string(&Chart::Line(c), Canvas::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.contains("more notes (all notes: report.md)"), "no overflow line");
    // The long note is either whole (both ends drawn) or left out (neither end).
    let (head, tail) = (svg.contains("Inference: median error"), svg.contains("leave-one-chip-out)"));
    assert_eq!(head, tail, "a note cut in half");
}
