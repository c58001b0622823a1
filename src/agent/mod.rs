//! One AIDE search: journal, search policy, operators, prompts, review, interpreter.
