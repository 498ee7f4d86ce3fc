//! `floe explain CODE`: the page of an error code (`docs/errors/CODE.md`).

use floe::diagnostic::Code;

use super::{Error, Result};

pub fn run(code: &str) -> Result {
    let Some(code) = Code::parse(code) else {
        return Err(Error::usage(format!("`{code}` is not a floe error code"))
            .help("codes look like `E0201` or `W0001`; they are printed with every diagnostic"));
    };
    print!("{}", code.explanation());
    Ok(())
}
