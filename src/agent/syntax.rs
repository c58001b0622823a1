//! Which code blocks compile as Python, asked of the interpreter that will run them (so
//! the answer follows its version's grammar), as AIDE keeps only the blocks that compile.
//! `compile` parses without executing, and runs with the interpreter's scrubbed
//! environment and in the scripts' sandbox all the same.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::interpreter::Interpreter;

/// Parsing a few hundred lines takes milliseconds; this bounds a pathological block.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

const CHECKER: &str = r#"
import json, sys
out = []
for source in json.load(sys.stdin):
    try:
        compile(source, "runfile.py", "exec")
        out.append(True)
    except Exception:
        out.append(False)
print(json.dumps(out))
"#;

/// For each block, whether it compiles; an error when the check itself could not run.
pub async fn compiles(interpreter: &Interpreter, blocks: &[&str]) -> Result<Vec<bool>, String> {
    if blocks.is_empty() {
        return Ok(Vec::new());
    }
    let run = check(interpreter, blocks);
    let verdicts = tokio::time::timeout(CHECK_TIMEOUT, run)
        .await
        .map_err(|_| format!("the syntax check took over {CHECK_TIMEOUT:?}"))??;
    if verdicts.len() == blocks.len() {
        Ok(verdicts)
    } else {
        Err(format!(
            "the syntax check answered {} verdicts for {} blocks",
            verdicts.len(),
            blocks.len()
        ))
    }
}

async fn check(interpreter: &Interpreter, blocks: &[&str]) -> Result<Vec<bool>, String> {
    let python = interpreter.python();
    let input = serde_json::to_vec(blocks).map_err(|e| e.to_string())?;
    // -I -S: no site packages or user environment to load; `compile` needs neither.
    let mut cmd = tokio::process::Command::new(python);
    cmd.args(["-I", "-S", "-c"])
        .arg(CHECKER)
        .env_clear()
        .envs(interpreter.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // The model's code is untrusted even when only compiled: the script's own sandbox.
    interpreter
        .sandbox()
        .confine(&mut cmd)
        .map_err(|e| e.to_string())?;
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", python.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for the syntax check")?;
    // Writing and reading at once: a large input must not wait on a full output pipe.
    let write = async move {
        let written = stdin.write_all(&input).await;
        drop(stdin);
        written
    };
    let (written, output) = tokio::join!(write, child.wait_with_output());
    let output = output.map_err(|e| e.to_string())?;
    written.map_err(|e| format!("could not send the code to the syntax check: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the syntax check exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the syntax check printed no verdicts: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ExecConfig;

    #[tokio::test]
    async fn each_block_is_judged_on_its_own() {
        let interpreter = Interpreter::new(&ExecConfig::default());
        let blocks = [
            "import os\nprint(os.getcwd())",
            "def f(:\n    pass",
            "x = 1\n  y = 2",
            "s = 'nul \0 byte'",
            "",
        ];
        let verdicts = compiles(&interpreter, &blocks).await.unwrap();
        assert_eq!(verdicts, [true, false, false, false, true]);
    }

    #[tokio::test]
    async fn compiling_does_not_run_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let code = format!("open({:?}, 'w').write('x')", marker.display().to_string());
        let verdicts = compiles(&Interpreter::new(&ExecConfig::default()), &[&code])
            .await
            .unwrap();
        assert_eq!(verdicts, [true]);
        assert!(!marker.exists());
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_an_error_not_a_verdict() {
        let cfg = ExecConfig {
            python: Some("/nonexistent/python".into()),
            ..ExecConfig::default()
        };
        let err = compiles(&Interpreter::new(&cfg), &["x = 1"])
            .await
            .unwrap_err();
        assert!(err.contains("/nonexistent/python"), "{err}");
    }
}
