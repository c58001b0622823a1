//! "Did you mean" suggestions for misspelt names.

/// The candidate most similar to `name` (the first of equals), or `None` when there are none.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let name = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let similarity = strsim::normalized_damerau_levenshtein(&name, &candidate.to_lowercase());
        if best.is_none_or(|(s, _)| similarity > s) {
            best = Some((similarity, candidate));
        }
    }
    best.map(|(_, c)| c)
}
