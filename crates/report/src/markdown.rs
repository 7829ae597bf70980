//! Planners' Markdown commentary turned into Typst markup, so that both kinds of commentary file
//! are typeset by the same engine with the report's own styles.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Characters with a meaning in Typst markup. Each is escaped with a backslash in running text,
/// so a planner's `#`, `*` or `$` is printed, never evaluated.
const SPECIAL: &[char] = &[
    '\\', '#', '*', '_', '`', '$', '<', '>', '@', '[', ']', '~', '=', '-', '+', '/', '\'', '"',
];

/// Escapes text for Typst markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Typst string literal.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Converts CommonMark to Typst markup. The file's top heading level becomes `top` (a
/// commentary's headings sit below the chapter heading, without gaps, as PDF/UA asks) and stays
/// out of the table of contents; images become their alternative text, because a commentary file
/// cannot bring pictures into a reproducible report.
pub fn to_typst(markdown: &str, top: usize) -> String {
    let min_level = Parser::new(markdown)
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(heading_level(level)),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    let mut out = String::new();
    // Open lists: their markers ("- " or "+ ").
    let mut lists: Vec<&'static str> = Vec::new();
    let mut in_code: Option<String> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        if let Some(code) = in_code.as_mut() {
            match event {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    out.push_str(&format!(
                        "#raw(block: true, {})\n\n",
                        string_literal(code.trim_end())
                    ));
                    in_code = None;
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {}
                Tag::Heading { level, .. } => {
                    let n = (heading_level(level) - min_level + top).min(6);
                    out.push_str(&format!("#heading(level: {n}, outlined: false)["));
                }
                Tag::BlockQuote(_) => out.push_str("#quote(block: true)["),
                Tag::CodeBlock(_) => in_code = Some(String::new()),
                Tag::List(start) => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    lists.push(if start.is_some() { "+ " } else { "- " });
                }
                Tag::Item => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
                    out.push_str(lists.last().copied().unwrap_or("- "));
                }
                Tag::Emphasis => out.push_str("#emph["),
                Tag::Strong => out.push_str("#strong["),
                Tag::Strikethrough => out.push_str("#strike["),
                Tag::Link { dest_url, .. } => {
                    out.push_str(&format!("#link({})[", string_literal(&dest_url)));
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => {
                    out.push_str(if lists.is_empty() { "\n\n" } else { "\n" });
                }
                TagEnd::Heading(_) => out.push_str("]\n\n"),
                TagEnd::BlockQuote(_) => out.push_str("]\n\n"),
                TagEnd::List(_) => {
                    lists.pop();
                    if lists.is_empty() {
                        out.push('\n');
                    }
                }
                TagEnd::Item => {}
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                    out.push(']')
                }
                _ => {}
            },
            Event::Text(t) => out.push_str(&escape(&t)),
            Event::Code(t) => out.push_str(&format!("#raw({})", string_literal(&t))),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push_str(" \\\n"),
            Event::Rule => out.push_str("#line(length: 100%)\n\n"),
            Event::Html(t) | Event::InlineHtml(t) => out.push_str(&escape(&t)),
            _ => {}
        }
    }
    out
}

fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_printed_not_evaluated() {
        let t = to_typst(
            "Kosten: 5 $ je #Fall, *wichtig* und a_b [x] // kein Kommentar",
            2,
        );
        assert_eq!(
            t,
            "Kosten: 5 \\$ je \\#Fall, #emph[wichtig] und a\\_b \\[x\\] \\/\\/ kein Kommentar\n\n"
        );
    }

    #[test]
    fn headings_lists_and_links() {
        let t = to_typst(
            "## Einordnung\n\n- eins\n- **zwei**\n\n### Mehr\n\n1. a\n2. b\n\n[Quelle](https://example.org/a?b=1)\n",
            2,
        );
        assert!(
            t.starts_with("#heading(level: 2, outlined: false)[Einordnung]\n\n"),
            "{t}"
        );
        assert!(
            t.contains("#heading(level: 3, outlined: false)[Mehr]"),
            "{t}"
        );
        assert!(t.contains("- eins\n- #strong[zwei]\n"), "{t}");
        assert!(t.contains("+ a\n+ b\n"), "{t}");
        assert!(
            t.contains("#link(\"https://example.org/a?b=1\")[Quelle]"),
            "{t}"
        );
    }

    #[test]
    fn code_is_a_raw_string() {
        let t = to_typst("```\nlet x = \"a\";\n```\n", 2);
        assert_eq!(t, "#raw(block: true, \"let x = \\\"a\\\";\")\n\n");
    }
}
