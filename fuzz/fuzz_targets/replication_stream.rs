//! libFuzzer target: `sonde::fuzzing::replication_stream` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sonde::fuzzing::replication_stream(data));
