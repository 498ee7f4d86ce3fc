//! `floe lsp`: the language server on standard input and output.

use super::{Error, Result};

pub fn run() -> Result {
    floe::lsp::run_stdio().map_err(|e| Error::new(format!("the language server stopped: {e}")))
}
