"""The developer registry: schema of the shipped files, coverage of the embedded snapshots,
the seed against hand-copied source facts, and the seed/curated conflict list.

Self-contained: the source facts checked here are written out by hand (from the OSAI index
commit 5a388e87 and Epoch AI's notable_ai_models.csv); nothing from the shared data folder is read.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pandas as pd
import pycountry
import pytest

from hubecon.enrich.registry import PACKAGE_REGISTRY, PACKAGE_SEED, load_registry

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "seed_registry.py"
CONFLICTS = REPO / "src" / "hubecon" / "data" / "registry_conflicts.csv"
OUR_TYPES = {"industry", "academia", "nonprofit", "government", "community", "individual"}
LISTING, SAMPLE = "hub-listing-2026-04", "hub-stats-2026-05"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def seed_script():
    spec = importlib.util.spec_from_file_location("seed_registry", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed() -> dict[str, dict]:
    return {row["namespace"]: row for row in read_csv(PACKAGE_SEED)}


@pytest.fixture(scope="module")
def curated() -> dict[str, dict]:
    return {row["namespace"]: row for row in read_csv(PACKAGE_REGISTRY)}


# -- schema -------------------------------------------------------------------------------------


def valid_country(code: str) -> bool:
    return code == "INTL" or (len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None)


def check_entry(namespace: str, developer: str, country: str, kind: str, evidence: str) -> None:
    assert kind in OUR_TYPES | {"unknown"}, (namespace, kind)
    assert evidence.strip(), (namespace, "no evidence")
    if kind in ("individual", "unknown"):
        assert country == "", (namespace, kind, country)
    else:
        assert developer, namespace
        assert valid_country(country), (namespace, country)
        # an organisation's evidence is more than its own Hub page
        own_page = {f"https://huggingface.co/{namespace}".lower(), f"https://huggingface.co/{namespace}/".lower()}
        parts = {part.strip().lower() for part in evidence.split(";") if part.strip()}
        assert not parts <= own_page, (namespace, evidence)


def test_every_shipped_registry_row_is_valid():
    entries = load_registry().entries
    assert len(entries) >= 1601
    for row in entries.itertuples():
        check_entry(row.namespace, row.developer, row.country, row.type, row.evidence)
        if row.alt_type or row.alt_country or row.alt_developer:
            check_entry(row.namespace, row.alt_developer, row.alt_country, row.alt_type, row.alt_evidence)


@pytest.mark.parametrize("path", [PACKAGE_SEED, PACKAGE_REGISTRY], ids=lambda path: path.name)
def test_no_namespace_is_listed_twice_in_a_shipped_file(path):
    namespaces = [row["namespace"] for row in read_csv(path)]
    assert len(namespaces) == len(set(namespaces))
    assert len({namespace.lower() for namespace in namespaces}) == len(namespaces), "the same namespace in two spellings"


def test_the_seed_only_adds_namespaces_and_curated_rows_win(seed, curated):
    entries = load_registry().entries.set_index("namespace")
    assert set(entries.index) == set(seed) | set(curated)
    for namespace, row in curated.items():
        for field in ("developer", "country", "type", "evidence"):
            assert entries.loc[namespace, field] == row[field], (namespace, field)
    for namespace in set(seed) - set(curated):
        assert entries.loc[namespace, "evidence"] == seed[namespace]["evidence"]


def test_override_rows_win_over_curated_and_seed_rows(tmp_path, seed, curated):
    in_both = sorted(set(seed) & set(curated))[0]
    only_seed = sorted(set(seed) - set(curated))[0]
    override = tmp_path / "override.csv"
    override.write_text(
        "namespace,developer,country,type,evidence\n"
        f"Qwen,Somebody Else,FR,academia,a test override\n"
        f"{in_both},Override Org,DE,nonprofit,a test override\n"
        f"{only_seed},{only_seed},,individual,https://huggingface.co/{only_seed}\n"
        "brand-new-namespace,New Org,JP,industry,a test override\n",
        encoding="utf-8",
    )
    registry = load_registry(override)
    entries = registry.entries.set_index("namespace")
    assert (entries.loc["Qwen", ["developer", "country", "type"]] == ["Somebody Else", "FR", "academia"]).all()
    assert (entries.loc[in_both, ["developer", "country", "type"]] == ["Override Org", "DE", "nonprofit"]).all()
    assert entries.loc[only_seed, "type"] == "individual"
    assert entries.loc["brand-new-namespace", "country"] == "JP"
    assert len(entries) == len(load_registry().entries) + 1
    assert registry.sources[-1] == override
    attribution = registry.attribution().set_index("namespace")
    assert attribution.loc[only_seed, "country"] == "USER"


# -- coverage of the embedded snapshots ------------------------------------------------------------


@pytest.mark.parametrize("snapshot,floor", [(LISTING, 0.97), (SAMPLE, 0.995)])
@pytest.mark.parametrize("attribution", ["uploader", "origin"])
def test_registry_attributes_the_downloads_of_both_embedded_snapshots(embedded, snapshot, floor, attribution):
    table = embedded.share(snapshot=snapshot, attribution=attribution)
    attributed = 1 - table.loc[table["key"] == "_unattributed", "share"].sum()
    assert attributed >= floor, (snapshot, attribution, attributed)


def top_namespaces(embedded, snapshot: str, attribution: str, n: int = 300) -> pd.Series:
    observations = embedded.store.con.execute(embedded.store.table("observations"))
    observations = observations[observations["snapshot_id"] == snapshot][["model_id", "downloads_30d"]]
    if attribution == "uploader":
        frame = observations.merge(embedded.enriched.facts[["model_id", "namespace"]], on="model_id")
        downloads = frame.groupby("namespace")["downloads_30d"].sum()
    else:
        frame = embedded.enriched.credit.merge(observations, on="model_id")
        frame["credited"] = frame["fraction"] * frame["downloads_30d"]
        downloads = frame.groupby("root_namespace")["credited"].sum()
    return downloads.sort_values(ascending=False).head(n)


@pytest.mark.parametrize("snapshot", [LISTING, SAMPLE])
@pytest.mark.parametrize("attribution", ["uploader", "origin"])
def test_every_top_300_namespace_has_a_registry_row(embedded, snapshot, attribution):
    known = set(load_registry().entries["namespace"])
    top = top_namespaces(embedded, snapshot, attribution)
    assert len(top) == 300
    missing = {namespace: round(float(downloads)) for namespace, downloads in top.items() if namespace not in known}
    assert not missing, f"{snapshot} {attribution}: top-300 namespaces without a registry row: {missing}"


# -- the seed against source facts (copied by hand) -----------------------------------------------


@pytest.mark.parametrize(
    "namespace,developer,country,kind,facts",
    [
        # OSAI deepseek-R1.yaml header: "# - National origin: China", "# - Contributor type: Non-academic (Chinese AI Tiger)";
        # org.name: DeepSeek; system.link https://huggingface.co/deepseek-ai/DeepSeek-R1-0528
        ("deepseek-ai", "DeepSeek", "CN", "industry", ["OSAI index: deepseek-R1.yaml (National origin: China; Contributor type: Non-academic (Chinese AI Tiger))"]),
        # OSAI Apertus.yaml header: "National origin: Switzerland", "Contributor type: Academic (Research institution)";
        # org.name: Swiss AI Initiative; weights links https://huggingface.co/swiss-ai/Apertus-70B-2509
        ("swiss-ai", "Swiss AI Initiative (EPFL, ETH Zurich, CSCS)", "CH", "academia", ["OSAI index: Apertus.yaml (National origin: Switzerland; Contributor type: Academic (Research institution))"]),
        # Epoch AI row "Telechat2-115B": Organization China Telecom; Country China; Industry; Link https://huggingface.co/Tele-AI/TeleChat2-115B
        ("Tele-AI", "China Telecom (TeleAI)", "CN", "industry", ["Epoch AI: Telechat2-115B row (China Telecom; Country: China; Organization categorization: Industry)"]),
        # Epoch AI row "BLUUMI": Organization "University of Turku,Hugging Face"; Country "Finland,United States of America";
        # categorization "Academia,Industry" -> University of Turku is Finland / Academia by position; the table maps it to TurkuNLP
        ("TurkuNLP", "University of Turku (TurkuNLP)", "FI", "academia", ["Epoch AI: BLUUMI row (University of Turku; Country: Finland; Organization categorization: Academia)"]),
        # Epoch AI row "Falcon-180B": Technology Innovation Institute, United Arab Emirates, Government (OSAI Falcon.yaml says
        # Academic (Research institution): a conflict resolved by hand to government)
        ("tiiuae", "Technology Innovation Institute", "AE", "government", ["Epoch AI: Falcon-180B row", "OSAI index: Falcon.yaml"]),
    ],
)
def test_seed_rows_match_the_source_facts(seed, namespace, developer, country, kind, facts):
    row = seed[namespace]
    assert (row["developer"], row["country"], row["type"]) == (developer, country, kind)
    for fact in facts:
        assert fact in row["evidence"]


def test_seed_personal_accounts_have_no_country(seed):
    # OSAI Fietje.yaml / Geitje.yaml: "Contributor type: Academic (Individual)", links to huggingface.co/BramVanroy/...
    # OSAI airoboros.yaml: "Contributor type: Non-academic (Individual)", huggingface.co/jondurbin/...
    for namespace in ("BramVanroy", "jondurbin", "Shitao", "Doubiiu"):
        assert seed[namespace]["type"] == "individual" and seed[namespace]["country"] == "", namespace


# Every distinct value in the sources (OSAI header "Contributor type"; elements and some combined
# cells of Epoch's "Organization categorization"; country names of both), copied by hand.
OSAI_CONTRIBUTOR_TYPES = [
    "Academic (Individual)",
    "Academic (Research community)",
    "Academic (Research institution)",
    "Academic (University)",
    "Non-academic (American Big Tech)",
    "Non-academic (Big Tech)",
    "Non-academic (Chinese AI Tiger)",
    "Non-academic (Chinese Big Tech)",
    "Non-academic (Company)",
    "Non-academic (European Big Tech)",
    "Non-academic (Individual)",
    "Non-academic (Research community)",
    "Non-academic (Research institution)",
    "Non-academic (Research lab)",
]
EPOCH_CATEGORIZATIONS = [
    "Industry",
    "Academia",
    "Government",
    "Research collective",
    "Industry,Academia",
    "Academia,Industry",
    "Industry,Government",
    "Academia,Research collective",
    "Research collective,Academia",
    "Academia,Research collective,Industry",
]
SOURCE_COUNTRIES = {
    # OSAI "National origin"
    "China": "CN", "United States": "US", "United Kingdom": "GB", "France": "FR", "Germany": "DE", "Finland": "FI",
    "Netherlands": "NL", "Singapore": "SG", "South Korea": "KR", "Switzerland": "CH", "United Arab Emirates": "AE",
    "Canada": "CA", "Israel": "IL", "Italy": "IT", "Poland": "PL", "Spain": "ES", "Sweden": "SE",
    "International": None, "Undisclosed": None,
    # Epoch "Country (of organization)"
    "United States of America": "US", "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Korea (Republic of)": "KR", "Iran (Islamic Republic of)": "IR", "Hong Kong": "HK", "Taiwan": "TW",
    "Russia": "RU", "Czechia": "CZ", "Saudi Arabia": "SA", "Japan": "JP", "India": "IN", "Australia": "AU",
    "Argentina": "AR", "Croatia": "HR", "Malaysia": "MY", "Norway": "NO", "Multinational": None,
}


def test_every_osai_contributor_type_maps_to_one_of_our_types(seed_script):
    assert set(seed_script.OSAI_CONTRIBUTOR_TYPES) == set(OSAI_CONTRIBUTOR_TYPES)
    for value in OSAI_CONTRIBUTOR_TYPES:
        assert seed_script.OSAI_CONTRIBUTOR_TYPES[value] in OUR_TYPES, value


def test_every_epoch_categorization_maps_to_our_types_position_by_position(seed_script):
    for cell in EPOCH_CATEGORIZATIONS:
        kinds = [seed_script.epoch_type(part) for part in seed_script.split_cell(cell)]
        assert kinds and all(kind in OUR_TYPES for kind in kinds), cell
    assert seed_script.epoch_type("Research collective") == "community"


def test_every_source_country_name_resolves(seed_script):
    for name, code in SOURCE_COUNTRIES.items():
        assert seed_script.country_code(name) == code, name


def test_hub_namespace_comes_only_from_model_and_collection_urls(seed_script):
    assert seed_script.hub_namespace("https://huggingface.co/deepseek-ai/DeepSeek-R1-0528") == "deepseek-ai"
    assert seed_script.hub_namespace("https://huggingface.co/swiss-ai/Apertus-70B-2509/tree/main") == "swiss-ai"
    assert seed_script.hub_namespace("https://huggingface.co/collections/meta-llama/meta-llama-3-66214712577ca38149ebb2b6") == "meta-llama"
    for url in ("https://github.com/deepseek-ai/DeepSeek-R1", "https://huggingface.co/blog/falcon-180b", "https://huggingface.co/docs/transformers/en/model_doc/t5", "https://huggingface.co/datasets/bigcode/the-stack-dedup", None, ""):
        assert seed_script.hub_namespace(url) is None, url


def test_the_script_refuses_an_unresolved_conflict(seed_script):
    claims = [
        seed_script.Claim("an-unknown-lab", "OSAI index", "A Lab", "US", "industry", "OSAI index: a.yaml"),
        seed_script.Claim("an-unknown-lab", "Epoch AI", "A Lab", "CN", "industry", "Epoch AI: b row"),
        seed_script.Claim("another-lab", "OSAI index", "B Lab", None, "industry", "OSAI index: c.yaml", international=True),
        seed_script.Claim("a-collective", "OSAI index", "C", None, "community", "OSAI index: d.yaml", international=True),
    ]
    rows, problems, _ = seed_script.seed_rows(claims)
    assert any(problem.startswith("an-unknown-lab: country") for problem in problems)
    assert any(problem.startswith("another-lab: country") for problem in problems)  # International company: no country
    collective = next(row for row in rows if row["namespace"] == "a-collective")
    assert collective["country"] == "INTL"  # International collective: no legal home


def test_every_organisation_in_the_namespace_table_is_named_for_the_registry(seed_script, curated):
    developers = {row["developer"] for row in curated.values()}
    for organisation, namespaces in seed_script.ORGANIZATION_NAMESPACES.items():
        assert namespaces and all(namespace.strip() == namespace and "/" not in namespace for namespace in namespaces), organisation
    for name in ("Alibaba", "Meta AI", "Facebook AI Research", "Zhipu AI", "Google DeepMind", "StabilityAI", "Ai2"):
        assert seed_script.developer_name(name) in developers, name


# -- conflicts between the seed and the curated registry ---------------------------------------------


def test_every_seed_curated_disagreement_is_listed_with_a_reason(seed, curated):
    conflicts = read_csv(CONFLICTS)
    assert conflicts and list(conflicts[0]) == ["namespace", "field", "seed_value", "curated_value", "resolution", "reason"]
    listed = {(row["namespace"], row["field"]): row for row in conflicts}
    assert all(row["reason"].strip() and row["resolution"].strip() for row in conflicts)
    disagreements = [
        (namespace, field)
        for namespace in sorted(set(seed) & set(curated))
        for field in ("country", "type")
        if seed[namespace][field] != curated[namespace][field]
    ]
    assert disagreements, "expected some (e.g. EleutherAI's type)"
    for key in disagreements:
        assert key in listed, f"{key} disagrees but is not in registry_conflicts.csv"
        row = listed[key]
        assert (row["seed_value"], row["curated_value"]) == (seed[key[0]][key[1]], curated[key[0]][key[1]])
        assert row["resolution"] in ("curated wins", "curated fixed")


def test_conflicts_between_the_sources_are_listed(seed):
    conflicts = read_csv(CONFLICTS)
    by_source = {(row["namespace"], row["field"]): row for row in conflicts if row["resolution"].startswith("sources disagree")}
    # OSAI stable-diffusion.yaml says United Kingdom, StableAudio.yaml United States
    assert by_source[("stabilityai", "country")]["seed_value"] == "GB"
    # OSAI CogVideoX.yaml says United States, GLM.yaml China
    assert by_source[("zai-org", "country")]["seed_value"] == "CN"
    # OSAI SkyReels.yaml says United States; Epoch's Kunlun Inc. rows China
    assert by_source[("Skywork", "country")]["seed_value"] == "CN"
    for (namespace, field), row in by_source.items():
        assert seed[namespace][field] == row["seed_value"], (namespace, field)


def test_the_docs_render_the_scripts_mapping_tables(seed_script):
    docs = (REPO / "docs" / "registry.md").read_text(encoding="utf-8")
    for category, kind in seed_script.OSAI_CONTRIBUTOR_TYPES.items():
        assert f"| {category} | {kind} |" in docs, category
    for category, kind in seed_script.EPOCH_CATEGORIES.items():
        assert f"| {category} | {kind} |" in docs, category
    for name in seed_script.COUNTRY_NAMES:
        assert f"| {name} |" in docs, name
    for organisation in seed_script.ORGANIZATION_NAMESPACES:
        assert f"| {organisation} |" in docs, organisation
    for namespace, fields in seed_script.RESOLUTIONS.items():
        for field, (value, _) in fields.items():
            assert f"| `{namespace}` | {field} | {value} |" in docs, (namespace, field)
    assert "python scripts/seed_registry.py" in docs
