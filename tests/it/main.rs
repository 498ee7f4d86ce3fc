//! The integration tests: one binary, one module per kind of test data.

mod compile;
mod support;
mod ui;
