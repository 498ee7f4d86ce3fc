//! The language server, `floe lsp`: diagnostics, hover, definitions, references,
//! rename, completion, symbols, formatting and quick fixes for `.floe` files, over
//! the Language Server Protocol on standard input and output.
//!
//! The server is a thin layer on the compiler: a document store whose buffers stand
//! in for files ([`documents`]), an analysis per open stack built with
//! [`crate::program::load_text`] and [`crate::check_profiles`] ([`analysis`]),
//! and one module per feature. Positions are UTF-16, as the protocol says
//! ([`position`]). The server takes one message at a time; it never panics on
//! input, and answers a request it cannot serve with `null` or an error.
//!
//! Editor set-up is in `docs/editors.md`.

mod actions;
mod analysis;
mod completion;
mod context;
mod diagnostics;
mod documents;
mod hover;
mod navigate;
mod parse_cache;
mod position;
mod query;
mod server;
mod std_files;
mod symbols;

use lsp_server::Connection;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions, OneOf,
    PositionEncodingKind, RenameOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind,
};

/// Serves one client on standard input and output until it says `exit`.
pub fn run_stdio() -> Result<(), String> {
    let (connection, threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    threads.join().map_err(|e| e.to_string())
}

/// Serves one client on a connection: the handshake, then requests until `exit`.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let (id, _params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = lsp_types::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "floe".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    let result = serde_json::to_value(result).map_err(|e| e.to_string())?;
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    server::Server::new(std_files::StdFiles::new(None)).serve(connection);
    Ok(())
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into(), "/".into(), "(".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}
