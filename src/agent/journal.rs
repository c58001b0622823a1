//! The search tree: nodes in creation order, their links, and the fixed metric direction.

use super::node::{Node, Stage};

/// Node records that do not form a tree (input to `--resume`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("node step {step} out of order: expected step {expected}")]
    OutOfOrder { step: usize, expected: usize },
    #[error("node {step} names parent step {parent}, which does not exist")]
    NoSuchParent { step: usize, parent: usize },
}

/// Nodes in creation order. The tree is stored as parent steps; children are counted
/// on append so that leaf checks stay O(1).
#[derive(Debug, Default, Clone)]
pub struct Journal {
    nodes: Vec<Node>,
    child_count: Vec<usize>,
    /// Fixed once per run: from the config, else from the first good node.
    lower_is_better: Option<bool>,
}

impl Journal {
    pub fn new(lower_is_better: Option<bool>) -> Self {
        Self {
            lower_is_better,
            ..Self::default()
        }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, step: usize) -> Option<&Node> {
        self.nodes.get(step)
    }

    pub fn lower_is_better(&self) -> Option<bool> {
        self.lower_is_better
    }

    /// Appends a completed node. The node's step must be the next index and its parent
    /// an existing node; the caller builds nodes through [`Journal::next_step`].
    pub fn append(&mut self, node: Node) -> Result<(), TreeError> {
        if node.step != self.nodes.len() {
            return Err(TreeError::OutOfOrder {
                step: node.step,
                expected: self.nodes.len(),
            });
        }
        if let Some(parent) = node.parent_step {
            if parent >= self.nodes.len() {
                return Err(TreeError::NoSuchParent {
                    step: node.step,
                    parent,
                });
            }
            self.child_count[parent] += 1;
        }
        if self.lower_is_better.is_none() && !node.is_buggy {
            self.lower_is_better = node.reviewer_lower_is_better;
        }
        self.nodes.push(node);
        self.child_count.push(0);
        Ok(())
    }

    /// Sets the last node's step time and search time, the two fields measured after it
    /// joined (just before its record's final write); returns it, to be written.
    pub fn time_last(&mut self, total_s: f64, search_elapsed_s: f64) -> Option<&Node> {
        let node = self.nodes.last_mut()?;
        node.timing.total_s = total_s;
        node.search_elapsed_s = search_elapsed_s;
        Some(node)
    }

    pub fn next_step(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_leaf(&self, step: usize) -> bool {
        self.child_count.get(step).is_some_and(|&c| c == 0)
    }

    pub fn draft_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.stage == Stage::Draft)
            .count()
    }

    pub fn good_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| !n.is_buggy)
    }

    pub fn buggy_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.is_buggy)
    }

    /// True when `a` is strictly better than `b` under the run's direction.
    fn better(&self, a: f64, b: f64) -> bool {
        if self.lower_is_better.unwrap_or(false) {
            a < b
        } else {
            a > b
        }
    }

    /// The best good node; ties go to the earliest node, as in AIDE.
    pub fn best_node(&self) -> Option<&Node> {
        let mut best: Option<(&Node, f64)> = None;
        for node in self.good_nodes() {
            let Some(value) = node.metric else { continue };
            match best {
                Some((_, b)) if !self.better(value, b) => {}
                _ => best = Some((node, value)),
            }
        }
        best.map(|(n, _)| n)
    }

    /// The best node in plain words, for `progress.json` and the tree view. When no node
    /// is good it says so, and that no best solution is written: a buggy node's script is
    /// never offered as the answer.
    pub fn best_summary(&self) -> String {
        match self.best_node() {
            Some(best) => match best.metric {
                Some(m) => format!("step {}, metric {m}", best.step),
                None => format!("step {}", best.step),
            },
            None if self.is_empty() => "none yet: no node has run".to_string(),
            None => format!(
                "none: no good node among {} ({} buggy); no best solution or submission is written",
                self.len(),
                self.buggy_nodes().count()
            ),
        }
    }

    /// AIDE's memory: design, findings and metric of every good node, in order.
    pub fn summary(&self) -> String {
        self.recent_summary(None)
    }

    /// The memory summary of the `last` most recent good nodes (all with `None`): what a
    /// prompt carries when the whole summary outgrew the model's context.
    pub fn recent_summary(&self, last: Option<usize>) -> String {
        let good = self.good_nodes().count();
        let skip = last.map_or(0, |n| good.saturating_sub(n));
        let blocks: Vec<String> = self
            .good_nodes()
            .skip(skip)
            .map(|n| {
                let metric = n
                    .metric
                    .map_or_else(|| "n/a".to_string(), |m| m.to_string());
                format!(
                    "Design: {}\nResults: {}\nValidation Metric: {}\n",
                    n.plan.trim(),
                    n.analysis.trim(),
                    metric
                )
            })
            .collect();
        blocks.join(&format!("{}\n", "-".repeat(31)))
    }

    /// Debug depth of a new child of `parent_step` with the given stage.
    pub fn child_debug_depth(&self, parent_step: Option<usize>, stage: Stage) -> u32 {
        match (stage, parent_step.and_then(|p| self.nodes.get(p))) {
            (Stage::Debug, Some(parent)) => parent.debug_depth + 1,
            _ => 0,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::agent::node::{BugKind, BugReason, NodeUsage, StepTiming};

    pub(crate) fn node(
        step: usize,
        parent: Option<usize>,
        stage: Stage,
        metric: Option<f64>,
    ) -> Node {
        Node {
            id: format!("{step:032x}"),
            step,
            parent_step: parent,
            stage,
            debug_depth: 0,
            ctime: 0.0,
            plan: format!("plan {step}"),
            code: String::new(),
            term_out: vec![],
            exec_time: 0.0,
            exc_type: None,
            exc_info: None,
            exc_stack: None,
            analysis: format!("analysis {step}"),
            metric,
            reviewer_lower_is_better: Some(false),
            is_buggy: metric.is_none(),
            bug_reasons: match metric {
                Some(_) => vec![],
                None => vec![BugReason {
                    kind: BugKind::Exception,
                    detail: "test".into(),
                }],
            },
            has_submission: metric.is_some(),
            usage: NodeUsage::default(),
            timing: StepTiming::default(),
            search_elapsed_s: 0.0,
            sandbox: None,
        }
    }

    #[test]
    fn only_the_last_node_is_timed_after_it_joined() {
        let mut j = Journal::new(None);
        assert!(j.time_last(1.0, 1.0).is_none());
        j.append(node(0, None, Stage::Draft, Some(0.5))).unwrap();
        j.append(node(1, None, Stage::Draft, Some(0.7))).unwrap();
        let timed = j.time_last(0.25, 3.5).unwrap();
        assert_eq!(
            (timed.step, timed.timing.total_s, timed.search_elapsed_s),
            (1, 0.25, 3.5)
        );
        assert_eq!(j.get(0).unwrap().timing.total_s, 0.0);
        assert_eq!(j.best_node().map(|n| n.step), Some(1));
    }

    #[test]
    fn best_node_prefers_the_earliest_of_equal_metrics() {
        let mut j = Journal::new(None);
        j.append(node(0, None, Stage::Draft, Some(0.5))).unwrap();
        j.append(node(1, None, Stage::Draft, Some(0.7))).unwrap();
        j.append(node(2, None, Stage::Draft, Some(0.7))).unwrap();
        j.append(node(3, None, Stage::Draft, None)).unwrap();
        assert_eq!(j.best_node().map(|n| n.step), Some(1));
    }

    #[test]
    fn direction_is_fixed_by_the_first_good_node() {
        let mut j = Journal::new(None);
        let mut first = node(0, None, Stage::Draft, Some(0.3));
        first.reviewer_lower_is_better = Some(true);
        j.append(first).unwrap();
        let mut second = node(1, None, Stage::Draft, Some(0.1));
        second.reviewer_lower_is_better = Some(false);
        j.append(second).unwrap();
        assert_eq!(j.lower_is_better(), Some(true));
        assert_eq!(j.best_node().map(|n| n.step), Some(1));
    }

    #[test]
    fn configured_direction_wins_over_reviewers() {
        let mut j = Journal::new(Some(false));
        let mut first = node(0, None, Stage::Draft, Some(0.3));
        first.reviewer_lower_is_better = Some(true);
        j.append(first).unwrap();
        j.append(node(1, None, Stage::Draft, Some(0.1))).unwrap();
        assert_eq!(j.best_node().map(|n| n.step), Some(0));
    }

    #[test]
    fn leaves_and_debug_depth_follow_the_tree() {
        let mut j = Journal::new(None);
        j.append(node(0, None, Stage::Draft, None)).unwrap();
        let mut d1 = node(1, Some(0), Stage::Debug, None);
        d1.debug_depth = j.child_debug_depth(Some(0), Stage::Debug);
        j.append(d1).unwrap();
        assert!(!j.is_leaf(0));
        assert!(j.is_leaf(1));
        assert_eq!(j.child_debug_depth(Some(1), Stage::Debug), 2);
        assert_eq!(j.child_debug_depth(Some(1), Stage::Improve), 0);
    }

    #[test]
    fn out_of_order_and_dangling_parents_are_rejected() {
        let mut j = Journal::new(None);
        assert_eq!(
            j.append(node(1, None, Stage::Draft, None)),
            Err(TreeError::OutOfOrder {
                step: 1,
                expected: 0
            })
        );
        assert_eq!(
            j.append(node(0, Some(4), Stage::Debug, None)),
            Err(TreeError::NoSuchParent { step: 0, parent: 4 })
        );
    }

    #[test]
    fn summary_lists_good_nodes_only() {
        let mut j = Journal::new(None);
        j.append(node(0, None, Stage::Draft, Some(0.5))).unwrap();
        j.append(node(1, None, Stage::Draft, None)).unwrap();
        j.append(node(2, None, Stage::Draft, Some(0.6))).unwrap();
        let s = j.summary();
        assert!(s.contains("Design: plan 0"));
        assert!(!s.contains("plan 1"));
        assert!(s.contains(&"-".repeat(31)));
        assert!(s.contains("Validation Metric: 0.6"));
        let recent = j.recent_summary(Some(1));
        assert!(recent.contains("Design: plan 2") && !recent.contains("plan 0"));
        assert_eq!(j.recent_summary(Some(5)), s);
        assert_eq!(j.recent_summary(Some(0)), "");
    }
}
