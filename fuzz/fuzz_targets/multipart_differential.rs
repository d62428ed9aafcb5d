#![no_main]
//! A valid batch generated from the input (random boundaries, bodies full of lines that start
//! like a delimiter, changesets, LF or CRLF) reads back as it was generated.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::differential(data));
