//! The integration tests: one binary, one module per kind of test data.

mod cli;
mod cluster;
mod compile;
mod data;
mod docs;
mod fmt;
mod limits;
mod lsp;
mod props;
mod support;
mod syntax;
mod tidy;
mod ui;
