"""Renderers of a backprop ledger: an aligned terminal table, Markdown, CSV, LaTeX and HTML.

Each shows the notes (e.g. why exact mode fell back) and then one row per quantity:
quantity | formula | numbers | value, grouped by section (forward, loss, backward, update).
CSV carries no notes (it is data); its rows are (section, quantity, formula, numbers,
value, value_full), where ``value_full`` is the exact fraction or the float's repr.
"""

from __future__ import annotations

import csv
import html
import io
import re
from fractions import Fraction

HEADER = ("quantity", "formula", "numbers", "value")
SECTIONS = {"forward": "forward pass", "loss": "loss", "backward": "backward pass",
            "update": "update (one SGD step)"}


def _groups(ledger):
    """(section title, rows) in order of appearance."""
    groups: list[tuple[str, list]] = []
    for row in ledger.rows:
        if not groups or groups[-1][0] != SECTIONS.get(row.section, row.section):
            groups.append((SECTIONS.get(row.section, row.section), []))
        groups[-1][1].append(row)
    return groups


def _cells(ledger, row) -> tuple[str, str, str, str]:
    return row.quantity, row.formula, row.numbers, ledger.value_text(row.value)


# ----------------------------------------------------------------------------- text
def to_text(ledger) -> str:
    """An aligned table for the terminal; the value column is right-aligned."""
    cells = [_cells(ledger, r) for r in ledger.rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(HEADER)]

    def line(c):
        return "  ".join([c[0].ljust(widths[0]), c[1].ljust(widths[1]),
                          c[2].ljust(widths[2]), c[3].rjust(widths[3])]).rstrip()
    out = [f"note: {n}" for n in ledger.notes]
    out += [line(HEADER), "  ".join("-" * w for w in widths)]
    for title, rows in _groups(ledger):
        out.append(f"-- {title} --")
        out += [line(_cells(ledger, r)) for r in rows]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- markdown
def _md(text: str) -> str:
    # code spans keep '*' from turning into emphasis; '|' would end the cell
    return "`" + text.replace("|", "\\|") + "`"


def to_markdown(ledger) -> str:
    """A GitHub-flavoured Markdown table, formulas in code spans, notes as quotes."""
    out = [f"> {n}\n" for n in ledger.notes]
    out += ["| " + " | ".join(HEADER) + " |", "|---|---|---|---:|"]
    for title, rows in _groups(ledger):
        out.append(f"| **{title}** | | | |")
        for r in rows:
            q, f, num, v = _cells(ledger, r)
            out.append(f"| {_md(q)} | {_md(f)} | {_md(num)} | {v} |")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- csv
def to_csv(ledger) -> str:
    """CSV with a header row; one row per quantity."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("section",) + HEADER + ("value_full",))
    for r in ledger.rows:
        full = str(r.value) if isinstance(r.value, Fraction) else repr(float(r.value))
        writer.writerow((r.section,) + _cells(ledger, r) + (full,))
    return buf.getvalue()


# ----------------------------------------------------------------------------- latex
_TEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                "}": r"\}", "~": r"\textasciitilde{}", "\\": r"\textbackslash{}",
                "^": r"\textasciicircum{}"}
_TEX_TOKEN = re.compile(
    r"dL/d(?P<grad>(?:yhat|delta|W|b|z|h|x|y|p|t)\d*'?\[[0-9,]+\])"
    r"|(?P<q>(?<![A-Za-z])(?:yhat|delta|W|b|z|h|x|y|p|t)(?:\d*)'?\[[0-9,]+\])"
    r"|(?P<fn>\b(?:exp|log|max|tanh)(?=\())"
    r"|(?P<word>[A-Za-z][A-Za-z]+(?:-[A-Za-z]+)*)"
    r"|(?P<neq>!=)"
    r"|(?P<other>.)", re.S)
_TEX_Q = re.compile(r"(yhat|delta|W|b|z|h|x|y|p|t)(\d*)('?)\[([0-9,]+)\]")


def tex_escape(text: str) -> str:
    """Plain text for LaTeX with its special characters escaped."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


def _tex_quantity(token: str) -> str:
    name, layer, prime, index = _TEX_Q.fullmatch(token).groups()
    base = {"yhat": r"\hat{y}", "delta": r"\delta"}.get(name, name)
    if prime or layer:
        base = "{" + base + ("'" if prime else "") + "}"
    return base + (f"^{{({layer})}}" if layer else "") + f"_{{{index}}}"


def to_tex_math(text: str) -> str:
    """A ledger formula (our own small ASCII notation) as LaTeX math, without the $."""
    out = []
    for m in _TEX_TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "grad":
            out.append(r"\partial L/\partial " + _tex_quantity(m.group("grad")))
        elif kind == "q":
            out.append(_tex_quantity(tok))
        elif kind == "fn":
            out.append("\\" + tok)
        elif kind == "word":
            out.append(r"\mathrm{lr}" if tok == "lr" else r"\text{ " + tex_escape(tok) + " }")
        elif kind == "neq":
            out.append(r"\neq ")
        elif tok == "*":
            out.append(r" \cdot ")
        elif tok == "^":
            out.append("^")  # only squares ("^2") reach here
        else:
            out.append(_TEX_SPECIAL.get(tok, tok))
    return "".join(out)


def to_latex(ledger) -> str:
    """A ``tabular`` with every formula in math mode; notes as paragraphs before it."""
    out = [tex_escape(n) + r"\par" for n in ledger.notes]
    out += [r"\begin{tabular}{llll}", r"\hline",
            " & ".join(HEADER) + r" \\", r"\hline"]
    for title, rows in _groups(ledger):
        out.append(r"\multicolumn{4}{l}{\textit{" + tex_escape(title) + r"}} \\")
        for r in rows:
            q, f, num, v = _cells(ledger, r)
            out.append(" & ".join(f"${to_tex_math(c)}$" for c in (q, f, num, v)) + r" \\")
    out += [r"\hline", r"\end{tabular}"]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- html
def to_html(ledger) -> str:
    """A standalone ``<table>`` (every cell HTML-escaped); notes in its caption."""
    esc = html.escape
    out = ['<table class="glassnet-ledger">']
    if ledger.notes:
        out.append("<caption>" + "<br>".join(esc(n) for n in ledger.notes) + "</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in HEADER) + "</tr></thead>")
    out.append("<tbody>")
    for title, rows in _groups(ledger):
        out.append(f'<tr class="section"><th colspan="4">{esc(title)}</th></tr>')
        for r in rows:
            q, f, num, v = _cells(ledger, r)
            out.append(f"<tr><td><code>{esc(q)}</code></td><td><code>{esc(f)}</code></td>"
                       f"<td><code>{esc(num)}</code></td>"
                       f'<td style="text-align:right">{esc(v)}</td></tr>')
    out += ["</tbody>", "</table>"]
    return "\n".join(out) + "\n"
