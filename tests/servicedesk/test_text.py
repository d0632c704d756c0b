"""Rich text from users: scripts and event handlers go, formatting stays; plain text for e-mails."""

import pytest

from servicedesk.text import plain_text, sanitise_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hi<script>alert('x')</script></p>", "<p>Hi</p>"),
        ("<script src='https://evil.example/x.js'></script>Done", "Done"),
        ('<p onclick="steal()" onmouseover="steal()">Click</p>', "<p>Click</p>"),
        ('<b onload="x()">bold</b>', "<b>bold</b>"),
        ('<img src="x" onerror="alert(1)">after', "after"),
        ('<p style="position:fixed">styled</p>', "<p>styled</p>"),
        ("<style>p { display: none }</style><p>visible</p>", "<p>visible</p>"),
        ('<iframe src="https://evil.example"></iframe>text', "text"),
        ("<div><span>unknown tags unwrap</span></div>", "unknown tags unwrap"),
        ('<form action="/x"><input name="p"></form>', ""),
    ],
)
def test_scripts_handlers_styles_and_unknown_tags_are_removed(dirty, clean):
    assert sanitise_html(dirty) == clean


def test_script_content_never_survives_anywhere():
    result = sanitise_html(
        '<p>a</p><script>document.cookie</script><svg onload="alert(1)"><p>b</p></svg>'
    )
    assert "script" not in result.lower()
    assert "onload" not in result
    assert "document.cookie" not in result
    assert "alert" not in result


@pytest.mark.parametrize(
    "html",
    [
        "<p>Paragraph with <b>bold</b>, <strong>strong</strong>, <i>italic</i>, <em>em</em>, "
        "<u>underline</u>, <s>strike</s> and <code>code</code>.</p>",
        "<h3>Title</h3><h4>Subtitle</h4>",
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>",
        "<blockquote>quoted</blockquote><pre>  preformatted\n  text</pre>",
        "<table><thead><tr><th>Host</th></tr></thead><tbody><tr><td>srv-01</td></tr></tbody></table>",
        "line one<br>line two",
    ],
)
def test_allowed_formatting_is_kept_as_written(html):
    assert sanitise_html(html) == html


def test_links_keep_href_and_title_and_get_a_safe_rel():
    result = sanitise_html(
        '<a href="https://example.org/kb/42" title="KB 42" target="_blank" onclick="x()">KB</a>'
    )
    assert result == (
        '<a href="https://example.org/kb/42" title="KB 42" rel="noopener noreferrer nofollow">'
        "KB</a>"
    )


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x", "ftp://x"]
)
def test_links_with_dangerous_schemes_lose_their_target(href):
    result = sanitise_html(f'<a href="{href}">click</a>')
    assert "href" not in result
    assert "click" in result


@pytest.mark.parametrize("href", ["mailto:desk@example.org", "http://example.org", "/relative"])
def test_safe_and_relative_links_are_kept(href):
    assert f'href="{href}"' in sanitise_html(f'<a href="{href}">x</a>')


def test_text_is_escaped_and_surrounding_space_trimmed():
    assert sanitise_html("  1 < 2 & 3 > 2  ") == "1 &lt; 2 &amp; 3 &gt; 2"


@pytest.mark.parametrize("empty", [None, "", "   \n "])
def test_nothing_in_gives_an_empty_string(empty):
    assert sanitise_html(empty) == ""
    assert plain_text(empty) == ""


def test_plain_text_drops_every_tag_and_keeps_the_words():
    html = sanitise_html(
        "<h3>Outage</h3><p>The <b>VPN</b> is <a href='https://x.org'>down</a>.</p>"
    )
    assert plain_text(html) == "OutageThe VPN is down."


def test_plain_text_decodes_entities_into_real_characters():
    assert plain_text(sanitise_html("<p>Fish & chips < £5</p>")) == "Fish & chips < £5"
    assert plain_text("<p>&lt;script&gt; is text here</p>") == "<script> is text here"


def test_plain_text_of_only_markup_or_spaces_is_empty():
    assert plain_text("<p></p><br><ul><li></li></ul>") == ""
    assert plain_text("<p>&nbsp;</p>") == ""
    assert plain_text("<script>alert(1)</script>") == ""
