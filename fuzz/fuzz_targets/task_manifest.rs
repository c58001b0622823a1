//! A demo task.yaml (first byte even) or an RE-Bench manifest (odd): never a panic.
#![no_main]

use std::sync::LazyLock;

use aide_fleet::bench::demo::DemoTaskFile;
use aide_fleet::bench::rebench::ReManifest;
use libfuzzer_sys::fuzz_target;

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        let task = DIR.path().join("demo-binary");
        std::fs::create_dir_all(&task).unwrap();
        std::fs::write(task.join("task.yaml"), text).unwrap();
        let _ = DemoTaskFile::load(&task.join("task.yaml"));
    } else {
        let path = DIR.path().join("triton-cumsum.yaml");
        std::fs::write(&path, text).unwrap();
        let _ = ReManifest::load(&path);
    }
});
