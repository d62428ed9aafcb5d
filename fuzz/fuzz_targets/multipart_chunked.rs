#![no_main]
//! Incremental vs whole-buffer decode; the first byte picks the options, the second the
//! chunk size.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::decode_chunked(data));
