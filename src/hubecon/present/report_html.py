"""report.html: one self-contained file (JS, CSS and data inline; nothing fetched) and the figures beside it.

Untrusted text (model ids, names, tags, card data) reaches the page only as
escaped HTML text or as JSON inside `<script type="application/json">`, with
`<`, `>` and `&` written as \\u escapes so no value can close the block.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import pandas as pd
import vl_convert

from hubecon.present.output import cell_text, plain

VENDOR = Path(str(files("hubecon") / "present" / "vendor"))
VENDORED_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
TABLE_ROWS_SHOWN = 25
# No request may leave the page: only inline scripts and styles, images from data: URIs.
# Vega compiles its expressions with Function(), hence 'unsafe-eval'.
CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1.5em; color: #1d2430; }
.data-line { background: #fff6d6; border: 1px solid #e6cf7a; padding: .6em .8em; font-size: 13px; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
figure { margin: 1.2em 0; } figcaption { font-size: 13px; color: #4a5568; }
table { border-collapse: collapse; font-size: 13px; margin: .8em 0; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 2px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: 13px; color: #4a5568; }
nav a { margin-right: .8em; font-size: 13px; }
"""

RENDER_CHARTS = """
for (const holder of document.querySelectorAll('script[type="application/json"][data-chart]')) {
  const spec = JSON.parse(holder.textContent);
  vegaEmbed('#' + holder.dataset.chart, spec, {renderer: 'svg', actions: false})
    .then(() => document.getElementById(holder.dataset.chart).setAttribute('data-rendered', 'true'))
    .catch((error) => console.error('chart ' + holder.dataset.chart + ': ' + error));
}
"""


@dataclass
class Figure:
    name: str  # file stem in figures/
    spec: dict  # Vega-Lite, data inline
    caption: str  # what is counted


@dataclass
class Section:
    title: str
    anchor: str
    text: list[str] = field(default_factory=list)  # plain-text paragraphs
    figures: list[Figure] = field(default_factory=list)
    tables: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)  # (file name, title, table)
    html_blocks: list[str] = field(default_factory=list)  # trusted, already-escaped HTML (the method section)


def script_json(value) -> str:
    """JSON that is safe inside a <script> block: no value can write `</script>` or an HTML comment."""
    text = json.dumps(plain(value), ensure_ascii=False, allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def table_html(name: str, title: str, table: pd.DataFrame) -> str:
    shown = table.head(TABLE_ROWS_SHOWN)
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            numeric = isinstance(plain(value), (int, float)) and not isinstance(plain(value), bool)
            cells.append(f'<td class="num">{html.escape(cell_text(value))}</td>' if numeric else f"<td>{html.escape(cell_text(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">{len(table) - len(shown)} more rows in tables/{html.escape(name)}.csv</p>' if len(table) > len(shown) else ""
    return f'<p><strong>{html.escape(title)}</strong> <span class="note">(tables/{html.escape(name)}.csv)</span></p><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def render_report(data_line: str, sections: list[Section]) -> str:
    vendored = "\n".join(f"<script>{(VENDOR / name).read_text(encoding='utf-8')}</script>" for name in VENDORED_SCRIPTS)
    body = [f'<p class="data-line" id="data-line">{html.escape(data_line)}</p>', "<h1>Who holds power in the open-model economy</h1>"]
    body.append("<nav>" + "".join(f'<a href="#{section.anchor}">{html.escape(section.title)}</a>' for section in sections) + "</nav>")
    for section in sections:
        body.append(f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>')
        body += [f"<p>{html.escape(paragraph)}</p>" for paragraph in section.text]
        for figure in section.figures:
            chart_id = f"chart-{figure.name}"
            body.append(
                f'<figure><div id="{chart_id}" class="chart" data-figure="{html.escape(figure.name)}"></div>'
                f'<script type="application/json" data-chart="{chart_id}">{script_json(figure.spec)}</script>'
                f"<figcaption>{html.escape(figure.caption)} (figures/{html.escape(figure.name)}.png, .svg)</figcaption></figure>"
            )
        body += [table_html(name, title, table) for name, title, table in section.tables]
        body += section.html_blocks
        body.append("</section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        f"<title>hubecon report</title><style>{STYLE}</style>{vendored}</head><body>"
        + "\n".join(body)
        + f"<script>{RENDER_CHARTS}</script></body></html>\n"
    )


def write_figures(sections: list[Section], folder: Path) -> list[str]:
    """figures/NAME.png and NAME.svg for every chart, rendered by vl-convert (no browser)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for section in sections:
        for figure in section.figures:
            (folder / f"{figure.name}.svg").write_text(vl_convert.vegalite_to_svg(figure.spec), encoding="utf-8")
            (folder / f"{figure.name}.png").write_bytes(vl_convert.vegalite_to_png(figure.spec, scale=2))
            written.append(figure.name)
    return written
