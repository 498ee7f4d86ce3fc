//! A directory of manifests, one file per object (`floe compile -o DIR`): the files'
//! names, writing them, and comparing a directory with what would be written
//! (`--check`). The names are made and recognised here only.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::{Format, write_yaml};
use crate::lower::{self, Object};

/// The file that lists the objects' files for kustomize (`kubectl apply -k DIR`,
/// Flux's `Kustomization`, Argo CD's kustomize source). floe writes it with the
/// objects and replaces it each time.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// One file per object, by file name: `RANK-KIND-NAME.EXT`, and [`KUSTOMIZATION`]
/// listing them. The rank prefix keeps the files in apply order for
/// `kubectl apply -f DIR`, and does not change when objects are added.
pub fn to_files(objects: &[Object], format: Format) -> BTreeMap<String, String> {
    let mut files = object_files(objects, format);
    let kustomization = kustomization(files.keys());
    files.insert(KUSTOMIZATION.to_string(), kustomization);
    files
}

/// A kustomization of the files, in apply order.
fn kustomization<'a>(files: impl Iterator<Item = &'a String>) -> String {
    let mut out = String::from(
        "# Written by `floe compile -o`: every object of the stack, in apply order.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\n\
         kind: Kustomization\n\
         resources:\n",
    );
    for file in files {
        out.push_str(&format!("- {file}\n"));
    }
    out
}

fn object_files(objects: &[Object], format: Format) -> BTreeMap<String, String> {
    objects
        .iter()
        .map(|object| {
            let text = match format {
                Format::Yaml => {
                    let mut out = String::new();
                    write_yaml(&mut out, object);
                    out
                }
                Format::Json => {
                    let mut out = serde_json::to_string_pretty(object).unwrap_or_default();
                    out.push('\n');
                    out
                }
            };
            (file_name(object, format), text)
        })
        .collect()
}

fn file_name(object: &Object, format: Format) -> String {
    format!(
        "{}-{}-{}.{}",
        object.rank(),
        object.kind().to_ascii_lowercase(),
        object.name(),
        format.extension()
    )
}

/// Whether `name` is a name [`file_name`] gives in `format`: the rank and kind of
/// an object floe makes ([`lower::KINDS`]), then a name. Only such a file (and
/// [`KUSTOMIZATION`], which is always written) is floe's to replace or remove; any
/// other file in the directory is left alone.
fn is_file_name(name: &str, format: Format) -> bool {
    let Some(stem) = name
        .strip_suffix(format.extension())
        .and_then(|s| s.strip_suffix('.'))
    else {
        return false;
    };
    lower::KINDS.iter().any(|(rank, kind)| {
        stem.strip_prefix(&format!("{rank}-{}-", kind.to_ascii_lowercase()))
            .is_some_and(|object| !object.is_empty())
    })
}

/// The files in `dir` that floe wrote in `format`, sorted.
fn written_files(dir: &Path, format: Format) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| is_file_name(n, format))
        .collect();
    names.sort();
    names
}

/// What could not be done to which path.
#[derive(Debug)]
pub struct Error {
    action: &'static str,
    pub path: PathBuf,
    pub error: io::Error,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for Error {}

fn at(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |error| Error {
        action,
        path,
        error,
    }
}

/// Writes `files` into `dir` (made when missing) and removes the files floe wrote
/// there before in the same format that are not among them. A file whose text is
/// already right is not written again, so its modification time stays.
pub fn write(dir: &Path, files: &BTreeMap<String, String>, format: Format) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(at("create", dir))?;
    for stale in written_files(dir, format) {
        if !files.contains_key(&stale) {
            let path = dir.join(&stale);
            std::fs::remove_file(&path).map_err(at("remove", &path))?;
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == *text);
        if !unchanged {
            std::fs::write(&path, text).map_err(at("write", &path))?;
        }
    }
    Ok(())
}

/// How a directory differs from what [`write`] would make of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// The file is there with other text.
    Changed(String),
    /// The file is not there.
    Missing(String),
    /// A file floe wrote for an object that is gone; writing removes it.
    Stale(String),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Changed(name) => write!(f, "changed: {name}"),
            Difference::Missing(name) => write!(f, "missing: {name}"),
            Difference::Stale(name) => write!(f, "stale:   {name}"),
        }
    }
}

/// Every way `dir` differs from `files` written in `format`, in file order: empty
/// when it is up to date. Nothing is written.
pub fn compare(dir: &Path, files: &BTreeMap<String, String>, format: Format) -> Vec<Difference> {
    let mut differences = Vec::new();
    for (name, text) in files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(old) if old == *text => {}
            Ok(_) => differences.push(Difference::Changed(name.clone())),
            Err(_) => differences.push(Difference::Missing(name.clone())),
        }
    }
    for stale in written_files(dir, format) {
        if !files.contains_key(&stale) {
            differences.push(Difference::Stale(stale));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_names_floe_gives_are_its_files() {
        for name in [
            "0-namespace-demo.yaml",
            "4-statefulset-db.yaml",
            "6-job-seed-demo-bronze-orders.yaml",
        ] {
            assert!(is_file_name(name, Format::Yaml), "{name}");
        }
        for name in [
            "kustomization.yaml",
            "10-values-prod.yaml",
            "2024-notes-q1.yaml",
            "00-namespace-demo.yaml",
            "3-job-x.yaml",
            "4-crd-extra.yaml",
            "README.md",
            "0-namespace-demo.json",
            "0-namespace-.yaml",
            "x-namespace-demo.yaml",
            "0-Namespace-demo.yaml",
            "0-namespace.yaml",
            "0-namespace-demo.yaml.orig",
        ] {
            assert!(!is_file_name(name, Format::Yaml), "{name}");
        }
    }

    /// Every file of every profile of the demo is one floe recognises as its own, so
    /// writing again replaces it and removes it when its object is gone.
    #[test]
    fn every_file_floe_writes_is_its_own() {
        use crate::program::{self, RealFs};
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo.floe");
        let Ok(program) = program::load(&RealFs, &path) else {
            panic!("the demo loads");
        };
        let mut kinds = std::collections::BTreeSet::new();
        for profile in [None, Some("local"), Some("production")] {
            let Some(stack) = crate::check::check(&program, &RealFs, profile).stack else {
                panic!("the demo checks");
            };
            let objects = crate::lower::lower(&stack);
            kinds.extend(objects.iter().map(Object::kind));
            for format in [Format::Yaml, Format::Json] {
                for name in object_files(&objects, format).keys() {
                    assert!(is_file_name(name, format), "{name}");
                }
            }
        }
        assert_eq!(kinds.len(), lower::KINDS.len(), "{kinds:?}");
    }

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect()
    }

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn writing_removes_stale_manifests_and_nothing_else() -> Result {
        let dir = tempfile::tempdir()?;
        let deploy = dir.path().join("deploy");
        let first = files(&[("0-namespace-a.yaml", "a\n"), ("3-secret-s.yaml", "s\n")]);
        write(&deploy, &first, Format::Yaml)?;
        std::fs::write(deploy.join("README.md"), "mine\n")?;
        std::fs::write(deploy.join("3-secret-s.json"), "{}\n")?;

        let second = files(&[
            ("0-namespace-a.yaml", "a\n"),
            ("4-deployment-d.yaml", "d\n"),
        ]);
        assert_eq!(
            compare(&deploy, &second, Format::Yaml),
            vec![
                Difference::Missing("4-deployment-d.yaml".into()),
                Difference::Stale("3-secret-s.yaml".into()),
            ]
        );
        write(&deploy, &second, Format::Yaml)?;
        let mut left: Vec<String> = std::fs::read_dir(&deploy)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "0-namespace-a.yaml",
                "3-secret-s.json",
                "4-deployment-d.yaml",
                "README.md"
            ]
        );
        assert!(compare(&deploy, &second, Format::Yaml).is_empty());

        std::fs::write(deploy.join("0-namespace-a.yaml"), "edited\n")?;
        assert_eq!(
            compare(&deploy, &second, Format::Yaml),
            vec![Difference::Changed("0-namespace-a.yaml".into())]
        );
        Ok(())
    }

    #[test]
    fn an_error_names_what_failed_and_where() -> Result {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("plain-file");
        std::fs::write(&file, "")?;
        let Err(error) = write(&file, &files(&[]), Format::Yaml) else {
            panic!("a file is taken for a directory");
        };
        let text = error.to_string();
        assert!(
            text.starts_with(&format!("cannot create {}: ", file.display())),
            "{text}"
        );
        Ok(())
    }
}
