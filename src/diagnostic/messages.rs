//! The wording of every diagnostic: one constructor per situation, each naming its
//! code. Messages are lowercase, without a final period, with code in backticks; the
//! label says what is wrong at the span; the help line gives one concrete fix.

use super::{Code, Diagnostic, Label, did_you_mean};
use crate::source::Span;
use crate::units::{self, Dimension};

fn with_suggestion(d: Diagnostic, span: Span, suggestion: Option<&str>) -> Diagnostic {
    match suggestion {
        Some(s) => d
            .with_help(format!("did you mean `{s}`?"))
            .with_suggestion(span, s),
        None => d,
    }
}

/// `a` or `an`, as the word needs.
pub fn article(word: &str) -> &'static str {
    let first = word.trim_start_matches('`').chars().next().unwrap_or('x');
    if "aeiouAEIOU".contains(first) {
        "an"
    } else {
        "a"
    }
}

/// A type name with its article (`an int`); an item description (`service `db``)
/// as it is.
fn with_article(found: &str) -> String {
    if found.contains('`') {
        found.to_string()
    } else {
        format!("{} {found}", article(found))
    }
}

/// A list of words for a message: "`a`, `b` or `c`".
fn one_of(words: &[String]) -> String {
    match words {
        [] => "something else".to_string(),
        _ => listed(words, "or"),
    }
}

/// A list of words for a message: "`a`, `b` and `c`".
fn and_list(words: &[String]) -> String {
    listed(words, "and")
}

/// `a, b WORD c`.
fn listed(words: &[String], word: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

// Syntax: E00xx.

pub fn syntax_error(span: Span, expected: &[String], found: &str) -> Diagnostic {
    let expected = one_of(expected);
    Diagnostic::new(Code::E0001, format!("expected {expected}, found {found}"))
        .at(span, format!("expected {expected} here"))
}

/// `key: value` where `key = value` belongs.
pub fn colon_for_equals(colon: Span) -> Diagnostic {
    Diagnostic::new(Code::E0001, "expected `=`, found `:`")
        .at(colon, "use `=` here")
        .with_help(
            "a field is written `name = value` (`name: type` declares a component parameter)",
        )
        .with_suggestion(colon, " =")
}

/// `name value`: a field whose `=` is missing, with the fix.
pub fn missing_equals(found: Span, after_key: Span, found_text: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("expected `=`, found {found_text}"))
        .at(found, "expected `=` before this value")
        .with_help("a field is written `name = value`")
        .with_suggestion(after_key, " =")
}

/// `kind name` with no `{` after it: the item's body has no opener.
pub fn missing_open_brace(name: Span, kind: &str, name_text: &str) -> Diagnostic {
    let at = Span::new(name.file, name.end as usize, name.end as usize);
    Diagnostic::new(
        Code::E0001,
        format!("expected `{{` after `{kind} {name_text}`"),
    )
    .at(name, format!("the body of `{name_text}` starts with `{{`"))
    .with_help("an item is written `kind name { ... }`, as in `service api { ... }`")
    .with_suggestion(at, " {")
}

/// The bracket that closes `opener`.
fn closer_of(opener: &str) -> &'static str {
    match opener {
        "[" => "]",
        "(" => ")",
        _ => "}",
    }
}

fn expected_closer(closers: &str) -> String {
    format!("expected `{closers}` here")
}

/// Another opener left open by the closer `d` is about: labelled, and closed by its
/// fix too.
pub fn also_left_open(d: &mut Diagnostic, open: Span, opener: &str) {
    d.secondary.push(Label {
        span: open,
        message: format!("`{opener}` opened here, also left open"),
    });
    let Some(fix) = &mut d.suggestion else {
        return;
    };
    fix.replacement.push_str(closer_of(opener));
    if let Some(label) = d.secondary.iter_mut().find(|l| l.span == fix.span) {
        label.message = expected_closer(&fix.replacement);
    }
}

/// An opening bracket whose closer never comes before the next item, the end or the
/// closer of what is around it.
///
/// `outer` is the closer of what is around it that came first, if one did.
pub fn unclosed(open: Span, opener: &str, expected_at: Span, outer: Option<&str>) -> Diagnostic {
    let closer = closer_of(opener);
    let help = match outer {
        Some(outer) => {
            format!("close it with `{closer}` before the `{outer}` that closes what is around it")
        }
        None => format!("close it with `{closer}` before the next entry or item starts"),
    };
    Diagnostic::new(Code::E0001, format!("unclosed `{opener}`"))
        .at(open, format!("this `{opener}` is never closed"))
        .with_label(expected_at, expected_closer(closer))
        .with_help(help)
        .with_suggestion(expected_at, closer.to_string())
}

/// A closing bracket that ends its opener too early: the lines after it go on at
/// the indentation of the line it is on.
pub fn stray_closer(span: Span, closer: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("unexpected `{closer}`"))
        .at(span, "this closes its opener too early")
        .with_help("the lines after it go on at the same indentation; remove it")
        .with_suggestion(span, "")
}

/// `+` or `..` at the end of a line, before the next entry: the value is missing.
pub fn dangling_operator(op: Span, text: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("expected a value after `{text}`"))
        .at(op, format!("this `{text}` has no value after it"))
        .with_help(format!(
            "the next line is the next entry; remove the `{text}` or write its value after it"
        ))
}

/// `import std/postgres`: an import's path without its quotes.
pub fn unquoted_import(path: Span, text: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, "expected a string after `import`")
        .at(path, "the path of an import is a string")
        .with_help(format!("write it in quotes: `import \"{text}\"`"))
        .with_suggestion(path, format!("\"{text}\""))
}

/// `item.` at the end of a line, with the next entry on the next line.
pub fn dangling_dot(dot: Span) -> Diagnostic {
    Diagnostic::new(Code::E0001, "expected a member's name after `.`")
        .at(dot, "this `.` has no name after it")
        .with_help("the next line is the next entry; write a member after the `.`, as in `db.host`, or remove it")
}

/// A word after a value that is a misspelt `required`.
pub fn misspelt_required(word: Span, text: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("unknown word `{text}` after a value"))
        .at(word, "did you mean `required`?")
        .with_help("a required column is written `name = type required`")
        .with_suggestion(word, "required")
}

/// `name =` at the end of a line, with the next entry on the next line.
pub fn missing_value(op: Span, text: &str) -> Diagnostic {
    Diagnostic::new(Code::E0001, format!("expected a value after `{text}`"))
        .at(op, "this field has no value")
        .with_help(format!(
            "write its value after the `{text}`: the next line is the next entry"
        ))
}

/// `/*` with no `*/`.
pub fn unterminated_comment(open: Span) -> Diagnostic {
    Diagnostic::new(Code::E0001, "unterminated block comment")
        .at(open, "this comment is never closed")
        .with_help("close it with `*/`")
}

/// A `"` string that is never closed: it ends at its line, like one that goes on past
/// its line (E0004), and is reported at its opening quote.
pub fn unterminated_string(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0004, "unterminated string")
        .at(span, "this string is never closed")
        .with_help("close it with `\"` (or `\"\"\"` for a multi-line string)")
}

pub fn too_deep(span: Span, limit: usize) -> Diagnostic {
    Diagnostic::new(Code::E0007, "nesting too deep")
        .at(
            span,
            format!("more than {limit} levels of `[`, `{{` and `(`"),
        )
        .with_help("flatten the value, or give inner parts names with `let`")
}

pub fn too_many_operands(span: Span, limit: usize) -> Diagnostic {
    Diagnostic::new(Code::E0007, "expression too long")
        .at(span, format!("more than {limit} values joined by `+`"))
        .with_help("build the value from named parts with `let`")
}

pub fn missing_separator(prev: Span, next: Span) -> Diagnostic {
    Diagnostic::new(Code::E0002, "entries on one line must be separated by `,`")
        .at(next, "this entry starts on the same line")
        .with_label(prev, "after this entry")
        .with_help("put a `,` or a line break between the two entries")
        .with_suggestion(
            Span {
                start: prev.end,
                end: prev.end,
                ..prev
            },
            ",",
        )
}

pub fn invalid_escape(span: Span, escape: &str) -> Diagnostic {
    Diagnostic::new(Code::E0003, format!("unknown escape sequence `{escape}`"))
        .at(span, "not a valid escape")
        .with_help("the escapes are `\\n`, `\\t`, `\\r`, `\\\\`, `\\\"`, `\\$` and `\\0`; write `$${` for a literal `${`")
}

pub fn number_out_of_range(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0005, "number too large")
        .at(span, "this does not fit in 64 bits")
        .with_help(
            "numbers go up to 9223372036854775807, in the base unit of a quantity \
             (millicores, bytes or milliseconds)",
        )
}

/// With the unit another tool's spelling means (`MiB`), or else the nearest unit.
pub fn unknown_unit(span: Span, unit: &str) -> Diagnostic {
    let d = Diagnostic::new(Code::E0006, format!("unknown unit `{unit}`")).at(span, "unknown unit");
    let suggestion = units::alias(unit).or_else(|| did_you_mean(unit, units::all()));
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")).with_suggestion(span, s),
        None => d.with_help(
            "units are `m` (millicores or minutes), `Ki` `Mi` `Gi` `Ti` `Pi` `Ei`, `k` `M` `G` `T` `P` `E`, `ms` `s` `h`",
        ),
    }
}

// Names and modules: E01xx.

pub fn unknown_name(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0101, format!("unknown name `{name}`"))
        .at(span, "not found in this scope");
    with_suggestion(d, span, suggestion)
}

/// A component's name where a value belongs: an instance of it was likely meant.
pub fn component_as_value(span: Span, component: &str, instances: &[&str]) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E0101,
        format!("`{component}` is a component, not a value"),
    )
    .at(span, "a component");
    match instances {
        [] => d.with_help(format!(
            "make an instance first (`{component} NAME {{ ... }}`) and use its name"
        )),
        [one] => d
            .with_help(format!("did you mean its instance `{one}`?"))
            .with_suggestion(span, *one),
        many => {
            let names: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
            d.with_help(format!("use one of its instances: {}", names.join(", ")))
        }
    }
}

pub fn unknown_type(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0101, format!("unknown type `{name}`")).at(span, "not a type");
    with_suggestion(d, span, suggestion)
}

pub fn unknown_field(span: Span, field: &str, owner: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0102, format!("unknown field `{field}` in {owner}"))
        .at(span, "unknown field");
    with_suggestion(d, span, suggestion)
}

/// A port name that the service does not declare; the help names the ones it does.
pub fn unknown_port(
    span: Span,
    port: &str,
    service: Option<&str>,
    declared: &[&str],
    suggestion: Option<&str>,
) -> Diagnostic {
    let owner = service.map(|s| format!(" of {s}")).unwrap_or_default();
    let d = Diagnostic::new(Code::E0103, format!("unknown port `{port}`{owner}"))
        .at(span, "no port of this name");
    let listed = match declared {
        [] => "it declares no ports (`ports = { NAME = NUMBER }`)".to_string(),
        [one] => format!("its port is `{one}`"),
        many => {
            let names: Vec<String> = many.iter().map(|n| format!("`{n}`")).collect();
            format!("its ports are {}", names.join(", "))
        }
    };
    match suggestion {
        Some(s) if declared.len() > 1 => d
            .with_help(format!("did you mean `{s}`? ({listed})"))
            .with_suggestion(span, s),
        Some(s) => d
            .with_help(format!("did you mean `{s}`?"))
            .with_suggestion(span, s),
        None => d.with_help(listed),
    }
}

pub fn foreign_probe_port(span: Span, port: &str, owner: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0103,
        format!("a probe checks the service's own ports, not port `{port}` of {owner}"),
    )
    .at(span, "a port of another service")
    .with_help("probe one of this service's ports: `ports.NAME`")
}

pub fn duplicate(span: Span, name: &str, first: Span) -> Diagnostic {
    Diagnostic::new(Code::E0104, format!("`{name}` is defined twice"))
        .at(span, "defined again here")
        .with_label(first, "first defined here")
        .with_help("rename or remove one of them")
}

pub fn unknown_kind(span: Span, kind: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0105, format!("unknown item kind `{kind}`"))
        .at(span, "not an item kind or a component in scope");
    match suggestion {
        Some(_) => with_suggestion(d, span, suggestion),
        None => d.with_help(
            "the kinds are `stack`, `profile`, `service`, `secret`, `config`, `hook` and \
             `component`, and the components declared in this file or imported",
        ),
    }
}

pub fn unknown_member(
    span: Span,
    owner: &str,
    member: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::new(Code::E0106, format!("{owner} has no member `{member}`"))
        .at(span, "unknown member");
    with_suggestion(d, span, suggestion)
}

pub fn module_not_found(
    span: Span,
    path: &str,
    reason: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::new(Code::E0107, format!("cannot import `{path}`"))
        .at(span, reason.to_string());
    match suggestion {
        Some(s) => d
            .with_help(format!("did you mean `{s}`?"))
            .with_suggestion(span, format!("\"{s}\"")),
        None => d,
    }
}

pub fn path_escapes(span: Span, path: &str, root: &str) -> Diagnostic {
    Diagnostic::new(Code::E0108, format!("`{path}` is outside the project"))
        .at(span, "this path leaves the project directory")
        .with_help(format!(
            "files a stack uses must be inside `{root}`, the directory of the main file"
        ))
}

pub fn import_cycle(span: Span, chain: &[String]) -> Diagnostic {
    Diagnostic::new(Code::E0109, format!("import cycle: {}", chain.join(" → ")))
        .at(span, "this import closes the cycle")
        .with_help("move what both modules need into a third module")
}

pub fn imports_too_deep(span: Span, limit: usize) -> Diagnostic {
    Diagnostic::new(Code::E0116, "import chain too deep")
        .at(
            span,
            format!("this import is more than {limit} modules deep"),
        )
        .with_help("import what a module needs directly, rather than through a long chain")
}

pub fn unknown_profile(name: &str, profiles: &[&str], suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0110, format!("unknown profile `{name}`"));
    match (suggestion, profiles) {
        (Some(s), _) => d.with_help(format!("did you mean `{s}`?")),
        (None, []) => d.with_help("the stack declares no profiles"),
        (None, names) => {
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            d.with_help(format!("the profiles are {}", one_of(&names)))
        }
    }
}

pub fn missing_stack(at: Span) -> Diagnostic {
    Diagnostic::new(Code::E0111, "no `stack` item")
        .at(at, "the file declares no stack")
        .with_help("add `stack NAME { namespace = \"...\" }`")
}

pub fn second_stack(span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::E0112, "more than one `stack` item")
        .at(span, "a second stack")
        .with_label(first, "the stack is declared here")
        .with_help("a file describes one stack: remove one of them")
}

pub fn invalid_override(span: Span, path: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::E0113, format!("cannot override `{path}`")).at(span, reason.to_string())
}

pub fn dotted_field(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0113, "dotted paths are only allowed in profiles")
        .at(span, "a dotted path")
        .with_help("write the nested record instead: `a = { b = ... }`")
}

pub fn item_not_allowed(span: Span, what: &str, place: &str) -> Diagnostic {
    Diagnostic::new(Code::E0114, format!("`{what}` is not allowed {place}"))
        .at(span, "not allowed here")
}

pub fn component_recursion(span: Span, component: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0212,
        format!("component `{component}` contains itself"),
    )
    .at(span, "instantiating this nests without end")
    .with_help("a component may not contain an instance of itself, directly or through others")
}

pub fn file_not_found(span: Span, path: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::E0115, format!("cannot read `{path}`")).at(span, reason.to_string())
}

/// The main file itself cannot be read.
pub fn cannot_read(path: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::E0115, format!("cannot read `{path}`: {reason}"))
}

// Types and values: E02xx.

pub fn mismatched(span: Span, expected: &str, found: &str, help: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0201, format!("expected {expected}, found {found}"))
        .at(span, format!("expected {expected}"));
    match help {
        Some(h) => d.with_help(h.to_string()),
        None => d,
    }
}

/// A value written in quotes, as a string, where its type belongs: `"3"` for an int.
pub fn quoted_value(span: Span, expected: &str, text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0201,
        format!("expected {expected}, found the string \"{text}\""),
    )
    .at(span, format!("expected {expected}, not a string"))
    .with_help(format!("remove the quotes: `{text}`"))
    .with_suggestion(span, text.to_string())
}

pub fn missing_unit(span: Span, dimension: Dimension) -> Diagnostic {
    let example = match dimension {
        Dimension::Bytes => "`512Mi`",
        Dimension::Duration => "`30s`",
        Dimension::Cpu => "`500m`",
    };
    Diagnostic::new(
        Code::E0201,
        format!(
            "expected {}, found a number without a unit",
            dimension.name()
        ),
    )
    .at(span, "a unit is needed")
    .with_help(format!("add a unit, as in {example}"))
}

pub fn not_text(span: Span, found: &str, hint: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E0201,
        format!("{} cannot be put in a string", with_article(found)),
    )
    .at(span, "not text");
    match hint {
        Some(h) => d.with_help(format!("did you mean {h}?")),
        None => d,
    }
}

pub fn cannot_add(span: Span, left: &str, right: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0201,
        format!(
            "cannot add {} {right} to {} {left}",
            article(right),
            article(left)
        ),
    )
    .at(span, "`+` joins strings, lists or records, or adds ints")
}

pub fn not_a_service(span: Span, method: &str) -> Diagnostic {
    Diagnostic::new(Code::E0201, format!("`{method}` needs a service")).at(span, "not a service")
}

pub fn required_outside_columns(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0201, "`required` is not allowed here")
        .at(span, "this value cannot be marked `required`")
}

pub fn missing_field(span: Span, field: &str, owner: &str) -> Diagnostic {
    Diagnostic::new(Code::E0202, format!("missing `{field}` in {owner}"))
        .at(span, format!("`{field}` is required"))
        .with_help(format!("add `{field} = ...`"))
}

pub fn unset_used(span: Span, param: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0202,
        format!("optional parameter `{param}` is not set"),
    )
    .at(span, "this needs a value")
    .with_help(format!(
        "give `{param}` a value in the instance, or a default in the component (`{param}: T = ...`)"
    ))
}

/// A secret interpolated into a plain string. The primary label is under the
/// interpolation; the string gets a label of its own only when it spans several
/// lines (on one line, the two labels would overlap and hide where the secret is).
pub fn secret_interpolated(span: Span, secret: &str, string: Option<Span>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0203, format!("secret `{secret}` is interpolated into a string"))
        .at(span, "a secret value, inside a string that would hold it in plain text")
        .with_help(format!(
            "pass `{secret}` whole (an env var becomes a `secretKeyRef`), or build the string in a `secret` item"
        ));
    match string {
        Some(string) => d.with_label(string, "this string would hold the secret in plain text"),
        None => d,
    }
}

pub fn secret_in_plain_position(span: Span, secret: &str, declared: Option<Span>) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E0204,
        format!("secret `{secret}` used where a plain value is expected"),
    )
    .at(span, "this field is not secret");
    let d = match declared {
        Some(at) => d.with_label(at, "declared secret here"),
        None => d,
    };
    d.with_help("secret values go to `env`, `files` or another `secret`")
}

pub fn secret_source_outside_secret(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0204, format!("a {what} belongs in a `secret` item"))
        .at(span, "only a secret can hold this")
        .with_help("declare it in a secret, `secret creds { token = ... }`, and use `creds.token`")
}

pub fn dependency_cycle(names: &[String], edges: &[(Span, String, String)]) -> Diagnostic {
    let mut chain = names.to_vec();
    if let Some(first) = names.first() {
        chain.push(first.clone());
    }
    let mut d = Diagnostic::new(
        Code::E0205,
        format!("dependency cycle: {}", chain.join(" → ")),
    );
    for (i, (span, from, to)) in edges.iter().enumerate() {
        let text = format!("`{from}` waits for `{to}`");
        d = if i == 0 {
            d.at(*span, text)
        } else {
            d.with_label(*span, text)
        };
    }
    d.with_help("remove one of these `needs` or `after` references")
}

pub fn reversed_range(lo: Span, hi: Span) -> Diagnostic {
    Diagnostic::new(Code::E0206, "range starts above its end")
        .at(lo, "this request is larger than the limit")
        .with_label(hi, "the limit")
        .with_help("write `request..limit` with request ≤ limit")
}

pub fn port_out_of_range(span: Span, port: i64) -> Diagnostic {
    Diagnostic::new(Code::E0207, format!("port {port} is out of range"))
        .at(span, "ports are 1 to 65535")
}

pub fn out_of_range(span: Span, value: &str, what: &str, min: i64, max: i64) -> Diagnostic {
    let bounds = match (min, max) {
        (min, i64::MAX) => format!("at least {min}"),
        (i64::MIN, max) => format!("at most {max}"),
        (min, max) => format!("between {min} and {max}"),
    };
    Diagnostic::new(Code::E0208, format!("{value} is out of range for {what}"))
        .at(span, format!("must be {bounds}"))
}

pub fn too_precise(span: Span, dimension: Dimension) -> Diagnostic {
    let unit = match dimension {
        Dimension::Cpu => "millicore (`1m`)",
        Dimension::Bytes => "byte",
        Dimension::Duration => "millisecond",
    };
    Diagnostic::new(
        Code::E0208,
        format!("{} finer than one {unit}", dimension.name()),
    )
    .at(span, "this is a fraction of the smallest unit")
}

pub fn wrong_arguments(span: Span, function: &str, expected: &str) -> Diagnostic {
    Diagnostic::new(Code::E0209, format!("wrong arguments to `{function}`"))
        .at(span, format!("`{function}` takes {expected}"))
}

pub fn not_callable(span: Span) -> Diagnostic {
    Diagnostic::new(Code::E0210, "this is not a function")
        .at(span, "only functions can be called")
        .with_help(
            "the functions are `tcp`, `http`, `exec`, `generate`, `env`, `file`, `persistent` and `SERVICE.url`",
        )
}

pub fn member_called(span: Span, member: &str, base: &str) -> Diagnostic {
    Diagnostic::new(Code::E0210, format!("`{member}` is not a function"))
        .at(span, "a member, not a function")
        .with_help(format!("write `{base}.{member}` without parentheses"))
}

pub fn unknown_argument(
    span: Span,
    function: &str,
    name: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E0209,
        format!("`{function}` has no argument `{name}`"),
    )
    .at(span, "unknown argument");
    with_suggestion(d, span, suggestion)
}

pub fn method_without_call(span: Span, method: &str) -> Diagnostic {
    Diagnostic::new(Code::E0209, format!("`{method}` needs an argument"))
        .at(span, "call it with a port name")
        .with_help(format!("write `{method}(PORT)`, as in `db.{method}(api)`"))
}

/// `known`: the built-in functions, listed when no name is close to `name`.
pub fn unknown_function(
    span: Span,
    name: &str,
    suggestion: Option<&str>,
    known: &[&str],
) -> Diagnostic {
    let d = Diagnostic::new(Code::E0210, format!("unknown function `{name}`"))
        .at(span, "not a function");
    match suggestion {
        Some(_) => with_suggestion(d, span, suggestion),
        None => {
            let mut known: Vec<String> = known.iter().map(|f| format!("`{f}`")).collect();
            known.push("`SERVICE.url`".to_string());
            d.with_help(format!("the functions are {}", and_list(&known)))
        }
    }
}

/// `SERVICE.NAME(..)` where `NAME` is not `url`.
pub fn unknown_method(span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(Code::E0210, format!("unknown function `{name}`"))
        .at(span, "not a function");
    match suggestion {
        Some(_) => with_suggestion(d, span, suggestion),
        None => d.with_help("a service's one function is `url`: `SERVICE.url(PORT)`"),
    }
}

pub fn reference_cycle(span: Span, cycle: &[(String, Span)]) -> Diagnostic {
    let mut names: Vec<String> = cycle.iter().map(|(n, _)| n.clone()).collect();
    if let Some(first) = names.first().cloned() {
        names.push(first);
    }
    let mut d = Diagnostic::new(
        Code::E0212,
        format!("reference cycle: {}", names.join(" → ")),
    )
    .at(span, "this needs itself");
    for (name, at) in cycle.iter().skip(1) {
        d = d.with_label(*at, format!("`{name}` is needed here"));
    }
    d.with_help("a value cannot be computed from itself")
}

pub fn chain_too_deep(span: Span, limit: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E0215,
        format!("more than {limit} references chained to compute one value"),
    )
    .at(span, "needed at the end of the chain")
    .with_help("refer to the value where it is defined, not through a chain of names")
}

pub fn comparison_not_allowed(span: Span, op: &str) -> Diagnostic {
    Diagnostic::new(Code::E0213, format!("`{op}` does not set a field"))
        .at(span, "a field is set with `=`")
        .with_help("write `=`")
        .with_suggestion(span, "=")
}

pub fn unknown_variant(
    span: Span,
    word: &str,
    words: &[&str],
    suggestion: Option<&str>,
) -> Diagnostic {
    let names: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    let d = Diagnostic::new(Code::E0214, format!("unknown variant `{word}`"))
        .at(span, format!("expected {}", one_of(&names)));
    with_suggestion(d, span, suggestion)
}

// Kubernetes: E03xx.

/// What a Kubernetes name names, for the help line.
#[derive(Clone, Copy, Debug)]
pub enum NameOf {
    Item,
    Namespace,
    Volume,
}

pub fn invalid_name(span: Span, name: &str, of: NameOf) -> Diagnostic {
    let help = match of {
        NameOf::Item => {
            "item names become Kubernetes names with `_` replaced by `-`: use lowercase, and no \
             leading or trailing `_`"
        }
        NameOf::Namespace => "write the namespace in lowercase letters, digits and `-`",
        NameOf::Volume => {
            "volume names become Kubernetes names with `_` replaced by `-`: use lowercase, and no \
             leading or trailing `_`"
        }
    };
    Diagnostic::new(
        Code::E0301,
        format!("`{name}` is not a valid Kubernetes name"),
    )
    .at(
        span,
        "names are lowercase letters, digits and `-`, starting and ending with a letter or digit",
    )
    .with_help(help)
}

pub fn name_too_long(span: Span, name: &str, max: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E0302,
        format!("Kubernetes name `{name}` is {} characters long", name.len()),
    )
    .at(span, format!("at most {max} characters"))
    .with_help("use a shorter name (items inside an instance are named `INSTANCE-ITEM`)")
}

pub fn name_collision(span: Span, name: &str, first: Span) -> Diagnostic {
    Diagnostic::new(
        Code::E0303,
        format!("two items are named `{name}` in Kubernetes"),
    )
    .at(span, format!("this becomes `{name}`"))
    .with_label(first, format!("this becomes `{name}` too"))
    .with_help("`_` becomes `-` and items inside an instance are named `INSTANCE-ITEM`: rename one")
}

pub fn invalid_label(span: Span, text: &str, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0304, format!("`{text}` is not a valid label {what}"))
        .at(span, "invalid label")
        .with_help(
            "a label key is `[prefix/]name`, a name or value at most 63 letters, digits, `-`, `_` or `.`, \
             starting and ending with a letter or digit",
        )
}

pub fn invalid_port_name(span: Span, name: &str, max: usize) -> Diagnostic {
    Diagnostic::new(Code::E0305, format!("`{name}` is not a valid port name")).at(
        span,
        format!("at most {max} lowercase letters, digits and `-`, with a letter"),
    )
}

pub fn duplicate_port(span: Span, port: i64, first: Span) -> Diagnostic {
    Diagnostic::new(Code::E0306, format!("port {port} is declared twice"))
        .at(span, "declared again here")
        .with_label(first, "first declared here")
}

pub fn invalid_env_name(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0307,
        format!("`{name}` is not a valid environment variable name"),
    )
    .at(
        span,
        "letters, digits, `_`, `-` and `.`, not starting with a digit",
    )
}

pub fn invalid_key(span: Span, key: &str) -> Diagnostic {
    Diagnostic::new(Code::E0308, format!("`{key}` is not a valid key"))
        .at(span, "keys are letters, digits, `-`, `_` and `.`")
}

pub fn invalid_image(span: Span, image: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0309,
        format!("`{image}` is not a valid image reference"),
    )
    .at(span, "invalid image")
    .with_help("write `[registry/]repository[:tag][@digest]`, the repository in lowercase")
}

pub fn invalid_mount(span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(Code::E0310, format!("invalid mount path `{path}`"))
        .at(span, "a mount path is an absolute path")
        .with_help("start the path with `/`, and do not use `..`")
}

pub fn mounted_twice(span: Span, path: &str, other: Span) -> Diagnostic {
    Diagnostic::new(Code::E0310, format!("`{path}` is mounted twice"))
        .at(span, "mounted here")
        .with_label(other, "and here")
        .with_help("mount each volume or file at its own path")
}

// Data: E04xx.

pub fn unknown_column(
    span: Span,
    column: &str,
    table: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::new(Code::E0401, format!("{table} has no column `{column}`"))
        .at(span, "unknown column");
    with_suggestion(d, span, suggestion)
}

pub fn cell_mismatch(span: Span, column: &str, ty: &str, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0402,
        format!("value does not fit column `{column}` ({ty})"),
    )
    .at(span, why.to_string())
}

pub fn missing_column(span: Span, column: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0403,
        format!("missing value for required column `{column}`"),
    )
    .at(span, what.to_string())
    .with_help(format!(
        "give `{column}` a value, or drop `required` from the column"
    ))
}

pub fn malformed_csv(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0404, "malformed CSV").at(span, why.to_string())
}

pub fn sql_error(span: Span, message: &str) -> Diagnostic {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("invalid SQL").trim().to_string();
    let d = Diagnostic::new(Code::E0405, first).at(span, "DuckDB rejects the query here");
    let candidates: Vec<&str> = message
        .lines()
        .filter(|l| l.contains("Candidate") || l.contains("Did you mean"))
        .collect();
    match candidates.first() {
        Some(hint) => d.with_help(hint.trim().to_string()),
        None => d.with_help("tables are named by their items; columns as declared"),
    }
}

pub fn expect_mismatch(span: Span, why: &str, query: Span) -> Diagnostic {
    Diagnostic::new(Code::E0406, format!("the check cannot be compared: {why}"))
        .at(span, "the expected value")
        .with_label(query, "the query")
}

pub fn seed_too_large(span: Span, bytes: usize, limit: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E0407,
        format!(
            "seed data of {} KiB does not fit in a ConfigMap",
            bytes / 1024
        ),
    )
    .at(
        span,
        format!("the data plan may hold at most {} KiB", limit / 1024),
    )
    .with_help("generate the rows with `generate(n, {...})`, or load large data outside floe")
}

pub fn invalid_table_name(span: Span, name: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E0408, format!("`{name}` is not a valid table name"))
        .at(span, why.to_string())
        .with_help("write the namespace path and the table: `\"demo.bronze.customers\"`")
}

pub fn generator_mismatch(span: Span, column: &str, ty: &str, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::E0409,
        format!("generator does not fit column `{column}` ({ty})"),
    )
    .at(span, why.to_string())
}

pub fn two_seeds(span: Span, other: Span) -> Diagnostic {
    Diagnostic::new(Code::E0410, "a table has one seed: `rows` or `seed`")
        .at(span, "a second seed")
        .with_label(other, "the first")
        .with_help("keep one of them")
}

// Warnings.

pub fn literal_secret(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::W0001, format!("secret `{what}` has a literal value"))
        .at(span, "anyone who reads this file knows the secret")
        .with_help("use `generate(32)` or `env(\"NAME\")`; the value never appears in compiled files either way")
}

pub fn unpinned_image(span: Span, image: &str) -> Diagnostic {
    Diagnostic::new(
        Code::W0002,
        format!("image `{image}` is not pinned to a version"),
    )
    .at(span, "no tag, or `latest`")
    .with_help("pin a tag or a digest so that every run deploys the same image")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_prose() {
        let words: Vec<String> = ["`a`", "`b`", "`c`"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(one_of(&words), "`a`, `b` or `c`");
        assert_eq!(one_of(&words[..1]), "`a`");
    }
}
