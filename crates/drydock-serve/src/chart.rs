//! The trend chart: findings per severity over the last runs, as stacked bars in SVG rendered
//! on the server (no script, no inline style: colours come from the stylesheet's classes).

use maud::{Markup, html};

use crate::view::{SEVERITIES, TrendOut};

const W: f64 = 640.0;
const H: f64 = 160.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 18.0;
const TOP: f64 = 8.0;

pub fn trend(points: &[TrendOut]) -> Markup {
    let max = points
        .iter()
        .map(|p| p.by_severity.values().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = points.len().max(1) as f64;
    let slot = (W - LEFT - 4.0) / n;
    let bar = (slot * 0.75).max(1.0);
    let plot_h = H - BOTTOM - TOP;
    let label = format!(
        "Findings per severity over the last {} complete runs (most: {max})",
        points.len()
    );
    html! {
        svg.trend viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(label) xmlns="http://www.w3.org/2000/svg" {
            title { (label) }
            line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) {}
            line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) {}
            text x="2" y=(TOP + 8.0) { (max) }
            text x="2" y=(H - BOTTOM) { "0" }
            @for (i, p) in points.iter().enumerate() {
                @let x = LEFT + 2.0 + i as f64 * slot;
                @let total: i64 = p.by_severity.values().sum();
                g {
                    title {
                        (p.run_id) " (" (p.started) "): " (total) " findings"
                        @for s in SEVERITIES {
                            @if let Some(c) = p.by_severity.get(s) { ", " (c) " " (s.to_lowercase()) }
                        }
                    }
                    @for (class, y, h) in stack(p, max, plot_h) {
                        rect class=(class) x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bar:.1}")) height=(format!("{h:.1}")) {}
                    }
                }
            }
            @if let (Some(first), Some(last)) = (points.first(), points.last()) {
                text x=(LEFT) y=(H - 4.0) { (first.started.get(..10).unwrap_or(&first.started)) }
                text x=(W - 4.0) y=(H - 4.0) text-anchor="end" { (last.started.get(..10).unwrap_or(&last.started)) }
            }
        }
    }
}

/// One bar's segments `(class, y, height)`, least severe at the bottom so critical sits on top.
fn stack(p: &TrendOut, max: i64, plot_h: f64) -> Vec<(String, f64, f64)> {
    let mut y = H - BOTTOM;
    let mut out = Vec::new();
    for s in SEVERITIES.iter().rev() {
        let c = p.by_severity.get(*s).copied().unwrap_or(0);
        if c > 0 {
            let h = c as f64 / max as f64 * plot_h;
            y -= h;
            out.push((format!("c-{s}"), y, h));
        }
    }
    out
}
