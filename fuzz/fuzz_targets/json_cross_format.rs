#![no_main]
//! Any batch a JSON reader accepts, written as multipart (lenient writing) and read back,
//! keeps its ids, methods, targets, statuses and bodies, or the report names the change.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::cross_format(data));
