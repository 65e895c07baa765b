//! `extract_html_links`: the links of a comment's HTML, carried into its text.

use scraper::{Html, Selector};

/// Carries the links of a comment's `html_body` into its `body` text, as Meya does
/// (`ZendeskSupportTicketCommentGet.body_with_links`, Meya SDK 2.8): for each link in order,
/// if its text (all the text inside the `<a>`, tags dropped) occurs exactly once in the text
/// so far, that occurrence becomes `[text](href)`; otherwise the URL is appended after a blank
/// line. Each link is looked for in the text as the earlier links left it, and a URL is
/// appended as often as its links fail to match.
///
/// ```
/// # use zendesk_sunco_bridge::carry_html_links;
/// let body = "See our FAQ for details.";
/// let html = r#"<p>See our <a href="https://acme.test/faq">FAQ</a> for details.</p>"#;
/// assert_eq!(carry_html_links(body, html), "See our [FAQ](https://acme.test/faq) for details.");
/// ```
pub fn carry_html_links(body: &str, html_body: &str) -> String {
    let Ok(anchors) = Selector::parse("a[href]") else {
        return body.to_owned();
    };
    let document = Html::parse_fragment(html_body);
    let mut text = body.to_owned();
    for anchor in document.select(&anchors) {
        let Some(href) = anchor.value().attr("href") else {
            continue;
        };
        let label: String = anchor.text().collect();
        // Python's `re.subn` with an empty pattern matches at every position: once in an
        // empty text, more often in any other.
        let occurrences = if label.is_empty() {
            text.chars().count() + 1
        } else {
            text.matches(label.as_str()).count()
        };
        if occurrences == 1 {
            text = text.replacen(label.as_str(), &format!("[{label}]({href})"), 1);
        } else {
            text.push_str("\n\n");
            text.push_str(href);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::carry_html_links;

    #[test]
    fn a_unique_label_becomes_a_markdown_link() {
        assert_eq!(
            carry_html_links(
                "Track it here and reply.",
                r#"<p>Track it <a href="https://track.test/1" rel="noreferrer">here</a> and reply.</p>"#
            ),
            "Track it [here](https://track.test/1) and reply."
        );
    }

    /// Meya's own test case (`ticket_comment_test.py`), with Meya's answer.
    #[test]
    fn meyas_example_gives_meyas_answer() {
        let body = "link abc, link def, link abc, link **ghi**";
        let html = r#"<div class="zd-comment" dir="auto"><a href="http://example.org/abc1" rel="noreferrer">link abc</a>, <a href="http://example.org/def" rel="noreferrer">link def</a>, <a href="http://example.org/abc2" rel="noreferrer">link abc</a>, <a href="http://example.org/ghi" rel="noreferrer">link <b>ghi</b></a><br></div>"#;
        assert_eq!(
            carry_html_links(body, html),
            "link abc, [link def](http://example.org/def), link abc, link **ghi**\n\nhttp://example.org/abc1\n\nhttp://example.org/abc2\n\nhttp://example.org/ghi"
        );
        // Meya's other examples: a link whose text is the whole body, entities decoded.
        let body = "How can agents leverage knowledge to help customers?";
        let html = r#"<div class="zd-comment" dir="auto"><a href="https://d3v-meya.zendesk.com/hc/en-us/articles/360045161313-How-can-agents-leverage-knowledge-to-help-customers-?source=search&amp;auth_token=x" rel="noreferrer">How can agents leverage knowledge to help customers?</a><br></div>"#;
        assert_eq!(
            carry_html_links(body, html),
            "[How can agents leverage knowledge to help customers?](https://d3v-meya.zendesk.com/hc/en-us/articles/360045161313-How-can-agents-leverage-knowledge-to-help-customers-?source=search&auth_token=x)"
        );
        // No links: the body as it is.
        assert_eq!(
            carry_html_links(
                "Hello **world**",
                r#"<div class="zd-comment" dir="auto">Hello <b>world</b><br></div>"#
            ),
            "Hello **world**"
        );
    }

    #[test]
    fn a_url_that_prefixes_one_already_inserted_is_not_dropped() {
        // The second link's URL occurs in the text once the first is inserted; Meya still
        // handles it by its text ("docs" occurs twice by then: appended).
        let body = "See the guide and the docs.";
        let html = r#"<p>See the <a href="https://acme.test/docs/guide">guide</a> and the <a href="https://acme.test/docs">docs</a>.</p>"#;
        assert_eq!(
            carry_html_links(body, html),
            "See the [guide](https://acme.test/docs/guide) and the docs.\n\nhttps://acme.test/docs"
        );
        let body = "Open https://acme.test/a now";
        let html = r#"<p>Open <a href="https://acme.test/a">https://acme.test/a</a> now</p>"#;
        assert_eq!(
            carry_html_links(body, html),
            "Open [https://acme.test/a](https://acme.test/a) now"
        );
    }

    #[test]
    fn ambiguous_or_empty_labels_append_the_url_each_time() {
        assert_eq!(
            carry_html_links(
                "Click here, or here.",
                r#"<p>Click <a href="https://a.test">here</a>, or here.</p>"#
            ),
            "Click here, or here.\n\nhttps://a.test"
        );
        assert_eq!(
            carry_html_links(
                "Hello",
                r#"<p>Hello <a href="https://b.test"><img src="x"></a></p>"#
            ),
            "Hello\n\nhttps://b.test"
        );
        // An empty label in an empty text matches once, as Python's re.subn does.
        assert_eq!(
            carry_html_links("", r#"<a href="https://c.test"></a>"#),
            "[](https://c.test)"
        );
        assert_eq!(
            carry_html_links(
                "a b",
                r#"<a href="https://d.test">one</a><a href="https://d.test">two</a>"#
            ),
            "a b\n\nhttps://d.test\n\nhttps://d.test"
        );
        assert_eq!(carry_html_links("plain", "<p>plain</p>"), "plain");
        assert_eq!(
            carry_html_links("x", "<a href=\"https://c.test\">x</a><<>>&&"),
            "[x](https://c.test)"
        );
    }
}
