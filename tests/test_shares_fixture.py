"""Share tables on a hand-built listing whose every expected value is worked out by hand below.

Snapshot taken 2026-04-30T00:00Z, so the single window is 2026-03-31 → 2026-04-30 (30 days).

model                      D     created      parents                                   registry
usa-lab/base-a          1000     2024-01-01   —                                         US industry
cn-lab/base-b            800     2026-04-10   —   (created inside the window)           CN industry
alice/a-quant            400     2025-04-15   quantized: base-a (anniversary in window) individual
intl-collective/merge-ab 300     2025-06-01   merge: base-a, base-b                     INTL community
ghost-ns/diamond-top     200     2025-06-01   merge: a-quant, merge-ab (a diamond)      not in registry
fr-uni/self-loop         100     2025-01-01   finetune: itself (self-loop), base-b      FR academia
fr-uni/cyc-x              50     2025-12-01   finetune: usa-lab/cyc-y                   FR academia
usa-lab/cyc-y             60     2025-12-01   finetune: fr-uni/cyc-x (closes a cycle)   US industry
cn-lab/ft-of-missing     150     2023-01-01   finetune: usa-lab/deleted (not in data)   CN industry
alice/solo                70     placeholder  —   (unknown creation date)               individual
ghost-ns/other            30     2026-04-20   —                                         not in registry
small-a/x                 20     2024-05-01   —                                         JP industry
small-b/y                 10     2024-05-01   —                                         KR academia
                        ----
                        3190
"""

import pandas as pd
import pytest

from hubecon.api import Hubecon
from hubecon.enrich.registry import load_registry
from hubecon.sources.models_table import read_models_table
from hubecon.store.store import DataDescription, Store

TAKEN_AT = "2026-04-30T00:00:00Z"
MODELS = [
    ("usa-lab/base-a", 1000, "2024-01-01", ""),
    ("cn-lab/base-b", 800, "2026-04-10", ""),
    ("alice/a-quant", 400, "2025-04-15", "base_model:quantized:usa-lab/base-a"),
    ("intl-collective/merge-ab", 300, "2025-06-01", "base_model:merge:usa-lab/base-a,base_model:merge:cn-lab/base-b"),
    ("ghost-ns/diamond-top", 200, "2025-06-01", "base_model:merge:alice/a-quant,base_model:merge:intl-collective/merge-ab"),
    ("fr-uni/self-loop", 100, "2025-01-01", "base_model:finetune:fr-uni/self-loop,base_model:finetune:cn-lab/base-b"),
    ("fr-uni/cyc-x", 50, "2025-12-01", "base_model:finetune:usa-lab/cyc-y"),
    ("usa-lab/cyc-y", 60, "2025-12-01", "base_model:finetune:fr-uni/cyc-x"),
    ("cn-lab/ft-of-missing", 150, "2023-01-01", "base_model:finetune:usa-lab/deleted"),
    ("alice/solo", 70, "2022-03-02T23:29:04", ""),
    ("ghost-ns/other", 30, "2026-04-20", ""),
    ("small-a/x", 20, "2024-05-01", ""),
    ("small-b/y", 10, "2024-05-01", ""),
]
REGISTRY = """namespace,developer,country,type,evidence
usa-lab,USA Lab,US,industry,https://usa-lab.example
cn-lab,CN Lab,CN,industry,https://cn-lab.example
alice,alice,,individual,https://huggingface.co/alice
intl-collective,Intl Collective,INTL,community,https://intl.example
fr-uni,FR Uni,FR,academia,https://fr-uni.example
small-a,Small A,JP,industry,https://small-a.example
small-b,Small B,KR,academia,https://small-b.example
"""


@pytest.fixture(scope="module")
def fixture_session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fixture")
    listing = pd.DataFrame(
        [
            {
                "model_id": model_id,
                "author": model_id.split("/")[0],
                "downloads": downloads,
                "likes": 0,
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "created_at": f"{created}Z" if "T" in created else f"{created}T00:00:00Z",
                "last_modified": "2026-04-29T00:00:00Z",
                "tags": tags,
            }
            for model_id, downloads, created, tags in MODELS
        ]
    )
    listing.to_csv(folder / "listing.csv", index=False)
    (folder / "registry.csv").write_text(REGISTRY)
    batch = read_models_table(folder / "listing.csv", taken_at=pd.Timestamp(TAKEN_AT), scope="sample")
    batch.snapshot_id = "fixture"
    store = Store.in_memory([batch], DataDescription("store", "fixture"))
    return Hubecon(store, load_registry(folder / "registry.csv"))


def shares(session, **options) -> dict[str, float]:
    table = session.share(snapshot="fixture", **options)
    assert table["share"].sum() == pytest.approx(1.0, abs=1e-9)
    return dict(zip(table["key"], table["downloads"]))


def test_uploader_country_shares_credit_each_repo_to_its_namespace(fixture_session):
    assert shares(fixture_session) == pytest.approx(
        {"US": 1060, "CN": 950, "USER": 470, "INTL": 300, "FR": 150, "JP": 20, "KR": 10, "_unattributed": 230}
    )


def test_origin_credit_splits_merges_reunites_diamonds_and_stops_at_missing_parents(fixture_session):
    # base-a (US): 1000 + a-quant 400 + merge-ab 300/2 + diamond 200·(1/2 + 1/4) = 1700
    # base-b (CN): 800 + merge-ab 150 + diamond 50 + self-loop 100 (self-loop removed, one parent left) = 1100
    # cycle: (fr-uni/cyc-x → usa-lab/cyc-y) kept first in sorted order, the reverse edge dropped: 50 + 60 → US
    # ft-of-missing → usa-lab/deleted, not in the data: the walk ends there, credited to usa-lab → US 150
    assert shares(fixture_session, attribution="origin") == pytest.approx(
        {"US": 1700 + 110 + 150, "CN": 1100, "USER": 70, "_unattributed": 30, "JP": 20, "KR": 10}
    )


def test_new_cohort_counts_models_created_in_window_fully_and_anniversaries_pro_rata(fixture_session):
    # base-b created in the window: 800 in full; a-quant's anniversary (2026-04-15) halves its window: 200;
    # alice/solo has the placeholder date: outside the cohort; models older than a year: 0.
    assert shares(fixture_session, cohort="new") == pytest.approx(
        {"CN": 800, "USER": 200, "INTL": 300, "_unattributed": 230, "FR": 50, "US": 60}
    )


def test_new_cohort_under_origin_attribution(fixture_session):
    assert shares(fixture_session, cohort="new", attribution="origin") == pytest.approx({"US": 610, "CN": 1000, "_unattributed": 30})


def test_top_n_folds_the_rest_into_other_and_keeps_unattributed(fixture_session):
    table = fixture_session.share(snapshot="fixture", by="developer", top=2)
    assert list(table["key"]) == ["USA Lab", "CN Lab", "_other", "_unattributed"]
    assert list(table["downloads"]) == pytest.approx([1060, 950, 950, 230])
    assert table["share"].tolist() == pytest.approx([1060 / 3190, 950 / 3190, 950 / 3190, 230 / 3190])


def test_developer_type_shares(fixture_session):
    assert shares(fixture_session, by="type") == pytest.approx(
        {"industry": 1060 + 950 + 20, "individual": 470, "community": 300, "academia": 150 + 10, "_unattributed": 230}
    )


def test_model_shares_under_origin_go_to_root_models(fixture_session):
    result = shares(fixture_session, by="model", attribution="origin")
    assert result["usa-lab/base-a"] == pytest.approx(1700)
    assert result["usa-lab/deleted"] == pytest.approx(150)
    assert result["usa-lab/cyc-y"] == pytest.approx(110)
    assert "alice/a-quant" not in result


def test_excluding_individuals_and_unattributed_shrinks_the_denominator(fixture_session):
    table = fixture_session.share(snapshot="fixture", exclude=["individuals", "unattributed"])
    assert "USER" not in set(table["key"]) and "_unattributed" not in set(table["key"])
    assert table.set_index("key")["share"]["US"] == pytest.approx(1060 / (3190 - 470 - 230))


def test_envelope_reports_n_and_every_parameter(fixture_session):
    table = fixture_session.share(snapshot="fixture", by="developer")
    envelope = table.attrs["envelope"]
    assert envelope["n"] == {"models": 13, "developers": 8}  # 7 registry developers + ghost-ns on its own
    assert envelope["params"]["attribution"] == "uploader" and envelope["params"]["top"] is None
    assert envelope["window"]["start"] == "2026-03-31T00:00:00Z"


def test_lineage_lists_ancestors_and_origin_credit_by_country(fixture_session):
    result = fixture_session.lineage("ghost-ns/diamond-top")
    envelope = result.attrs["envelope"]
    by_country = {row["country"]: row["fraction"] for row in envelope["credit_by_country"]}
    assert by_country == pytest.approx({"US": 0.75, "CN": 0.25})
    parents = {(edge["child_id"], edge["parent_id"], edge["relation"]) for edge in envelope["ancestors"]}
    assert ("ghost-ns/diamond-top", "alice/a-quant", "merge") in parents
    assert ("alice/a-quant", "usa-lab/base-a", "quantized") in parents


def test_quality_lists_the_dropped_self_loop_and_cycle_edges(fixture_session):
    dropped = fixture_session.enriched.graph.dropped
    assert set(zip(dropped["child_id"], dropped["parent_id"], dropped["reason"])) == {
        ("fr-uni/self-loop", "fr-uni/self-loop", "self-loop"),
        ("usa-lab/cyc-y", "fr-uni/cyc-x", "cycle"),
    }
