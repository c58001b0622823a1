//! The report as Markdown, for pull requests and chat: headline tables first, details after.

use std::fmt::Write;

use super::aggregate::{AtK, MeanSe, SelectionStats, SplitStats};
use super::compare::{Comparison, Delta};
use super::official::AggregateMetric;
use super::summary::{RUN_SPLIT, Summary};

/// `12.34 ± 0.56`.
pub fn pm(m: &AggregateMetric) -> String {
    format!("{:.2} ± {:.2}", m.mean, m.standard_error)
}

fn pm_task(m: &Option<MeanSe>, scale: f64) -> String {
    match m {
        Some(m) => format!("{:.2} ± {:.2}", m.mean * scale, m.standard_error * scale),
        None => "–".into(),
    }
}

pub fn split_label(name: &str) -> String {
    match name {
        RUN_SPLIT => "this run".into(),
        "low" => "low (Lite)".into(),
        other => other.into(),
    }
}

/// `1 task`, `3 tasks`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The selection gap in words, for Markdown and HTML alike.
pub fn selection_sentence(sel: &SelectionStats) -> String {
    format!(
        "Over {} with graded nodes: the best node in the tree beats the selected one by {:.2} percentile points on average; some node medalled in {:.2}% of runs, the selected node in {:.2}%.",
        plural(sel.runs as usize, "run"),
        sel.mean_gap,
        sel.oracle_any_medal_percentage,
        sel.selected_any_medal_percentage
    )
}

pub fn usd(x: f64) -> String {
    format!("${x:.2}")
}

/// Wall time in the unit that keeps it readable: `42 s`, `3.5 min`, `1.25 h`.
pub fn duration(seconds: f64) -> String {
    if seconds < 59.5 {
        format!("{seconds:.0} s")
    } else if seconds < 3600.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.2} h", seconds / 3600.0)
    }
}

fn at_k_row(values: &[AtK], scale: f64) -> (String, String) {
    let ks = values
        .iter()
        .map(|v| format!("k={}", v.k))
        .collect::<Vec<_>>();
    let vs = values
        .iter()
        .map(|v| format!("{:.2}", v.value * scale))
        .collect::<Vec<_>>();
    (ks.join(" | "), vs.join(" | "))
}

fn official_metric<'a>(s: &'a SplitStats, name: &str) -> Option<&'a AggregateMetric> {
    s.official.as_ref()?.metric(name)
}

pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let s = summary;
    let a = &s.aggregates;
    let _ = writeln!(out, "# aide-fleet report: `{}`\n", s.run_id);
    let suite = match (&s.suite, &s.benchmark) {
        (Some(n), Some(b)) => format!("suite `{n}` ({b})"),
        (Some(n), None) => format!("suite `{n}`"),
        (None, Some(b)) => b.clone(),
        (None, None) => "unknown suite".into(),
    };
    let states: Vec<String> = s.states.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let _ = writeln!(
        out,
        "{suite}; {} over {} ({}); generated {}.\n",
        plural(a.totals.runs as usize, "run"),
        plural(a.tasks.len(), "task"),
        states.join(", "),
        s.generated_at
    );

    if let Some(c) = &s.comparison {
        render_comparison(&mut out, c);
    }

    let complete: Vec<&SplitStats> = a.splits.iter().filter(|s| s.official.is_some()).collect();
    if !complete.is_empty() {
        let _ = writeln!(out, "## Medals (MLE-bench's aggregation)\n");
        let _ = writeln!(
            out,
            "Mean ± standard error over complete seeds, as MLE-bench's `aggregate_grading_reports.py` computes them. Percentile (ours): share of leaderboard teams beaten.\n"
        );
        let _ = writeln!(
            out,
            "| split | competitions | seeds | any medal % | gold % | silver % | bronze % | above median % | valid % | submitted % | percentile |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for sp in &complete {
            let cell = |name: &str| official_metric(sp, name).map(pm).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                split_label(&sp.name),
                sp.competitions,
                sp.complete_seeds,
                cell("any_medal_percentage"),
                cell("gold_medal_percentage"),
                cell("silver_medal_percentage"),
                cell("bronze_medal_percentage"),
                cell("above_median_percentage"),
                cell("valid_submissions_percentage"),
                cell("submission_exists_percentage"),
                sp.percentile.as_ref().map(pm).unwrap_or_else(|| "–".into()),
            );
        }
        let partial: Vec<String> = a
            .splits
            .iter()
            .filter(|s| s.official.is_none())
            .map(|s| {
                format!(
                    "{} ({} of {} competitions missing)",
                    s.name,
                    s.missing.len(),
                    s.competitions
                )
            })
            .collect();
        if !partial.is_empty() {
            let _ = writeln!(
                out,
                "\nNot aggregated (MLE-bench needs every competition of a split): {}.",
                partial.join(", ")
            );
        }
        out.push('\n');
    }

    if !a.pass_at_k.is_empty() {
        let (ks, vs) = at_k_row(&a.pass_at_k, 100.0);
        let _ = writeln!(out, "## pass@k, any medal (%)\n");
        let _ = writeln!(
            out,
            "Unbiased estimator over seeds, averaged over competitions.\n"
        );
        let _ = writeln!(
            out,
            "| {ks} |\n|{}\n| {vs} |\n",
            "---:|".repeat(a.pass_at_k.len())
        );
    }

    let competitions: Vec<_> = a.tasks.iter().filter(|t| t.kind == "competition").collect();
    if !competitions.is_empty() {
        let _ = writeln!(out, "## Competitions\n");
        let _ = writeln!(
            out,
            "| task | split | seeds | valid | gold | silver | bronze | any medal | pass@1 % | percentile | cost | time | GPU-h |"
        );
        let _ = writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for t in competitions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
                t.task,
                t.complexity.as_deref().unwrap_or("–"),
                t.seeds,
                t.valid_submissions,
                t.gold,
                t.silver,
                t.bronze,
                t.any_medal,
                t.pass_at_k
                    .first()
                    .map(|p| format!("{:.2}", p.value * 100.0))
                    .unwrap_or_default(),
                pm_task(&t.percentile, 1.0),
                usd(t.cost_usd),
                duration(t.elapsed_s),
                t.gpu_hours,
            );
        }
        out.push('\n');
    }

    if let Some(r) = &a.research {
        let _ = writeln!(out, "## Research tasks (RE-Bench scoring)\n");
        let _ = writeln!(
            out,
            "Normalised score: 0 = starting solution, 1 = reference solution. Over {} and {}: **{}**.\n",
            plural(r.tasks, "task"),
            plural(r.complete_seeds, "complete seed"),
            pm(&r.normalized_score)
        );
        let _ = writeln!(
            out,
            "| task | seeds | normalised score | score@k (k = 1, 2, ...) | cost | time | GPU-h |"
        );
        let _ = writeln!(out, "|---|---:|---:|---|---:|---:|---:|");
        for t in a.tasks.iter().filter(|t| t.kind == "research") {
            let at_k: Vec<String> = t
                .score_at_k
                .iter()
                .map(|v| format!("{:.3}", v.value))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {:.2} |",
                t.task,
                t.seeds,
                pm_task(&t.normalized_score, 1.0),
                at_k.join(", "),
                usd(t.cost_usd),
                duration(t.elapsed_s),
                t.gpu_hours
            );
        }
        out.push('\n');
    }

    if let Some(sel) = &a.selection {
        let _ = writeln!(out, "## Selection gap\n");
        let _ = writeln!(out, "{}\n", selection_sentence(sel));
    }

    let t = &a.totals;
    let _ = writeln!(out, "## Cost\n");
    let _ = writeln!(out, "| | total | per run | per medal |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let per_run = |x: f64| if t.runs > 0 { x / t.runs as f64 } else { 0.0 };
    let per_medal = |x: Option<f64>, f: fn(f64) -> String| x.map(f).unwrap_or_else(|| "–".into());
    let _ = writeln!(
        out,
        "| USD | {} | {} | {} |",
        usd(t.cost_usd),
        usd(per_run(t.cost_usd)),
        per_medal(t.cost_usd_per_medal, usd)
    );
    let _ = writeln!(
        out,
        "| tokens (in / out) | {} / {} | {:.0} / {:.0} | |",
        t.input_tokens,
        t.output_tokens,
        per_run(t.input_tokens as f64),
        per_run(t.output_tokens as f64)
    );
    let _ = writeln!(
        out,
        "| agent time | {} | {} | {} |",
        duration(t.elapsed_s),
        duration(per_run(t.elapsed_s)),
        per_medal(t.elapsed_s_per_medal, duration)
    );
    let _ = writeln!(
        out,
        "| GPU-hours | {:.2} | {:.2} | {} |\n",
        t.gpu_hours,
        per_run(t.gpu_hours),
        per_medal(t.gpu_hours_per_medal, |x| format!("{x:.2}"))
    );

    if !s.failures.is_empty() {
        let _ = writeln!(out, "## Failures\n");
        let _ = writeln!(out, "| reason | attempts | example |");
        let _ = writeln!(out, "|---|---:|---|");
        for f in &s.failures {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&f.reason),
                f.attempts,
                cell(&f.example)
            );
        }
        out.push('\n');
    }

    if !s.warnings.is_empty() {
        let _ = writeln!(out, "## Warnings\n");
        for w in &s.warnings {
            let _ = writeln!(out, "- {}", cell(w));
        }
        out.push('\n');
    }
    out
}

/// Text safe inside a table cell: one line, no pipes, at most 160 characters.
fn cell(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    if flat.chars().count() > 160 {
        format!("{}…", flat.chars().take(159).collect::<String>())
    } else {
        flat
    }
}

pub fn verdict(c: &Comparison) -> String {
    if c.regression {
        let drops: Vec<&str> = c
            .overall
            .iter()
            .chain(&c.tasks)
            .filter(|d| d.significant_drop)
            .map(|d| d.name.as_str())
            .collect();
        format!(
            "**Regression**: significant drop (one-sided permutation test, Holm-corrected, α = {}) in {}.",
            c.alpha,
            drops.join(", ")
        )
    } else {
        format!(
            "No significant regression (one-sided permutation tests, Holm-corrected, α = {}).",
            c.alpha
        )
    }
}

fn delta_row(out: &mut String, d: &Delta) {
    let p = |x: Option<f64>| x.map(|p| format!("{p:.4}")).unwrap_or_else(|| "–".into());
    let _ = writeln!(
        out,
        "| {} | {} | {:.2} | {:.2} | {:+.2} | {} | {} | {}/{} | {} |",
        d.name,
        d.metric,
        d.current,
        d.baseline,
        d.delta,
        p(d.p_value),
        p(d.p_adjusted),
        d.current_n,
        d.baseline_n,
        if d.significant_drop { "**drop**" } else { "" }
    );
}

fn render_comparison(out: &mut String, c: &Comparison) {
    let _ = writeln!(out, "## Against baseline `{}`\n", c.baseline_run_id);
    let _ = writeln!(out, "{}\n", verdict(c));
    let _ = writeln!(
        out,
        "| compared | metric | current | baseline | Δ | p | p (Holm) | n | flag |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for d in c.overall.iter().chain(&c.tasks) {
        delta_row(out, d);
    }
    if !c.only_in_current.is_empty() {
        let _ = writeln!(out, "\nOnly in this run: {}.", c.only_in_current.join(", "));
    }
    if !c.only_in_baseline.is_empty() {
        let _ = writeln!(
            out,
            "\nOnly in the baseline: {}.",
            c.only_in_baseline.join(", ")
        );
    }
    out.push('\n');
}
