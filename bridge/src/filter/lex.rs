//! The lexer of luqum 0.9, the Lucene query parser Meya uses, reproduced token for token.
//!
//! At each position the first rule that matches wins, in luqum's (PLY's) order: whitespace,
//! a term, a `"phrase"`, a `/regex/`, `~N` (fuzzy or proximity), `^N` (boost), then the
//! single-character tokens. `AND`, `OR`, `NOT` and `TO` are terms spelled exactly so; `&&`,
//! `||` and `!` are ordinary term characters. A character no rule reads is skipped (luqum
//! prints it and goes on); the skip is recorded, and the filter refuses such a query.

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A term as written, escapes included (`end-user`, `sun*`, `a\:b`).
    Term(String),
    /// A phrase as written, quotes included.
    Phrase(String),
    /// A regex as written, slashes included.
    Regex(String),
    /// `~` with its optional degree.
    Approx,
    /// `^` with its optional force.
    Boost,
    Minus,
    Plus,
    Colon,
    LParen,
    RParen,
    /// `[` (inclusive) or `{` (exclusive).
    LBracket {
        inclusive: bool,
    },
    /// `]` (inclusive) or `}` (exclusive).
    RBracket {
        inclusive: bool,
    },
    And,
    Or,
    Not,
    To,
}

/// A token and the 1-based column (in characters) it starts at.
#[derive(Debug, Clone)]
pub(super) struct Spanned {
    pub(super) token: Token,
    pub(super) column: usize,
}

/// The tokens of a query, and the columns of the characters luqum would skip.
pub(super) struct Lexed {
    pub(super) tokens: Vec<Spanned>,
    pub(super) skipped: Vec<usize>,
}

/// Python's `\s` for text: Unicode whitespace and the information separators.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Characters that cannot start a term (unless escaped).
fn bars_term_start(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            ':' | '^'
                | '~'
                | '('
                | ')'
                | '{'
                | '}'
                | '['
                | ']'
                | '/'
                | ','
                | '"'
                | '\''
                | '+'
                | '-'
                | '\\'
        )
}

/// Characters that end a term (unless escaped, or a `:` inside a time such as `T10:00`).
fn ends_term(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            ':' | '^' | '\\' | '~' | '(' | ')' | '{' | '}' | '[' | ']'
        )
}

/// The length of a term starting at `start`, or 0.
fn term_at(chars: &[char], start: usize) -> usize {
    let mut i = start;
    match chars.get(i) {
        // `\` followed by any character but a newline starts a term.
        Some('\\') if chars.get(i + 1).is_some_and(|&c| c != '\n') => i += 2,
        Some(&c) if !bars_term_start(c) => i += 1,
        _ => return 0,
    }
    loop {
        match chars.get(i) {
            Some('\\') if chars.get(i + 1).is_some_and(|&c| c != '\n') => i += 2,
            Some(':') if time_colon(chars, i) => {
                // `:MM`, and `:SS` after it when there is one.
                i += 3;
                if chars.get(i) == Some(&':') && two_digits(chars, i + 1) {
                    i += 3;
                }
            }
            Some(&c) if !ends_term(c) => i += 1,
            _ => return i - start,
        }
    }
}

fn two_digits(chars: &[char], at: usize) -> bool {
    chars.get(at).is_some_and(char::is_ascii_digit)
        && chars.get(at + 1).is_some_and(char::is_ascii_digit)
}

/// luqum's time rule: a `:` right after `T` and two digits, followed by two digits.
fn time_colon(chars: &[char], colon: usize) -> bool {
    colon >= 3
        && chars[colon - 3] == 'T'
        && chars[colon - 2].is_ascii_digit()
        && chars[colon - 1].is_ascii_digit()
        && two_digits(chars, colon + 1)
}

/// The length of a `"phrase"` or `/regex/` starting at `start` (its delimiter), or 0.
fn delimited_at(chars: &[char], start: usize, delimiter: char) -> usize {
    if chars.get(start) != Some(&delimiter) {
        return 0;
    }
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return 0,
            Some('\\') => {
                if chars.get(i + 1).is_none_or(|&c| c == '\n') {
                    return 0;
                }
                i += 2;
            }
            Some(&c) if c == delimiter => return i + 1 - start,
            Some(_) => i += 1,
        }
    }
}

/// The length of `~` or `^` and the digits and dots after it.
fn modifier_at(chars: &[char], start: usize) -> usize {
    1 + chars[start + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == '.')
        .count()
}

pub(super) fn lex(query: &str) -> Lexed {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut skipped = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let column = i + 1;
        let text = |length: usize| chars[i..i + length].iter().collect::<String>();
        if is_space(chars[i]) {
            i += 1;
            continue;
        }
        let (token, length) = match term_at(&chars, i) {
            0 => match delimited_at(&chars, i, '"') {
                0 => match delimited_at(&chars, i, '/') {
                    0 => match chars[i] {
                        '~' => (Token::Approx, modifier_at(&chars, i)),
                        '^' => (Token::Boost, modifier_at(&chars, i)),
                        '[' | '{' => (
                            Token::LBracket {
                                inclusive: chars[i] == '[',
                            },
                            1,
                        ),
                        ']' | '}' => (
                            Token::RBracket {
                                inclusive: chars[i] == ']',
                            },
                            1,
                        ),
                        '-' => (Token::Minus, 1),
                        '+' => (Token::Plus, 1),
                        ':' => (Token::Colon, 1),
                        '(' => (Token::LParen, 1),
                        ')' => (Token::RParen, 1),
                        _ => {
                            skipped.push(column);
                            i += 1;
                            continue;
                        }
                    },
                    length => (Token::Regex(text(length)), length),
                },
                length => (Token::Phrase(text(length)), length),
            },
            length => {
                let word = text(length);
                let token = match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    "TO" => Token::To,
                    _ => Token::Term(word),
                };
                (token, length)
            }
        };
        tokens.push(Spanned { token, column });
        i += length;
    }
    Lexed { tokens, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(query: &str) -> Vec<Token> {
        lex(query).tokens.into_iter().map(|s| s.token).collect()
    }

    fn term(text: &str) -> Token {
        Token::Term(text.into())
    }

    #[test]
    fn terms_keep_dashes_operators_words_and_escapes() {
        assert_eq!(
            tokens("role:end-user"),
            [term("role"), Token::Colon, term("end-user")]
        );
        assert_eq!(tokens("a && b"), [term("a"), term("&&"), term("b")]);
        assert_eq!(tokens("!a:1"), [term("!a"), Token::Colon, term("1")]);
        assert_eq!(tokens("a\\:b:c"), [term("a\\:b"), Token::Colon, term("c")]);
        assert_eq!(tokens("ANDY AND"), [term("ANDY"), Token::And]);
        assert_eq!(
            tokens("-a +b"),
            [Token::Minus, term("a"), Token::Plus, term("b")]
        );
        // A term may hold `/`, `"`, `,` after its first character.
        assert_eq!(tokens("a/b\"c,d"), [term("a/b\"c,d")]);
    }

    #[test]
    fn times_keep_their_colons() {
        assert_eq!(
            tokens("at:2020-01-01T10:00:00"),
            [term("at"), Token::Colon, term("2020-01-01T10:00:00")]
        );
        assert_eq!(
            tokens("at:T10:00:x"),
            [
                term("at"),
                Token::Colon,
                term("T10:00"),
                Token::Colon,
                term("x")
            ]
        );
    }

    #[test]
    fn phrases_regexes_and_what_luqum_skips() {
        assert_eq!(
            tokens(r#"x:"a \" b" y:/a\/b/"#),
            [
                term("x"),
                Token::Colon,
                Token::Phrase(r#""a \" b""#.into()),
                term("y"),
                Token::Colon,
                Token::Regex(r"/a\/b/".into())
            ]
        );
        let lexed = lex("x:'vip'");
        assert_eq!(lexed.skipped, [3]);
        assert_eq!(
            lexed
                .tokens
                .into_iter()
                .map(|s| s.token)
                .collect::<Vec<_>>(),
            [term("x"), Token::Colon, term("vip'")]
        );
        // An unclosed quote is skipped too, and what follows lexes on its own.
        assert_eq!(lex("x:\"abc").skipped, [3]);
    }
}
