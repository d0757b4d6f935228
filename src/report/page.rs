//! The one page template every HTML output goes through: report.html of a
//! run, the comparison, sweep and stress pages, and calibration.html. The
//! frame (doctype, head with the stylesheet, the header with its title,
//! meta line and navigation, the footer) is `templates/page.html`, checked
//! and compiled into the binary by askama; each page supplies its sections
//! as HTML fragments it has built and escaped.
//!
//! askama rather than a runtime engine (minijinja) or an HTML macro (maud):
//! the template is a file a reader can open, it is checked at compile time
//! (a misspelt field is a build error, not a blank in a report), and it
//! escapes every text field by default, so only the fields named `*|safe`
//! in the template take markup.

use askama::Template;

/// One link of the header's navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    /// The `id` it jumps to, without `#`.
    pub anchor: String,
    /// Its text (escaped by the template).
    pub label: String,
}

impl NavLink {
    /// A link to `#anchor` labelled `label`.
    pub fn new(anchor: &str, label: &str) -> Self {
        NavLink {
            anchor: anchor.to_string(),
            label: label.to_string(),
        }
    }
}

/// What a page puts into the frame.
#[derive(Template)]
#[template(path = "page.html")]
pub struct Page<'a> {
    /// The document title before ` — creditstress` (plain text, escaped by the template).
    pub title: &'a str,
    /// The `h1` (plain text, escaped by the template).
    pub heading: &'a str,
    /// The line under the heading, as HTML (user text in it escaped by the caller); empty: none.
    pub meta: &'a str,
    /// The header's navigation; empty: none.
    pub nav: &'a [NavLink],
    /// The sections, as HTML built by the page (user text escaped by it).
    pub body: &'a str,
    /// The footer, as HTML; empty: none.
    pub footer: &'a str,
    /// The house stylesheet ([`super::html::CSS`]).
    pub css: &'a str,
    /// What the page adds to the stylesheet (empty for most).
    pub extra_css: &'a str,
}

impl Page<'_> {
    /// The page as an HTML document.
    pub fn html(&self) -> String {
        // Rendering writes into a String and the template has no fallible
        // filters, so it cannot fail.
        self.render().expect("the page template renders into a String")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(nav: &'a [NavLink], body: &'a str) -> Page<'a> {
        Page {
            title: "t <b>&\"'",
            heading: "h <b>&\"'",
            meta: "<code>m</code>",
            nav,
            body,
            footer: "",
            css: "body{}",
            extra_css: "",
        }
    }

    #[test]
    fn text_fields_are_escaped_once_and_fragments_are_kept() {
        let nav = [NavLink::new("a", "A & <b>")];
        let html = page(&nav, "<p>body &amp; more</p>").html();
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"),
            "{html}"
        );
        assert!(
            html.contains("<title>t &#60;b&#62;&#38;&#34;&#39; — creditstress</title>"),
            "{html}"
        );
        assert!(html.contains("<h1>h &#60;b&#62;&#38;&#34;&#39;</h1>"), "{html}");
        assert!(html.contains("<p class=\"meta\"><code>m</code></p>"));
        assert!(
            html.contains("<nav><a href=\"#a\">A &#38; &#60;b&#62;</a></nav>"),
            "{html}"
        );
        assert!(
            html.contains("<p>body &amp; more</p>"),
            "a fragment is not escaped again"
        );
        assert!(!html.contains("<footer>"), "no footer when it is empty");
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn an_empty_nav_and_meta_leave_no_elements() {
        let mut p = page(&[], "");
        p.meta = "";
        let html = p.html();
        assert!(!html.contains("<nav>") && !html.contains("class=\"meta\""), "{html}");
    }
}
