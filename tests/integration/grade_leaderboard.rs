//! Medal thresholds and flags against the oracle computed with MLE-bench's own code
//! (tests/data/grade/expected_thresholds.json, a copy of shared/mlebench-data's), the team
//! count branches, percentile, and malformed leaderboards.

use std::path::{Path, PathBuf};

use aide_fleet::grade::{Leaderboard, LeaderboardError, round_score};
use serde_json::Value;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/grade")
        .join(rel)
}

#[test]
fn thresholds_and_flags_match_mlebench_oracle() {
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(data("expected_thresholds.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for (id, want) in oracle
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
    {
        let lb = Leaderboard::read(&data(&format!("leaderboards/{id}.csv"))).unwrap();
        let t = lb.thresholds();
        assert_eq!(
            lb.scores().len() as u64,
            want["num_teams"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(
            t.is_lower_better,
            want["is_lower_better"].as_bool().unwrap(),
            "{id}"
        );
        assert_eq!(
            t.gold_row as u64,
            want["gold_position"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(
            t.silver_row as u64,
            want["silver_position"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(
            t.bronze_row as u64,
            want["bronze_position"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(t.gold, want["gold_threshold"].as_f64().unwrap(), "{id}");
        assert_eq!(t.silver, want["silver_threshold"].as_f64().unwrap(), "{id}");
        assert_eq!(t.bronze, want["bronze_threshold"].as_f64().unwrap(), "{id}");
        assert_eq!(t.median, want["median_threshold"].as_f64().unwrap(), "{id}");
        for case in want["test_cases"].as_array().unwrap() {
            let rank = lb.rank(case["score"].as_f64());
            let label = format!("{id}/{}", case["case"]);
            let e = &case["expected"];
            assert_eq!(
                rank.gold_medal,
                e["gold_medal"].as_bool().unwrap(),
                "{label}"
            );
            assert_eq!(
                rank.silver_medal,
                e["silver_medal"].as_bool().unwrap(),
                "{label}"
            );
            assert_eq!(
                rank.bronze_medal,
                e["bronze_medal"].as_bool().unwrap(),
                "{label}"
            );
            assert_eq!(
                rank.above_median,
                e["above_median"].as_bool().unwrap(),
                "{label}"
            );
            assert_eq!(rank.any_medal, e["any_medal"].as_bool().unwrap(), "{label}");
            assert_eq!(rank.gold_threshold, t.gold);
            checked += 1;
        }
    }
    assert_eq!(checked, 30);
}

/// Python's `int(n * 0.1)` etc., evaluated in f64 as MLE-bench does.
fn python_rows(n: usize) -> (usize, usize, usize) {
    let f = |frac: f64| ((n as f64 * frac) as usize).max(1);
    if n < 100 {
        (f(0.1), f(0.2), f(0.4))
    } else if n < 250 {
        (10, f(0.2), f(0.4))
    } else if n < 1000 {
        (10 + (n as f64 * 0.002) as usize, 50, 100)
    } else {
        (10 + (n as f64 * 0.002) as usize, f(0.05), f(0.1))
    }
}

#[test]
fn medal_rows_follow_kaggle_branches_for_every_team_count() {
    for n in 1..=5000 {
        let lb = Leaderboard::from_scores((0..n).map(|i| (n - i) as f64).collect()).unwrap();
        let t = lb.thresholds();
        assert_eq!(
            (t.gold_row, t.silver_row, t.bronze_row),
            python_rows(n),
            "n = {n}"
        );
        // Higher is better here and scores are n, n-1, ..., so the row is readable off.
        assert_eq!(t.gold, (n + 1 - t.gold_row) as f64);
    }
}

#[test]
fn rank_compares_exactly_and_round_score_comes_first() {
    // Higher is better; gold at row 1 (19 teams) = 1.0.
    let lb = Leaderboard::from_scores((0..19).map(|i| 1.0 - i as f64 * 0.01).collect()).unwrap();
    assert!(!lb.rank(Some(0.999996)).gold_medal);
    let r = lb.rank(Some(round_score(0.999996)));
    assert_eq!(r.score, Some(1.0));
    assert!(r.gold_medal);
    assert!(!lb.rank(Some(round_score(0.999994))).gold_medal);
}

#[test]
fn equal_first_and_last_rows_mean_higher_is_better() {
    let lb = Leaderboard::from_scores(vec![0.5, 0.7, 0.5]).unwrap();
    assert!(!lb.is_lower_better());
}

#[test]
fn percentile_counts_teams_strictly_beaten() {
    let lb = Leaderboard::from_scores(vec![0.9, 0.8, 0.8, 0.7]).unwrap();
    assert_eq!(lb.rank(Some(0.8)).percentile, Some(25.0));
    assert_eq!(lb.rank(Some(0.95)).percentile, Some(100.0));
    assert_eq!(lb.rank(Some(0.1)).percentile, Some(0.0));
    assert_eq!(lb.rank(None).percentile, None);
    let lower = Leaderboard::from_scores(vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(lower.rank(Some(2.5)).percentile, Some(50.0));
}

#[test]
fn no_score_earns_nothing_but_thresholds_are_reported() {
    let lb = Leaderboard::read(&data("leaderboards/random-acts-of-pizza.csv")).unwrap();
    let r = lb.rank(None);
    assert!(!r.any_medal && !r.above_median);
    assert_eq!(r.gold_threshold, 0.97908);
    assert_eq!(r.median_threshold, 0.5995950000000001);
}

fn write(dir: &tempfile::TempDir, text: &[u8]) -> PathBuf {
    let path = dir.path().join("leaderboard.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn malformed_leaderboards_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let header = "scoreNullable,teamId,hasTeamName,submissionDate,score,hasScore\n";

    let p = write(
        &dir,
        format!("{header}0.9,1,True,2020-01-01,0.9,True\n0.8,2,True,2020-01-01,oops,True\n")
            .as_bytes(),
    );
    let e = Leaderboard::read(&p).unwrap_err();
    assert!(
        matches!(e, LeaderboardError::BadScore { row: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("row 2 (line 3)") && e.to_string().contains("`oops`"),
        "{e}"
    );

    let p = write(
        &dir,
        format!("{header}0.9,1,True,2020-01-01,,True\n").as_bytes(),
    );
    assert!(matches!(
        Leaderboard::read(&p),
        Err(LeaderboardError::BadScore { row: 1, .. })
    ));

    let p = write(&dir, b"teamId,points\n1,0.5\n");
    assert!(matches!(
        Leaderboard::read(&p),
        Err(LeaderboardError::NoScoreColumn { .. })
    ));

    let p = write(&dir, header.as_bytes());
    assert!(matches!(
        Leaderboard::read(&p),
        Err(LeaderboardError::NoTeams { .. })
    ));

    let p = write(&dir, b"");
    assert!(
        Leaderboard::read(&p)
            .unwrap_err()
            .to_string()
            .contains("is empty")
    );

    let p = write(&dir, format!("{header}0.9,1,True\n").as_bytes());
    let e = Leaderboard::read(&p).unwrap_err().to_string();
    assert!(e.contains("data row 1") && e.contains("3 fields"), "{e}");

    assert!(Leaderboard::read(&dir.path().join("absent.csv")).is_err());
    assert!(Leaderboard::from_scores(vec![]).is_none());
    assert!(Leaderboard::from_scores(vec![1.0, f64::NAN]).is_none());
}

#[test]
fn competition_ids_cannot_escape_the_leaderboard_directory() {
    for id in ["../secrets", "a/b", "", ".hidden"] {
        assert!(matches!(
            Leaderboard::for_competition(id),
            Err(LeaderboardError::BadCompetitionId { .. })
        ));
    }
}
