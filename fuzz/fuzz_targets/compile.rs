//! A program that checks compiles to objects that serialize to YAML and JSON and
//! read back as their Kubernetes types.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = std::path::Path::new("/fuzz/main.floe");
    let program = floe::program::load_text(&common::NoFiles, path, text.to_string());
    let mut profiles: Vec<Option<String>> = vec![None];
    profiles.extend(floe::check::profile_names(&program).into_iter().map(Some));
    for profile in profiles {
        let compilation = floe::compile(&program, &common::NoFiles, profile.as_deref());
        if compilation.has_errors() {
            continue;
        }
        let yaml = floe::emit::to_yaml(&compilation.objects);
        let json = floe::emit::to_json(&compilation.objects);
        let list: serde_json::Value = serde_json::from_str(&json).expect("JSON output parses");
        let items = list["items"].as_array().expect("a List");
        assert_eq!(items.len(), compilation.objects.len());
        assert_eq!(yaml.matches("---\n").count(), compilation.objects.len());
        if let Some(stack) = &compilation.stack {
            let _ = floe::plan::plan(stack).to_json();
        }
    }
});
