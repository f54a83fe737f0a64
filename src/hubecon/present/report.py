"""`hubecon report`: the analyses a reader needs, as report.html, figures, tables and a manifest.

Every table here is the result of the matching API method with the same
parameters, so every number in the report equals that command's JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hubecon import __version__
from hubecon.errors import HubeconError
from hubecon.present import charts
from hubecon.present.method import method_html
from hubecon.present.output import data_line, plain, to_csv, to_json
from hubecon.present.report_html import Figure, Section, render_report, write_figures

if TYPE_CHECKING:
    from hubecon.api import Hubecon

REPORT_TOP = 20
COUNTRY_TOP = 15
ATTRIBUTION_WORDS = {"uploader": "uploader (the repo's namespace)", "origin": "origin (the developers of its root models)"}
COHORT_WORDS = {"all": "all downloads", "new": "the new-model cohort (downloads in each model's first year)"}


class ReportBuilder:
    def __init__(self, session: "Hubecon", snapshot: str | None):
        self.session = session
        self.snapshot = session.snapshot(snapshot)["snapshot_id"]
        self.tables: dict[str, pd.DataFrame] = {}

    def keep(self, name: str, table: pd.DataFrame) -> pd.DataFrame:
        self.tables[name] = table
        return table

    def headline(self) -> Section:
        section = Section("Headline: who gets the downloads", "headline")
        for cohort in ("all", "new"):
            for by in ("country", "type", "developer", "model"):
                for attribution in ("uploader", "origin"):
                    top = REPORT_TOP if by in ("developer", "model") else COUNTRY_TOP if by == "country" else None
                    name = f"share_{by}_{attribution}_{cohort}"
                    table = self.keep(name, self.session.share(by=by, attribution=attribution, cohort=cohort, top=top, snapshot=self.snapshot))
                    if by in ("country", "type") or (by == "developer" and cohort == "all"):
                        title = f"Share of downloads by {'developer ' if by == 'type' else ''}{by}, {attribution} attribution, {cohort} models"
                        caption = f"Share of 30-day downloads by {by}; credited by {ATTRIBUTION_WORDS[attribution]}; counting {COHORT_WORDS[cohort]}."
                        add_figure(section, Figure(name, charts.share_bars(table, title), caption))
        for attribution in ("uploader", "origin"):
            name = f"share_model_{attribution}_all"
            section.tables.append((name, f"Top {REPORT_TOP} models, {ATTRIBUTION_WORDS[attribution]} attribution", self.tables[name]))
        coverage = self.keep("registry_coverage", self.session.registry_coverage(snapshot=self.snapshot))
        section.tables.append(("registry_coverage", "How much of the downloads the registry attributes", coverage))
        return section

    def over_time(self) -> Section:
        section = Section("Shares over time", "over-time")
        try:
            table = self.keep("share_country_uploader_month", self.session.share(by="country", period="month", top=10))
        except HubeconError as error:
            section.text.append(f"Not shown: {error}. Shares over time need a history of comparable snapshots (see `hubecon import` and `hubecon ingest hub`).")
            return section
        caption = "Share of downloads per calendar month by uploader country (top 10); each difference between snapshots counts in the month of the later one."
        add_figure(section, Figure("share_country_uploader_month", charts.share_lines(table, "Share by country per month"), caption))
        return section

    def concentration(self) -> Section:
        section = Section("Concentration", "concentration")
        rows = []
        for level in ("model", "developer", "country"):
            table = self.keep(f"concentration_{level}", self.session.concentration(level=level, snapshot=self.snapshot))
            rows.append(table)
        combined = pd.concat(rows, ignore_index=True)
        add_figure(
            section,
            Figure("concentration_hhi", charts.metric_points(combined, x="level", y="hhi", title="HHI by level", y_title="HHI (0–10,000)"), "HHI of 30-day downloads at model, developer and country level (uploader attribution).")
        )
        for level, table in zip(("model", "developer", "country"), rows):
            section.tables.append((f"concentration_{level}", f"Concentration at {level} level", table))
        return section

    def then_and_now(self) -> Section:
        section = Section("Then and now", "then-and-now")
        pair = self.session.comparable_listings()
        if pair is None:
            section.text.append("Not shown: the data has no two comparable listings to set side by side.")
            return section
        table = self.keep("compare", self.session.compare(then=pair[0], now=pair[1]))
        envelope = table.attrs["envelope"]
        section.text.append(envelope["note"] + ".")
        section.text += [f"{side.capitalize()}: {caveat}" for side, caveat in envelope["caveats"].items()]
        countries = table[(table["metric"] == "country share (uploader)") & ~table["key"].str.startswith("_")].head(10)
        long = pd.concat([countries.assign(period=side, share=countries[side]) for side in ("then", "now")], ignore_index=True)
        caption = f"Share of 30-day downloads by uploader country, top 10, in each listing's top {envelope['params']['top']:,} models ({envelope['params']['then']} → {envelope['params']['now']})."
        add_figure(section, Figure("compare_country_uploader", charts.share_lines(long[["period", "label", "share"]], "Country shares, then and now"), caption))
        shown = table[["section", "metric", "label", "then", "now", "change", "direction", "test", "p_value", "significant"]]
        section.tables.append(("compare", "Every compared figure with its change and test", shown[~shown["metric"].str.contains("share")]))
        return section

    def trends(self) -> Section:
        section = Section("How the models change", "trends")
        table = self.keep("trends", self.session.trends(snapshot=self.snapshot))
        kind = table["period_kind"].iloc[0] if len(table) else "period"
        size = table[table["metric"] == "mean_size_weighted"]
        add_figure(
            section,
            Figure("trends_size", charts.metric_points(size, x="period", y="value", title="Download-weighted mean size", y_title="billions of parameters"), f"Download-weighted mean total parameters of models per {kind} (the size of the average downloaded model).")
        )
        headline = {"multimodal generation": "multimodal generation", "quantized variant": "quantized variants", "mixture-of-experts": "mixture-of-experts"}
        shares = table[(table["weighting"] == "downloads") & table["category"].isin(list(headline) + ["moe"])]
        lines = shares.assign(label=shares["category"].map(lambda category: headline.get(category, category)), share=shares["value"])[["period", "label", "share"]]
        add_figure(section, Figure("trends_shares", charts.share_lines(lines, "Multimodal generation, quantized variants, mixture-of-experts"), f"Share of downloads per {kind} going to each kind of model."))
        multipliers = pd.DataFrame(table.attrs["envelope"]["multipliers"])
        section.tables.append(("trends", "First → last multipliers with their tests (the multipliers field of tables/trends.json)", multipliers))
        return section

    def openness(self) -> Section:
        section = Section("Openness and data transparency", "openness")
        table = self.keep("openness", self.session.openness(snapshot=self.snapshot))
        kind = table["period_kind"].iloc[0] if len(table) else "period"
        classes = table[(table["metric"] == "openness") & (table["weighting"] == "downloads")]
        add_figure(section, Figure("openness", charts.share_lines(classes.assign(label=classes["category"], share=classes["value"])[["period", "label", "share"]], "Open source vs open weights"), f"Share of downloads per {kind}: open source (OSI licence and training data disclosed and available) vs open weights."))
        data = table[(table["metric"] == "data_full_stack") & (table["weighting"] == "downloads")]
        add_figure(section, Figure("data_transparency", charts.share_lines(data.assign(label=data["category"], share=data["value"])[["period", "label", "share"]], "Training-data transparency (full stack)"), f"Share of downloads per {kind} by the lowest data-transparency level of the model and its root."))
        return section

    def cadence(self) -> Section:
        section = Section("Release cadence", "cadence")
        table = self.keep("cadence", self.session.cadence(by="country"))
        if table.attrs["envelope"].get("warning"):
            section.text.append(table.attrs["envelope"]["warning"])
        shown = table[table["median_days_between"].notna()]
        bars = shown.assign(label=shown["key"], share=shown["median_days_between"], downloads=shown["release_days"])
        add_figure(section, Figure("cadence_country", charts.metric_points(bars, x="label", y="median_days_between", title="Median days between release days", y_title="days"), "Median, over each country's developers with at least 3 release days, of their median days between release days (individuals excluded)."))
        section.tables.append(("cadence", "Cadence by country, with the fastest and slowest developers", table))
        return section

    def intermediaries(self) -> Section:
        section = Section("Intermediaries: the re-packagers between labs and users", "intermediaries")
        table = self.keep("intermediaries", self.session.intermediaries())
        section.text.append(table.attrs["envelope"].get("note", ""))
        section.tables.append(("intermediaries", "Re-packagers and fine-tuners with their share of downloads", table.sort_values("downloads", ascending=False)))
        return section

    def families(self) -> Section:
        section = Section("Model families", "families")
        table = self.keep("families", self.session.families(top=REPORT_TOP, snapshot=self.snapshot))
        bars = table.assign(label=table["root_id"], key=table["root_id"], share=table["share_of_downloads"], downloads=table["family_downloads"])
        add_figure(section, Figure("families", charts.share_bars(bars, "Largest families by downloads"), "Share of 30-day downloads rolled up to each root model with the origin fractions (a model counts in each family it credits)."))
        section.tables.append(("families", "Families: downloads, derivatives by kind, the share derivatives take", table))
        return section

    def distillation(self) -> Section:
        section = Section("Distillation", "distillation")
        table = self.keep("distillation", self.session.distillation())
        section.tables.append(("distillation", "Distilled models with teacher and base", table.sort_values("downloads", ascending=False)))
        by_country = pd.DataFrame(table.attrs["envelope"].get("by_country", []))
        if len(by_country):
            section.tables.append(("distillation", "Who distils from whom: teacher and base origin countries (the by_country field of tables/distillation.json)", by_country))
        return section

    def sensitivity(self) -> Section:
        section = Section("How much the headline depends on method", "sensitivity")
        table = self.keep("sensitivity", self.session.sensitivity(snapshot=self.snapshot))
        cells = table.attrs["envelope"]["n"]["cells"]
        caption = f"Each country's share of downloads across {cells} method cells (line: range; dot: the default method)."
        add_figure(section, Figure("sensitivity", charts.sensitivity_ranges(table.head(15), "Country shares across method choices"), caption))
        section.tables.append(("sensitivity", "Range per country", table))
        return section

    def quality(self) -> Section:
        section = Section("Data quality", "quality")
        table = self.keep("quality", self.session.quality(snapshot=self.snapshot))
        section.tables.append(("quality", "Checks", table))
        return section

    def method(self, inputs: list[dict]) -> Section:
        return Section("Method", "method", html_blocks=[method_html(plain(inputs))])


def add_figure(section: Section, figure: Figure) -> None:
    """A chart with data joins the section; one with none becomes a sentence saying so (an empty chart has no size)."""
    if any(len(rows) for rows in figure.spec.get("datasets", {}).values()):
        section.figures.append(figure)
    else:
        section.text.append(f"No data to chart for: {figure.caption}")


def build_report(session: "Hubecon", out: Path, snapshot: str | None) -> dict[str, pd.DataFrame]:
    """Write report.html, figures/, tables/ and manifest.json into `out`; return the tables by name."""
    builder = ReportBuilder(session, snapshot)
    sections = [
        builder.headline(),
        builder.over_time(),
        builder.then_and_now(),
        builder.concentration(),
        builder.trends(),
        builder.openness(),
        builder.cadence(),
        builder.intermediaries(),
        builder.families(),
        builder.distillation(),
        builder.sensitivity(),
        builder.quality(),
    ]
    manifest = session.manifest(builder.snapshot, builder.tables)
    sections.append(builder.method(manifest["inputs"]))
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for name, table in builder.tables.items():
        write_text_atomically(out / "tables" / f"{name}.csv", to_csv(table))
        write_text_atomically(out / "tables" / f"{name}.json", to_json(table) + "\n")
    manifest["figures"] = write_figures(sections, out / "figures")
    first = next(iter(builder.tables.values()))
    write_text_atomically(out / "report.html", render_report(data_line(first.attrs["envelope"]["data"]), sections))
    write_text_atomically(out / "manifest.json", json.dumps(plain(manifest), indent=2) + "\n")
    return builder.tables


def manifest_for(session: "Hubecon", snapshot: str, tables: dict[str, pd.DataFrame]) -> dict:
    """Inputs with sha256, registry hash, parameters, seeds, package version and time (DESIGN.md §4)."""
    inputs = []
    for _, row in session.store.snapshots().iterrows():
        extra = session.store.manifests.get(row["snapshot_id"], {})
        inputs.append(
            {
                "snapshot_id": row["snapshot_id"],
                "source": row["source"],
                "scope": row["scope"],
                "taken_at": row["taken_at"],
                "n_models": row["n_models"],
                "sha256": row["sha256"],
                "licence": extra.get("licence"),
                "source_url": extra.get("source_url"),
            }
        )
    seeds = {name: table.attrs["envelope"]["params"]["seed"] for name, table in tables.items() if table.attrs["envelope"]["params"].get("seed") is not None}
    return {
        "hubecon_version": __version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": session.data_info(session.snapshot(snapshot)),
        "store": {"kind": session.store.description.kind, "location": session.store.description.location},
        "inputs": inputs,
        "registry": {"files": [str(path) for path in session.registry.sources], "sha256": session.registry.sha256},
        "parameters": {"snapshot": snapshot, "top": REPORT_TOP, "country_top": COUNTRY_TOP},
        "seeds": seeds,
        "tables": {name: table.attrs["envelope"]["params"] for name, table in tables.items()},
    }


def write_text_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
