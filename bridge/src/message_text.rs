//! Comment text cut into messages SunCo accepts.
//!
//! SunCo refuses a message whose `text` is longer than 4096 characters, and a `markdownText`
//! whose *HTML rendering* is: its API description says of `markdownText` "Will be converted to
//! `htmlText` upon reception. If converted `htmlText` exceeds 4096 characters, the message will
//! be rejected." (SunCo's OpenAPI description of API v2, schema
//! `markdownText`). So a Markdown comment full of links, whose source fits, can still be
//! refused: `[docs](https://example.test/a/long/path)` is 40 characters of source and about
//! 55 of HTML.
//!
//! SunCo is a JavaScript service, so its characters are counted here as JavaScript counts
//! them, in UTF-16 code units: an emoji outside the Basic Multilingual Plane counts two. That
//! is the stricter reading; text cut by it fits either way.
//!
//! The HTML length is estimated by rendering the Markdown with `pulldown-cmark` (CommonMark);
//! SunCo's own renderer may write more (attributes on links, say), so a part SunCo still
//! refuses is cut again at half the budget (see [`MIN_BUDGET`]).

use pulldown_cmark::{Options, Parser, html};

/// SunCo's limit on a message's text, and on the HTML a Markdown text renders to.
pub(crate) const LIMIT: usize = 4096;

/// The smallest budget a refused part is cut down to before the comment counts as refused.
pub(crate) const MIN_BUDGET: usize = 256;

/// The length of `text` as JavaScript counts it (UTF-16 code units).
pub(crate) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The length of the HTML that `markdown` renders to, in UTF-16 code units.
pub(crate) fn rendered_len(markdown: &str) -> usize {
    let mut rendered = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(
        &mut rendered,
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH),
    );
    utf16_len(&rendered)
}

/// What a piece costs against SunCo's limit: its length, and for Markdown also its HTML's.
fn cost(piece: &str, markdown: bool) -> usize {
    let length = utf16_len(piece);
    if markdown {
        length.max(rendered_len(piece))
    } else {
        length
    }
}

/// Whether `text` fits in one message within `budget`.
pub(crate) fn fits(text: &str, markdown: bool, budget: usize) -> bool {
    cost(text, markdown) <= budget
}

/// Cuts `text` into pieces that each cost at most `budget`, in order, cutting at paragraph
/// breaks where possible, else at line breaks, else at spaces, else anywhere (on a character
/// boundary). Whitespace at the cuts is dropped; nothing else is.
pub(crate) fn split(text: &str, markdown: bool, budget: usize) -> Vec<String> {
    let budget = budget.max(1);
    let mut pieces = Vec::new();
    let mut rest = text.trim_matches(['\n', ' ']);
    while !rest.is_empty() {
        if fits(rest, markdown, budget) {
            pieces.push(rest.to_owned());
            break;
        }
        let cut = cut_point(rest, markdown, budget);
        let (piece, remainder) = rest.split_at(cut);
        let piece = piece.trim_end_matches(['\n', ' ']);
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
        rest = remainder.trim_start_matches(['\n', ' ']);
    }
    pieces
}

/// Where to cut `rest` (which does not fit): the latest preferred boundary whose prefix fits.
fn cut_point(rest: &str, markdown: bool, budget: usize) -> usize {
    // No prefix longer than the budget in UTF-16 units can fit, whatever its HTML.
    let window = prefix_of_units(rest, budget);
    let prefix_fits = |at: usize| fits(rest[..at].trim_end_matches(['\n', ' ']), markdown, budget);
    for separator in ["\n\n", "\n", " "] {
        let candidates: Vec<usize> = rest[..window]
            .match_indices(separator)
            .map(|(at, _)| at)
            .filter(|&at| at > 0)
            .collect();
        if let Some(at) = last_fitting(&candidates, &prefix_fits) {
            return at;
        }
    }
    // No boundary fits: cut inside a word, as late as fits (at least one character).
    let boundaries: Vec<usize> = rest[..window]
        .char_indices()
        .map(|(at, _)| at)
        .skip(1)
        .chain(std::iter::once(window))
        .filter(|&at| at > 0)
        .collect();
    last_fitting(&boundaries, &prefix_fits)
        .or_else(|| rest.char_indices().nth(1).map(|(at, _)| at))
        .unwrap_or(rest.len())
}

/// The latest of the ascending `candidates` whose prefix fits, by binary search: a longer
/// prefix never renders shorter by much, so the first misfit marks the end of the fits.
fn last_fitting(candidates: &[usize], prefix_fits: &impl Fn(usize) -> bool) -> Option<usize> {
    let fitting = candidates.partition_point(|&at| prefix_fits(at));
    fitting.checked_sub(1).map(|last| candidates[last])
}

/// The byte length of the longest prefix of `text` within `units` UTF-16 code units.
fn prefix_of_units(text: &str, units: usize) -> usize {
    let mut used = 0;
    for (at, character) in text.char_indices() {
        used += character.len_utf16();
        if used > units {
            return at;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths_within(pieces: &[String], markdown: bool, budget: usize) -> bool {
        pieces.iter().all(|piece| cost(piece, markdown) <= budget)
    }

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("hello", false, 10), ["hello"]);
        assert!(split("\n\n", false, 10).is_empty());
    }

    #[test]
    fn cuts_at_paragraphs_then_lines_then_spaces_then_anywhere() {
        assert_eq!(
            split("aaaa bbbb\n\ncccc dddd\neeee", false, 12),
            ["aaaa bbbb", "cccc dddd", "eeee"]
        );
        assert_eq!(split("abcdefghij", false, 4), ["abcd", "efgh", "ij"]);
        let long = "word ".repeat(2000);
        let pieces = split(&long, false, 4096);
        assert!(lengths_within(&pieces, false, 4096));
        assert_eq!(pieces.concat().replace(' ', ""), long.replace(' ', ""));
    }

    #[test]
    fn counts_as_javascript_does() {
        // 😀 is two UTF-16 code units: 3000 of them are 6000 units, two messages.
        let emoji = "😀".repeat(3000);
        assert_eq!(utf16_len(&emoji), 6000);
        let pieces = split(&emoji, false, LIMIT);
        assert_eq!(pieces.len(), 2);
        assert!(lengths_within(&pieces, false, LIMIT));
        assert_eq!(pieces.concat(), emoji);
        // é is one unit: 4096 of them fit.
        assert_eq!(split(&"é".repeat(LIMIT), false, LIMIT).len(), 1);
    }

    #[test]
    fn markdown_is_measured_by_its_html() {
        let links = "[docs](https://example.test/a/long/path) ".repeat(90);
        assert!(utf16_len(&links) <= LIMIT);
        assert!(rendered_len(&links) > LIMIT);
        assert!(!fits(&links, true, LIMIT));
        assert!(fits(&links, false, LIMIT));
        let pieces = split(&links, true, LIMIT);
        assert!(pieces.len() >= 2);
        assert!(lengths_within(&pieces, true, LIMIT));
        // Cut between links, never inside one.
        for piece in &pieces {
            assert_eq!(piece.matches('[').count(), piece.matches("](").count());
        }
    }

    #[test]
    fn a_ten_thousand_character_markdown_comment_fits_in_parts() {
        let mut comment = String::new();
        let mut item = 0;
        while utf16_len(&comment) < 10_000 {
            item += 1;
            comment.push_str(&format!(
                "- item {item}: see [the guide](https://help.example.test/guide/{item}) and **note** {item}\n"
            ));
            if item % 7 == 0 {
                comment.push_str("\nA paragraph between lists, with a line\nbreak in it.\n\n");
            }
        }
        for budget in [LIMIT, LIMIT / 2, MIN_BUDGET] {
            let pieces = split(&comment, true, budget);
            assert!(lengths_within(&pieces, true, budget), "budget {budget}");
            let rejoined: String = pieces.join("");
            assert_eq!(
                rejoined.replace(['\n', ' '], ""),
                comment.replace(['\n', ' '], ""),
                "nothing lost at budget {budget}"
            );
        }
    }
}
