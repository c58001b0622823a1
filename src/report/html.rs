//! The report as one self-contained HTML page: charts as inline SVG, styles inline, no
//! scripts and no network fetches, so it opens the same offline, from S3 or as a CI
//! artifact.

use std::fmt::Write;

use super::aggregate::{AtK, TaskStats};
use super::markdown::{duration, plural, pm, selection_sentence, split_label, usd, verdict};
use super::summary::Summary;
use super::svg::{Bar, Line, bar_chart, escape, line_chart};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.drop{color:#c00;font-weight:bold}.ok{color:#2a7}
.note{color:#555;font-size:.9em}svg.chart{display:block;margin:8px 0}
svg .title{font-weight:bold;font-size:14px}svg .label,svg .value,svg .tick{font-size:12px}";

/// A table cell. Every cell is escaped when the table is written, so task ids, failure
/// reasons and model output can never become markup; a styled cell takes its class from
/// a constant.
#[derive(Clone)]
enum Cell {
    Text(String),
    Styled { class: &'static str, text: String },
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

fn table<C: Clone + Into<Cell>>(out: &mut String, head: &[&str], rows: &[Vec<C>]) {
    out.push_str("<table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = match cell.clone().into() {
                Cell::Text(t) => write!(out, "<td>{}</td>", escape(&t)),
                Cell::Styled { class, text } => {
                    write!(
                        out,
                        r#"<td><span class="{class}">{}</span></td>"#,
                        escape(&text)
                    )
                }
            };
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

/// `<tag class="...">text</tag>` with the text escaped.
fn element(out: &mut String, tag: &str, class: Option<&str>, text: &str) {
    let class = class
        .map(|c| format!(r#" class="{c}""#))
        .unwrap_or_default();
    let _ = write!(out, "<{tag}{class}>{}</{tag}>", escape(text));
}

fn at_k_lines(name: &str, values: &[AtK], scale: f64) -> Line {
    Line {
        name: name.to_owned(),
        points: values
            .iter()
            .map(|v| (v.k as f64, v.value * scale))
            .collect(),
    }
}

fn mean_bar(t: &TaskStats, value: Option<(f64, f64)>) -> Option<Bar> {
    let (mean, se) = value?;
    Some(Bar {
        label: t.task.clone(),
        value: mean,
        error: Some(se),
        highlight: false,
    })
}

pub fn render(summary: &Summary) -> String {
    let s = summary;
    let a = &s.aggregates;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>aide-fleet report: <code>{}</code></h1>",
        escape(&s.run_id)
    );
    let states: Vec<String> = s.states.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = write!(
        body,
        "<p>{} · {} over {} ({}) · generated {}</p>",
        escape(s.suite.as_deref().unwrap_or("unknown suite")),
        plural(a.totals.runs as usize, "run"),
        plural(a.tasks.len(), "task"),
        escape(&states.join(", ")),
        escape(&s.generated_at)
    );

    if let Some(c) = &s.comparison {
        let _ = write!(
            body,
            "<h2>Against baseline <code>{}</code></h2>",
            escape(&c.baseline_run_id)
        );
        let class = if c.regression { "drop" } else { "ok" };
        let text = verdict(c).replace("**", "");
        element(&mut body, "p", Some(class), &text);
        let bars: Vec<Bar> = c
            .tasks
            .iter()
            .filter(|d| d.metric == "percentile")
            .map(|d| Bar {
                label: d.name.clone(),
                value: d.delta,
                error: None,
                highlight: d.significant_drop,
            })
            .collect();
        if !bars.is_empty() {
            body.push_str(&bar_chart(
                "Change in leaderboard percentile (current − baseline)",
                "",
                &bars,
                None,
            ));
        }
        let p = |x: Option<f64>| x.map(|p| format!("{p:.4}")).unwrap_or_else(|| "–".into());
        let rows: Vec<Vec<Cell>> = c
            .overall
            .iter()
            .chain(&c.tasks)
            .map(|d| {
                vec![
                    d.name.as_str().into(),
                    d.metric.into(),
                    format!("{:.2}", d.current).into(),
                    format!("{:.2}", d.baseline).into(),
                    format!("{:+.2}", d.delta).into(),
                    p(d.p_value).into(),
                    p(d.p_adjusted).into(),
                    if d.significant_drop {
                        Cell::Styled {
                            class: "drop",
                            text: "drop".into(),
                        }
                    } else {
                        "".into()
                    },
                ]
            })
            .collect();
        table(
            &mut body,
            &[
                "compared", "metric", "current", "baseline", "Δ", "p", "p (Holm)", "flag",
            ],
            &rows,
        );
    }

    let complete: Vec<_> = a.splits.iter().filter(|s| s.official.is_some()).collect();
    if !complete.is_empty() {
        body.push_str("<h2>Medals (MLE-bench's aggregation)</h2>");
        body.push_str(r#"<p class="note">Mean ± standard error over complete seeds, as MLE-bench's aggregate_grading_reports.py computes them; percentile (ours) is the share of leaderboard teams beaten.</p>"#);
        let bars: Vec<Bar> = complete
            .iter()
            .filter_map(|sp| {
                let m = sp.official.as_ref()?.metric("any_medal_percentage")?;
                Some(Bar {
                    label: split_label(&sp.name),
                    value: m.mean,
                    error: Some(m.standard_error),
                    highlight: false,
                })
            })
            .collect();
        body.push_str(&bar_chart("Any medal (%)", "%", &bars, Some(100.0)));
        let rows: Vec<Vec<String>> = complete
            .iter()
            .map(|sp| {
                let cell = |name: &str| {
                    sp.official
                        .as_ref()
                        .and_then(|o| o.metric(name))
                        .map(pm)
                        .unwrap_or_default()
                };
                vec![
                    split_label(&sp.name),
                    sp.competitions.to_string(),
                    sp.complete_seeds.to_string(),
                    cell("any_medal_percentage"),
                    cell("gold_medal_percentage"),
                    cell("silver_medal_percentage"),
                    cell("bronze_medal_percentage"),
                    cell("above_median_percentage"),
                    cell("valid_submissions_percentage"),
                    sp.percentile.as_ref().map(pm).unwrap_or_else(|| "–".into()),
                ]
            })
            .collect();
        table(
            &mut body,
            &[
                "split",
                "competitions",
                "seeds",
                "any medal %",
                "gold %",
                "silver %",
                "bronze %",
                "above median %",
                "valid %",
                "percentile",
            ],
            &rows,
        );
    }

    if !a.pass_at_k.is_empty() {
        body.push_str("<h2>pass@k</h2>");
        body.push_str(&line_chart(
            "pass@k, any medal (%)",
            "k (seeds)",
            &[at_k_lines("all competitions", &a.pass_at_k, 100.0)],
            Some(100.0),
        ));
    }

    let competitions: Vec<&TaskStats> =
        a.tasks.iter().filter(|t| t.kind == "competition").collect();
    if !competitions.is_empty() {
        body.push_str("<h2>Competitions</h2>");
        let bars: Vec<Bar> = competitions
            .iter()
            .filter_map(|t| mean_bar(t, t.percentile.map(|p| (p.mean, p.standard_error))))
            .collect();
        if !bars.is_empty() {
            body.push_str(&bar_chart(
                "Leaderboard percentile (mean ± SE over seeds)",
                "",
                &bars,
                Some(100.0),
            ));
        }
        let rows: Vec<Vec<String>> = competitions
            .iter()
            .map(|t| {
                vec![
                    t.task.clone(),
                    t.complexity.clone().unwrap_or_else(|| "–".into()),
                    t.seeds.to_string(),
                    t.valid_submissions.to_string(),
                    format!("{}/{}/{}", t.gold, t.silver, t.bronze),
                    t.any_medal.to_string(),
                    t.percentile
                        .map(|p| format!("{:.2} ± {:.2}", p.mean, p.standard_error))
                        .unwrap_or_else(|| "–".into()),
                    usd(t.cost_usd),
                    duration(t.elapsed_s),
                    format!("{:.2}", t.gpu_hours),
                ]
            })
            .collect();
        table(
            &mut body,
            &[
                "task",
                "split",
                "seeds",
                "valid",
                "gold/silver/bronze",
                "any medal",
                "percentile",
                "cost",
                "time",
                "GPU-h",
            ],
            &rows,
        );
    }

    if let Some(r) = &a.research {
        body.push_str("<h2>Research tasks (RE-Bench scoring)</h2>");
        let _ = write!(
            body,
            r#"<p>Mean normalised score over {} and {}: <b>{}</b> (0 = starting solution, 1 = reference).</p>"#,
            plural(r.tasks, "task"),
            plural(r.complete_seeds, "complete seed"),
            pm(&r.normalized_score)
        );
        let research: Vec<&TaskStats> = a.tasks.iter().filter(|t| t.kind == "research").collect();
        let bars: Vec<Bar> = research
            .iter()
            .filter_map(|t| mean_bar(t, t.normalized_score.map(|p| (p.mean, p.standard_error))))
            .collect();
        body.push_str(&bar_chart(
            "Normalised score (mean ± SE over seeds)",
            "",
            &bars,
            Some(1.0),
        ));
        let mut lines: Vec<Line> = research
            .iter()
            .filter(|t| !t.score_at_k.is_empty())
            .map(|t| at_k_lines(&t.task, &t.score_at_k, 1.0))
            .collect();
        if lines.len() > 1 && !r.score_at_k.is_empty() {
            lines.push(at_k_lines("mean", &r.score_at_k, 1.0));
        }
        if !lines.is_empty() {
            body.push_str(&line_chart(
                "score@k (best of k runs)",
                "k (runs)",
                &lines,
                Some(1.0),
            ));
        }
    }

    if let Some(sel) = &a.selection {
        body.push_str("<h2>Selection gap</h2>");
        element(&mut body, "p", None, &selection_sentence(sel));
    }

    let t = &a.totals;
    body.push_str("<h2>Cost</h2>");
    let bars: Vec<Bar> = a
        .tasks
        .iter()
        .map(|task| Bar {
            label: task.task.clone(),
            value: task.cost_usd,
            error: None,
            highlight: false,
        })
        .collect();
    if !bars.is_empty() {
        body.push_str(&bar_chart("LLM cost per task (USD)", "", &bars, None));
    }
    let per_medal =
        |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map(f).unwrap_or_else(|| "–".into());
    table(
        &mut body,
        &["", "total", "per medal"],
        &[
            vec![
                "USD".into(),
                usd(t.cost_usd),
                per_medal(t.cost_usd_per_medal, &usd),
            ],
            vec![
                "tokens (in / out)".into(),
                format!("{} / {}", t.input_tokens, t.output_tokens),
                String::new(),
            ],
            vec![
                "agent time".into(),
                duration(t.elapsed_s),
                per_medal(t.elapsed_s_per_medal, &duration),
            ],
            vec![
                "GPU-hours".into(),
                format!("{:.2}", t.gpu_hours),
                per_medal(t.gpu_hours_per_medal, &|x| format!("{x:.2}")),
            ],
        ],
    );

    if !s.failures.is_empty() {
        body.push_str("<h2>Failures</h2>");
        let bars: Vec<Bar> = s
            .failures
            .iter()
            .map(|f| Bar {
                label: f.reason.clone(),
                value: f.attempts as f64,
                error: None,
                highlight: false,
            })
            .collect();
        body.push_str(&bar_chart("Failed attempts by reason", "", &bars, None));
        let rows: Vec<Vec<String>> = s
            .failures
            .iter()
            .map(|f| vec![f.reason.clone(), f.attempts.to_string(), f.example.clone()])
            .collect();
        table(&mut body, &["reason", "attempts", "example"], &rows);
    }

    if !s.warnings.is_empty() {
        body.push_str("<h2>Warnings</h2><ul>");
        for w in &s.warnings {
            element(&mut body, "li", None, w);
        }
        body.push_str("</ul>");
    }

    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aide-fleet report: {}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(&s.run_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_cell_is_escaped_styled_or_not() {
        let mut out = String::new();
        let rows = vec![vec![
            Cell::from("<script>x</script>"),
            Cell::Styled {
                class: "drop",
                text: "a&b".into(),
            },
        ]];
        table(&mut out, &["task <id>"], &rows);
        assert_eq!(
            out,
            r#"<table><tr><th>task &lt;id&gt;</th></tr><tr><td>&lt;script&gt;x&lt;/script&gt;</td><td><span class="drop">a&amp;b</span></td></tr></table>"#
        );
    }

    #[test]
    fn element_text_is_escaped() {
        let mut out = String::new();
        element(&mut out, "li", None, "\"quoted\" <b>");
        assert_eq!(out, "<li>&quot;quoted&quot; &lt;b&gt;</li>");
    }
}
