//! A duration as flags, suites and manifests write it: never a panic, never over the
//! maximum, always a valid deadline.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(d) = aide_fleet::duration::parse(&text) {
        assert!(d <= aide_fleet::duration::MAX);
        assert!(std::time::Instant::now().checked_add(d).is_some());
    }
});
