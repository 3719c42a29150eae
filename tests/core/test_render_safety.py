"""The hostile corpus: rendered pages run no script and fetch nothing (CVE-2021-32862)."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from signoff.core.render import render_markdown, render_notebook, sanitize_html
from signoff.core.render.page import CSP
from signoff.core.render.sanitize import SAFE_TAGS

DATA = Path(__file__).parent.parent / "data"
HOSTILE_NB = DATA / "notebooks" / "hostile_cve_2021_32862.ipynb"
HOSTILE_MD = DATA / "markdown" / "hostile.md"
SHELL_TAGS = {"html", "head", "meta", "title", "style", "body"}
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|bmp|svg\+xml);base64,[A-Za-z0-9+/=]*$")


class PageAudit(HTMLParser):
    """Walks a rendered page and records everything a browser could execute or fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.styles = 0
        self.metas: list[dict[str, str | None]] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in SAFE_TAGS | SHELL_TAGS:
            self.problems.append(f"tag <{tag}>")
        if tag == "style":
            self.styles += 1
        if tag == "meta":
            self.metas.append(attributes)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in {
                "srcset",
                "poster",
                "data",
                "action",
                "formaction",
                "background",
                "xlink:href",
                "ping",
                "lowsrc",
                "dynsrc",
            }:
                self.problems.append(f"fetching attribute {name} on <{tag}>")
            if name == "src":
                if tag != "img" or not DATA_IMAGE.match(value):
                    self.problems.append(f"src {value[:60]!r} on <{tag}>")
                else:
                    self.images.append(value)
            if name == "href":
                self.links.append(value)
                if not re.match(r"^(#|https?://|mailto:)", value):
                    self.problems.append(f"href {value[:60]!r}")
            if name == "style" and re.search(r"url|\\|@import|expression", value, re.I):
                self.problems.append(f"style {value[:60]!r}")
            if name == "id" and not re.match(r"^sec-\d+$", value):
                self.problems.append(f"id {value[:60]!r} not assigned by Signoff")


def audit(page: str) -> PageAudit:
    checker = PageAudit()
    checker.feed(page)
    checker.close()
    return checker


def assert_safe(page: str) -> PageAudit:
    checker = audit(page)
    assert checker.problems == []
    assert checker.styles == 1, "only the shipped stylesheet"
    assert re.search(r"<script", page, re.I) is None
    assert "javascript:" not in _fetchable_text(page).lower()  # visible text may quote it
    assert "evil.example/" not in _fetchable_text(page)
    # every meta is ours: charset, CSP, viewport, generator
    assert [m.get("http-equiv") for m in checker.metas if m.get("http-equiv")] == [
        "Content-Security-Policy"
    ]
    assert f'content="{CSP}"' in page
    # SVG shown as images: decoded, any script in them is inert (img context), never inline
    for src in checker.images:
        if src.startswith("data:image/svg+xml"):
            svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8", "replace")
            assert svg.lstrip().startswith(("<svg", "<?xml"))
            assert (
                re.search(r"<script|\son[a-z]+\s*=|javascript:|href=.https?:", svg, re.I) is None
            ), svg[:200]
    return checker


def _fetchable_text(page: str) -> str:
    """The page minus visible text nodes (placeholders name blocked URLs on purpose)."""
    return " ".join(re.findall(r"<[^>]*>", page))


def test_hostile_notebook_renders_without_any_executable_or_fetching_markup():
    document = render_notebook(HOSTILE_NB.read_bytes(), title="hostile.ipynb")
    checker = assert_safe(document.html)
    # the document still shows its content: heading, tags' cell, outputs
    assert [e.text for e in document.toc][0].startswith("Hostile")
    assert "<title>hostile.ipynb</title>" in document.html  # metadata title never reaches head
    report = document.report
    assert report.removed_scripts >= 5
    assert any("evil.example/pixel.png" in u for u in report.blocked_remote)
    assert any("evil.example/proto.png" in u for u in report.blocked_remote)
    assert "JavaScript output not shown" in document.html
    assert "[embedded iframe from https://evil.example/frame not loaded]" in document.html
    assert checker.images, "the legitimate PNG output is still shown"


def test_hostile_notebook_payload_markers_only_appear_as_escaped_text():
    page = render_notebook(HOSTILE_NB.read_bytes()).html
    # wherever 'alert(' survives it is visible text (escaped), never inside a tag
    for tag in re.findall(r"<[^>]*>", page):
        assert "alert(" not in tag, tag


def test_hostile_markdown_renders_safely_and_keeps_the_harmless_parts():
    document = render_markdown(HOSTILE_MD.read_bytes(), title="notes.md")
    checker = assert_safe(document.html)
    assert "https://example.com/docs" in checker.links
    assert "styled" in document.html and "handlers" in document.html
    assert len(document.report.blocked_remote) >= 3
    decoded = [
        base64.b64decode(s.split(",", 1)[1]).decode()
        for s in checker.images
        if s.startswith("data:image/svg+xml")
    ]
    assert any("Image not embedded" in svg and "secret.png" in svg for svg in decoded)


@pytest.mark.parametrize(
    "fragment, forbidden",
    [
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "avascript"),
        ('<a href="java\tscript:alert(1)">x</a>', "script:"),
        ('<a href="data:text/html,hi">x</a>', "data:text"),
        ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "data:text"),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', "javascript"),
        ('<div style="width: expression(alert(1))">x</div>', "expression"),
        ('<div style="background:url(https://evil.example/x)">x</div>', "url("),
        ('<table background="https://evil.example/x"><tr><td>1</td></tr></table>', "evil"),
        ('<body onload="alert(1)">', "onload"),
        ('<base href="https://evil.example/">', "<base"),
        ("<!--<script>alert(1)</script>-->", "script"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', "onerror"),
        ('<img src="https://evil.example/x.png">', "evil.example"),
        ('<img src="//evil.example/x.png">', "evil.example"),
        ('<img src="file:///etc/passwd">', "file:"),
    ],
)
def test_sanitizer_removes_each_known_trick(fragment, forbidden):
    cleaned = sanitize_html(fragment)
    tags_only = " ".join(re.findall(r"<[^>]*>", cleaned))
    # placeholders are images whose alt/description may quote the URL; the src never does
    srcs = re.findall(r'src="([^"]*)"', cleaned)
    assert all(s.startswith("data:image/") for s in srcs)
    if forbidden in {"evil.example", "file:"}:
        assert all(forbidden not in s for s in srcs)
    else:
        assert forbidden.lower() not in tags_only.lower()


def test_sanitizer_keeps_tables_code_and_embedded_images():
    png = "data:image/png;base64,iVBORw0KGgo="
    fragment = (
        f'<table class="dataframe"><tr><th colspan="2">h</th></tr></table>'
        f'<pre><code class="language-python">x = 1</code></pre><img src="{png}" alt="a">'
        '<a href="https://example.com">link</a><a href="#sec-1">in page</a>'
    )
    cleaned = sanitize_html(fragment)
    assert 'class="dataframe"' in cleaned and 'colspan="2"' in cleaned
    assert f'src="{png}"' in cleaned
    assert 'href="https://example.com"' in cleaned and 'href="#sec-1"' in cleaned


def test_inline_svg_becomes_an_image_not_markup():
    cleaned = sanitize_html('<p>chart:</p><svg width="4"><rect width="4" height="4"/></svg>')
    assert "<svg" not in cleaned
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', cleaned).group(1)
    assert base64.b64decode(src).decode().startswith("<svg")
