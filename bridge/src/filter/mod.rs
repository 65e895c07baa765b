//! The ticket filter: Meya's query language for `filter.rx_unhandled_ticket`, with Meya's
//! answers.
//!
//! Meya parses the query with the Python library luqum 0.9.0 and matches luqum's tree with
//! its own evaluator (`meya/gridql/parser.py`, Meya SDK 2.8.8). This module reproduces both:
//! a Meya user's filter gives the answer Meya gave on every document, or is refused when the
//! configuration loads with a message that says what Meya did with it. The differential
//! corpus in `bridge/tests/filter_corpus` (thousands of queries, each over 32 documents, with
//! Meya's answers) is the proof; `generate.py` there rebuilds it with luqum itself.
//!
//! ```
//! use zendesk_sunco_bridge::filter::Filter;
//! use serde_json::json;
//!
//! let filter = Filter::parse(
//!     "ticket.tags:sunco_send AND ticket.status:(new OR open OR pending) \
//!      AND current_user.role:(NOT end-user)",
//! )?;
//! let document = json!({
//!     "ticket": {"id": 4021, "status": "open", "tags": ["sunco_send", "vip"]},
//!     "current_user": {"id": 9, "role": "agent"},
//! });
//! assert!(filter.matches(&document));
//! # Ok::<(), zendesk_sunco_bridge::filter::FilterError>(())
//! ```
//!
//! # The document
//!
//! `{ticket, current_user, requester}`: the ticket and the two users as the Zendesk API
//! shapes them (see [`document`] and [`api_document`]). Meya held only some of their fields
//! (its payload classes'); a path to any other field is allowed, with a warning at load
//! ([`Filter::warnings`]), since Meya saw it missing. `ticket.custom_fields.<id>` reaches a
//! custom field's value by its id, which Meya could not (it held `custom_fields` as a list,
//! which no path enters): this is the bridge's extension, and warned about too.
//!
//! # Syntax and meaning, construct by construct
//!
//! | construct | here | Meya (luqum 0.9) |
//! |---|---|---|
//! | `field:value` | whole-value match, case-sensitive | same |
//! | `field:(a OR b)`, `field:(NOT a)` | the field applies to the group | same |
//! | `ticket:(status:open)`, `ticket:status:open` | nested fields join: `ticket.status` | same |
//! | `AND`, `OR`, `NOT` (upper case only) | operators | same |
//! | `a b` (juxtaposition) | AND, binding looser than `OR`: `a b OR c` is `a AND (b OR c)` | same |
//! | `x OR y NOT z` | an operand starting with `NOT` closes what came before: `(x OR y) AND NOT z` | same |
//! | `&&`, `\|\|`, `!` | refused: luqum reads them as words, so in Meya `a:1 && b:2` never matches and `!a:1` names a field `!a` | words |
//! | `+a`, `-a` | refused | refused |
//! | `a:b~`, `"a b"~2`, `a:b^2` | refused | refused |
//! | a term with no field (`vip`, `"a"`, `/a/`, `[1 TO 2]`) | refused: it never matches in Meya | never matches |
//! | `*` and `?` in a word | wildcards (`*`: any run, `?`: one character, neither a newline) | same |
//! | `"phrase"` | as a word: wildcards inside apply (`"*@acme.com"`) | same |
//! | `\` escapes | `\*` is a literal `*`; a `*` after any `\` is literal (luqum's rule) | same |
//! | `/regex/` | Python's `re.match("^R$")`: anchored at the start, `^a\|b$` alternation included; the part of Python's syntax that Rust reads alike (see `python_regex`), the rest refused | Python `re` |
//! | `[a TO b]`, `{a TO b}`, mixed | numbers only, on numeric (and boolean) values; `*`, non-numbers and `low > high` refused | same, refused when reached |
//! | values | strings; numbers and booleans by their JSON text (`1.0`, `true`); a trailing newline is ignored (Python's `$`); lists match when any element does; objects and nulls never | same |
//! | a missing field | the term is false, so `NOT x:y` is true | same |
//! | empty query | matches everything | same |
//! | nesting | at most [`MAX_DEPTH`] levels of luqum's tree | same |
//! | a character luqum cannot read (a leading `'`, a lone `\`) | refused | skipped |

mod compile;
mod document;
mod lex;
mod parse;
mod python_regex;

use compile::Compiler;

use std::collections::BTreeSet;
use std::fmt;

use regex::Regex;
use serde_json::Value;

pub use document::{Needs, api_document, document};
use parse::{Node, NodeKind, Parser};

/// luqum's tree may be at most this deep (Meya's limit).
pub const MAX_DEPTH: usize = 10;

/// Compiled regexes are capped so a hostile query cannot take all memory.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Why a query is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Not a query luqum can parse: Meya refuses it too.
    Syntax,
    /// A construct Meya refuses too (`+`, `-`, `~`, `^`, deeper than [`MAX_DEPTH`]).
    Meya,
    /// Meya accepts it but its answer would surprise: refused here so the difference is
    /// loud. The code names the construct: `bare` (a term with no field: never matches),
    /// `plain-word` (`&&`, `||`, a leading `!`: words, not operators), `skipped-character`
    /// (a character luqum skips), `invalid-range` and `invalid-regex` (Meya raises on them
    /// once a document reaches them), `regex-not-portable` (Python syntax Rust reads
    /// otherwise).
    Surprising(&'static str),
}

/// Why a query was refused: where, and what Meya does with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    /// 1-based column, in characters, where the problem is.
    pub column: usize,
    /// What was expected and found, and what Meya does there.
    pub message: String,
    /// The kind of refusal.
    pub refusal: Refusal,
}

impl FilterError {
    fn new(column: usize, refusal: Refusal, message: impl Into<String>) -> Self {
        Self {
            column,
            message: message.into(),
            refusal,
        }
    }
}

/// A parsed filter, ready to match documents.
#[derive(Debug, Clone)]
pub struct Filter {
    kind: Kind,
    source: String,
    paths: BTreeSet<Vec<String>>,
    needs: Needs,
    warnings: Vec<String>,
}

#[derive(Debug, Clone)]
enum Kind {
    Never,
    Always,
    Query(Expr),
}

/// A boolean expression over field matches.
#[derive(Debug, Clone)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term { path: Vec<String>, matcher: Matcher },
}

/// How one value is tested.
#[derive(Debug, Clone)]
enum Matcher {
    /// The whole text, or the text and a final newline.
    Literal(String),
    /// A wildcard word or a regex, compiled anchored with Python's `$`.
    Pattern(Regex),
    Range {
        low: f64,
        high: f64,
        include_low: bool,
        include_high: bool,
    },
}

impl Expr {
    fn matches(&self, document: &Value) -> bool {
        match self {
            Expr::And(branches) => branches.iter().all(|branch| branch.matches(document)),
            Expr::Or(branches) => branches.iter().any(|branch| branch.matches(document)),
            Expr::Not(inner) => !inner.matches(document),
            Expr::Term { path, matcher } => {
                let Some(value) = lookup(document, path) else {
                    return false;
                };
                match value {
                    Value::Array(items) => items.iter().any(|item| matcher.matches_value(item)),
                    single => matcher.matches_value(single),
                }
            }
        }
    }
}

/// The value at `path`: object keys, and (the bridge's extension) a list of `{id, value}`
/// objects entered by id.
fn lookup<'v>(document: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut value = document;
    for key in path {
        value = match value {
            Value::Object(map) => map.get(key)?,
            Value::Array(items) => {
                let id: i64 = key.parse().ok()?;
                items
                    .iter()
                    .find(|item| item.get("id").and_then(Value::as_i64) == Some(id))?
                    .get("value")?
            }
            _ => return None,
        };
    }
    Some(value)
}

impl Matcher {
    fn matches_value(&self, value: &Value) -> bool {
        if let Matcher::Range {
            low,
            high,
            include_low,
            include_high,
        } = self
        {
            let number = match value {
                Value::Number(number) => number.as_f64(),
                Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
                _ => None,
            };
            let Some(number) = number else {
                return false;
            };
            let above = if *include_low {
                number >= *low
            } else {
                number > *low
            };
            let below = if *include_high {
                number <= *high
            } else {
                number < *high
            };
            return above && below;
        }
        let owned;
        let text: &str = match value {
            Value::String(text) => text,
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            Value::Number(number) => {
                owned = json_number_text(number);
                &owned
            }
            _ => return false,
        };
        match self {
            Matcher::Literal(expected) => {
                text == expected || text.strip_suffix('\n').is_some_and(|text| text == expected)
            }
            Matcher::Pattern(regex) => regex.is_match(text),
            Matcher::Range { .. } => false,
        }
    }
}

/// A JSON number as Python's `json.dumps` writes it: integers as they are, floats by
/// `repr` (`1.0`, `1e+16`, `1.5e-05`).
fn json_number_text(number: &serde_json::Number) -> String {
    if number.is_i64() || number.is_u64() {
        return number.to_string();
    }
    let Some(float) = number.as_f64() else {
        return number.to_string();
    };
    python_float_repr(float)
}

/// Python's `repr(float)`: the shortest digits that round-trip (as Rust's), in fixed
/// notation for decimal exponents from -4 to 15, else scientific with a signed, two-digit
/// exponent.
fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (whole, fraction) = digits.split_at(point as usize);
            format!("{whole}.{fraction}")
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{mantissa}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// luqum's rule for an unescaped wildcard: `*` or `?` first, or after anything but `\`.
fn wildcard_positions(raw: &[char]) -> Vec<usize> {
    (0..raw.len())
        .filter(|&i| matches!(raw[i], '*' | '?') && (i == 0 || raw[i - 1] != '\\'))
        .collect()
}

/// luqum's `unescaped_value`: a `\` before one of `+-&|!(){}[]^"~*?:\` is dropped.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && "+-&|!(){}[]^\"~*?:\\".contains(next)
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

fn compile(pattern: &str, column: usize, code: &'static str) -> Result<Regex, FilterError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| {
            FilterError::new(
                column,
                Refusal::Surprising(code),
                format!("invalid regular expression: {error}"),
            )
        })
}

/// A word's (or a phrase's inside) matcher: literal parts and wildcards, as Meya builds its
/// pattern from luqum's `split_wildcards`.
fn word_matcher(raw: &str, column: usize) -> Result<Matcher, FilterError> {
    let chars: Vec<char> = raw.chars().collect();
    let wildcards = wildcard_positions(&chars);
    if wildcards.is_empty() {
        return Ok(Matcher::Literal(unescape(raw)));
    }
    let mut pattern = String::from(r"\A(?:");
    let mut start = 0;
    for at in wildcards {
        let literal: String = chars[start..at].iter().collect();
        pattern.push_str(&regex::escape(&unescape(&literal)));
        pattern.push_str(if chars[at] == '*' { ".*" } else { "." });
        start = at + 1;
    }
    let literal: String = chars[start..].iter().collect();
    pattern.push_str(&regex::escape(&unescape(&literal)));
    pattern.push_str(r")\n?\z");
    Ok(Matcher::Pattern(compile(
        &pattern,
        column,
        "invalid-regex",
    )?))
}

/// Python's `float()` on a range bound: surrounding whitespace, `_` between digits, `inf`
/// and `nan` accepted.
fn python_float(text: &str) -> Option<f64> {
    let text = text.trim_matches(lex::is_space);
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '_' {
            let digit = |at: Option<&char>| at.is_some_and(char::is_ascii_digit);
            if !digit(i.checked_sub(1).and_then(|p| chars.get(p))) || !digit(chars.get(i + 1)) {
                return None;
            }
        }
    }
    let cleaned: String = chars.iter().filter(|c| **c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let word = lower.trim_start_matches(['+', '-']);
    if !(word.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || matches!(word, "inf" | "infinity" | "nan"))
    {
        return None;
    }
    cleaned.parse().ok()
}

/// A range bound: a word or a phrase, no wildcard, a number.
fn bound(node: &Node) -> Result<f64, FilterError> {
    let raw = match &node.kind {
        NodeKind::Word(raw) => raw.clone(),
        NodeKind::Phrase(raw) => inner(raw).to_owned(),
        _ => String::new(),
    };
    let refuse = |message: String| {
        FilterError::new(node.column, Refusal::Surprising("invalid-range"), message)
    };
    if !wildcard_positions(&raw.chars().collect::<Vec<_>>()).is_empty() {
        return Err(refuse(format!(
            "the range bound `{raw}` holds a wildcard: Meya refuses it (an open end has no \
             `*` there; use a large number)"
        )));
    }
    let text = unescape(&raw);
    python_float(&text).ok_or_else(|| {
        refuse(format!(
            "the range bound `{text}` is not a number: Meya compares ranges as numbers only, \
             and refuses it"
        ))
    })
}

/// A phrase's text between its quotes.
fn inner(raw: &str) -> &str {
    raw.get(1..raw.len().saturating_sub(1)).unwrap_or("")
}

impl Filter {
    /// Parses a query, with Meya's answers (see the module docs). The empty query matches
    /// everything, as in Meya.
    ///
    /// # Errors
    /// [`FilterError`] naming the column, what is wrong, and what Meya does with it.
    pub fn parse(query: &str) -> Result<Self, FilterError> {
        let source = query.to_owned();
        if query.trim() == "false" {
            // Meya reads the text as a term with no field, which never matches: the same
            // answer as the flag `false`.
            return Ok(Self::never());
        }
        let lexed = lex::lex(query);
        if let Some(&column) = lexed.skipped.first() {
            let character = query.chars().nth(column - 1).unwrap_or(' ');
            return Err(FilterError::new(
                column,
                Refusal::Surprising("skipped-character"),
                format!(
                    "Meya's parser cannot read `{character}` here and skips it; quote the \
                     value with `\"` or escape it with `\\`"
                ),
            ));
        }
        if lexed.tokens.is_empty() {
            return Ok(Self {
                kind: Kind::Always,
                source,
                paths: BTreeSet::new(),
                needs: Needs::default(),
                warnings: vec!["the empty query matches every ticket (as in Meya)".into()],
            });
        }
        let tree = Parser::new(lexed.tokens, query.chars().count() + 1).parse()?;
        Compiler::check_depth(&tree, 1)?;
        let mut compiler = Compiler {
            paths: BTreeSet::new(),
        };
        let expr = compiler.compile(&tree, None)?;
        let warnings = compiler
            .paths
            .iter()
            .filter_map(|path| document::unlike_meya(path))
            .collect();
        Ok(Self {
            kind: Kind::Query(expr),
            source,
            needs: Needs::of(compiler.paths.iter().map(Vec::as_slice)),
            paths: compiler.paths,
            warnings,
        })
    }

    /// The filter that never matches: Meya's default, `false`.
    pub fn never() -> Self {
        Self {
            kind: Kind::Never,
            source: "false".into(),
            paths: BTreeSet::new(),
            needs: Needs::default(),
            warnings: Vec::new(),
        }
    }

    /// The filter that always matches.
    pub fn always() -> Self {
        Self {
            kind: Kind::Always,
            source: "true".into(),
            paths: BTreeSet::new(),
            needs: Needs::default(),
            warnings: Vec::new(),
        }
    }

    /// Whether the document matches.
    pub fn matches(&self, document: &Value) -> bool {
        match &self.kind {
            Kind::Never => false,
            Kind::Always => true,
            Kind::Query(expr) => expr.matches(document),
        }
    }

    /// The field paths the query reads (`["ticket", "group_id"]`), known at load.
    pub fn paths(&self) -> impl Iterator<Item = &[String]> {
        self.paths.iter().map(Vec::as_slice)
    }

    /// What of the document the webhook's trigger payload does not carry: the objects to
    /// read from the API before matching (see [`Needs`]).
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// What the query does that Meya did not: paths to fields Meya's document did not hold
    /// (it saw them missing), or the empty query. Each names its path.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The query as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl Default for Filter {
    fn default() -> Self {
        Self::never()
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;

    fn from_str(query: &str) -> Result<Self, Self::Err> {
        Self::parse(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_python_writes_them() {
        for (value, text) in [
            (1.0, "1.0"),
            (12.5, "12.5"),
            (-4.0, "-4.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e20, "1.5e+20"),
            (123456789.125, "123456789.125"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(python_float_repr(value), text, "{value}");
        }
    }

    #[test]
    fn range_bounds_read_as_python_float_reads_them() {
        assert_eq!(python_float("1e2"), Some(100.0));
        assert_eq!(python_float(" 12 "), Some(12.0));
        assert_eq!(python_float("1_000"), Some(1000.0));
        assert_eq!(python_float("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(python_float(".5"), Some(0.5));
        for bad in ["1__0", "_1", "a", "", "0x10", "1,5"] {
            assert_eq!(python_float(bad), None, "{bad}");
        }
    }

    #[test]
    fn luqums_escapes_and_wildcards() {
        assert_eq!(unescape(r"a\:b\*c\d"), r"a:b*c\d");
        assert_eq!(
            wildcard_positions(&"*a?b\\*c".chars().collect::<Vec<_>>()),
            [0, 2]
        );
        // luqum's quirk: after `\\` the `*` still counts as escaped.
        assert!(wildcard_positions(&r"a\\*".chars().collect::<Vec<_>>()).is_empty());
    }
}
