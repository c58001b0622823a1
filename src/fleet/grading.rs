//! Grading a finished run on the controller's side: the agent's best submission against
//! the task's private answers. Private answers never leave the controller.

use std::time::Duration;

use crate::bench::{Competition, Grader, Task};
use crate::grade::{CompetitionReport, ExternalGrader, GradeTask, Leaderboard, grade_submission};

/// How long an external grader may take.
const EXTERNAL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The grade module's view of a competition task.
pub fn grade_task(
    task: &Task,
    comp: &Competition,
    data_dir: Option<&std::path::Path>,
) -> Result<GradeTask, String> {
    let id_column = match &comp.columns {
        Some(c) => c.id.clone(),
        None => crate::grade::CsvTable::read(&comp.sample_submission)
            .map_err(|e| format!("cannot take the id column from the sample submission: {e}"))?
            .headers
            .first()
            .cloned()
            .ok_or_else(|| "the sample submission has no columns".to_string())?,
    };
    let mut gt = GradeTask::new(
        task.id.clone(),
        comp.metric,
        comp.answers.clone(),
        id_column,
    );
    if let Some(c) = &comp.columns {
        gt.target_columns = c.targets.clone();
        gt.options.multilabel = c.multilabel;
    }
    gt.options.metric_k = comp.metric_k;
    gt.lower_is_better = Some(comp.lower_is_better);
    gt.leaderboard = match &comp.leaderboard {
        Some(path) => Some(Leaderboard::read(path).map_err(|e| e.to_string())?),
        None => None,
    };
    if let Grader::External(command) = &comp.grader {
        gt.external = Some(ExternalGrader {
            command: command.clone(),
            timeout: EXTERNAL_TIMEOUT,
            data_dir: data_dir.map(std::path::Path::to_path_buf),
        });
    }
    Ok(gt)
}

/// The competition report of a submission file (absent file: `submission_exists: false`).
pub fn grade_run(
    task: &Task,
    data_dir: Option<&std::path::Path>,
    submission: &std::path::Path,
) -> CompetitionReport {
    let Some(comp) = task.competition() else {
        return failed_report(
            &task.id,
            submission,
            "RE-Bench tasks are scored by their score command, not graded",
        );
    };
    match grade_task(task, comp, data_dir) {
        Ok(gt) => grade_submission(&gt, submission),
        Err(reason) => failed_report(&task.id, submission, &reason),
    }
}

/// A report for a task that could not be graded at all: the reason is kept.
fn failed_report(id: &str, submission: &std::path::Path, reason: &str) -> CompetitionReport {
    CompetitionReport {
        competition_id: id.to_string(),
        score: None,
        gold_threshold: None,
        silver_threshold: None,
        bronze_threshold: None,
        median_threshold: None,
        any_medal: false,
        gold_medal: false,
        silver_medal: false,
        bronze_medal: false,
        above_median: false,
        submission_exists: submission.is_file(),
        valid_submission: false,
        is_lower_better: false,
        created_at: crate::grade::now_isoformat(),
        submission_path: submission.display().to_string(),
        reason: Some(reason.to_string()),
    }
}
