//! Small charts drawn as inline SVG: horizontal bars (with error whiskers, negative values
//! for deltas) and lines. No scripts and no fonts or styles from outside: the page that
//! holds them works offline.

use std::fmt::Write;

const LABEL_W: f64 = 230.0;
const PLOT_W: f64 = 440.0;
const VALUE_W: f64 = 110.0;
const ROW_H: f64 = 24.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 26.0;
const BLUE: &str = "#4e79a7";
const RED: &str = "#e15759";
const PALETTE: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Half-width of the whisker (a standard error).
    pub error: Option<f64>,
    /// Drawn in red (a significant drop).
    pub highlight: bool,
}

pub struct Line {
    pub name: String,
    /// (x, y), x ascending.
    pub points: Vec<(f64, f64)>,
}

/// Escapes text for XML and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters of a bar label that fit left of the plot at the label font size.
const LABEL_CHARS: usize = 32;

/// The label, shortened with an ellipsis when it would run off the left edge (MLE-bench
/// ids reach 56 characters); the full one is the element's tooltip.
fn fitted_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let head: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{head}…")
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// One bar per item, labels on the left, values on the right; the axis spans zero and
/// every bar and whisker (at least up to `max` when given).
pub fn bar_chart(title: &str, unit: &str, bars: &[Bar], max: Option<f64>) -> String {
    let ends = bars.iter().flat_map(|b| {
        let v = finite(b.value);
        let e = finite(b.error.unwrap_or(0.0)).abs();
        [v - e, v + e]
    });
    let (lo, hi) = ends.fold((0.0f64, max.unwrap_or(0.0)), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    // All zero: an axis from 0 to 1 rather than three ticks on one spot.
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let span = hi - lo;
    let x = |v: f64| LABEL_W + (finite(v) - lo) / span * PLOT_W;
    let height = TOP + ROW_H * bars.len() as f64 + BOTTOM;
    let width = LABEL_W + PLOT_W + VALUE_W;
    let mut svg = header(title, width, height);
    let zero = x(0.0);
    let _ = write!(
        svg,
        r##"<line x1="{zero:.1}" y1="{:.1}" x2="{zero:.1}" y2="{:.1}" stroke="#888"/>"##,
        TOP - 4.0,
        height - BOTTOM + 4.0
    );
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let (x0, x1) = (x(0.0).min(x(b.value)), x(0.0).max(x(b.value)));
        let color = if b.highlight { RED } else { BLUE };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="label"><title>{}</title>{}</text>"#,
            LABEL_W - 8.0,
            y + ROW_H * 0.65,
            escape(&b.label),
            escape(&fitted_label(&b.label))
        );
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"><title>{}: {:.2}{unit}</title></rect>"#,
            y + 4.0,
            (x1 - x0).max(0.5),
            ROW_H - 8.0,
            escape(&b.label),
            b.value,
        );
        if let Some(e) = b.error.filter(|e| *e > 0.0 && e.is_finite()) {
            let (e0, e1, ym) = (x(b.value - e), x(b.value + e), y + ROW_H / 2.0);
            let _ = write!(
                svg,
                r##"<path class="whisker" d="M{e0:.1} {ym:.1}H{e1:.1}M{e0:.1} {:.1}V{:.1}M{e1:.1} {:.1}V{:.1}" stroke="#222" fill="none"/>"##,
                ym - 4.0,
                ym + 4.0,
                ym - 4.0,
                ym + 4.0
            );
        }
        let text = match b.error {
            Some(e) if e.is_finite() => format!("{:.2} ± {:.2}{unit}", b.value, e),
            _ => format!("{:.2}{unit}", b.value),
        };
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="value">{}</text>"#,
            LABEL_W + PLOT_W + 6.0,
            y + ROW_H * 0.65,
            escape(&text)
        );
    }
    axis_labels(&mut svg, lo, hi, &x, height - BOTTOM + 16.0);
    svg.push_str("</svg>");
    svg
}

fn axis_labels(svg: &mut String, lo: f64, hi: f64, x: &dyn Fn(f64) -> f64, y: f64) {
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{y:.1}" text-anchor="middle" class="tick">{}</text>"#,
            x(v),
            tick(v)
        );
    }
}

fn tick(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn header(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}"><title>{t}</title><text x="8" y="20" class="title">{t}</text>"#,
        t = escape(title)
    )
}

/// Horizontal room, in pixels, an x-axis label needs from the previous one.
const MIN_LABEL_GAP: f64 = 24.0;

/// Lines over a shared x axis (k = 1, 2, ...), y from 0 to the largest value (or `y_max`).
pub fn line_chart(title: &str, x_label: &str, lines: &[Line], y_max: Option<f64>) -> String {
    let (w, h, left, right, top, bottom) = (560.0, 260.0, 56.0, 150.0, 34.0, 40.0);
    let xs = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| finite(p.0)));
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    // One x (a single seed): the point sits in the middle of the axis.
    let (x_lo, x_hi) = match (x_lo.is_finite(), x_hi > x_lo) {
        (true, true) => (x_lo, x_hi),
        (true, false) => (x_lo - 1.0, x_lo + 1.0),
        _ => (0.0, 1.0),
    };
    let y_hi = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| finite(p.1)))
        .fold(y_max.unwrap_or(0.0), f64::max);
    let y_hi = if y_hi > 0.0 { y_hi } else { 1.0 };
    let px = |x: f64| left + (finite(x) - x_lo) / (x_hi - x_lo) * (w - left - right);
    let py = |y: f64| top + (1.0 - finite(y).max(0.0) / y_hi) * (h - top - bottom);
    let mut svg = header(title, w, h);
    let _ = write!(
        svg,
        r##"<path d="M{left:.1} {top:.1}V{:.1}H{:.1}" stroke="#888" fill="none"/>"##,
        h - bottom,
        w - right
    );
    for v in [0.0, y_hi / 2.0, y_hi] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
            left - 6.0,
            py(v) + 4.0,
            tick(v)
        );
    }
    // Labels at the points' x values (k = 1..20, then powers of two and the seed count),
    // skipping any that would overlap the previous one.
    let mut ks: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .collect();
    ks.sort_by(f64::total_cmp);
    ks.dedup();
    let mut last_label = f64::NEG_INFINITY;
    for k in ks {
        if px(k) - last_label < MIN_LABEL_GAP {
            continue;
        }
        last_label = px(k);
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
            px(k),
            h - bottom + 16.0,
            tick(k)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
        (left + w - right) / 2.0,
        h - 6.0,
        escape(x_label)
    );
    for (i, line) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" points="{}" stroke="{color}" stroke-width="2" fill="none"/>"#,
            points.join(" ")
        );
        for &(x, y) in &line.points {
            let _ = write!(
                svg,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"><title>{}: {:.3} at {}</title></circle>"#,
                px(x),
                py(y),
                escape(&line.name),
                y,
                x
            );
        }
        let ly = top + 4.0 + 18.0 * i as f64;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="{color}"/><text x="{:.1}" y="{:.1}" class="label">{}</text>"#,
            w - right + 14.0,
            ly,
            w - right + 32.0,
            ly + 10.0,
            escape(&line.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x_labels(svg: &str) -> Vec<(f64, String)> {
        svg.split(r#"<text x=""#)
            .skip(1)
            .filter(|t| t.contains(r#"text-anchor="middle" class="tick">"#))
            .filter_map(|t| {
                let x = t.split('"').next()?.parse().ok()?;
                let label = t.split('>').nth(1)?.split('<').next()?.to_string();
                Some((x, label))
            })
            .filter(|(_, label)| label.parse::<f64>().is_ok())
            .collect()
    }

    #[test]
    fn long_bar_labels_are_shortened_and_kept_whole_in_the_tooltip() {
        let long = "google-research-identify-contrails-reduce-global-warming";
        let bar = Bar {
            label: long.into(),
            value: 50.0,
            error: None,
            highlight: false,
        };
        let svg = bar_chart("percentile", "", &[bar], Some(100.0));
        assert!(svg.contains(&format!("<title>{long}</title>")), "{svg}");
        assert!(
            svg.contains(&format!(
                "<title>{long}</title>google-research-identify-contra…</text>"
            )),
            "{svg}"
        );
        assert_eq!(fitted_label("demo-binary"), "demo-binary");
    }

    #[test]
    fn many_ks_get_labels_that_do_not_overlap() {
        let points: Vec<(f64, f64)> = (1..=100).map(|k| (k as f64, 50.0)).collect();
        let line = Line {
            name: "all".into(),
            points,
        };
        let labels = x_labels(&line_chart("pass@k", "k", &[line], Some(100.0)));
        assert!(labels.len() > 5 && labels.len() < 20, "{labels:?}");
        assert_eq!(labels[0].1, "1");
        assert!(labels.windows(2).all(|w| w[1].0 - w[0].0 >= MIN_LABEL_GAP));
    }

    #[test]
    fn a_single_k_sits_in_the_middle_with_its_own_label_only() {
        let line = Line {
            name: "all".into(),
            points: vec![(1.0, 0.0)],
        };
        let svg = line_chart("pass@k", "k", &[line], Some(100.0));
        let labels = x_labels(&svg);
        assert_eq!(labels.len(), 1, "{labels:?}");
        assert_eq!(labels[0].1, "1");
        let (w, left, right) = (560.0, 56.0, 150.0);
        assert!((labels[0].0 - (left + (w - left - right) / 2.0)).abs() < 0.1);
    }
}
