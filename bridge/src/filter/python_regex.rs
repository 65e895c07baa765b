//! Meya's `/regex/` terms are Python regular expressions, matched with `re.match("^R$", v)`.
//! This module carries the part of Python's syntax that means the same in Rust's `regex`
//! crate, and refuses the rest by name rather than guess.
//!
//! Carried as is: literals, `.`, classes without nesting or set operations, groups `( )`,
//! `(?: )`, `(?P<name> )`, the scoped flags `(?i: )` and `(?s: )`, quantifiers (greedy and
//! lazy), `|`, `^`, `\A`, `\b`, `\B`, `\d`, `\D`, `\w`, `\W`, `\s`, `\S`, escaped
//! punctuation, `\n`, `\t`, `\r`, `\f`, `\v`, `\xHH`, `\uHHHH`, `\UHHHHHHHH`. Translated:
//! `$` (outside classes), which in Python also matches before a final newline, and `\Z`
//! (Python's end of text). Refused: look-around, backreferences, atomic groups, possessive
//! quantifiers, conditionals, comments, `(?<name>`, `\p{..}`, octal escapes, POSIX classes
//! `[:alpha:]`, nested classes and `&&`/`--`/`~~` inside a class (all of which Rust reads
//! differently from Python, or not at all).

/// `$` as Python reads it without MULTILINE: the end, or before a newline that ends the text.
const PYTHON_END: &str = r"(?:\n?\z)";

/// Rust's equivalent of `re.match("^" + pattern + "$", value)`: anchored at the start, with
/// Python's `$`. Errs naming what cannot be carried.
pub(super) fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::from(r"\A(?:^");
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err("a trailing `\\`".into());
                };
                let (text, length) = escape(&chars, i, next, in_class)?;
                out.push_str(&text);
                i += length;
                continue;
            }
            '[' if in_class => {
                if chars.get(i + 1) == Some(&':') {
                    return Err(
                        "POSIX classes such as `[:alpha:]` (Python reads them as plain characters)"
                            .into(),
                    );
                }
                return Err("a `[` inside a class (Rust nests classes there)".into());
            }
            '[' => {
                in_class = true;
                class_start = i;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A `]` first in a class is a literal in Python.
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.get(i + 1) == Some(&c) => {
                return Err(format!("`{c}{c}` inside a class (a set operation in Rust)"));
            }
            '$' if !in_class => out.push_str(PYTHON_END),
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let length = group_opening(&chars, i, &mut out)?;
                i += length;
                continue;
            }
            '*' | '+' | '?' | '}' if !in_class && chars.get(i + 1) == Some(&'+') => {
                return Err("possessive quantifiers".into());
            }
            '{' if !in_class => {
                // Python reads `{` as a literal unless it starts a repetition.
                let length = repetition_length(&chars, i);
                if length == 0 {
                    out.push_str(r"\{");
                } else {
                    // Rust wants the lower bound written: `{,n}` is `{0,n}`.
                    let repetition: String = chars[i..i + length].iter().collect();
                    out.push_str(&repetition.replacen("{,", "{0,", 1));
                    i += length;
                    if chars.get(i) == Some(&'+') {
                        return Err("possessive quantifiers".into());
                    }
                    continue;
                }
            }
            '}' if !in_class => out.push_str(r"\}"),
            other => out.push(other),
        }
        i += 1;
    }
    if in_class {
        return Err(format!(
            "the class opened at character {} is not closed",
            class_start + 1
        ));
    }
    out.push_str(PYTHON_END);
    out.push(')');
    Ok(out)
}

/// An escape at `chars[at]` (`\`, then `next`): its Rust text and length.
fn escape(
    chars: &[char],
    at: usize,
    next: char,
    in_class: bool,
) -> Result<(String, usize), String> {
    let hex = |count: usize| -> Result<(String, usize), String> {
        let digits: String = chars.iter().skip(at + 2).take(count).collect();
        if digits.chars().count() == count && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok((format!("\\x{{{digits}}}"), 2 + count))
        } else {
            Err(format!("a malformed `\\{next}` escape"))
        }
    };
    match next {
        'x' => hex(2),
        'u' => hex(4),
        'U' => hex(8),
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' => {
            Ok((format!("\\{next}"), 2))
        }
        'A' | 'b' | 'B' if !in_class => Ok((format!("\\{next}"), 2)),
        'Z' if !in_class => Ok((r"\z".into(), 2)),
        '0'..='9' => Err("octal escapes and backreferences".into()),
        c if c.is_ascii_punctuation() => Ok((format!("\\{c}"), 2)),
        c if c.is_ascii_alphanumeric() => Err(format!("the escape `\\{c}`")),
        // Python takes `\` before any other character as that character.
        c => Ok((regex::escape(&c.to_string()), 2)),
    }
}

/// A `(?` group opening at `chars[at]`: writes its Rust form; answers its length.
fn group_opening(chars: &[char], at: usize, out: &mut String) -> Result<usize, String> {
    let rest: String = chars.iter().skip(at).take(4).collect();
    if rest.starts_with("(?:") {
        out.push_str("(?:");
        return Ok(3);
    }
    if rest.starts_with("(?P<") {
        out.push_str("(?P<");
        return Ok(4);
    }
    // Scoped flags, `(?i:...)` and `(?s:...)`. Global ones (`(?i)`) must open a Python
    // pattern, and Meya's always opens with `^`; `m` and `x` change what `$` and spaces mean.
    let flags: String = chars
        .iter()
        .skip(at + 2)
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let after = chars.get(at + 2 + flags.chars().count());
    if !flags.is_empty() && after == Some(&':') {
        if let Some(flag) = flags.chars().find(|flag| !"is".contains(*flag)) {
            return Err(format!("the flag `{flag}`"));
        }
        out.push_str("(?");
        out.push_str(&flags);
        return Ok(2 + flags.chars().count());
    }
    if !flags.is_empty() && after == Some(&')') {
        return Err(
            "global flags such as `(?i)` (Meya's pattern opens with `^`, so Python \
                    refuses them there); scope them: `(?i:...)`"
                .into(),
        );
    }
    Err(
        "look-around, backreferences, atomic groups, conditionals and comments (`(?=`, `(?!`, \
         `(?<`, `(?P=`, `(?>`, `(?(`, `(?#`)"
            .into(),
    )
}

/// The length of a Python repetition `{m}`, `{m,}`, `{,n}` or `{m,n}` at `chars[at]`, or 0
/// when the `{` is a literal.
fn repetition_length(chars: &[char], at: usize) -> usize {
    let mut i = at + 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let low = digits(&mut i);
    let comma = chars.get(i) == Some(&',');
    if comma {
        i += 1;
    }
    let high = digits(&mut i);
    if chars.get(i) != Some(&'}') || (low == 0 && high == 0) || (!comma && high > 0) {
        return 0;
    }
    i + 1 - at
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn matches(pattern: &str, value: &str) -> bool {
        regex::Regex::new(&translate(pattern).unwrap())
            .unwrap()
            .is_match(value)
    }

    #[test]
    fn pythons_anchoring_and_dollar() {
        // re.match("^a|b$", v): `a` at the start, or the whole text `b`.
        assert!(matches("a|b", "abc"));
        assert!(matches("a|b", "b"));
        assert!(!matches("a|b", "xb"));
        // `$` also matches before a final newline.
        assert!(matches("open", "open\n"));
        assert!(!matches("open", "open\n\n"));
        assert!(matches("op.n$", "open"));
        assert!(matches(r"[a-z]+@acme\.com", "jane@acme.com"));
        assert!(matches("a{2}", "aa"));
        assert!(matches("a{", "a{"));
        assert!(matches("x{,2}", "xx"));
        assert!(matches("[]a]+", "]a]"));
        assert!(matches("[$]", "$"));
        assert!(matches(r"a\Z", "a"));
        assert!(!matches(r"a\Z", "a\n"));
        assert!(matches("(?i:OPEN)", "open"));
    }

    #[test]
    fn what_rust_reads_otherwise_is_refused() {
        for pattern in [
            "a(?=b)",
            "a(?!b)",
            "(?<=a)b",
            "(a)\\1",
            "(?P<x>a)(?P=x)",
            "(?>a)",
            "a*+",
            "a{2}+",
            "[[:alpha:]]",
            "[a[b]]",
            "[a&&b]",
            "[a--b]",
            r"\p{L}",
            r"\0",
            "(?<x>a)",
            "(?a:x)",
            "(?i)x",
            "(?m:a$)",
            "[a",
            r"\q",
            "(?#c)",
        ] {
            assert!(translate(pattern).is_err(), "{pattern}");
        }
    }
}
