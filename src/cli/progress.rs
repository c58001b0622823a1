//! Progress display: an indicatif bar on a terminal, plain log lines elsewhere. Log
//! output goes through the bar so the two never tear each other.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::agent::{Event, node_line};

/// Either a live bar (terminal) or plain lines on stderr.
#[derive(Clone)]
pub struct Display {
    bar: Option<ProgressBar>,
}

impl Display {
    /// A bar when stderr is a terminal and progress is wanted; lines otherwise.
    pub fn new(len: u64, want_bar: bool) -> Self {
        let bar = (want_bar && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner:.green} [{elapsed_precise}] {bar:24.cyan/blue} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    pub fn set_position(&self, pos: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
        }
    }

    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Routes `tracing` output through this display; `RUST_LOG` overrides the level.
    pub fn init_logging(&self) {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(self.clone())
            .try_init();
    }

    /// The agent's observer: a status message per phase, a line per finished node.
    pub fn agent_observer(&self, steps: usize) -> impl FnMut(&Event<'_>) + Send + 'static {
        let display = self.clone();
        let mut status = String::new();
        move |event| match event {
            Event::Phase { step, stage, phase } => match &display.bar {
                Some(bar) => bar.set_message(format!(
                    "step {} {} · {}{status}",
                    step + 1,
                    stage.as_str(),
                    phase.as_str()
                )),
                None if *phase == crate::agent::Phase::Coding => {
                    eprintln!("step {}/{steps}: {}", step + 1, stage.as_str())
                }
                None => {}
            },
            Event::NodeDone {
                node,
                journal,
                elapsed_s,
                spent_usd,
            } => {
                let best = journal
                    .best_node()
                    .and_then(|b| b.metric)
                    .map_or_else(|| "none".to_string(), |m| format!("{m:.6}"));
                status = format!(" · best {best} · {} nodes · ${spent_usd:.4}", journal.len());
                display.set_position(journal.len() as u64);
                display.println(&node_line(node, steps, *elapsed_s, *spent_usd));
            }
            Event::Warning(w) => display.println(&format!("warning: {w}")),
        }
    }
}

/// One log event's bytes, written through the bar when there is one.
pub struct LogWriter {
    bar: Option<ProgressBar>,
    buf: Vec<u8>,
}

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf).trim_end().to_string();
        self.buf.clear();
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl<'a> MakeWriter<'a> for Display {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter {
            bar: self.bar.clone(),
            buf: Vec::new(),
        }
    }
}

/// A rebuild of a run-group index: a bar on a terminal (`reading runs 812/10000`),
/// nothing elsewhere.
#[derive(Default)]
pub struct RebuildBar {
    bar: Option<ProgressBar>,
}

impl crate::fleet::index::RebuildProgress for RebuildBar {
    fn start(&mut self, runs: usize) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(runs as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "rebuilding the run-group index: {bar:24.cyan/blue} {pos}/{len} runs [{elapsed_precise}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar = Some(bar);
    }

    fn advance(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// What a reader of the store says about the index it read (nothing when it was used as
/// it is): why it was rebuilt, where it disagreed with the files, a failed write-back.
pub fn index_notes(source: &crate::fleet::index::Source) -> Vec<String> {
    use crate::fleet::index::Source;
    let Source::Rebuilt {
        why,
        differences,
        write_error,
    } = source
    else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    if let Some(why) = why {
        notes.push(format!("index: rebuilt from the per-run files: {why}"));
    }
    if !differences.is_empty() {
        notes.push(format!(
            "index: {} run(s) differed from their files; the files win:",
            differences.len()
        ));
        notes.extend(differences.iter().take(20).map(|d| format!("  {d}")));
        if differences.len() > 20 {
            notes.push(format!("  ... and {} more", differences.len() - 20));
        }
    }
    if let Some(e) = write_error {
        notes.push(format!(
            "index: the rebuilt index was not written back: {e}"
        ));
    }
    notes
}
