//! The parser reads every text as the normative grammar does (`grammar/floe.pest`
//! read by pest): the same tree, spans and diagnostics, or both reject it.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/oracle/mod.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(difference) = oracle::agree(text)
    {
        panic!("{difference}");
    }
});
