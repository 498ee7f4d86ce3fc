//! The abstract syntax tree of a `.floe` file.
//!
//! The tree mirrors the source closely (the formatter prints it back) and knows
//! nothing of item kinds or types: `service api { ... }` and `postgres db { ... }` are
//! both a [`Block`]. Every node carries its [`Span`].

use crate::source::Span;
use crate::units::Decimal;

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment of the file, in source order, for the formatter and for doc
    /// comments (`///`) shown by the language server.
    pub comments: Vec<Comment>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

impl Comment {
    /// A doc comment (`/// text`) documents the item or parameter that follows it.
    pub fn is_doc(&self) -> bool {
        self.text.starts_with("///") && !self.text.starts_with("////")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Import(Import),
    Let(Let),
    Block(Block),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import(i) => i.span,
            Item::Let(l) => l.span,
            Item::Block(b) => b.span,
        }
    }
}

/// `import "std/postgres"` or `import "./lib/common.floe"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: String,
    pub path_span: Span,
    pub span: Span,
}

/// `let name = expr`, optionally with a type: `let size: bytes = 1Gi`.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `KIND NAME { entries }`: every item but imports and lets.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub kind: Ident,
    pub name: Ident,
    pub entries: Vec<Entry>,
    /// From `{` to `}`.
    pub body_span: Span,
    pub span: Span,
}

impl Block {
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Field(f) => Some(f),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Field(Field),
    Param(Param),
    Let(Let),
    Block(Block),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Field(f) => f.span,
            Entry::Param(p) => p.span,
            Entry::Let(l) => l.span,
            Entry::Block(b) => b.span,
        }
    }
}

/// `path = expr`. In a profile the path may be dotted (`stack.defaults.storage`); a
/// check's `expect` may use a comparison instead of `=`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name in an item body; the first segment of a dotted path.
    pub key: Key,
    /// The rest of a dotted path: `defaults.storage` in `stack.defaults.storage`.
    pub subpath: Vec<Key>,
    pub op: FieldOp,
    pub op_span: Span,
    pub value: Expr,
    pub span: Span,
}

impl Field {
    pub fn path(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.key).chain(&self.subpath)
    }

    pub fn path_span(&self) -> Span {
        self.subpath
            .last()
            .map_or(self.key.span, |k| self.key.span.to(k.span))
    }

    pub fn path_text(&self) -> String {
        self.path()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldOp {
    Assign,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl FieldOp {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldOp::Assign => "=",
            FieldOp::Eq => "==",
            FieldOp::Ne => "!=",
            FieldOp::Lt => "<",
            FieldOp::Le => "<=",
            FieldOp::Gt => ">",
            FieldOp::Ge => ">=",
        }
    }
}

/// A field name: a bare name, or a quoted string for keys such as label names.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

/// A component parameter: `version: string = "16.4"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A type written in the source: `string`, `[string]`, `postgres`, `bytes?`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    Named(Ident),
    List(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Str(Str),
    Int(i64),
    /// A decimal written with a point: `0.5`.
    Float(Decimal),
    Bool(bool),
    /// A number with a unit: `100m`, `256Mi`, `5s`.
    Quantity(Quantity),
    Name(String),
    Member(Box<Expr>, Ident),
    Call(Box<Expr>, Vec<Arg>),
    List(Vec<Expr>),
    Record(Vec<Field>),
    Range(Box<Expr>, Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    /// `long required`: a column type marked required.
    Required(Box<Expr>),
    Paren(Box<Expr>),
}

/// A string literal, split at its interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub parts: Vec<StrPart>,
    pub multiline: bool,
}

impl Str {
    /// The text of a literal without interpolations.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub number: Decimal,
    pub unit: String,
    pub unit_span: Span,
}
