//! libFuzzer target: `sonde::fuzzing::resp_decode` (see docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sonde::fuzzing::resp_decode(data));
