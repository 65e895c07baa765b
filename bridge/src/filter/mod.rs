//! The ticket filter: Meya's query language for `filter.rx_unhandled_ticket`.
//!
//! A query is Lucene syntax over the document `{ticket, current_user, requester}` in the
//! Zendesk API's shapes ([`document`] builds it from the webhook's trigger payload):
//!
//! ```
//! use bridge::filter::Filter;
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
//! # Ok::<(), bridge::filter::FilterError>(())
//! ```
//!
//! Supported: `field:value`, `field:(a OR b)`, `AND`/`&&`, `OR`/`||`, `NOT`/`!`, `+`/`-`
//! prefixes, implicit AND between terms, parentheses, `"quoted phrases"`, `*` and `?`
//! wildcards, `/regular expressions/`, ranges `[a TO b]` (inclusive) and `{a TO b}`
//! (exclusive) with `*` for an open end. Fuzzy `~` and boosts `^` are refused. Nesting is
//! limited to [`MAX_DEPTH`] levels.
//!
//! Semantics (Meya's): a value matches the *whole* field value, case-sensitively; a list
//! field matches when any element does; numbers and booleans match their JSON text; a missing
//! (or null) field makes the term false, so `NOT x:y` is true when `x` is absent.
//! `end-user` is one term (only a leading `-` negates).

mod document;
mod parse;

use std::cmp::Ordering;
use std::fmt;

use regex::Regex;
use serde_json::Value;

pub use document::document;

/// Parentheses and negations nest at most this deep.
pub const MAX_DEPTH: usize = 10;

/// Why a query was refused: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct FilterError {
    /// 1-based column, in characters, where the problem is.
    pub column: usize,
    /// What was expected and found.
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> Self {
        Self {
            column,
            message: message.into(),
        }
    }
}

/// A parsed filter, ready to match documents.
#[derive(Debug, Clone)]
pub struct Filter {
    kind: Kind,
    source: String,
}

#[derive(Debug, Clone)]
enum Kind {
    Never,
    Always,
    Query(Expr),
}

/// A boolean expression over field matches.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Match { path: Vec<String>, matcher: Matcher },
}

/// How one field value is tested.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// The whole value equals the text.
    Exact(String),
    /// `field:*`: the field has any value.
    Present,
    /// Wildcards and regexes, compiled anchored.
    Pattern(Regex),
    Range {
        low: Option<String>,
        low_inclusive: bool,
        high: Option<String>,
        high_inclusive: bool,
    },
}

impl Expr {
    fn and(mut branches: Vec<Expr>) -> Expr {
        if branches.len() == 1 {
            branches.remove(0)
        } else {
            Expr::And(branches)
        }
    }

    fn or(mut branches: Vec<Expr>) -> Expr {
        if branches.len() == 1 {
            branches.remove(0)
        } else {
            Expr::Or(branches)
        }
    }

    fn matches(&self, document: &Value) -> bool {
        match self {
            Expr::And(branches) => branches.iter().all(|branch| branch.matches(document)),
            Expr::Or(branches) => branches.iter().any(|branch| branch.matches(document)),
            Expr::Not(inner) => !inner.matches(document),
            Expr::Match { path, matcher } => {
                let mut value = document;
                for key in path {
                    match value.get(key) {
                        Some(next) => value = next,
                        None => return false,
                    }
                }
                match value {
                    Value::Null | Value::Object(_) => false,
                    Value::Array(items) => items.iter().any(|item| matcher.matches_scalar(item)),
                    scalar => matcher.matches_scalar(scalar),
                }
            }
        }
    }
}

impl Matcher {
    fn matches_scalar(&self, value: &Value) -> bool {
        let owned;
        let text: &str = match value {
            Value::String(text) => text,
            Value::Number(number) => {
                owned = number.to_string();
                &owned
            }
            Value::Bool(flag) => {
                if *flag {
                    "true"
                } else {
                    "false"
                }
            }
            Value::Null | Value::Array(_) | Value::Object(_) => return false,
        };
        match self {
            Matcher::Exact(expected) => text == expected,
            Matcher::Present => true,
            Matcher::Pattern(regex) => regex.is_match(text),
            Matcher::Range {
                low,
                low_inclusive,
                high,
                high_inclusive,
            } => {
                let above = low.as_deref().is_none_or(|low| match compare(text, low) {
                    Ordering::Greater => true,
                    Ordering::Equal => *low_inclusive,
                    Ordering::Less => false,
                });
                let below = high
                    .as_deref()
                    .is_none_or(|high| match compare(text, high) {
                        Ordering::Less => true,
                        Ordering::Equal => *high_inclusive,
                        Ordering::Greater => false,
                    });
                above && below
            }
        }
    }
}

/// Numbers compare as numbers when both sides are numbers; everything else as text.
fn compare(value: &str, bound: &str) -> Ordering {
    match (value.parse::<f64>(), bound.parse::<f64>()) {
        (Ok(a), Ok(b)) if a.is_finite() && b.is_finite() => a.total_cmp(&b),
        _ => value.cmp(bound),
    }
}

impl Filter {
    /// Parses a query. `false` (Meya's default) never matches; `true` always does.
    ///
    /// # Errors
    /// [`FilterError`] naming the column and what was expected there.
    pub fn parse(query: &str) -> Result<Self, FilterError> {
        let trimmed = query.trim();
        let kind = match trimmed {
            "false" => Kind::Never,
            "true" => Kind::Always,
            _ => Kind::Query(parse::parse(query)?),
        };
        Ok(Self {
            kind,
            source: query.to_owned(),
        })
    }

    /// The filter that never matches: Meya's default, `false`.
    pub fn never() -> Self {
        Self {
            kind: Kind::Never,
            source: "false".into(),
        }
    }

    /// The filter that always matches.
    pub fn always() -> Self {
        Self {
            kind: Kind::Always,
            source: "true".into(),
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
