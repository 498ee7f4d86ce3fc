//! The integration tests: one binary, one module per kind of test data.

mod compile;
mod docs;
mod support;
mod ui;
