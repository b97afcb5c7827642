//! The data behind each chart as CSV, taken from the chart itself so the two never disagree.

use std::fmt::Write;

use crate::chart::Chart;
use crate::export::csv_field as q;

pub fn chart_csv(chart: &Chart) -> String {
    let mut s = String::new();
    match chart {
        Chart::Line(c) => {
            // Line points first (label empty), then the labelled points (replica sizes, dated
            // prices), which carry no band.
            let _ = writeln!(s, "series,x,y,p10,p90,label");
            for se in &c.series {
                for (k, (x, y)) in se.points.iter().enumerate() {
                    let band = se
                        .band
                        .as_ref()
                        .and_then(|b| b.get(k))
                        .map_or(String::from(","), |(_, lo, hi)| format!("{lo},{hi}"));
                    let _ = writeln!(s, "{},{x},{y},{band},", q(&se.name));
                }
                for (x, y, label) in &se.point_labels {
                    let _ = writeln!(s, "{},{x},{y},,,{}", q(&se.name), q(label));
                }
            }
        }
        Chart::Panels(p) => {
            // Every extra figure any bar carries gets a column, in first-seen order.
            let mut extra: Vec<String> = Vec::new();
            for (n, _) in p.panels.iter().flat_map(|b| &b.bars).flat_map(|bar| &bar.extra) {
                if !extra.contains(n) {
                    extra.push(n.clone());
                }
            }
            for b in &p.panels {
                bars(&mut s, &b.frame.title, b, &extra);
            }
        }
        Chart::Stacked(c) => {
            let _ = write!(s, "category");
            for seg in &c.segments {
                let _ = write!(s, ",{}", q(&seg.name));
            }
            let _ = writeln!(s, ",total");
            for (i, (name, _)) in c.categories.iter().enumerate() {
                let _ = write!(s, "{}", q(name));
                let mut total = 0.0;
                for seg in &c.segments {
                    let v = seg.values.get(i).copied().unwrap_or(0.0);
                    total += v;
                    let _ = write!(s, ",{v}");
                }
                let _ = writeln!(s, ",{total}");
            }
        }
        Chart::Tornado(t) => {
            let _ = writeln!(s, "input,low_input,high_input,value_at_low,value_at_high,base");
            for b in &t.bars {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{}",
                    q(&b.input),
                    q(&b.low_input),
                    q(&b.high_input),
                    b.low_value,
                    b.high_value,
                    t.base
                );
            }
        }
        Chart::Heatmap(h) => {
            let _ = writeln!(s, "x,y,z");
            for (j, y) in h.ys.iter().enumerate() {
                for (i, x) in h.xs.iter().enumerate() {
                    let z = h.z.get(j).and_then(|r| r.get(i)).copied().unwrap_or(f64::NAN);
                    let _ = writeln!(s, "{x},{y},{z}");
                }
            }
        }
    }
    s
}

fn bars(s: &mut String, panel: &str, b: &crate::chart::BarChart, extra: &[String]) {
    if s.is_empty() {
        let _ = write!(s, "panel,label,value,p10,p90");
        for e in extra {
            let _ = write!(s, ",{}", q(e));
        }
        let _ = writeln!(s);
    }
    for bar in &b.bars {
        let (lo, hi) = bar
            .whisker
            .map_or((String::new(), String::new()), |(l, h)| (l.to_string(), h.to_string()));
        let _ = write!(s, "{},{},{},{lo},{hi}", q(panel), q(&bar.label), bar.value);
        for e in extra {
            match bar.extra.iter().find(|(n, _)| n == e) {
                Some((_, x)) => {
                    let _ = write!(s, ",{x}");
                }
                None => s.push(','),
            }
        }
        let _ = writeln!(s);
    }
}
