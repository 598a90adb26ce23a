//! libFuzzer target: `sonde::fuzzing::config_file` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sonde::fuzzing::config_file(data));
