"""The report's method section: every definition and default in plain language (DESIGN.md §3)."""

from __future__ import annotations

import html

DEFINITIONS = [
    (
        "Downloads",
        "The Hub's `downloads` is a rolling 30-day count of requests for a repo's query file (config.json by default; "
        "every GGUF file counts, so GGUF repos are over-counted; automated CI traffic counts too). It is not a count of users. "
        "With one snapshot the only window is its 30 days. Overlapping 30-day counts are never added.",
    ),
    (
        "Downloads over time",
        "With a history of snapshots, a model's downloads between two snapshots are the difference of its cumulative "
        "(all-time) counts, and each difference belongs to the calendar period of the later snapshot. A model created after "
        "the earlier snapshot counts from zero; one that existed then but is missing from either snapshot is left out, never "
        "counted as zero. Negative differences are clipped to zero and flagged. Where only 30-day counts exist, a snapshot "
        "stands for the 30 days before it, shortened when snapshots are closer together; such figures are estimates.",
    ),
    (
        "Developer",
        "The organisation or person who built the models in one or more Hub namespaces. Legacy homes count for their builder "
        "(openai-community → OpenAI, google-bert → Google); Hugging Face's own namespaces count for Hugging Face (US). Every "
        "organisation has the country where it is legally based, or INTL for a collective with no legal home. Personal "
        "accounts are individuals and never get a country: they form the USER row. A namespace the registry does not know is "
        "unattributed, never guessed. Every registry row carries evidence.",
    ),
    (
        "Attribution",
        "Uploader: a repo's downloads go to its namespace's developer (the study's headline grouping). Origin: they go to the "
        "developers of its root models, following base-model links and splitting equally among a model's parents at every "
        "step; a parent missing from the data ends the walk there, credited to its namespace. Self-loops are removed and an "
        "edge that would close a cycle is dropped.",
    ),
    (
        "Share",
        "A group's downloads divided by all downloads of the models counted. INTL, USER and unattributed downloads are rows "
        "like countries; a table cut to its top rows adds an 'Other' row, so every period's rows sum to 1.",
    ),
    (
        "New-model cohort",
        "Only downloads a model receives within its first 365 days count, taken pro rata by days when a count's window "
        "straddles the first anniversary. Models whose creation date is the Hub's 2022-03-02 placeholder (older repos) are "
        "outside the cohort.",
    ),
    (
        "Concentration",
        "HHI = 10,000 × the sum of squared shares (10,000 = one entity holds everything); the Gini coefficient over "
        "entities with at least one download; and the share of the top 1, 5, 10 and 100 entities. At country level the share "
        "of individuals and unattributed downloads is left out and reported beside.",
    ),
    (
        "Sensitivity",
        "The headline country shares recomputed under every combination of six defensible choices — attribution, cohort, "
        "keeping or excluding individuals and unattributed downloads, test/CI repos, GGUF repos, and the alternative builder "
        "for contested registry rows — 64 method cells; 128 with a seventh axis (30-day count or all-time difference) when the "
        "data has a history. Each country's range is shown with the default marked.",
    ),
    (
        "Exclusions",
        "Test/CI-traffic repos follow a documented list of namespaces and name patterns (hf-internal-testing, tiny-random-*, "
        "dummy-*, …). GGUF repos are those with the gguf library or tag.",
    ),
    (
        "Comparing with the study",
        "These figures come from the data named on the first line. A curated sample or a top-N listing is not the whole Hub, "
        "so its shares are not comparable to whole-Hub figures such as the study's 17.1% for China and 15.8% for the US.",
    ),
]


def method_html(inputs: list[dict]) -> str:
    """The definitions and the data's provenance as escaped HTML."""
    items = "".join(f"<dt><strong>{html.escape(term)}</strong></dt><dd>{html.escape(text)}</dd>" for term, text in DEFINITIONS)
    sources = "".join(
        "<li>"
        + html.escape(f"{item['snapshot_id']}: {item['source']} — scope {item['scope']}, taken {item['taken_at']}, {item['n_models']:,} models")
        + (html.escape(f"; licence: {item['licence']}") if item.get("licence") else "")
        + (f" <span class=\"note\">{html.escape(item['source_url'])}</span>" if item.get("source_url") else "")
        + f" <span class=\"note\">sha256 {html.escape(str(item['sha256'])[:16])}…</span></li>"
        for item in inputs
    )
    return f"<dl>{items}</dl><h3>Data provenance</h3><ul>{sources}</ul>"
