"""One code cell output → what the template shows, rendered and sanitized on its own.

Every output of the notebook becomes exactly one output in the page: its best representation
this view can show faithfully, or a visible note naming what is not shown and why — an
interactive plotly/bokeh/widget/vega figure (which needs JavaScript), a MIME type nothing here
draws, an output over the size limits. When the notebook carries a static copy (plotly's
``image/png``, a widget's ``text/plain``), that copy is shown under the note.

Representations are rendered here, one output at a time, as ``Markup`` the template inserts
as it is: HTML through :meth:`Sanitizer.clean_fragment`, Markdown and LaTeX with the document's
math budget, text and tracebacks through the linear ANSI converter.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from signoff.core.render.ansi import ansi_to_html, apply_carriage_returns
from signoff.core.render.budget import RenderClock
from signoff.core.render.document import Limits, RenderReport, human_size
from signoff.core.render.markdown import MarkdownRenderer
from signoff.core.render.mathscan import latex_to_html
from signoff.core.render.mathtext import MathBudget, render_math_in_html
from signoff.core.render.sanitize import Sanitizer, notice_html
from signoff.core.render.svg import svg_to_img

IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
# what this view draws, in nbconvert's order of preference
SHOWN: tuple[str, ...] = ("text/html", "text/latex", "image/svg+xml", "image/png")
SHOWN += ("image/jpeg", "image/gif", "image/webp", "image/bmp", "text/markdown", "text/plain")
SCRIPTED_PREFIXES = (
    "application/javascript",
    "text/javascript",
    "application/vnd.jupyter.widget",
    "application/vnd.plotly",
    "application/vnd.bokehjs",
    "application/vnd.holoviews",
    "application/vnd.vega",
    "application/vnd.vegalite",
    "application/vdom",
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SCRIPT = re.compile(r"<script\b", re.I)
_VISIBLE = re.compile(r"<(?:img|table|svg|pre|hr)\b|>[^<\s]", re.I)


def as_dict(value: Any) -> dict[str, Any]:
    """*value* if it is a JSON object, else an empty one (untrusted shapes)."""
    return value if isinstance(value, dict) else {}


def multiline(value: Any) -> str | None:
    """A notebook multiline string (a str or a list of str), or None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def notice_output(message: str, detail: str = "", extra: str = "") -> dict[str, Any]:
    """An output that is only a note (plus *extra* already-safe HTML under it)."""
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": Markup(notice_html(message, detail) + extra)},
    }


class OutputBudget:
    """The total size of outputs shown in one notebook (the per-output limit is separate)."""

    def __init__(self, limits: Limits, report: RenderReport) -> None:
        self.limits, self.report, self.used, self.exhausted = limits, report, 0, False

    def admit(self, size: int) -> bool:
        """True if *size* more bytes may be shown; notes the first refusal in the report."""
        if self.used + size > self.limits.max_total_output_bytes:
            if not self.exhausted:
                total = human_size(self.limits.max_total_output_bytes)
                self.report.truncated.append(
                    f"Outputs beyond the {total} total limit were not shown (each is marked)."
                )
            self.exhausted = True
            return False
        self.used += size
        return True


class OutputRenderer:
    """Renders the outputs of one notebook, one at a time (see the module docstring)."""

    def __init__(
        self,
        limits: Limits,
        report: RenderReport,
        clock: RenderClock,
        sanitizer: Sanitizer,
        math: MathBudget,
        markdown: MarkdownRenderer,
    ) -> None:
        self.limits, self.report, self.clock = limits, report, clock
        self.sanitizer, self.math, self.markdown = sanitizer, math, markdown
        self.budget = OutputBudget(limits, report)

    # -- entry point ----------------------------------------------------------------------
    def render(self, output: Any, where: str) -> dict[str, Any]:
        """The template's view of *output* (always exactly one output; see module doc)."""
        self.report.outputs += 1
        self.clock.tick()
        if not isinstance(output, dict):
            return self._not_shown(f"{where} is not an output object.")
        kind = output.get("output_type")
        if kind == "stream":
            return self._stream(output, where)
        if kind in ("error", "pyerr"):
            return self._error(output)
        if kind in ("display_data", "execute_result", "pyout", "update_display_data"):
            data = output.get("data")
            rendered = self._bundle(data if isinstance(data, dict) else {}, output, where)
            rendered.setdefault("metadata", {})
            rendered["output_type"] = "display_data"
            if kind in ("execute_result", "pyout"):
                count = output.get("execution_count")
                rendered["output_type"] = "execute_result"
                rendered["execution_count"] = count if type(count) is int else None
            return rendered
        return self._not_shown(
            f"An output of unknown type {str(kind)[:60]!r} is not shown.",
            "It may come from a newer Jupyter than this view knows.",
        )

    def _not_shown(self, message: str, detail: str = "", extra: str = "") -> dict[str, Any]:
        self.report.not_shown += 1
        return notice_output(message, detail, extra)

    # -- text, tracebacks -----------------------------------------------------------------
    def _cut_text(self, text: str, what: str) -> tuple[str, str]:
        limit = self.limits.max_output_bytes
        if len(text) <= limit:
            return text, ""
        note = f"This {what} is {human_size(len(text))}; the first {human_size(limit)} are shown."
        self.report.truncated.append(f"Outputs over {human_size(limit)} were cut (each is marked).")
        return text[:limit], notice_html(note)

    def _stream(self, output: dict[str, Any], where: str) -> dict[str, Any]:
        text = multiline(output.get("text", ""))
        if text is None:
            return self._not_shown(f"{where}: stream text that is not text is not shown.")
        text, note = self._cut_text(text, "stream output")
        if not self.budget.admit(len(text)):
            return self._over_budget(len(text))
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        body = ansi_to_html(apply_carriage_returns(text), self.clock.tick)
        if note:
            return notice_output_with(note, f"<pre>{body}</pre>")
        return {"output_type": "stream", "name": name, "text": Markup(body)}

    def _error(self, output: dict[str, Any]) -> dict[str, Any]:
        lines = output.get("traceback")
        lines = [t for t in lines if isinstance(t, str)] if isinstance(lines, list) else []
        if not lines:
            lines = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        text, note = self._cut_text("\n".join(lines), "traceback")
        if not self.budget.admit(len(text)):
            return self._over_budget(len(text))
        body = Markup(ansi_to_html(text, self.clock.tick))
        if note:
            return notice_output_with(note, f"<pre>{body}</pre>")
        return {"output_type": "error", "traceback": [body]}

    def _over_budget(self, size: int) -> dict[str, Any]:
        total = human_size(self.limits.max_total_output_bytes)
        return self._not_shown(
            f"Output of {human_size(size)} not shown: the notebook's outputs exceed {total}."
        )

    # -- rich outputs ---------------------------------------------------------------------
    def _bundle(self, data: dict[str, Any], output: dict[str, Any], where: str) -> dict[str, Any]:
        if not data:
            return self._not_shown("An output with no data (nothing to show).")
        scripted = [m for m in data if str(m).startswith(SCRIPTED_PREFIXES)]
        html_value = multiline(data.get("text/html"))
        if html_value is not None and _SCRIPT.search(html_value):
            scripted.append("text/html with <script>")
        unknown = [m for m in data if m not in SHOWN and m not in scripted]
        if scripted:
            return self._interactive(data, output, scripted, where)
        for mime in SHOWN:
            if mime in data:
                shown = self._representation(mime, data[mime], output, where)
                if shown is None:
                    continue
                if unknown:
                    return self._with_note(
                        shown,
                        f"Shown as {mime}: this view cannot display {', '.join(unknown[:4])}.",
                    )
                return shown
        return self._not_shown(
            f"Output not shown: this view cannot display {', '.join(map(str, unknown[:4]))}.",
            "No static copy (an image or text) was saved with it.",
        )

    def _interactive(
        self, data: dict[str, Any], output: dict[str, Any], scripted: list[str], where: str
    ) -> dict[str, Any]:
        what = ", ".join(str(m) for m in scripted[:3])
        html_value = multiline(data.get("text/html"))
        if html_value is None:  # script elements in HTML are counted by the sanitizer
            self.report.removed_scripts += 1
        if html_value is not None:
            shown = self._representation("text/html", html_value, output, where)
            markup = shown["data"]["text/html"] if shown else ""
            if shown is not None and _VISIBLE.search(str(markup)):
                return self._with_note(
                    shown,
                    f"Interactive output ({what}): its scripts were removed; the rest is shown.",
                    count=False,
                )
        only_script = all(m in ("application/javascript", "text/javascript") for m in scripted)
        if only_script and not any(m in data for m in ("text/html", *IMAGE_MIMES)):
            return self._not_shown(
                "JavaScript output not shown (documents run no script).", f"MIME type: {what}."
            )
        for mime in ("image/png", "image/jpeg", "image/svg+xml", "image/gif", "text/plain"):
            if mime in data:
                shown = self._representation(mime, data[mime], output, where)
                if shown is not None:
                    return self._with_note(
                        shown,
                        f"Interactive output not shown ({what}): it needs JavaScript, which this "
                        f"view never runs. Shown instead: the notebook's static {mime} copy.",
                    )
        return self._not_shown(
            f"Interactive output not shown ({what}): it needs JavaScript, which this view never "
            "runs.",
            "The notebook carries no static copy (image or text) of it.",
        )

    def _with_note(self, shown: dict[str, Any], message: str, count: bool = True) -> dict[str, Any]:
        if count:
            self.report.not_shown += 1
        body = _as_html(shown)
        shown = dict(shown, data={"text/html": Markup(notice_html(message) + body)})
        return shown

    def _representation(
        self, mime: str, raw: Any, output: dict[str, Any], where: str
    ) -> dict[str, Any] | None:
        """One MIME type rendered, or None when its value is unusable (the next is tried)."""
        value = multiline(raw)
        if value is None:
            return None
        metadata = as_dict(output.get("metadata"))
        if mime in IMAGE_MIMES:
            if len(value) > self.limits.max_output_bytes or not self.budget.admit(len(value)):
                return self._image_too_big(mime, len(value))
            if not _BASE64.match(value):
                return None
            encoded = "".join(value.split())
            if mime in ("image/png", "image/jpeg"):
                return {"data": {mime: encoded}, "metadata": _image_metadata(metadata, mime)}
            return {"data": {"text/html": Markup(f'<img src="data:{mime};base64,{encoded}">')}}
        value, note = self._cut_text(value, f"{mime} output")
        if not self.budget.admit(len(value)):
            return self._over_budget(len(value))
        if mime == "image/svg+xml":
            return {"data": {mime: Markup(note + svg_to_img(value))}, "metadata": {}}
        if mime == "text/plain":
            body = ansi_to_html(value, self.clock.tick)
            if note:
                return {"data": {"text/html": Markup(f"{note}<pre>{body}</pre>")}}
            return {"data": {mime: Markup(body)}, "metadata": {}}
        if mime == "text/latex":
            return {"data": {mime: Markup(note + latex_to_html(value, self.math))}}
        if mime == "text/markdown":
            markup, notes = self.markdown.render(value)
        else:
            markup, notes = self.sanitizer.clean_fragment(value)
            markup = render_math_in_html(markup, self.math)
        notes_html = "".join(notice_html(n) for n in notes)
        return {"data": {mime: Markup(note + notes_html + markup)}, "metadata": {}}

    def _image_too_big(self, mime: str, size: int) -> dict[str, Any]:
        limit = human_size(self.limits.max_output_bytes)
        if size > self.limits.max_output_bytes:
            return self._not_shown(
                f"{mime} image of {human_size(size)} not shown (larger than the {limit} limit "
                "for one output)."
            )
        return self._over_budget(size)


def notice_output_with(note_html: str, body_html: str) -> dict[str, Any]:
    """An output showing *note_html* (already a notice) above *body_html*."""
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/html": Markup(note_html + body_html)},
    }


def _as_html(shown: dict[str, Any]) -> str:
    """Any rendered representation as one HTML string (to sit under a note)."""
    data = shown["data"]
    mime, value = next(iter(data.items()))
    if mime in ("image/png", "image/jpeg"):
        return f'<img src="data:{mime};base64,{value}">'
    if mime == "text/plain":
        return f"<pre>{value}</pre>"
    return str(value)


def _image_metadata(metadata: dict[str, Any], mime: str) -> dict[str, Any]:
    size = metadata.get(mime, {})
    if not isinstance(size, dict):
        return {}
    dims = {
        k: size[k]
        for k in ("width", "height")
        if type(size.get(k)) is int and 0 < size[k] < 100_000
    }
    return {mime: dims} if dims else {}
