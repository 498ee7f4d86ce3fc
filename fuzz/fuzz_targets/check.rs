//! The whole pipeline to diagnostics, with every profile, never panics.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("/fuzz/main.floe");
        let program = floe::program::load_text(&common::NoFiles, path, text.to_string());
        let diagnostics = floe::check_every_profile(&program, &common::NoFiles);
        let options = floe::diagnostic::render::RenderOptions::plain();
        let _ = floe::diagnostic::render::render_all(&diagnostics, &program.sources, options);
    }
});
