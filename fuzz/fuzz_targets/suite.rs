//! A suite file: never a panic, and an accepted suite plans only command lines the agent
//! accepts.
#![no_main]

use std::path::Path;

use aide_fleet::bench::Suite;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let benchmarks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benchmarks");
    if let Ok(suite) = Suite::parse(text, Path::new("suite.yaml"), &benchmarks)
        && let Ok(runs) = aide_fleet::fleet::plan(&suite, &suite.seeds, false)
    {
        for run in runs {
            if let Err(e) = aide_fleet::cli::check_agent_args(&run.agent_args) {
                panic!("accepted suite, refused plan {:?}: {e}", run.agent_args);
            }
        }
    }
});
