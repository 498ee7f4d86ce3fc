//! Parsing never fails, panics or hangs, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = floe::syntax::parse(floe::source::FileId(0), text);
        // Spans stay inside the text.
        for d in &parsed.diagnostics {
            if let Some(span) = d.span {
                assert!(span.start <= span.end && span.end as usize <= text.len());
            }
        }
    }
});
