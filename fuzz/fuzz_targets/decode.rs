//! Arbitrary bytes through the loader's decoding: BOM, NUL bytes, invalid UTF-8. The text it
//! accepts is the input minus a leading BOM; an error points inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenet::load::decode_source_text;

fuzz_target!(|bytes: &[u8]| {
    match decode_source_text(bytes.to_vec(), "tenants/fuzz.yaml") {
        Ok(text) => {
            let expected = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            assert_eq!(text.as_bytes(), expected);
        }
        Err(diagnostic) => {
            let span = diagnostic.span.expect("a decoding error has a position");
            assert!(span.offset <= bytes.len(), "{diagnostic:?}");
            assert!(span.line >= 1 && span.column >= 1, "{diagnostic:?}");
            let _ = diagnostic.to_string();
        }
    }
});
