//! libFuzzer target: `sonde::fuzzing::rdb_summary` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sonde::fuzzing::rdb_summary(data));
