"""Narratives are written in Markdown and shown sanitised: no script, no style, no raw HTML
survives, and links open safely."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# "js-default" escapes raw HTML instead of passing it through; nh3 then removes anything else.
_parser = MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable(["table", "strikethrough"])
_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "h6",
         "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "s", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str | None) -> Markup:
    if not source:
        return Markup("")
    html = _parser.render(source)
    # Headings inside a narrative start at h3: the page's own h1/h2 structure stays intact.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)
