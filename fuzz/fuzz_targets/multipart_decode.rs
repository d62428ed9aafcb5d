#![no_main]
//! Whole-buffer multipart decode; the first byte picks the options.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::decode_whole(data));
