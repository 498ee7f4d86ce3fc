//! `floe compile FILE [--profile P]`: the stack's objects as a YAML stream or a JSON
//! `List` on stdout, or one file per object and a `kustomization.yaml` in a
//! directory (`-o DIR`), which `--check` compares instead of writing.

use std::io::Write;
use std::path::{Path, PathBuf};

use floe::emit::{self, Format, dir};

use super::{Compiled, Error, MessageFormat, Reporter, Result, compiled};

/// Where compiled output goes.
pub struct Target {
    /// The directory of one file per object; stdout when `None`.
    pub output: Option<PathBuf>,
    /// Compare the directory with what would be written, and write nothing.
    pub check: bool,
}

pub fn run(
    path: &Path,
    profile: Option<&str>,
    format: Format,
    target: &Target,
    message_format: MessageFormat,
    reporter: &Reporter,
) -> Result {
    let Compiled { program, stack, .. } = compiled(path, profile, reporter, message_format)?;
    let Some(out) = &target.output else {
        let mut stdout = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        let written = match format {
            Format::Yaml => emit::write_yaml_stream(&stack, &mut stdout),
            Format::Json => stdout.write_all(emit::to_json(&floe::lower::lower(&stack)).as_bytes()),
        };
        let _ = written.and_then(|()| stdout.flush());
        // The process ends here: freeing a large stack's trees one by one would
        // only delay the exit.
        std::mem::forget((program, stack));
        return Ok(());
    };
    let objects = floe::lower::lower(&stack);
    let files = dir::to_files(&objects, format);
    if !target.check {
        dir::write(out, &files, format)?;
        eprintln!("wrote {} objects to {}", objects.len(), out.display());
        return Ok(());
    }
    let differences = dir::compare(out, &files, format);
    if differences.is_empty() {
        eprintln!(
            "{} is up to date ({} objects)",
            out.display(),
            objects.len()
        );
        return Ok(());
    }
    let mut report = format!("{} is out of date:\n", out.display());
    for d in &differences {
        report.push_str(&format!("  {d}\n"));
    }
    report.push_str("run the same command without --check to update it\n");
    let _ = std::io::stderr().lock().write_all(report.as_bytes());
    Err(Error::Reported)
}
