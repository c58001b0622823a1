//! Progress of a run group: an overall bar and one line per running run on a terminal
//! (capped to what fits), plain log lines elsewhere.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fleet::{FleetObserver, RunKey, RunState, RunStatus};

/// Running runs shown with a line of their own; the rest are counted on the overall bar.
const MAX_LINES: usize = 8;

pub struct FleetDisplay {
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
    lines: BTreeMap<RunKey, ProgressBar>,
    last_step: BTreeMap<RunKey, usize>,
    finished: u64,
    running: usize,
}

fn describe(s: &RunStatus) -> String {
    let step = match (s.step, s.steps) {
        (Some(a), Some(b)) => format!("step {a}/{b}"),
        _ => "starting".to_string(),
    };
    let best = s
        .best_metric
        .map_or_else(|| "best -".to_string(), |m| format!("best {m:.5}"));
    let elapsed = s.elapsed_s.map_or_else(String::new, |e| {
        format!(
            " · {}",
            humantime::format_duration(Duration::from_secs(e as u64))
        )
    });
    let cost = s
        .cost_usd
        .map_or_else(String::new, |c| format!(" · ${c:.4}"));
    format!(
        "{} seed {} · {step} · {best}{elapsed}{cost}",
        s.task, s.seed
    )
}

impl FleetDisplay {
    pub fn new(total: u64, want_bars: bool) -> Self {
        let (multi, overall) = if want_bars && std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = multi.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(
                    "[{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} runs {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            (Some(multi), Some(bar))
        } else {
            (None, None)
        };
        Self {
            multi,
            overall,
            lines: BTreeMap::new(),
            last_step: BTreeMap::new(),
            finished: 0,
            running: 0,
        }
    }

    fn println(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn update_overall(&self) {
        if let Some(bar) = &self.overall {
            bar.set_position(self.finished);
            let hidden = self.running.saturating_sub(self.lines.len());
            bar.set_message(if hidden > 0 {
                format!("({} running, {hidden} not shown)", self.running)
            } else {
                format!("({} running)", self.running)
            });
        }
    }

    pub fn finish(&self) {
        for line in self.lines.values() {
            line.finish_and_clear();
        }
        if let Some(bar) = &self.overall {
            bar.finish_and_clear();
        }
    }
}

impl FleetObserver for FleetDisplay {
    fn started(&mut self, s: &RunStatus) {
        self.running += 1;
        let key = s.key();
        let attempt = s.attempts.last().map_or(1, |a| a.number);
        if let (Some(multi), true) = (&self.multi, self.lines.len() < MAX_LINES) {
            let line = multi.add(ProgressBar::new_spinner());
            line.set_style(
                ProgressStyle::with_template("  {spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            line.enable_steady_tick(Duration::from_millis(200));
            line.set_message(describe(s));
            self.lines.insert(key, line);
        } else if self.multi.is_none() {
            let id = s
                .attempts
                .last()
                .and_then(|a| a.executor_id.clone())
                .unwrap_or_default();
            eprintln!(
                "started {} seed {} (attempt {attempt}, {id})",
                s.task, s.seed
            );
        }
        self.update_overall();
    }

    fn progress(&mut self, s: &RunStatus) {
        let key = s.key();
        if let Some(line) = self.lines.get(&key) {
            line.set_message(describe(s));
        } else if self.multi.is_none()
            && let Some(step) = s.step
            && self.last_step.get(&key) != Some(&step)
        {
            self.last_step.insert(key, step);
            eprintln!("  {}", describe(s));
        }
    }

    fn finished(&mut self, s: &RunStatus) {
        let key = s.key();
        if let Some(line) = self.lines.remove(&key) {
            line.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&line);
            }
        }
        let was_running = s.attempts.last().is_some_and(|a| a.ended_at.is_some());
        if was_running {
            self.running = self.running.saturating_sub(1);
        }
        let reason = s
            .attempts
            .last()
            .and_then(|a| a.reason.clone())
            .map_or_else(String::new, |r| format!(": {r}"));
        let state = match s.state {
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Pending => "will be retried",
            RunState::Running => "running",
        };
        if matches!(s.state, RunState::Succeeded | RunState::Failed) {
            self.finished += 1;
        }
        self.println(&format!(
            "{} seed {} {state}{reason} — {}",
            s.task,
            s.seed,
            describe(s)
        ));
        self.update_overall();
    }

    fn message(&mut self, text: &str) {
        self.println(text);
    }
}
