//! Arbitrary bytes as one file, `tenants/fuzz.yaml`, through the whole pipeline: as the loader
//! decodes them when it accepts them, and always also decoded lossily, so that every input
//! reaches the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenet::load::decode_source_text;
use tenet_fuzz::exercise_text;

fuzz_target!(|bytes: &[u8]| {
    match decode_source_text(bytes.to_vec(), "tenants/fuzz.yaml") {
        Ok(text) => exercise_text(&text),
        Err(_) => exercise_text(&String::from_utf8_lossy(bytes)),
    }
});
