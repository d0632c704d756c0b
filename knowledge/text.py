"""Article text: Markdown (CommonMark with tables, markdown-it-py) rendered to HTML and
sanitised with nh3, as every rich text of the desk. Raw HTML in the Markdown is not rendered."""

import nh3
from markdown_it import MarkdownIt

from servicedesk.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

# An article may carry headings, rules and images (its own files, served by the desk).
ARTICLE_TAGS = ALLOWED_TAGS | {"h1", "h2", "h5", "h6", "hr", "img"}
ARTICLE_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "img": {"src", "alt", "title"}}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """Safe HTML for an article's Markdown: no scripts, styles, event handlers or foreign
    schemes; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        _markdown.render(text or ""),
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
