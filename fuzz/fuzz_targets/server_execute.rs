#![no_main]
//! Any bytes as a batch request of any format, run by the executor with an in-memory
//! handler: no panic, and the handler runs nothing that leaves the service (another origin, a
//! way out of its root, a nested batch, Transfer-Encoding).

libfuzzer_sys::fuzz_target!(|data: &[u8]| batchwire_fuzz::server(data));
