//! grade_submission end to end: native metrics through validation and alignment, external
//! graders, leaderboards, and every failure turned into an invalid report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aide_fleet::grade::{
    ExternalGrader, GradeTask, Leaderboard, MetricKind, grade_submission, round_score,
};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn task(&self, metric: MetricKind, answers: &str) -> GradeTask {
        GradeTask::new("comp", metric, self.write("answers.csv", answers), "id")
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn a_valid_submission_is_scored_rounded_and_ranked() {
    let d = Dir::new();
    let mut task = d.task(MetricKind::RocAuc, "id,target\na,0\nb,1\nc,0\nd,1\ne,1\n");
    // Higher is better, 19 teams: gold row 1 (0.9), silver row 3 (0.8), bronze row 7 (0.6).
    let scores = vec![
        0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5, 0.5, 0.5, 0.45, 0.4, 0.4, 0.4, 0.3, 0.2,
        0.1, 0.0,
    ];
    task.leaderboard = Leaderboard::from_scores(scores);
    // Rows in another order; AUC = 5/6 (one positive ranked below one negative).
    let sub = d.write(
        "submission.csv",
        "id,target\ne,0.9\nd,0.8\nc,0.35\nb,0.3\na,0.1\n",
    );
    let r = grade_submission(&task, &sub);
    assert!(r.submission_exists && r.valid_submission, "{:?}", r.reason);
    assert_eq!(r.score, Some(0.83333));
    assert!(r.silver_medal && r.any_medal && !r.gold_medal && !r.bronze_medal && r.above_median);
    assert_eq!(
        (r.gold_threshold, r.median_threshold),
        (Some(0.9), Some(0.5))
    );
    assert!(!r.is_lower_better);
    assert_eq!(r.reason, None);
    assert_eq!(r.competition_id, "comp");
    assert_eq!(r.submission_path, sub.display().to_string());
}

#[test]
fn missing_or_non_csv_submissions_do_not_exist() {
    let d = Dir::new();
    let task = d.task(MetricKind::Rmse, "id,y\n1,2\n");
    let r = grade_submission(&task, &d.0.path().join("nope.csv"));
    assert!(!r.submission_exists && !r.valid_submission && r.score.is_none());
    assert!(r.reason.unwrap().starts_with("no submission file at"));
    let txt = d.write("submission.txt", "id,y\n1,2\n");
    let r = grade_submission(&task, &txt);
    assert!(!r.submission_exists && !r.valid_submission);
    assert!(r.reason.unwrap().contains("is not a .csv file"));
    // MLE-bench accepts any case of the extension.
    let upper = d.write("SUBMISSION.CSV", "id,y\n1,2\n");
    assert!(grade_submission(&task, &upper).valid_submission);
}

#[test]
fn invalid_submissions_keep_thresholds_and_say_why() {
    let d = Dir::new();
    let mut task = d.task(MetricKind::Rmse, "id,y\n1,2\n2,3\n");
    task.leaderboard = Leaderboard::from_scores(vec![1.0, 2.0, 3.0]);
    let r = grade_submission(&task, &d.write("s.csv", "id,y\n1,2\n3,3\n"));
    assert!(r.submission_exists && !r.valid_submission && !r.any_medal && !r.above_median);
    assert_eq!(r.gold_threshold, Some(1.0));
    assert!(r.is_lower_better);
    let reason = r.reason.unwrap();
    assert!(
        reason.starts_with("invalid submission: id column `id` does not hold the expected ids"),
        "{reason}"
    );
    assert!(reason.contains("`2`") && reason.contains("`3`"), "{reason}");
}

#[test]
fn an_undefined_metric_is_an_invalid_report_not_nan() {
    let d = Dir::new();
    let task = d.task(MetricKind::RocAuc, "id,t\n1,1\n2,1\n");
    let r = grade_submission(&task, &d.write("s.csv", "id,t\n1,0.2\n2,0.4\n"));
    assert!(!r.valid_submission && r.score.is_none());
    let reason = r.reason.clone().unwrap();
    assert!(
        reason.contains("ROC AUC is undefined when the truth holds only one class"),
        "{reason}"
    );
    assert!(!r.to_json().contains("NaN"));
}

#[test]
fn unusable_answers_are_reported_as_such() {
    let d = Dir::new();
    let task = d.task(MetricKind::Rmse, "key,y\n1,2\n");
    let r = grade_submission(&task, &d.write("s.csv", "id,y\n1,2\n"));
    assert!(
        r.reason
            .unwrap()
            .contains("the answers file is unusable: it has no id column `id`")
    );
    let mut task = d.task(MetricKind::Rmse, "id,y\n1,2\n");
    task.answers = d.0.path().join("missing-answers.csv");
    let r = grade_submission(&task, &d.write("s.csv", "id,y\n1,2\n"));
    assert!(
        r.reason
            .unwrap()
            .contains("the answers file is unusable: could not read")
    );
}

#[test]
fn each_metric_family_grades_through_the_pipeline() {
    let d = Dir::new();
    let grade = |task: &GradeTask, sub: &str| grade_submission(task, &d.write("s.csv", sub));

    // Two regression columns: the mean of the per-column RMSEs, (1 + 2) / 2.
    let t = d.task(MetricKind::Rmse, "id,a,b\n1,0,0\n2,0,0\n");
    assert!(close(grade(&t, "id,a,b\n1,1,2\n2,-1,-2\n").score, 1.5));

    let t = d.task(MetricKind::Accuracy, "id,label\n1,cat\n2,dog\n3,1\n4,cat\n");
    assert!(close(
        grade(&t, "id,label\n1,cat\n2,cat\n3,1.0\n4,cat\n").score,
        0.75
    ));

    // One-hot answers; 1/3 each everywhere gives ln 3.
    let t = d.task(MetricKind::LogLoss, "id,x,y,z\n1,1,0,0\n2,0,0,1\n");
    let r = grade(
        &t,
        "id,z,y,x\n2,0.333333,0.333334,0.333333\n1,0.333333,0.333333,0.333334\n",
    );
    assert!((r.score.unwrap() - 3f64.ln()).abs() < 1e-5, "{r:?}");
    // Binary log loss from one probability column.
    let t = d.task(MetricKind::LogLoss, "id,p\n1,0\n2,1\n");
    assert_eq!(
        grade(&t, "id,p\n1,0.5\n2,0.5\n").score,
        Some(round_score(std::f64::consts::LN_2))
    );

    let mut t = d.task(MetricKind::MapAtK, "id,tags\n1,a\n2,b c\n");
    t.options.metric_k = Some(5);
    // Row 1: hit at rank 2 -> 1/2; row 2: hits at 1 and 3 -> (1 + 2/3) / 2.
    assert!(close(grade(&t, "id,tags\n1,x a\n2,b x c\n").score, 0.66667));
    t.options.metric_k = None;
    assert!(
        grade(&t, "id,tags\n1,a\n2,b\n")
            .reason
            .unwrap()
            .contains("needs `metric_k`")
    );

    let mut t = d.task(MetricKind::F1Micro, "id,l\n1,a b\n2,c\n");
    t.options.multilabel = true;
    // tp 2 (a, c), fp 1 (d), fn 1 (b): 4 / 6.
    assert!(close(grade(&t, "id,l\n1,a d\n2,c\n").score, 0.66667));

    let mut t = d.task(MetricKind::F1Binary, "id,l\n1,yes\n2,no\n3,yes\n");
    t.options.pos_label = Some("yes".into());
    assert!(close(grade(&t, "id,l\n1,yes\n2,yes\n3,yes\n").score, 0.8));

    let t = d.task(MetricKind::Qwk, "id,r\n1,0\n2,1\n3,2\n");
    assert!(close(grade(&t, "id,r\n1,0\n2,1\n3,2\n").score, 1.0));

    let t = d.task(MetricKind::Rmse, "id,a,b\n1,0,0\n");
    let mut t2 = t.clone();
    t2.metric = MetricKind::RocAuc;
    assert!(
        grade(&t2, "id,a,b\n1,0,0\n")
            .reason
            .unwrap()
            .contains("reads one target column, but the task has 2 (a, b)")
    );
}

#[test]
fn shipped_demo_tasks_grade_their_sample_submissions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/demo");
    for (id, metric, want) in [
        ("demo-binary", MetricKind::RocAuc, Some(0.5)),
        ("demo-multiclass", MetricKind::LogLoss, None),
        ("demo-regression", MetricKind::Rmse, None),
    ] {
        let dir = root.join(id);
        if !dir.is_dir() {
            continue;
        }
        let mut task = GradeTask::new(id, metric, dir.join("prepared/private/answers.csv"), "id");
        task.leaderboard = Some(Leaderboard::read(&dir.join("leaderboard.csv")).unwrap());
        let r = grade_submission(&task, &dir.join("prepared/public/sample_submission.csv"));
        assert!(r.valid_submission, "{id}: {:?}", r.reason);
        assert!(!r.any_medal, "{id}: the sample submission should not medal");
        if let Some(want) = want {
            assert_eq!(r.score, Some(want), "{id}");
        }
    }
}

fn external(d: &Dir, script: &str, timeout: Duration) -> GradeTask {
    let mut task = d.task(MetricKind::External, "id,y\n1,2\n");
    task.external = Some(ExternalGrader {
        command: vec![
            "python3".into(),
            "-c".into(),
            script.into(),
            "{submission}".into(),
            "{answers}".into(),
        ],
        timeout,
        data_dir: None,
    });
    task
}

#[test]
fn external_graders_print_their_score() {
    let d = Dir::new();
    let sub = d.write("s.csv", "id,y\n1,2\n");
    // The placeholders arrive as paths: the score is the number of lines in both files.
    let script = "import sys\nprint('loading')\nprint(sum(len(open(p).read().splitlines()) for p in sys.argv[1:3]) / 8)";
    let r = grade_submission(&external(&d, script, Duration::from_secs(30)), &sub);
    assert_eq!(r.score, Some(0.5), "{:?}", r.reason);
    let r = grade_submission(
        &external(
            &d,
            "print('{\"score\": 0.123456, \"n\": 1}')",
            Duration::from_secs(30),
        ),
        &sub,
    );
    assert_eq!(r.score, Some(0.12346), "{:?}", r.reason);
}

#[test]
fn external_grader_failures_become_invalid_reports() {
    let d = Dir::new();
    let sub = d.write("s.csv", "id,y\n1,2\n");
    let secs = Duration::from_secs(30);

    let r = grade_submission(
        &external(
            &d,
            "import sys\nsys.stderr.write('boom: bad column\\n')\nsys.exit(3)",
            secs,
        ),
        &sub,
    );
    let reason = r.reason.unwrap();
    assert!(!r.valid_submission && r.submission_exists);
    assert!(
        reason.contains("exit status: 3") && reason.contains("boom: bad column"),
        "{reason}"
    );

    let r = grade_submission(&external(&d, "print('all good')", secs), &sub);
    assert!(r.reason.unwrap().contains("printed no score"));

    let r = grade_submission(&external(&d, "print(float('nan'))", secs), &sub);
    assert!(r.reason.unwrap().contains("not a finite number"));

    let started = std::time::Instant::now();
    let script = "import sys, time\nsys.stderr.write('still working\\n'); sys.stderr.flush()\ntime.sleep(60)";
    let r = grade_submission(&external(&d, script, Duration::from_millis(1500)), &sub);
    let reason = r.reason.unwrap();
    assert!(
        reason.contains("did not finish within") && reason.contains("still working"),
        "{reason}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));

    let mut task = external(&d, "print(1)", secs);
    task.external.as_mut().unwrap().command = vec!["/nonexistent/grader".into()];
    assert!(
        grade_submission(&task, &sub)
            .reason
            .unwrap()
            .contains("could not start `/nonexistent/grader`")
    );

    task.external = None;
    assert!(
        grade_submission(&task, &sub)
            .reason
            .unwrap()
            .contains("names no grader command")
    );
}

#[test]
fn an_overflowing_metric_is_invalid_not_infinite() {
    let d = Dir::new();
    let t = d.task(MetricKind::Rmse, "id,y\n1,1e300\n");
    let r = grade_submission(&t, &d.write("s.csv", "id,y\n1,-1e300\n"));
    assert!(!r.valid_submission);
    assert!(r.reason.unwrap().contains("not a finite number"));
}
