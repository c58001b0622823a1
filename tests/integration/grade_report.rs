//! CompetitionReport and GradingReport JSON: MLE-bench's field names and order, no bare
//! NaN written, and MLE-bench's own output (bare NaN, Infinity, None) read back.

use aide_fleet::grade::{CompetitionReport, GradingReport};

const MLE_FIELDS: [&str; 16] = [
    "competition_id",
    "score",
    "gold_threshold",
    "silver_threshold",
    "bronze_threshold",
    "median_threshold",
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "submission_exists",
    "valid_submission",
    "is_lower_better",
    "created_at",
    "submission_path",
];

fn report(score: Option<f64>) -> CompetitionReport {
    CompetitionReport {
        competition_id: "random-acts-of-pizza".into(),
        score,
        gold_threshold: Some(0.97908),
        silver_threshold: Some(0.76482),
        bronze_threshold: Some(0.6921),
        median_threshold: Some(0.5995950000000001),
        any_medal: true,
        gold_medal: false,
        silver_medal: false,
        bronze_medal: true,
        above_median: true,
        submission_exists: true,
        valid_submission: score.is_some(),
        is_lower_better: false,
        created_at: "2024-09-23T14:55:33.123456".into(),
        submission_path: "runs/x/submission.csv".into(),
        reason: None,
    }
}

/// Keys of a JSON object in the order they appear in the text.
fn keys_in_order(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut keys: Vec<(usize, String)> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (json.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

#[test]
fn fields_are_mlebench_names_in_mlebench_order() {
    let json = report(Some(0.7)).to_json();
    assert_eq!(keys_in_order(&json), MLE_FIELDS);
    let mut invalid = report(None);
    invalid.reason = Some("invalid submission: ...".into());
    let keys = keys_in_order(&invalid.to_json());
    assert_eq!(keys[..16], MLE_FIELDS);
    assert_eq!(keys[16], "reason");
}

#[test]
fn round_trips_and_never_writes_nan() {
    let r = report(Some(0.71234));
    assert_eq!(CompetitionReport::from_json(&r.to_json()).unwrap(), r);
    let mut odd = report(Some(f64::NAN));
    odd.gold_threshold = Some(f64::INFINITY);
    odd.silver_threshold = None;
    let json = odd.to_json();
    assert!(
        !json.contains("NaN") && !json.contains("Infinity"),
        "{json}"
    );
    let back = CompetitionReport::from_json(&json).unwrap();
    assert_eq!(
        (back.score, back.gold_threshold, back.silver_threshold),
        (None, None, None)
    );
}

#[test]
fn reads_what_python_json_dump_writes() {
    // mlebench grade output: bare NaN score (a "valid" NaN), Infinity, a null path.
    let text = r#"{"competition_id": "us-patent-phrase-to-phrase-matching", "score": NaN,
        "gold_threshold": 0.87, "silver_threshold": Infinity, "bronze_threshold": -Infinity,
        "median_threshold": 0.851, "any_medal": false, "gold_medal": false,
        "silver_medal": false, "bronze_medal": false, "above_median": false,
        "submission_exists": true, "valid_submission": true, "is_lower_better": false,
        "created_at": "2024-10-01T10:00:00.000001", "submission_path": null}"#;
    let r = CompetitionReport::from_json(text).unwrap();
    assert_eq!(r.score, None);
    assert!(r.valid_submission);
    assert_eq!(r.silver_threshold, Some(f64::INFINITY));
    assert_eq!(r.bronze_threshold, Some(f64::NEG_INFINITY));
    assert_eq!(r.submission_path, "None");
    assert_eq!(r.reason, None);
    // Python's str(None) path and a string "NaN" are read too.
    let text = text
        .replace("\"score\": NaN", "\"score\": \"None\"")
        .replace("null}", "\"None\"}");
    assert_eq!(CompetitionReport::from_json(&text).unwrap().score, None);
    assert!(CompetitionReport::from_json("{\"competition_id\": 3}").is_err());
}

#[test]
fn grading_report_counts_like_mlebench() {
    let mut missing = report(None);
    missing.submission_exists = false;
    missing.any_medal = false;
    missing.bronze_medal = false;
    missing.above_median = false;
    let g = GradingReport::from_reports(vec![report(Some(0.7)), missing, report(Some(0.8))]);
    assert_eq!(
        (
            g.total_runs,
            g.total_runs_with_submissions,
            g.total_valid_submissions,
            g.total_medals
        ),
        (3, 2, 2, 2)
    );
    assert_eq!(
        (
            g.total_bronze_medals,
            g.total_gold_medals,
            g.total_above_median
        ),
        (2, 0, 2)
    );
    let text = g.to_json().replace("\"score\": null", "\"score\": NaN");
    assert_eq!(GradingReport::from_json(&text).unwrap(), g);
    assert_eq!(keys_in_order(&g.to_json())[0], "total_runs");
}
