//! Prompts for the three operators and the review, in AIDE's structure (nested sections
//! compiled to markdown) and our own words.

use rand::Rng;
use rand::seq::SliceRandom;

/// A prompt tree: AIDE builds prompts as nested ordered maps and compiles them to markdown.
#[derive(Debug, Clone)]
pub enum Section {
    Text(String),
    List(Vec<String>),
    Map(Vec<(String, Section)>),
}

impl Section {
    fn map(entries: Vec<(&str, Section)>) -> Section {
        Section::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    fn text(s: impl Into<String>) -> Section {
        Section::Text(s.into())
    }

    /// Markdown: a map entry becomes a heading one level deeper than its parent.
    pub fn compile(&self) -> String {
        let mut out = String::new();
        self.compile_into(1, &mut out);
        out
    }

    fn compile_into(&self, depth: usize, out: &mut String) {
        match self {
            Section::Text(s) => {
                out.push_str(s.trim());
                out.push('\n');
            }
            Section::List(items) => {
                for item in items {
                    out.push_str("- ");
                    out.push_str(item);
                    out.push('\n');
                }
                out.push('\n');
            }
            Section::Map(entries) => {
                for (key, value) in entries {
                    out.push_str(&"#".repeat(depth));
                    out.push(' ');
                    out.push_str(key);
                    out.push('\n');
                    value.compile_into(depth + 1, out);
                    out.push('\n');
                }
            }
        }
    }
}

/// What every operator prompt needs to know about the task and the budgets.
#[derive(Debug, Clone)]
pub struct PromptContext<'a> {
    pub task_description: &'a str,
    /// The memory summary of good nodes.
    pub memory: String,
    pub data_preview: Option<&'a str>,
    /// Seconds of wall clock left, when a time limit is set.
    pub time_remaining_s: Option<f64>,
    pub steps_remaining: usize,
    /// The time one script may run, already capped by the remaining time.
    pub script_timeout_s: f64,
    pub k_fold_validation: u32,
    /// Whether scripts must write `./submission/submission.csv`.
    pub require_submission: bool,
    /// Files of `./input` that are still compressed (see `archives.rs`).
    pub compressed: &'a [String],
}

const PERSONA: &str = "You are a Kaggle grandmaster taking part in a competition.";

const PACKAGES: [&str; 11] = [
    "numpy",
    "pandas",
    "scikit-learn",
    "statsmodels",
    "xgboost",
    "lightGBM",
    "torch",
    "torchvision",
    "torch-geometric",
    "bayesian-optimization",
    "timm",
];

/// "2 hours 5 minutes", "45 seconds": how AIDE states limits in its prompts.
pub fn humanize_seconds(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let unit = |n: u64, name: &str| format!("{n} {name}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(unit(h, "hour"));
    }
    if m > 0 {
        parts.push(unit(m, "minute"));
    }
    if s > 0 && h == 0 {
        parts.push(unit(s, "second"));
    }
    if parts.is_empty() {
        parts.push(unit(0, "second"));
    }
    parts.join(" ")
}

fn response_format() -> Section {
    Section::text(
        "Answer with a short outline of your idea in natural language (3 to 5 sentences), \
         followed by exactly one markdown code block (```python ... ```) that implements it \
         and prints the evaluation metric. Add no other headings or text.",
    )
}

fn implementation_guideline(ctx: &PromptContext<'_>) -> Section {
    let mut items = Vec::new();
    if let Some(left) = ctx.time_remaining_s {
        items.push(format!(
            "<TOTAL_TIME_REMAINING: {}>",
            humanize_seconds(left)
        ));
    }
    items.push(format!("<TOTAL_STEPS_REMAINING: {}>", ctx.steps_remaining));
    items.extend([
        "Implement the proposed solution completely and print the value of the evaluation metric computed on a hold-out validation set.".to_string(),
        "The code must be one self-contained Python file that runs as it is.".to_string(),
        "Do not leave parts out and do not stop early.".to_string(),
        "Your answer must contain exactly one code block.".to_string(),
        format!(
            "The script must finish within {}.",
            humanize_seconds(ctx.script_timeout_s)
        ),
        "All input data is in the `./input` directory; it is already unpacked.".to_string(),
        if ctx.require_submission {
            "Write your predictions for the test data to `./submission/submission.csv`, in the format the task asks for. This file is what gets graded: without it the solution counts as failed.".to_string()
        } else {
            "Your code is the solution: the task description says what it must do and how it is scored. Print the measure you optimise.".to_string()
        },
        "Use `./working` for any temporary files.".to_string(),
    ]);
    if ctx.k_fold_validation > 1 {
        items.push(format!(
            "Where it fits the task, evaluate with {}-fold cross-validation.",
            ctx.k_fold_validation
        ));
    }
    Section::List(items)
}

fn task_and_memory<'a>(ctx: &PromptContext<'a>) -> Vec<(&'static str, Section)> {
    vec![
        ("Task description", Section::text(ctx.task_description)),
        ("Memory", Section::text(ctx.memory.clone())),
    ]
}

/// AIDE's "nothing to unzip", kept true: the task's zip archives are extracted, but a
/// refused archive or a format AIDE does not extract (`.7z`) stays compressed.
fn data_ready(compressed: &[String]) -> String {
    if compressed.is_empty() {
        "The data is ready in `./input`; there is nothing to unzip.".into()
    } else {
        format!(
            "The data is ready in `./input`; these files there are still compressed: {}.",
            compressed.join(", ")
        )
    }
}

pub fn draft(ctx: &PromptContext<'_>, rng: &mut impl Rng) -> String {
    let mut packages: Vec<&str> = PACKAGES.to_vec();
    packages.shuffle(rng);
    let mut top = vec![(
        "Introduction",
        Section::text(format!(
            "{PERSONA} Design a solution for the task below and implement it: start with a \
             plan, then write the code."
        )),
    )];
    top.extend(task_and_memory(ctx));
    top.push((
        "Instructions",
        Section::map(vec![
            ("Response format", response_format()),
            (
                "Solution sketch guideline",
                Section::List(vec![
                    "Keep this first solution simple: no ensembles and no hyper-parameter search.".into(),
                    "Do not repeat a modelling idea that Memory already lists, but keep the evaluation comparable with it.".into(),
                    "Propose an evaluation metric that suits the task.".into(),
                    "Do not explore the data; the overview below describes it.".into(),
                    data_ready(ctx.compressed),
                ]),
            ),
            ("Implementation guideline", implementation_guideline(ctx)),
            (
                "Installed Packages",
                Section::text(format!(
                    "These packages are installed: {}. Any other package you need is installed \
                     too. Prefer PyTorch to TensorFlow for neural networks.",
                    packages.join(", ")
                )),
            ),
        ]),
    ));
    if let Some(preview) = ctx.data_preview {
        top.push(("Data Overview", Section::text(preview)));
    }
    Section::map(top).compile()
}

pub fn improve(ctx: &PromptContext<'_>, parent_code: &str) -> String {
    let mut top = vec![(
        "Introduction",
        Section::text(format!(
            "{PERSONA} You are given a working solution; improve its performance on the \
             test data. Plan the change first, then implement it."
        )),
    )];
    top.extend(task_and_memory(ctx));
    top.push((
        "Instructions",
        Section::map(vec![
            ("Response format", response_format()),
            (
                "Solution improvement sketch guideline",
                Section::List(vec![
                    "Propose exactly one specific, atomic change, so that its effect can be measured.".into(),
                    "Take what Memory says into account.".into(),
                    "Do not explore the data.".into(),
                ]),
            ),
            ("Implementation guideline", implementation_guideline(ctx)),
        ]),
    ));
    top.push((
        "Previous solution",
        Section::map(vec![("Code", Section::text(fenced("python", parent_code)))]),
    ));
    Section::map(top).compile()
}

pub fn debug(ctx: &PromptContext<'_>, parent_code: &str, parent_output: &str) -> String {
    let mut top = vec![
        (
            "Introduction",
            Section::text(format!(
                "{PERSONA} The previous solution has a bug or failed to produce a \
                 submission. Explain the fix, then write the corrected code."
            )),
        ),
        ("Task description", Section::text(ctx.task_description)),
        (
            "Previous (buggy) implementation",
            Section::text(fenced("python", parent_code)),
        ),
        ("Execution output", Section::text(fenced("", parent_output))),
        (
            "Instructions",
            Section::map(vec![
                ("Response format", response_format()),
                (
                    "Bugfix improvement sketch guideline",
                    Section::List(vec![
                        "Describe in 3 to 5 sentences what went wrong and how to fix it.".into(),
                        "Do not explore the data.".into(),
                    ]),
                ),
                ("Implementation guideline", implementation_guideline(ctx)),
            ]),
        ),
    ];
    if let Some(preview) = ctx.data_preview {
        top.push(("Data Overview", Section::text(preview)));
    }
    Section::map(top).compile()
}

pub fn review(task_description: &str, code: &str, output: &str) -> String {
    Section::map(vec![
        (
            "Introduction",
            Section::text(format!(
                "{PERSONA} You ran a solution script. Read its output, decide whether the run \
                 failed or has a bug, and report what you found by calling the \
                 `submit_review` function."
            )),
        ),
        ("Task description", Section::text(task_description)),
        ("Implementation", Section::text(fenced("python", code))),
        ("Execution output", Section::text(fenced("", output))),
    ])
    .compile()
}

fn fenced(lang: &str, body: &str) -> String {
    format!("```{lang}\n{}\n```", body.trim_end())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn ctx() -> PromptContext<'static> {
        PromptContext {
            task_description: "Predict y.",
            memory: String::new(),
            data_preview: Some("train.csv has 10 rows"),
            time_remaining_s: Some(3700.0),
            steps_remaining: 7,
            script_timeout_s: 3600.0,
            k_fold_validation: 5,
            require_submission: true,
            compressed: &[],
        }
    }

    #[test]
    fn sections_compile_to_nested_headings() {
        let s = Section::map(vec![
            ("A", Section::text(" x ")),
            (
                "B",
                Section::map(vec![("C", Section::List(vec!["i".into()]))]),
            ),
        ]);
        assert_eq!(s.compile(), "# A\nx\n\n# B\n## C\n- i\n\n\n\n");
    }

    #[test]
    fn draft_has_the_reference_section_order_and_budgets() {
        let p = draft(&ctx(), &mut ChaCha8Rng::seed_from_u64(0));
        let order = [
            "# Introduction",
            "# Task description",
            "# Memory",
            "# Instructions",
            "## Response format",
            "## Solution sketch guideline",
            "## Implementation guideline",
            "## Installed Packages",
            "# Data Overview",
        ];
        let positions: Vec<usize> = order.iter().map(|h| p.find(h).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{p}");
        assert!(p.contains("<TOTAL_TIME_REMAINING: 1 hour 1 minute>"));
        assert!(p.contains("<TOTAL_STEPS_REMAINING: 7>"));
        assert!(p.contains("5-fold cross-validation"));
    }

    #[test]
    fn debug_prompt_carries_code_and_output_but_no_memory() {
        let p = debug(&ctx(), "print(1/0)", "ZeroDivisionError");
        assert!(p.contains("# Previous (buggy) implementation\n```python\nprint(1/0)\n```"));
        assert!(p.contains("ZeroDivisionError"));
        assert!(!p.contains("# Memory"));
    }

    #[test]
    fn humanized_durations_read_naturally() {
        assert_eq!(humanize_seconds(3600.0), "1 hour");
        assert_eq!(humanize_seconds(90.0), "1 minute 30 seconds");
        assert_eq!(humanize_seconds(7500.0), "2 hours 5 minutes");
        assert_eq!(humanize_seconds(0.2), "0 seconds");
    }
}
