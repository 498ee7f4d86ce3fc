//! Formatting is idempotent and never changes the syntax tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = floe::fmt::format(text) else { return };
    let twice = floe::fmt::format(&once).expect("formatted output parses");
    assert_eq!(once, twice, "formatting is not idempotent");
    assert_eq!(tree(text), tree(&once), "formatting changed the tree");
});

/// A syntax tree's debug form with spans erased, to compare trees.
pub fn tree(text: &str) -> String {
    let parsed = floe::syntax::parse(floe::source::FileId(0), text);
    let debug = format!("{:?}", parsed.file.items);
    let mut out = String::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find("Span { ") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find(" }").map_or(after.len(), |e| e + 2);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
