#![no_main]
//! A batch made from the fuzzer's bytes, written in a dialect the first byte picks, reads
//! back strictly to the same operations.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::write_round_trip(data));
