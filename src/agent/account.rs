//! What one step spends: tokens and dollars per model role, and the seconds spent waiting
//! for the LLM and for the syntax check. One value threaded through the step's calls
//! instead of an accumulator per quantity.

use std::time::Duration;

use super::node::NodeUsage;
use crate::llm::Completion;

/// Which model a call went to; the two are billed apart, as AIDE's journal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Code,
    Feedback,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepAccount {
    pub usage: NodeUsage,
    pub llm_s: f64,
    pub check_s: f64,
}

impl StepAccount {
    /// One LLM call: its wall time always counts (a failed call waited too), its tokens
    /// and cost only when it answered.
    pub fn charge_call(&mut self, role: Role, waited: Duration, answer: Option<&Completion>) {
        self.llm_s += waited.as_secs_f64();
        let Some(completion) = answer else { return };
        let usage = match role {
            Role::Code => &mut self.usage.code,
            Role::Feedback => &mut self.usage.feedback,
        };
        usage.add(completion.usage);
        match completion.cost_usd {
            Some(c) => self.usage.cost_usd += c,
            None => self.usage.unpriced_calls += 1,
        }
    }

    pub fn charge_check(&mut self, took: Duration) {
        self.check_s += took.as_secs_f64();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Usage;

    fn answer(prompt: u64, completion: u64, cost_usd: Option<f64>) -> Completion {
        Completion {
            text: String::new(),
            tool_call: None,
            usage: Usage {
                input_tokens: prompt,
                output_tokens: completion,
            },
            cost_usd,
        }
    }

    #[test]
    fn each_role_is_billed_apart_and_unpriced_calls_are_counted() {
        let mut account = StepAccount::default();
        let second = Duration::from_secs(1);
        account.charge_call(Role::Code, second, Some(&answer(10, 5, Some(0.25))));
        account.charge_call(Role::Feedback, second, Some(&answer(7, 3, None)));
        account.charge_call(Role::Code, second, Some(&answer(1, 1, Some(0.5))));
        assert_eq!(account.usage.code.input_tokens, 11);
        assert_eq!(account.usage.code.output_tokens, 6);
        assert_eq!(account.usage.feedback.input_tokens, 7);
        assert_eq!(account.usage.cost_usd, 0.75);
        assert_eq!(account.usage.unpriced_calls, 1);
        assert_eq!(account.llm_s, 3.0);
    }

    #[test]
    fn a_failed_call_costs_time_but_no_tokens() {
        let mut account = StepAccount::default();
        account.charge_call(Role::Code, Duration::from_millis(1500), None);
        account.charge_check(Duration::from_millis(250));
        assert_eq!(account.usage, NodeUsage::default());
        assert_eq!((account.llm_s, account.check_s), (1.5, 0.25));
    }
}
