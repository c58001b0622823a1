//! How errors carry their causes. The rule, for every error type of this crate: the
//! message names its cause, and `source()` is empty. Errors end up as text in places that
//! print one `to_string()` (a run's recorded failure reason, a node's bug reason, a
//! warning), so each message must be complete on its own; and with no sources, printing a
//! chain (`{:#}`) never says a cause twice.
//!
//! Other crates' errors (reqwest, the AWS SDK, kube) follow the opposite rule, a terse
//! message with the detail in `source()`; [`describe`] turns one into a complete message
//! where it enters this crate.

use std::error::Error;

/// `From<Inner> for Outer` that wraps `Inner` in a variant, as thiserror's `#[from]`
/// would, but without making it the `source()` (see the module docs).
macro_rules! cause_from {
    ($($outer:ident :: $variant:ident ($inner:ty)),+ $(,)?) => {
        $(impl From<$inner> for $outer {
            fn from(e: $inner) -> Self {
                $outer::$variant(e)
            }
        })+
    };
}
pub(crate) use cause_from;

/// A foreign error and its `source()` chain, joined by ": ", each text once (some
/// libraries repeat their cause in their own message, some layers repeat each other).
pub fn describe(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("error sending request")]
    struct Terse(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect): tcp connect error")]
    struct Middle(#[source] Leaf);

    #[derive(Debug, thiserror::Error)]
    #[error("tcp connect error")]
    struct Leaf;

    #[test]
    fn a_foreign_chain_reads_as_one_message_without_repeats() {
        assert_eq!(
            describe(&Terse(Middle(Leaf))),
            "error sending request: client error (Connect): tcp connect error"
        );
    }
}
