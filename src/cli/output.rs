//! Writing results to stdout. `println!` panics when stdout is closed (`aide-fleet rank
//! ... | head -1`, `| true`); here a closed stdout ends the command quietly, as it ends
//! `grep`: nobody is left to read the rest.

use std::io::{ErrorKind, Write};

/// Stdout was closed before everything was written; [`super::exit::report`] turns it
/// into a quiet exit 0.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct StdoutClosed;

/// Writes `text` to stdout and flushes it.
pub fn print(text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_ref())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::from(e).context("writing to stdout")),
    }
}

/// [`print`] with a newline after `text`.
pub fn print_line(text: &str) -> anyhow::Result<()> {
    print(format!("{text}\n"))
}
