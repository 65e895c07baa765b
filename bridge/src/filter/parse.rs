//! The filter language's lexer and recursive-descent parser.
//!
//! ```text
//! query      := or EOF
//! or         := and (("OR" | "||") and)*
//! and        := unary (("AND" | "&&")? unary)*          implicit AND between terms
//! unary      := ("NOT" | "!") unary | ("+" | "-") unary | primary
//! primary    := "(" or ")" | FIELD ":" value
//! value      := "(" value_or ")" | single
//! value_or   := value_and (("OR" | "||") value_and)*
//! value_and  := value_not (("AND" | "&&")? value_not)*
//! value_not  := ("NOT" | "!" | "-") value_not | "+"? value
//! single     := TERM | "PHRASE" | /REGEX/ | ("[" | "{") bound "TO" bound ("]" | "}")
//! ```

use regex::Regex;

use super::{Expr, FilterError, MAX_DEPTH, Matcher};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LParen,
    RParen,
    Colon,
    And,
    Or,
    Not,
    Plus,
    Minus,
    To,
    RangeOpen {
        inclusive: bool,
    },
    RangeClose {
        inclusive: bool,
    },
    /// A bare word; `wildcard` when it holds an unescaped `*` or `?`.
    Term {
        text: String,
        wildcard: bool,
    },
    Phrase(String),
    Regex(String),
}

#[derive(Debug, Clone)]
struct Spanned {
    token: Token,
    /// 1-based column (in characters) where the token starts.
    column: usize,
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "the end of the query".into(),
        Some(Token::LParen) => "`(`".into(),
        Some(Token::RParen) => "`)`".into(),
        Some(Token::Colon) => "`:`".into(),
        Some(Token::And) => "`AND`".into(),
        Some(Token::Or) => "`OR`".into(),
        Some(Token::Not) => "`NOT`".into(),
        Some(Token::Plus) => "`+`".into(),
        Some(Token::Minus) => "`-`".into(),
        Some(Token::To) => "`TO`".into(),
        Some(Token::RangeOpen { .. }) => "a range".into(),
        Some(Token::RangeClose { .. }) => "the end of a range".into(),
        Some(Token::Term { text, .. }) => format!("`{text}`"),
        Some(Token::Phrase(text)) => format!("\"{text}\""),
        Some(Token::Regex(text)) => format!("/{text}/"),
    }
}

/// Characters that end a bare term.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | ':' | '"' | '[' | ']' | '{' | '}' | '/' | '^' | '~'
    )
}

fn lex(query: &str) -> Result<Vec<Spanned>, FilterError> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let push = |tokens: &mut Vec<Spanned>, token| tokens.push(Spanned { token, column });
        match c {
            _ if c.is_whitespace() => i += 1,
            '(' => {
                push(&mut tokens, Token::LParen);
                i += 1;
            }
            ')' => {
                push(&mut tokens, Token::RParen);
                i += 1;
            }
            ':' => {
                push(&mut tokens, Token::Colon);
                i += 1;
            }
            '[' | '{' => {
                push(
                    &mut tokens,
                    Token::RangeOpen {
                        inclusive: c == '[',
                    },
                );
                i += 1;
            }
            ']' | '}' => {
                push(
                    &mut tokens,
                    Token::RangeClose {
                        inclusive: c == ']',
                    },
                );
                i += 1;
            }
            '~' => {
                return Err(FilterError::new(
                    column,
                    "fuzzy and proximity searches (`~`) are not supported",
                ));
            }
            '^' => return Err(FilterError::new(column, "boosts (`^`) are not supported")),
            '&' | '|' => {
                if chars.get(i + 1) == Some(&c) {
                    push(&mut tokens, if c == '&' { Token::And } else { Token::Or });
                    i += 2;
                } else {
                    return Err(FilterError::new(
                        column,
                        format!("expected `{c}{c}`, found a single `{c}`"),
                    ));
                }
            }
            '!' => {
                push(&mut tokens, Token::Not);
                i += 1;
            }
            '+' | '-' if chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) => {
                push(
                    &mut tokens,
                    if c == '+' { Token::Plus } else { Token::Minus },
                );
                i += 1;
            }
            '"' => {
                let (text, next) = delimited(&chars, i, '"')
                    .ok_or_else(|| FilterError::new(column, "unterminated quoted phrase"))?;
                push(&mut tokens, Token::Phrase(text));
                i = next;
            }
            '/' => {
                let (text, next) = delimited(&chars, i, '/')
                    .ok_or_else(|| FilterError::new(column, "unterminated regular expression"))?;
                push(&mut tokens, Token::Regex(text));
                i = next;
            }
            _ => {
                let mut text = String::new();
                let mut wildcard = false;
                while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
                    match chars[i] {
                        '\\' => {
                            let escaped = chars.get(i + 1).ok_or_else(|| {
                                FilterError::new(i + 1, "a `\\` must escape a character")
                            })?;
                            // Kept escaped so the wildcard step can tell `\*` from `*`.
                            text.push('\\');
                            text.push(*escaped);
                            i += 2;
                        }
                        '*' | '?' => {
                            wildcard = true;
                            text.push(chars[i]);
                            i += 1;
                        }
                        other => {
                            text.push(other);
                            i += 1;
                        }
                    }
                }
                let token = match text.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    "TO" => Token::To,
                    _ => Token::Term { text, wildcard },
                };
                push(&mut tokens, token);
            }
        }
    }
    Ok(tokens)
}

/// Reads from the opening `delimiter` at `start` to the closing one, honouring `\` escapes
/// (a regex keeps them except for an escaped delimiter). Answers the text and the index after.
fn delimited(chars: &[char], start: usize, delimiter: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                if delimiter == '/' && next != '/' {
                    text.push('\\');
                }
                text.push(next);
                i += 2;
            }
            c if c == delimiter => return Some((text, i + 1)),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    None
}

/// Removes the escaping backslashes of a bare term.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A wildcard term as an anchored regex: `*` any run, `?` one character.
fn wildcard_regex(text: &str) -> String {
    let mut pattern = String::from("^(?s:");
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    pattern.push_str(&regex::escape(&next.to_string()));
                }
            }
            '*' => pattern.push_str(".*"),
            '?' => pattern.push('.'),
            other => pattern.push_str(&regex::escape(&other.to_string())),
        }
    }
    pattern.push_str(")$");
    pattern
}

/// Compiled regexes are capped so a hostile query cannot take all memory.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

fn compile(pattern: &str, column: usize) -> Result<Regex, FilterError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| FilterError::new(column, format!("invalid regular expression: {error}")))
}

pub(super) fn parse(query: &str) -> Result<Expr, FilterError> {
    let tokens = lex(query)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        end_column: query.chars().count() + 1,
        depth: 0,
    };
    if parser.tokens.is_empty() {
        return Err(FilterError::new(1, "the query is empty"));
    }
    let expr = parser.or()?;
    if let Some(extra) = parser.peek() {
        return Err(parser.error(format!(
            "expected an operator or the end of the query, found {}",
            describe(Some(extra))
        )));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Spanned>,
    position: usize,
    end_column: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|spanned| &spanned.token)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.position)
            .map_or(self.end_column, |spanned| spanned.column)
    }

    fn error(&self, message: impl Into<String>) -> FilterError {
        FilterError::new(self.column(), message)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).map(|s| s.token.clone());
        self.position += 1;
        token
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// Whether the next token can start an operand (for implicit AND).
    fn starts_operand(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Token::LParen
                    | Token::Not
                    | Token::Plus
                    | Token::Minus
                    | Token::Term { .. }
                    | Token::Phrase(_)
                    | Token::Regex(_)
                    | Token::RangeOpen { .. }
            )
        )
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut branches = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.advance();
            branches.push(self.and()?);
        }
        Ok(Expr::or(branches))
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut branches = vec![self.unary()?];
        loop {
            if self.peek() == Some(&Token::And) {
                self.advance();
            } else if !self.starts_operand() {
                break;
            }
            branches.push(self.unary()?);
        }
        Ok(Expr::and(branches))
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        match self.peek() {
            Some(Token::Not | Token::Minus) => {
                self.advance();
                self.enter()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Plus) => {
                self.advance();
                self.unary()
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        match self.advance() {
            Some(Token::LParen) => {
                self.enter()?;
                let inner = self.or()?;
                self.expect_close()?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Term {
                text,
                wildcard: false,
            }) => {
                let field = unescape(&text);
                if self.peek() != Some(&Token::Colon) {
                    self.position -= 1;
                    return Err(self.error(format!(
                        "expected `field:value`, found `{field}` without a field"
                    )));
                }
                self.advance();
                let path: Vec<String> = field.split('.').map(str::to_owned).collect();
                if path.iter().any(String::is_empty) {
                    self.position -= 2;
                    return Err(self.error(format!("`{field}` is not a field name")));
                }
                self.value(&path)
            }
            other => {
                self.position -= 1;
                Err(self.error(format!(
                    "expected `field:value`, found {}",
                    describe(other.as_ref())
                )))
            }
        }
    }

    fn expect_close(&mut self) -> Result<(), FilterError> {
        match self.peek() {
            Some(Token::RParen) => {
                self.advance();
                Ok(())
            }
            other => Err(self.error(format!("expected `)`, found {}", describe(other)))),
        }
    }

    fn value(&mut self, path: &[String]) -> Result<Expr, FilterError> {
        if self.peek() == Some(&Token::LParen) {
            self.advance();
            self.enter()?;
            let inner = self.value_or(path)?;
            self.expect_close()?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.single(path)
    }

    fn value_or(&mut self, path: &[String]) -> Result<Expr, FilterError> {
        let mut branches = vec![self.value_and(path)?];
        while self.peek() == Some(&Token::Or) {
            self.advance();
            branches.push(self.value_and(path)?);
        }
        Ok(Expr::or(branches))
    }

    fn value_and(&mut self, path: &[String]) -> Result<Expr, FilterError> {
        let mut branches = vec![self.value_not(path)?];
        loop {
            if self.peek() == Some(&Token::And) {
                self.advance();
            } else if !self.starts_operand() {
                break;
            }
            branches.push(self.value_not(path)?);
        }
        Ok(Expr::and(branches))
    }

    fn value_not(&mut self, path: &[String]) -> Result<Expr, FilterError> {
        match self.peek() {
            Some(Token::Not | Token::Minus) => {
                self.advance();
                self.enter()?;
                let inner = self.value_not(path)?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Some(Token::Plus) => {
                self.advance();
                self.value_not(path)
            }
            _ => self.value(path),
        }
    }

    fn single(&mut self, path: &[String]) -> Result<Expr, FilterError> {
        let column = self.column();
        let matcher = match self.advance() {
            Some(Token::Term { text, wildcard }) => {
                if !wildcard {
                    Matcher::Exact(unescape(&text))
                } else if text == "*" {
                    Matcher::Present
                } else {
                    Matcher::Pattern(compile(&wildcard_regex(&text), column)?)
                }
            }
            Some(Token::Phrase(text)) => Matcher::Exact(text),
            Some(Token::Regex(text)) => {
                Matcher::Pattern(compile(&format!("^(?:{text})$"), column)?)
            }
            Some(Token::RangeOpen { inclusive }) => {
                let low = self.bound()?;
                if self.advance() != Some(Token::To) {
                    self.position -= 1;
                    return Err(self.error("expected `TO` in the range"));
                }
                let high = self.bound()?;
                match self.advance() {
                    Some(Token::RangeClose {
                        inclusive: high_inclusive,
                    }) => Matcher::Range {
                        low,
                        low_inclusive: inclusive,
                        high,
                        high_inclusive,
                    },
                    other => {
                        self.position -= 1;
                        return Err(self.error(format!(
                            "expected `]` or `}}` to close the range, found {}",
                            describe(other.as_ref())
                        )));
                    }
                }
            }
            other => {
                self.position -= 1;
                return Err(self.error(format!(
                    "expected a value after `{}:`, found {}",
                    path.join("."),
                    describe(other.as_ref())
                )));
            }
        };
        Ok(Expr::Match {
            path: path.to_vec(),
            matcher,
        })
    }

    /// A range bound: a term, a phrase, or `*` for "unbounded".
    fn bound(&mut self) -> Result<Option<String>, FilterError> {
        match self.advance() {
            Some(Token::Term { text, .. }) if text == "*" => Ok(None),
            Some(Token::Term {
                text,
                wildcard: false,
            }) => Ok(Some(unescape(&text))),
            Some(Token::Phrase(text)) => Ok(Some(text)),
            other => {
                self.position -= 1;
                Err(self.error(format!(
                    "expected a range bound, found {}",
                    describe(other.as_ref())
                )))
            }
        }
    }
}
