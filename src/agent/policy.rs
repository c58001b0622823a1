//! AIDE's search policy, exactly as the reference: draft until enough roots exist, then
//! debug a random buggy leaf with probability `debug_prob`, else improve the best node.

use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

use super::journal::Journal;
use super::node::Stage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Total nodes to create: drafts, debugs and improvements together.
    pub steps: usize,
    /// Root drafts created before any debugging or improving (buggy drafts count).
    pub num_drafts: usize,
    /// Probability of trying a debug step once the drafts exist.
    pub debug_prob: f64,
    /// A buggy leaf is a debug candidate while its debug depth is <= this (so chains
    /// can reach max + 1 consecutive debug steps, as in AIDE).
    pub max_debug_depth: u32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            steps: 20,
            num_drafts: 5,
            debug_prob: 0.5,
            max_debug_depth: 3,
        }
    }
}

/// What to do next: the stage and the parent it works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Draft,
    Debug(usize),
    Improve(usize),
}

impl Action {
    pub fn stage(self) -> Stage {
        match self {
            Action::Draft => Stage::Draft,
            Action::Debug(_) => Stage::Debug,
            Action::Improve(_) => Stage::Improve,
        }
    }

    pub fn parent(self) -> Option<usize> {
        match self {
            Action::Draft => None,
            Action::Debug(p) | Action::Improve(p) => Some(p),
        }
    }
}

pub fn choose(journal: &Journal, cfg: &SearchConfig, rng: &mut impl Rng) -> Action {
    if journal.draft_count() < cfg.num_drafts {
        return Action::Draft;
    }
    if rng.random::<f64>() < cfg.debug_prob {
        let candidates: Vec<usize> = journal
            .buggy_nodes()
            .filter(|n| journal.is_leaf(n.step) && n.debug_depth <= cfg.max_debug_depth)
            .map(|n| n.step)
            .collect();
        if let Some(&step) = candidates.choose(rng) {
            return Action::Debug(step);
        }
    }
    match journal.best_node() {
        Some(best) => Action::Improve(best.step),
        None => Action::Draft,
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::agent::journal::tests::node;

    fn cfg(debug_prob: f64) -> SearchConfig {
        SearchConfig {
            steps: 20,
            num_drafts: 2,
            debug_prob,
            max_debug_depth: 1,
        }
    }

    #[test]
    fn drafts_come_first_even_when_buggy() {
        let mut j = Journal::new(None);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(choose(&j, &cfg(1.0), &mut rng), Action::Draft);
        j.append(node(0, None, Stage::Draft, None)).unwrap();
        assert_eq!(choose(&j, &cfg(1.0), &mut rng), Action::Draft);
    }

    #[test]
    fn debugs_a_buggy_leaf_within_depth_else_improves_best() {
        let mut j = Journal::new(None);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        j.append(node(0, None, Stage::Draft, None)).unwrap();
        j.append(node(1, None, Stage::Draft, Some(0.4))).unwrap();
        assert_eq!(choose(&j, &cfg(1.0), &mut rng), Action::Debug(0));
        assert_eq!(choose(&j, &cfg(0.0), &mut rng), Action::Improve(1));

        let mut d = node(2, Some(0), Stage::Debug, None);
        d.debug_depth = 1;
        j.append(d).unwrap();
        // Depth 1 <= max 1: still a candidate; node 0 is no longer a leaf.
        assert_eq!(choose(&j, &cfg(1.0), &mut rng), Action::Debug(2));
        let mut d2 = node(3, Some(2), Stage::Debug, None);
        d2.debug_depth = 2;
        j.append(d2).unwrap();
        assert_eq!(choose(&j, &cfg(1.0), &mut rng), Action::Improve(1));
    }

    #[test]
    fn drafts_again_when_nothing_is_good() {
        let mut j = Journal::new(None);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        j.append(node(0, None, Stage::Draft, None)).unwrap();
        j.append(node(1, None, Stage::Draft, None)).unwrap();
        assert_eq!(choose(&j, &cfg(0.0), &mut rng), Action::Draft);
    }
}
