//! Submission validation: against the public sample (the agent's pre-check) and against
//! private answers (grading), with messages that name the column, row and id.

use std::path::PathBuf;

use aide_fleet::grade::{
    CsvTable, MetricKind, SubmissionError, validate_against_answers, validate_against_sample,
};

struct Files(tempfile::TempDir);

impl Files {
    fn new() -> Self {
        Files(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Validates `submission` against a sample with ids 1..=4 and a numeric `target`.
    fn check(&self, submission: impl AsRef<[u8]>) -> Result<(), SubmissionError> {
        let sample = self.write("sample.csv", "id,target\n1,0.5\n2,0.5\n3,0.5\n4,0.5\n");
        let sub = self.write("submission.csv", submission);
        validate_against_sample(&sub, &sample)
    }
}

fn message(r: Result<(), SubmissionError>) -> String {
    r.expect_err("expected the submission to be rejected")
        .to_string()
}

#[test]
fn a_matching_submission_passes_in_any_column_and_row_order() {
    let f = Files::new();
    f.check("id,target\n1,0.1\n2,0.2\n3,0.3\n4,0.4\n").unwrap();
    f.check("target,id\n0.4,4\n0.1,1\n0.3,3\n0.2,2\n").unwrap();
    // pandas reads 3 and 3.0 as the same id; a BOM and CRLF line ends are fine.
    f.check("\u{feff}id,target\r\n1,0\r\n2,1\r\n3.0,1e-3\r\n4, 7 \r\n")
        .unwrap();
}

#[test]
fn column_problems_name_the_columns() {
    let f = Files::new();
    let m = message(f.check("id,prediction\n1,0.1\n2,0.2\n3,0.3\n4,0.4\n"));
    assert!(matches!(
        f.check("id\n1\n2\n3\n4\n"),
        Err(SubmissionError::Columns { .. })
    ));
    assert!(
        m.contains("missing `target`") && m.contains("unexpected `prediction`"),
        "{m}"
    );
    let m = message(f.check("id,target,extra\n1,0.1,x\n2,0.2,x\n3,0.3,x\n4,0.4,x\n"));
    assert!(
        m.contains("unexpected `extra`") && !m.contains("missing"),
        "{m}"
    );
    let m = message(f.check("id,target,target\n1,0.1,0.1\n"));
    assert!(m.contains("names column `target` more than once"), "{m}");
}

#[test]
fn row_count_problems_name_missing_ids() {
    let f = Files::new();
    let r = f.check("id,target\n1,0.1\n2,0.2\n");
    assert!(matches!(
        r,
        Err(SubmissionError::WrongRowCount {
            expected: 4,
            found: 2,
            ..
        })
    ));
    let m = message(r);
    assert!(
        m.contains("2 rows but 4 are expected") && m.contains("`3`, `4`"),
        "{m}"
    );
    let m = message(f.check("id,target\n"));
    assert!(m.contains("0 rows but 4"), "{m}");
}

#[test]
fn duplicate_and_unexpected_ids_are_named() {
    let f = Files::new();
    let r = f.check("id,target\n1,0.1\n2,0.2\n2,0.3\n4,0.4\n");
    assert!(matches!(r, Err(SubmissionError::DuplicateIds { .. })));
    assert!(message(r).contains("id column `id` repeats `2`"));
    let r = f.check("id,target\n1,0.1\n2,0.2\n9,0.3\n10,0.4\n");
    let m = message(r);
    assert!(m.contains("2 expected id(s) are missing (`3`, `4`)"), "{m}");
    assert!(m.contains("2 id(s) are not expected (`9`, `10`)"), "{m}");
}

#[test]
fn value_problems_name_column_row_and_id() {
    let f = Files::new();
    let m = message(f.check("id,target\n1,0.1\n2,high\n3,0.3\n4,0.4\n"));
    assert_eq!(
        m,
        "column `target` must be numeric, but row 2 (id `2`) holds `high`"
    );
    for missing in ["", "NaN", "nan", "NA"] {
        let r = f.check(format!("id,target\n1,0.1\n2,0.2\n3,{missing}\n4,0.4\n"));
        assert!(
            matches!(&r, Err(SubmissionError::MissingValue { row: 3, .. })),
            "{missing}: {r:?}"
        );
    }
    let r = f.check("id,target\n1,0.1\n2,0.2\n3,0.3\n4,inf\n");
    assert!(matches!(r, Err(SubmissionError::NotFinite { row: 4, .. })));
}

#[test]
fn text_columns_take_any_text_but_not_gaps() {
    let f = Files::new();
    let sample = f.write("sample.csv", "id,label\na,cat\nb,cat\n");
    let ok = f.write("ok.csv", "id,label\nb,dog\na,0.5\n");
    validate_against_sample(&ok, &sample).unwrap();
    let gap = f.write("gap.csv", "id,label\na,dog\nb,\n");
    assert!(matches!(
        validate_against_sample(&gap, &sample),
        Err(SubmissionError::MissingValue { .. })
    ));
    // Where the sample itself has empty cells (e.g. empty masks), empty is allowed.
    let sample = f.write("sample2.csv", "id,mask\na,1 3\nb,\n");
    let sub = f.write("sub2.csv", "id,mask\na,\nb,5 2\n");
    validate_against_sample(&sub, &sample).unwrap();
}

#[test]
fn malformed_files_are_errors_not_panics() {
    let f = Files::new();
    let m = message(f.check(""));
    assert!(m.contains("is empty"), "{m}");
    let m = message(f.check("id,target\n1,0.1\n2\n"));
    assert!(
        m.contains("1 fields in data row 2 but the header has 2"),
        "{m}"
    );
    let m = message(f.check(b"id,target\n1,0.1\n2,\xff\xfe\n".as_slice()));
    assert!(m.contains("not valid UTF-8 in data row 2"), "{m}");
    let m = message(f.check(b"\xff,target\n".as_slice()));
    assert!(m.contains("the header row"), "{m}");
    let m = message(f.check("id,target\n1,\"unterminated\n"));
    assert!(!m.is_empty());
    let sample = f.write("sample.csv", "id,target\n1,0.5\n");
    let absent = f.0.path().join("absent.csv");
    let m = validate_against_sample(&absent, &sample)
        .unwrap_err()
        .to_string();
    assert!(
        m.starts_with("the submission cannot be read") && m.contains("absent.csv"),
        "{m}"
    );
    let m = validate_against_sample(&sample, &absent)
        .unwrap_err()
        .to_string();
    assert!(m.starts_with("the sample submission cannot be read"), "{m}");
}

fn table(f: &Files, name: &str, text: &str) -> CsvTable {
    CsvTable::read(&f.write(name, text)).unwrap()
}

#[test]
fn answers_validation_checks_what_the_metric_reads() {
    let f = Files::new();
    let answers = table(&f, "answers.csv", "id,target\n1,0\n2,1\n3,1\n");
    let targets = vec!["target".to_string()];
    let check = |sub: &str, metric| {
        validate_against_answers(&table(&f, "sub.csv", sub), &answers, "id", &targets, metric)
    };
    // Extra columns are ignored; the returned order maps answers rows to submission rows.
    assert_eq!(
        check(
            "extra,target,id\nx,0.9,3\nx,0.1,1\nx,0.5,2\n",
            MetricKind::RocAuc
        )
        .unwrap(),
        vec![1, 2, 0]
    );
    let r = check("id,target\n1,0.1\n2,1.5\n3,0.3\n", MetricKind::RocAuc);
    assert_eq!(
        r.unwrap_err().to_string(),
        "column `target` holds probabilities, which must lie in [0, 1], but row 2 (id `2`) holds 1.5"
    );
    check("id,target\n1,-3\n2,1.5\n3,0.3\n", MetricKind::Rmse).unwrap();
    check("id,target\n1,cat\n2,1\n3,dog\n", MetricKind::Accuracy).unwrap();
    assert!(matches!(
        check("id,target\n1,cat\n2,\n3,dog\n", MetricKind::Accuracy),
        Err(SubmissionError::MissingValue { .. })
    ));
    check("id,target\n1,\n2,a b\n3,c\n", MetricKind::MapAtK).unwrap();
    assert!(matches!(
        check("id\n1\n2\n3\n", MetricKind::Rmse),
        Err(SubmissionError::Columns { .. })
    ));
}

#[test]
fn multiclass_probabilities_must_sum_to_one() {
    let f = Files::new();
    let answers = table(&f, "answers.csv", "id,a,b\n1,1,0\n2,0,1\n");
    let targets = vec!["a".to_string(), "b".to_string()];
    let sub = table(&f, "sub.csv", "id,a,b\n1,0.7,0.3\n2,0.2,0.7\n");
    let e =
        validate_against_answers(&sub, &answers, "id", &targets, MetricKind::LogLoss).unwrap_err();
    assert!(matches!(e, SubmissionError::RowSum { row: 2, .. }), "{e}");
    assert!(e.to_string().contains("row 2 (id `2`) sum to 0.9"), "{e}");
    // numpy's isclose(sum, 1, atol=1e-6) with its default rtol=1e-5: within 1.1e-5 passes.
    let sub = table(&f, "sub.csv", "id,a,b\n1,0.7,0.3\n2,0.19999,0.8\n");
    validate_against_answers(&sub, &answers, "id", &targets, MetricKind::LogLoss).unwrap();
    let sub = table(&f, "sub.csv", "id,a,b\n1,0.7,0.3\n2,0.19998,0.8\n");
    assert!(validate_against_answers(&sub, &answers, "id", &targets, MetricKind::LogLoss).is_err());
}
