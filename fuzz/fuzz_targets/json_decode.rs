#![no_main]
//! Every JSON format's decoder; the first byte picks the format and the mode. A decoded
//! batch written back in its format reads back the same.

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::json_round_trip(data));
