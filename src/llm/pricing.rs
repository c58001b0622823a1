//! Token prices per model, to turn [`Usage`] into dollars.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{LlmError, Usage};

const BUILTIN_YAML: &str = include_str!("pricing.yaml");

/// Prices in USD per million tokens, keyed by model name or model-name prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    models: BTreeMap<String, ModelPrice>,
}

/// The file format: the built-in `pricing.yaml` and a user's `llm.pricing_file` alike.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PricingFile {
    models: BTreeMap<String, ModelPrice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelPrice {
    input_per_mtok: f64,
    output_per_mtok: f64,
}

impl Pricing {
    /// The table shipped with the binary (`src/llm/pricing.yaml`).
    pub fn builtin() -> Pricing {
        // The embedded file is part of the source; `builtin_table_parses` keeps it valid.
        Self::parse(BUILTIN_YAML).expect("built-in pricing.yaml is valid")
    }

    /// Reads a table in the built-in format; unknown fields and negative prices are errors.
    pub fn from_yaml_file(path: &Path) -> Result<Pricing, LlmError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            LlmError::Config(format!("cannot read pricing file {}: {e}", path.display()))
        })?;
        Self::parse(&text)
            .map_err(|e| LlmError::Config(format!("pricing file {}: {e}", path.display())))
    }

    /// Parses a table in the built-in format.
    pub fn from_yaml_str(text: &str) -> Result<Pricing, LlmError> {
        Self::parse(text).map_err(|e| LlmError::Config(format!("pricing table: {e}")))
    }

    fn parse(text: &str) -> Result<Pricing, String> {
        let file: PricingFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        for (model, price) in &file.models {
            let valid = |p: f64| p.is_finite() && p >= 0.0;
            if model.is_empty() || !valid(price.input_per_mtok) || !valid(price.output_per_mtok) {
                return Err(format!(
                    "model `{model}` needs a non-empty name and finite, non-negative prices"
                ));
            }
        }
        Ok(Pricing {
            models: file.models,
        })
    }

    /// Cost in USD of one call, or `None` when no entry matches `model`.
    pub fn cost(&self, model: &str, usage: Usage) -> Option<f64> {
        let price = self.lookup(model)?;
        Some(
            (usage.input_tokens as f64 * price.input_per_mtok
                + usage.output_tokens as f64 * price.output_per_mtok)
                / 1e6,
        )
    }

    /// Exact name first, then the longest entry that prefixes `model` at a name boundary.
    /// The boundary keeps `o1` from pricing a hypothetical `o10`, and `gpt-4` from pricing
    /// `gpt-4.1`.
    fn lookup(&self, model: &str) -> Option<ModelPrice> {
        if let Some(price) = self.models.get(model) {
            return Some(*price);
        }
        self.models
            .iter()
            .filter(|(name, _)| {
                model
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.starts_with(['-', ':', '@']))
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| *price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input_tokens: u64, output_tokens: u64) -> Usage {
        Usage {
            input_tokens,
            output_tokens,
        }
    }

    #[test]
    fn builtin_table_parses_and_covers_required_models() {
        let p = Pricing::builtin();
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4o-2024-08-06",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-nano",
            "o1-preview",
            "o1",
            "o3",
            "o3-mini",
            "o4-mini",
            "gpt-4-turbo",
            "claude-3-5-sonnet-20241022",
            "claude-3-5-sonnet-20240620",
            "claude-sonnet-4-20250514",
            "claude-3-5-haiku-20241022",
            "claude-opus-4",
        ] {
            assert!(p.models.contains_key(model), "{model} missing");
        }
    }

    #[test]
    fn cost_arithmetic() {
        let p = Pricing::builtin();
        // gpt-4o: 2.50 in, 10.00 out per million.
        let c = p.cost("gpt-4o", usage(1_000_000, 500_000)).unwrap();
        assert!((c - 7.5).abs() < 1e-9, "{c}");
        let c = p.cost("gpt-4o-mini", usage(2_000, 1_000)).unwrap();
        assert!((c - (2_000.0 * 0.15 + 1_000.0 * 0.60) / 1e6).abs() < 1e-12);
        assert_eq!(p.cost("gpt-4o", Usage::default()), Some(0.0));
    }

    #[test]
    fn prefix_matching_prefers_longest_and_respects_boundaries() {
        let p = Pricing::builtin();
        let per_in = |m: &str| p.lookup(m).map(|x| x.input_per_mtok);
        assert_eq!(per_in("gpt-4o-2024-11-20"), Some(2.50));
        assert_eq!(per_in("gpt-4o-mini-2024-07-18"), Some(0.15));
        assert_eq!(per_in("gpt-4o-2024-05-13"), Some(5.00));
        assert_eq!(per_in("gpt-4.1-nano-2025-04-14"), Some(0.10));
        assert_eq!(per_in("o3-mini-2025-01-31"), Some(1.10));
        assert_eq!(per_in("claude-opus-4-20250514"), Some(15.00));
        assert_eq!(per_in("claude-opus-4-1-20250805"), Some(15.00));
        // Not a boundary: no entry may claim these.
        assert_eq!(per_in("gpt-4omni"), None);
        assert_eq!(per_in("o10"), None);
        assert_eq!(per_in("llama3.1:8b"), None);
        assert_eq!(p.cost("my-local-model", usage(10, 10)), None);
    }

    #[test]
    fn user_table_replaces_builtin() {
        let p = Pricing::from_yaml_str(
            "models:\n  local-llama: {input_per_mtok: 1, output_per_mtok: 2}\n",
        )
        .unwrap();
        assert_eq!(p.cost("gpt-4o", usage(1, 1)), None);
        let c = p
            .cost("local-llama-70b", usage(1_000_000, 1_000_000))
            .unwrap();
        assert!((c - 3.0).abs() < 1e-9);
    }

    #[test]
    fn unknown_field_is_rejected_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.yaml");
        std::fs::write(
            &path,
            "models:\n  m: {input_per_mtok: 1, output_per_mtok: 2, cached_per_mtok: 0.5}\n",
        )
        .unwrap();
        let err = Pricing::from_yaml_file(&path).unwrap_err().to_string();
        assert!(err.contains("cached_per_mtok"), "{err}");
        assert!(err.contains("prices.yaml"), "{err}");

        let err = Pricing::from_yaml_str("currency: EUR\nmodels: {}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("currency"), "{err}");
    }

    #[test]
    fn negative_price_and_missing_file_are_errors() {
        let err =
            Pricing::from_yaml_str("models:\n  m: {input_per_mtok: -1, output_per_mtok: 2}\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("`m`"), "{err}");
        let err = Pricing::from_yaml_file(Path::new("/nonexistent/prices.yaml")).unwrap_err();
        assert!(matches!(err, LlmError::Config(_)));
    }
}
