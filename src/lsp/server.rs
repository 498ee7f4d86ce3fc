//! The server's state and its message loop.
//!
//! Every open document that declares a stack is a *root*: the main file of a program,
//! analysed after each change. A document without a stack (a module) is analysed
//! through the roots that import it, or as a root of its own when none is open.
//! Changes are applied at once but analysed in a batch when no message is waiting, so
//! a burst of keystrokes costs one analysis; a request is answered after the
//! analyses it may depend on. Each file's diagnostics are the union of what every
//! root says about it.
//!
//! The loop never stops on a bad request: unknown documents, positions out of range
//! and files outside a project get an empty answer or an error response.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::rc::Rc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification, request};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::analysis::{Analysis, View};
use super::documents::{Documents, Overlay};
use super::parse_cache::ParseCache;
use super::std_files::StdFiles;
use super::{actions, completion, diagnostics, hover, navigate, symbols};
use crate::SqlValidator;
use crate::syntax::starts_item;
use lsp_types::Url;

pub struct Server {
    documents: Documents,
    cache: ParseCache,
    std: StdFiles,
    /// Check queries are verified as `floe check` verifies them (with DuckDB, in a
    /// build with the data engine).
    sql: Option<Box<dyn SqlValidator>>,
    /// The analysis of each root document.
    roots: HashMap<Url, Rc<Analysis>>,
    /// For each document, the last analysis in which it parsed.
    last_good: HashMap<Url, Rc<Analysis>>,
    /// Analyses of standard modules opened on their own.
    std_analyses: HashMap<Url, Rc<Analysis>>,
    /// What each root says about each file: file → root → diagnostics.
    published: HashMap<Url, HashMap<Url, Vec<lsp_types::Diagnostic>>>,
    /// Documents changed since the last analysis.
    dirty: BTreeSet<Url>,
    outbox: Vec<Message>,
    /// Roots closed since the last analysis: what they said is withdrawn after the
    /// modules they covered have been analysed, so that no empty list flickers.
    closed: Vec<Url>,
    /// Analyses replaced by newer ones: dropping a large program takes milliseconds,
    /// so it waits until the diagnostics are sent.
    retired: Vec<Rc<Analysis>>,
}

#[cfg(feature = "run")]
fn sql_validator() -> Option<Box<dyn SqlValidator>> {
    Some(Box::new(crate::data::sql::DuckDbValidator::new()))
}

#[cfg(not(feature = "run"))]
fn sql_validator() -> Option<Box<dyn SqlValidator>> {
    None
}

/// Whether the loop goes on.
enum Flow {
    Continue,
    Exit,
}

impl Server {
    pub fn new(std: StdFiles) -> Server {
        Server {
            documents: Documents::default(),
            cache: ParseCache::default(),
            std,
            sql: sql_validator(),
            roots: HashMap::new(),
            last_good: HashMap::new(),
            std_analyses: HashMap::new(),
            published: HashMap::new(),
            dirty: BTreeSet::new(),
            outbox: Vec::new(),
            retired: Vec::new(),
            closed: Vec::new(),
        }
    }

    /// Serves until the `exit` notification or the end of the input.
    pub fn serve(&mut self, connection: &Connection) {
        while let Ok(message) = connection.receiver.recv() {
            let mut flow = self.handle(message);
            while matches!(flow, Flow::Continue)
                && let Ok(message) = connection.receiver.try_recv()
            {
                self.send_all(connection);
                flow = self.handle(message);
            }
            if matches!(flow, Flow::Exit) {
                break;
            }
            self.analyse();
            self.send_all(connection);
            self.retired.clear();
        }
    }

    fn send_all(&mut self, connection: &Connection) {
        for message in self.outbox.drain(..) {
            let _ = connection.sender.send(message);
        }
    }

    fn handle(&mut self, message: Message) -> Flow {
        match message {
            Message::Request(request) => {
                self.analyse();
                let response = self.request(request);
                self.outbox.push(Message::Response(response));
            }
            Message::Notification(n) if n.method == notification::Exit::METHOD => {
                return Flow::Exit;
            }
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => {}
        }
        Flow::Continue
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                {
                    let doc = p.text_document;
                    self.documents.open(doc.uri.clone(), doc.text, doc.version);
                    self.dirty.insert(doc.uri);
                }
            }
            notification::DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                {
                    let uri = p.text_document.uri;
                    self.documents
                        .change(&uri, p.text_document.version, p.content_changes);
                    self.dirty.insert(uri);
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                {
                    self.close(&p.text_document.uri);
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, uri: &Url) {
        self.documents.close(uri);
        self.last_good.remove(uri);
        self.std_analyses.remove(uri);
        if let Some(old) = self.roots.remove(uri) {
            // The modules it covered may be roots of their own now.
            let open: Vec<Url> = old
                .files()
                .filter(|(_, u)| self.documents.get(u).is_some())
                .map(|(_, u)| u.clone())
                .collect();
            self.dirty.extend(open);
            self.closed.push(uri.clone());
            self.retired.push(old);
        }
        // The roots that import it read the file from disk now.
        self.dirty.insert(uri.clone());
    }

    fn overlay(&self) -> Overlay<'_> {
        Overlay {
            documents: &self.documents,
            cache: &self.cache,
        }
    }

    /// Loads and checks the program whose main file is `uri`, with `text` for it.
    fn new_analysis(&self, uri: &Url, path: &Path, text: String) -> Rc<Analysis> {
        Rc::new(Analysis::new(
            uri,
            path,
            text,
            &self.overlay(),
            &self.std,
            self.sql.as_deref(),
        ))
    }

    /// Analyses the roots that changed documents belong to.
    fn analyse(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut todo: BTreeSet<Url> = BTreeSet::new();
        // The standard library's files are embedded: editing their buffers changes
        // nothing.
        for uri in dirty.iter().filter(|u| self.std.name_of(u).is_none()) {
            for (root, analysis) in &self.roots {
                if analysis.file_of(uri).is_some() {
                    todo.insert(root.clone());
                }
            }
            if self.documents.get(uri).is_some() {
                todo.insert(uri.clone());
            }
        }
        // Roots that declare a stack first: they decide which modules they cover.
        let (stacks, modules): (Vec<Url>, Vec<Url>) =
            todo.into_iter().partition(|uri| self.declares_stack(uri));
        for uri in stacks.iter().chain(&modules) {
            self.analyse_root(uri);
        }
        for uri in std::mem::take(&mut self.closed) {
            // Unless it was opened again in the meantime.
            if !self.roots.contains_key(&uri) {
                self.publish_root(&uri, None);
            }
        }
    }

    fn declares_stack(&self, uri: &Url) -> bool {
        self.documents.get(uri).is_some_and(|d| {
            d.text
                .lines()
                .any(|line| starts_item(line) && line.split_whitespace().next() == Some("stack"))
        })
    }

    /// Whether an open stack other than `uri` imports it.
    fn covered(&self, uri: &Url) -> bool {
        self.roots
            .iter()
            .any(|(root, a)| root != uri && a.has_stack() && a.file_of(uri).is_some())
    }

    fn analyse_root(&mut self, uri: &Url) {
        let Some(doc) = self.documents.get(uri) else {
            return;
        };
        let Some(path) = doc.path.clone() else {
            return;
        };
        if !self.declares_stack(uri) && self.covered(uri) {
            if self.roots.remove(uri).is_some() {
                self.publish_root(uri, None);
            }
            return;
        }
        let text = doc.text.clone();
        let analysis = self.new_analysis(uri, &path, text);
        self.remember_good(&analysis);
        self.publish_root(uri, Some(&analysis));
        if let Some(old) = self.roots.insert(uri.clone(), analysis) {
            self.retired.push(old);
        }
    }

    /// Keeps the analysis for each open document of it that parsed.
    fn remember_good(&mut self, analysis: &Rc<Analysis>) {
        for (file, uri) in analysis.files() {
            if self.documents.get(uri).is_some() && !analysis.has_syntax_errors(file) {
                let old = self.last_good.insert(uri.clone(), analysis.clone());
                self.retired.extend(old);
            }
        }
    }

    /// Replaces what a root says about its files, and publishes the files it touched.
    fn publish_root(&mut self, root: &Url, analysis: Option<&Analysis>) {
        let std = &self.std;
        let mut new = match analysis {
            Some(a) => diagnostics::by_file(a, root, &|u| std.name_of(u).is_some()),
            None => HashMap::new(),
        };
        let mut files: BTreeSet<Url> = new.keys().cloned().collect();
        for (file, by_root) in &self.published {
            if by_root.contains_key(root) {
                files.insert(file.clone());
            }
        }
        for file in files {
            let by_root = self.published.entry(file.clone()).or_default();
            match new.remove(&file) {
                Some(list) => by_root.insert(root.clone(), list),
                None => by_root.remove(root),
            };
            let mut merged: Vec<lsp_types::Diagnostic> = Vec::new();
            let mut roots: Vec<&Url> = by_root.keys().collect();
            roots.sort();
            for r in roots {
                for d in by_root.get(r).into_iter().flatten() {
                    if !merged.contains(d) {
                        merged.push(d.clone());
                    }
                }
            }
            let version = self.documents.get(&file).map(|d| d.version);
            self.notify::<notification::PublishDiagnostics>(lsp_types::PublishDiagnosticsParams {
                uri: file,
                diagnostics: merged,
                version,
            });
        }
    }

    fn notify<N: lsp_types::notification::Notification>(&mut self, params: N::Params) {
        self.outbox.push(Message::Notification(Notification::new(
            N::METHOD.to_string(),
            params,
        )));
    }

    /// The analysis to answer questions about a document from.
    fn view(&mut self, uri: &Url) -> Option<View> {
        let current = self.documents.get(uri)?.text.clone();
        let analysis = self.analysis_of(uri)?;
        let file = analysis.file_of(uri)?;
        let analysis = match self.last_good.get(uri) {
            Some(good) if analysis.has_syntax_errors(file) => good.clone(),
            _ => analysis,
        };
        let file = analysis.file_of(uri)?;
        Some(View::new(analysis, file, uri.clone(), current))
    }

    fn analysis_of(&mut self, uri: &Url) -> Option<Rc<Analysis>> {
        if let Some(a) = self.roots.get(uri) {
            return Some(a.clone());
        }
        let mut including: Vec<(&Url, &Rc<Analysis>)> = self
            .roots
            .iter()
            .filter(|(_, a)| a.file_of(uri).is_some())
            .collect();
        including.sort_by_key(|(root, a)| (!a.has_stack(), (*root).clone()));
        if let Some((_, a)) = including.first() {
            return Some((*a).clone());
        }
        self.std_analysis(uri)
    }

    /// A standard module opened on its own, analysed as the main file.
    fn std_analysis(&mut self, uri: &Url) -> Option<Rc<Analysis>> {
        if let Some(a) = self.std_analyses.get(uri) {
            return Some(a.clone());
        }
        let name = self.std.name_of(uri)?;
        let path = uri.to_file_path().ok()?;
        let text = crate::stdlib::source(name)?.to_string();
        let analysis = self.new_analysis(uri, &path, text);
        self.std_analyses.insert(uri.clone(), analysis.clone());
        Some(analysis)
    }

    fn other_analyses(&self) -> Vec<Rc<Analysis>> {
        let mut roots: Vec<(&Url, &Rc<Analysis>)> = self.roots.iter().collect();
        roots.sort_by_key(|(uri, _)| (*uri).clone());
        roots.into_iter().map(|(_, a)| a.clone()).collect()
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            request::Shutdown::METHOD => Ok(serde_json::Value::Null),
            request::HoverRequest::METHOD => self.call(request, Self::hover),
            request::GotoDefinition::METHOD => self.call(request, Self::definition),
            request::References::METHOD => self.call(request, Self::references),
            request::PrepareRenameRequest::METHOD => self.call(request, Self::prepare_rename),
            request::Rename::METHOD => self.call(request, Self::rename),
            request::Completion::METHOD => self.call(request, Self::completion),
            request::DocumentSymbolRequest::METHOD => self.call(request, Self::symbols),
            request::Formatting::METHOD => self.call(request, Self::format),
            request::CodeActionRequest::METHOD => self.call(request, Self::code_actions),
            other => Err(Failure(
                ErrorCode::MethodNotFound,
                format!("floe does not handle `{other}`"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(Failure(code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn call<P: DeserializeOwned, R: Serialize>(
        &mut self,
        request: Request,
        handler: fn(&mut Self, P) -> Result<R, Failure>,
    ) -> Result<serde_json::Value, Failure> {
        let params = serde_json::from_value::<P>(request.params)
            .map_err(|e| Failure(ErrorCode::InvalidParams, e.to_string()))?;
        let result = handler(self, params)?;
        serde_json::to_value(result).map_err(|e| Failure(ErrorCode::InternalError, e.to_string()))
    }

    fn hover(&mut self, p: lsp_types::HoverParams) -> Result<Option<lsp_types::Hover>, Failure> {
        let at = p.text_document_position_params;
        let Some(view) = self.view(&at.text_document.uri) else {
            return Ok(None);
        };
        Ok(hover::hover(&view, at.position))
    }

    fn definition(
        &mut self,
        p: lsp_types::GotoDefinitionParams,
    ) -> Result<Option<lsp_types::GotoDefinitionResponse>, Failure> {
        let at = p.text_document_position_params;
        let Some(view) = self.view(&at.text_document.uri) else {
            return Ok(None);
        };
        Ok(navigate::definition(&view, at.position).map(lsp_types::GotoDefinitionResponse::Scalar))
    }

    fn references(
        &mut self,
        p: lsp_types::ReferenceParams,
    ) -> Result<Option<Vec<lsp_types::Location>>, Failure> {
        let at = p.text_document_position;
        let Some(view) = self.view(&at.text_document.uri) else {
            return Ok(None);
        };
        let others = self.other_analyses();
        let found =
            navigate::references(&view, &others, at.position, p.context.include_declaration);
        Ok(Some(found))
    }

    fn prepare_rename(
        &mut self,
        p: lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<lsp_types::PrepareRenameResponse>, Failure> {
        let Some(view) = self.view(&p.text_document.uri) else {
            return Ok(None);
        };
        let std = &self.std;
        navigate::prepare_rename(&view, p.position, &|u| std.name_of(u).is_some())
            .map_err(|m| Failure(ErrorCode::RequestFailed, m))
    }

    fn rename(
        &mut self,
        p: lsp_types::RenameParams,
    ) -> Result<Option<lsp_types::WorkspaceEdit>, Failure> {
        let at = p.text_document_position;
        let Some(view) = self.view(&at.text_document.uri) else {
            return Ok(None);
        };
        let others = self.other_analyses();
        let std = &self.std;
        navigate::rename(&view, &others, at.position, &p.new_name, &|u| {
            std.name_of(u).is_some()
        })
        .map_err(|m| Failure(ErrorCode::RequestFailed, m))
    }

    fn completion(
        &mut self,
        p: lsp_types::CompletionParams,
    ) -> Result<Option<lsp_types::CompletionResponse>, Failure> {
        let at = p.text_document_position;
        let Some(view) = self.view(&at.text_document.uri) else {
            return Ok(None);
        };
        let items = completion::completion(&view, at.position);
        Ok(Some(lsp_types::CompletionResponse::Array(items)))
    }

    fn symbols(
        &mut self,
        p: lsp_types::DocumentSymbolParams,
    ) -> Result<Option<lsp_types::DocumentSymbolResponse>, Failure> {
        let Some(view) = self.view(&p.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(lsp_types::DocumentSymbolResponse::Nested(
            symbols::document_symbols(&view),
        )))
    }

    fn format(
        &mut self,
        p: lsp_types::DocumentFormattingParams,
    ) -> Result<Option<Vec<lsp_types::TextEdit>>, Failure> {
        let uri = &p.text_document.uri;
        if self.std.name_of(uri).is_some() {
            return Ok(None);
        }
        Ok(self.documents.get(uri).map(|d| actions::format(&d.text)))
    }

    fn code_actions(
        &mut self,
        p: lsp_types::CodeActionParams,
    ) -> Result<Option<lsp_types::CodeActionResponse>, Failure> {
        let Some(view) = self.view(&p.text_document.uri) else {
            return Ok(None);
        };
        Ok(Some(actions::code_actions(&view, p.range)))
    }
}

/// An error response: its code and message.
struct Failure(ErrorCode, String);
