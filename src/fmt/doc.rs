//! The document model of the formatter and its layout algorithm.
//!
//! The printer does not write text directly: it builds a [`Doc`], a tree of text,
//! possible line breaks and groups, and [`render`] lays it out. A group is printed on
//! one line when it fits in the remaining width and holds nothing that must break (a
//! hard line break, a comment); otherwise its line breaks are taken. This is Wadler's
//! "prettier printer" as Prettier implements it: the decision for a group looks at the
//! group laid out flat plus what follows it up to the next line break, so that the
//! result does not depend on how the input was laid out, only on its tree.

/// The maximum line width.
pub(super) const WIDTH: usize = 100;
/// Spaces per nesting level.
const INDENT: usize = 2;

#[derive(Clone, Debug)]
pub(super) enum Doc {
    /// Text, printed as is. Text with a line break in it (a verbatim multi-line
    /// string) breaks every enclosing group.
    Text(String),
    /// A comment: printed as is, but never counted against the width, so that a
    /// comment does not change how the code around it is laid out.
    Comment(String),
    /// A line break in a broken group and `flat` in a flat one; `blank` adds an empty
    /// line when broken.
    Line {
        flat: &'static str,
        blank: bool,
    },
    /// A line break in every case; breaks every enclosing group.
    Hard {
        blank: bool,
    },
    /// Breaks every enclosing group and prints nothing.
    BreakParent,
    /// Text printed only when the enclosing group is broken.
    IfBroken(&'static str),
    /// Text printed only when the enclosing group is flat.
    IfFlat(&'static str),
    /// The contents, indented one level further after each line break.
    Nest(Vec<Doc>),
    /// The contents, on one line or broken. `breaks` is set when something in them
    /// must break; use [`Doc::group`].
    Group {
        breaks: bool,
        docs: Vec<Doc>,
    },
    Concat(Vec<Doc>),
}

impl Doc {
    pub(super) fn text(text: impl Into<String>) -> Doc {
        Doc::Text(text.into())
    }

    pub(super) fn group(docs: Vec<Doc>) -> Doc {
        let breaks = docs.iter().any(Doc::must_break);
        Doc::Group { breaks, docs }
    }

    fn must_break(&self) -> bool {
        match self {
            Doc::Text(t) | Doc::Comment(t) => t.contains('\n'),
            Doc::Hard { .. } | Doc::BreakParent => true,
            Doc::Group { breaks, .. } => *breaks,
            Doc::Nest(docs) | Doc::Concat(docs) => docs.iter().any(Doc::must_break),
            Doc::Line { .. } | Doc::IfBroken(_) | Doc::IfFlat(_) => false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Broken,
}

/// A document still to print: its nesting level, the mode of its group, itself.
type Command<'d> = (usize, Mode, &'d Doc);

/// Lays a document out. Indentation is written only before text, so no line ends
/// with blanks the document did not ask for.
pub(super) fn render(doc: &Doc) -> String {
    let mut out = Output::default();
    let mut stack: Vec<Command<'_>> = vec![(0, Mode::Broken, doc)];
    while let Some((level, mode, doc)) = stack.pop() {
        match doc {
            Doc::Text(t) | Doc::Comment(t) => out.text(t),
            Doc::Line { flat, blank } => match mode {
                Mode::Flat => out.text(flat),
                Mode::Broken => out.newline(level, *blank),
            },
            Doc::Hard { blank } => out.newline(level, *blank),
            Doc::BreakParent => {}
            Doc::IfBroken(t) if mode == Mode::Broken => out.text(t),
            Doc::IfFlat(t) if mode == Mode::Flat => out.text(t),
            Doc::IfBroken(_) | Doc::IfFlat(_) => {}
            Doc::Nest(docs) => push(&mut stack, level + 1, mode, docs),
            Doc::Concat(docs) => push(&mut stack, level, mode, docs),
            Doc::Group { breaks, docs } => {
                let room = WIDTH.saturating_sub(out.column);
                let flat = mode == Mode::Flat || (!breaks && fits(room, docs, &stack));
                let mode = if flat { Mode::Flat } else { Mode::Broken };
                push(&mut stack, level, mode, docs);
            }
        }
    }
    out.text
}

fn push<'d>(stack: &mut Vec<Command<'d>>, level: usize, mode: Mode, docs: &'d [Doc]) {
    stack.extend(docs.iter().rev().map(|d| (level, mode, d)));
}

/// Whether `docs`, laid out flat, and what follows them up to the next line break
/// take at most `room` columns.
fn fits(room: usize, docs: &[Doc], rest: &[Command<'_>]) -> bool {
    let mut room = room;
    let mut todo: Vec<(Mode, &Doc)> = docs.iter().rev().map(|d| (Mode::Flat, d)).collect();
    let mut rest = rest.iter().rev();
    loop {
        let (mode, doc) = match todo.pop() {
            Some(next) => next,
            None => match rest.next() {
                Some(&(_, mode, doc)) => (mode, doc),
                None => return true,
            },
        };
        let text: &str = match doc {
            Doc::Text(t) => match t.split_once('\n') {
                Some((first, _)) => return width(first) <= room,
                None => t,
            },
            Doc::Hard { .. } => return true,
            Doc::Line { .. } if mode == Mode::Broken => return true,
            Doc::Line { flat, .. } => flat,
            Doc::IfBroken(t) if mode == Mode::Broken => t,
            Doc::IfFlat(t) if mode == Mode::Flat => t,
            Doc::Nest(docs) | Doc::Concat(docs) => {
                todo.extend(docs.iter().rev().map(|d| (mode, d)));
                continue;
            }
            Doc::Group { breaks, docs } => {
                let mode = if *breaks { Mode::Broken } else { mode };
                todo.extend(docs.iter().rev().map(|d| (mode, d)));
                continue;
            }
            Doc::Comment(_) | Doc::BreakParent | Doc::IfBroken(_) | Doc::IfFlat(_) => continue,
        };
        match room.checked_sub(width(text)) {
            Some(left) => room = left,
            None => return false,
        }
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

#[derive(Default)]
struct Output {
    text: String,
    column: usize,
    /// The nesting level to indent the next text with, after a line break.
    pending: Option<usize>,
}

impl Output {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(level) = self.pending.take() {
            self.text.extend(std::iter::repeat_n(' ', level * INDENT));
        }
        self.text.push_str(text);
        match text.rsplit_once('\n') {
            Some((_, last)) => self.column = width(last),
            None => self.column += width(text),
        }
    }

    fn newline(&mut self, level: usize, blank: bool) {
        self.text.push('\n');
        if blank {
            self.text.push('\n');
        }
        self.pending = Some(level);
        self.column = level * INDENT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Doc {
        let mut inner = vec![Doc::Line {
            flat: "",
            blank: false,
        }];
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                inner.push(Doc::text(","));
                inner.push(Doc::Line {
                    flat: " ",
                    blank: false,
                });
            }
            inner.push(Doc::text(*item));
        }
        inner.push(Doc::IfBroken(","));
        Doc::group(vec![
            Doc::text("["),
            Doc::Nest(inner),
            Doc::Line {
                flat: "",
                blank: false,
            },
            Doc::text("]"),
        ])
    }

    #[test]
    fn a_group_that_fits_stays_on_one_line() {
        assert_eq!(render(&list(&["a", "b"])), "[a, b]");
    }

    #[test]
    fn a_group_that_does_not_fit_breaks() {
        let long = "x".repeat(60);
        let text = render(&list(&[&long, &long]));
        assert_eq!(text, format!("[\n  {long},\n  {long},\n]"));
    }

    #[test]
    fn text_after_a_group_counts_until_the_next_line_break() {
        let exact = "x".repeat(WIDTH - 3);
        let doc = Doc::Concat(vec![list(&[&exact]), Doc::text(")")]);
        assert_eq!(render(&doc), format!("[{exact}])"));
        let doc = Doc::Concat(vec![list(&[&exact]), Doc::text("))")]);
        assert!(render(&doc).starts_with("[\n"));
    }

    #[test]
    fn comments_do_not_count_against_the_width() {
        let exact = "x".repeat(WIDTH - 2);
        let doc = Doc::Concat(vec![list(&[&exact]), Doc::Comment(" // note".into())]);
        assert_eq!(render(&doc), format!("[{exact}] // note"));
    }

    #[test]
    fn a_hard_line_breaks_the_group_and_blank_lines_carry_no_indentation() {
        let doc = Doc::group(vec![
            Doc::text("{"),
            Doc::Nest(vec![Doc::Hard { blank: true }, Doc::text("a")]),
            Doc::Hard { blank: false },
            Doc::text("}"),
        ]);
        assert_eq!(render(&doc), "{\n\n  a\n}");
    }
}
