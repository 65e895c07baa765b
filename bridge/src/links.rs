//! `extract_html_links`: the links of a comment's HTML, carried into its text.

use scraper::{Html, Selector};

/// Carries the links of a comment's `html_body` into its `body` text, as Meya does: a link
/// whose text occurs exactly once in the body becomes `[text](href)` there; any other link's
/// URL is appended after a blank line. Links already visible in the body are left alone.
///
/// ```
/// # use bridge::carry_html_links;
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
    let mut appended = Vec::new();
    for anchor in document.select(&anchors) {
        let Some(href) = anchor.value().attr("href").map(str::trim) else {
            continue;
        };
        if href.is_empty() || href.starts_with('#') || text.contains(href) {
            continue;
        }
        let label: String = anchor.text().collect::<String>().trim().to_owned();
        if !label.is_empty() && text.matches(label.as_str()).count() == 1 {
            text = text.replacen(&label, &format!("[{label}]({href})"), 1);
        } else if !appended.iter().any(|seen: &String| seen == href) {
            appended.push(href.to_owned());
        }
    }
    for href in appended {
        text.push_str("\n\n");
        text.push_str(&href);
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

    #[test]
    fn an_ambiguous_or_missing_label_appends_the_url() {
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
    }

    #[test]
    fn visible_urls_anchors_and_junk_are_left_alone() {
        let body = "Go to https://acme.test/faq now.";
        let html = r##"<p>Go to <a href="https://acme.test/faq">https://acme.test/faq</a> now.
                      <a href="#top">top</a> <a href="">empty</a></p>"##;
        assert_eq!(carry_html_links(body, html), body);
        assert_eq!(carry_html_links("plain", "<p>plain</p>"), "plain");
        assert_eq!(
            carry_html_links("x", "<a href=\"https://c.test\">x</a><<>>&&"),
            "[x](https://c.test)"
        );
        // The same URL twice is appended once.
        assert_eq!(
            carry_html_links(
                "a b",
                r#"<a href="https://d.test">one</a><a href="https://d.test">two</a>"#
            ),
            "a b\n\nhttps://d.test"
        );
    }
}
