//! `floe check FILE [--profile P]`: the diagnostics of a stack, without a profile and
//! with each of its profiles, or with one. With one profile and no errors, it also
//! lists the secret values a run reads from its environment: the Secret keys that
//! must exist in the cluster when the compiled files are applied without `floe run`.

use std::io::Write;
use std::path::Path;

use floe::data::sql::DuckDbValidator;
use floe::diagnostic::Diagnostic;
use floe::model::Stack;
use floe::program::RealFs;

use super::{Compiled, Error, MessageFormat, Reporter, Result, compiled, load};

pub fn run(
    path: &Path,
    profile: Option<&str>,
    format: MessageFormat,
    reporter: &Reporter,
) -> Result {
    let Some(profile) = profile else {
        let program = load(path, reporter, format)?;
        let sql = DuckDbValidator::new();
        let checks = floe::check_profiles_with(&program, &RealFs, Some(&sql));
        reporter.diagnostics(
            &checks.diagnostics,
            &program.sources,
            format,
            &checks.secret_spans,
        );
        return match checks.diagnostics.iter().any(Diagnostic::is_error) {
            true => Err(Error::Reported),
            false => Ok(()),
        };
    };
    let Compiled { stack, .. } = compiled(path, Some(profile), reporter, format)?;
    if format == MessageFormat::Human {
        let _ = std::io::stdout()
            .lock()
            .write_all(env_keys(&stack).as_bytes());
    }
    Ok(())
}

/// `SECRET KEY  from $VAR`, a line per value a run reads from its environment.
fn env_keys(stack: &Stack) -> String {
    let keys: Vec<_> = stack.env_keys().collect();
    if keys.is_empty() {
        return String::new();
    }
    let profile = stack.profile.as_deref().unwrap_or_default();
    let mut out = format!(
        "secret values from the environment (floe run --profile {profile} reads them; \
         applied without it, these Secret keys must exist in namespace `{}`):\n",
        stack.namespace
    );
    let width = keys
        .iter()
        .map(|(secret, key, _)| secret.name.len() + key.key.len() + 1)
        .max()
        .unwrap_or(0);
    for (secret, key, var) in keys {
        let name = format!("{} {}", secret.name, key.key);
        out.push_str(&format!("  {name:<width$}  from ${var}\n"));
    }
    out
}
