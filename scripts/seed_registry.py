"""Regenerate the registry seed (src/hubecon/data/registry_seed.csv) from two public sources.

Run from the repository root with the shared data folder beside it:

    python scripts/seed_registry.py ../shared/data

Sources (facts carry over; attribution in NOTICE):

* the European Open Source AI Index (osai_index/*.yaml): the header comments
  `# - National origin: ...` and `# - Contributor type: ...`, the `org.name`
  field, and Hub namespaces taken only from `system.link`,
  `weights_basemodel.link` and `weights_endmodel.link`;
* Epoch AI "Notable AI Models" (epoch_ai/notable_ai_models.csv): the columns
  Organization, Country (of organization), Organization categorization, Link
  and Model accessibility (plus Hub URLs in Accessibility notes).

Every mapping from a source's words to ours is written out below (and in
docs/registry.md): contributor types and categorisations to our types,
country names to ISO 3166-1 alpha-2, organisation names to the developer
strings of the curated registry, Epoch organisations to Hub namespaces.
Where the sources disagree about a namespace (within OSAI, within Epoch, or
between them) the value is chosen by hand in RESOLUTIONS, with a reason; the
script refuses to write the seed while any disagreement is unresolved, and
also while a resolution is stale (nothing left to resolve). The output is
sorted and deterministic: running the script twice gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import pandas as pd
import pycountry

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "src" / "hubecon" / "data" / "registry_seed.csv"
CURATED = ROOT / "src" / "hubecon" / "data" / "registry.csv"
CONFLICTS = ROOT / "src" / "hubecon" / "data" / "registry_conflicts.csv"
CONFLICT_COLUMNS = ["namespace", "field", "seed_value", "curated_value", "resolution", "reason"]
COLUMNS = ["namespace", "developer", "country", "type", "evidence", "alt_developer", "alt_country", "alt_type", "alt_evidence", "note"]
TYPES = ("industry", "academia", "nonprofit", "government", "community", "individual")
INTERNATIONAL = "INTL"

# ---------------------------------------------------------------------------------------------
# 1. Source categories -> our types
# ---------------------------------------------------------------------------------------------

# Every distinct "Contributor type" in the OSAI headers (commit 5a388e87).
OSAI_CONTRIBUTOR_TYPES = {
    "Academic (University)": "academia",
    "Academic (Research institution)": "academia",
    "Academic (Research community)": "community",
    "Academic (Individual)": "individual",  # a researcher's personal Hub account
    "Non-academic (American Big Tech)": "industry",
    "Non-academic (Big Tech)": "industry",
    "Non-academic (Chinese AI Tiger)": "industry",
    "Non-academic (Chinese Big Tech)": "industry",
    "Non-academic (European Big Tech)": "industry",
    "Non-academic (Company)": "industry",
    "Non-academic (Research lab)": "industry",  # PleIAs, Genmo, Maya Research: companies
    "Non-academic (Research institution)": "nonprofit",  # BAAI, LLM360, LMSYS, OpenGPT-X: non-company research bodies
    "Non-academic (Research community)": "community",
    "Non-academic (Individual)": "individual",
}

# Every distinct element of Epoch's "Organization categorization". A cell lists one
# category per organisation, in the order of the Organization column ("Industry,Academia").
EPOCH_CATEGORIES = {
    "Industry": "industry",
    "Academia": "academia",
    "Government": "government",
    "Research collective": "community",
}

# Rule for combined cells (DESIGN: one developer per namespace): Epoch's Organization,
# Country and Organization categorization cells are lists aligned by position. A namespace
# reached through organisation i takes country i and category i. When the three lists do
# not have the same length (an organisation name containing a comma, a missing value), only
# the first-listed (lead) organisation is used, with the first-listed country and category.


def epoch_type(category: str) -> str:
    return EPOCH_CATEGORIES[category.strip()]


# ---------------------------------------------------------------------------------------------
# 2. Country names -> ISO 3166-1 alpha-2 (pycountry, then this table)
# ---------------------------------------------------------------------------------------------

# Names pycountry does not resolve (or resolves ambiguously). None = not a country: a row
# with it needs a hand resolution (RESOLUTIONS) unless the developer is a collective
# (type community), which gets INTL (no legal home).
COUNTRY_NAMES: dict[str, str | None] = {
    "United States": "US",
    "United States of America": "US",
    "United Kingdom": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "South Korea": "KR",
    "Korea (Republic of)": "KR",
    "Russia": "RU",
    "Iran (Islamic Republic of)": "IR",
    "Taiwan": "TW",
    "Hong Kong": "HK",
    "Czechia": "CZ",
    "International": None,  # OSAI: used for collectives and for companies with offices in several countries
    "Multinational": None,  # Epoch: IEEE rows
    "Undisclosed": None,  # OSAI: Proton's Lumo (no Hub namespace)
}


def country_code(name: str) -> str | None:
    name = name.strip()
    if name in COUNTRY_NAMES:
        return COUNTRY_NAMES[name]
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        raise SystemExit(f"country name '{name}' is neither in COUNTRY_NAMES nor known to pycountry: add it") from None


# ---------------------------------------------------------------------------------------------
# 3. Organisation names -> the curated registry's developer strings
# ---------------------------------------------------------------------------------------------

# Source organisation name (OSAI org.name or an Epoch organisation) -> developer string used
# in registry.csv for the same developer. Names not listed are used as written (stripped).
DEVELOPER_NAMES = {
    # OSAI org.name
    "AI21": "AI21 Labs",
    "Ai2": "Allen Institute for AI",
    "Alibaba": "Alibaba Cloud",
    "Alibaba Group": "Alibaba Cloud",
    "AMD Silo AI and TurkuNLP and High Performance Language Technologies (HPLT)": "LumiOpen (Silo AI, TurkuNLP, HPLT)",
    "Silo AI and TurkuNLP and High Performance Language Technologies (HPLT)": "LumiOpen (Silo AI, TurkuNLP, HPLT)",
    "Baichuan Intelligent Technology": "Baichuan Intelligent Technology",
    "BigCode": "BigCode",
    "BigScience Workshop": "BigScience",
    "BlinkDL/RWKV": "RWKV Project",
    "Centre for Vision, Speech and Signal Processing": "University of Surrey (CVSSP)",
    "Cohere AI": "Cohere",
    "Common Sense": "Common Sense (collective)",
    "DeepCogito": "Deep Cogito",
    "DeepFloyd and StabilityAI and LAION (major contributors)": "Stability AI (DeepFloyd)",
    "Deep Cognition and Language Research Lab": "Singapore University of Technology and Design (DeCLaRe Lab)",
    "EleutherAI and Together Computer": "Together AI",
    "G42": "Inception (G42)",
    "Gaoling School of Artificial Intelligence": "Renmin University of China (GSAI)",
    "Aleph Alpha Research": "Aleph Alpha",
    "Tilde.ai": "Tilde",
    "Google": "Google",
    "Google AI": "Google",
    "Google DeepMind": "Google",
    "HPC-AI": "HPC-AI Tech",
    "HuggingFace": "Hugging Face",
    "Inclusion AI": "Ant Group",
    "Intelligent Software Engineering": "University of Illinois Urbana-Champaign",
    "LG": "LG AI Research",
    "LMSYS": "LMSYS (UC Berkeley)",
    "LAION": "LAION",
    "Open Assistant": "Open Assistant (LAION)",
    "OpenBMB": "ModelBest / OpenBMB",
    "OpenChat": "OpenChat (Tsinghua University)",
    "Microsoft and Peking University": "Microsoft",
    "Minimax AI": "MiniMax",
    "Multimodal Art Projection": "Multimodal Art Projection (M-A-P)",
    "Nanbeige LLM lab": "Nanbeige LLM Lab (Kanzhun / BOSS Zhipin)",
    "NexusFlow": "Nexusflow",
    "OpenGPT-X": "OpenGPT-X",
    "Prompthero": "PromptHero",
    "RedNote": "RedNote (Xiaohongshu)",
    "Sapienza Natural Language Processing Group": "Sapienza University of Rome",
    "Shenzhen Yuanxiang Technology": "XVERSE (Shenzhen Yuanxiang Technology)",
    "Skywork": "Kunlun Tech (Skywork AI)",
    "SpeakLeash AI": "SpeakLeash",
    "StabilityAI": "Stability AI",
    "Stability AI": "Stability AI",
    "Swiss AI Initiative": "Swiss AI Initiative (EPFL, ETH Zurich, CSCS)",
    "Tele-AI": "China Telecom (TeleAI)",
    "Tencent": "Tencent",
    "Together Computer": "Together AI",
    "Tongyi Lab": "Alibaba Cloud",
    "Upstage AI": "Upstage",
    "UTTER": "UTTER consortium",
    "Yuan Shi Technology": "Yuan Shi Technology (MetaStone)",
    "Zhipu AI": "Zhipu AI (Z.ai)",
    "Zhipu AI (Z.ai)": "Zhipu AI (Z.ai)",
    # Epoch AI organisations
    "Beijing Academy of Artificial Intelligence / BAAI": "Beijing Academy of Artificial Intelligence",
    "Bayerische Staatsbibliothek Muenchen": "Bavarian State Library (MDZ)",
    "Cerebras Systems": "Cerebras",
    "China Telecom": "China Telecom (TeleAI)",
    "Cohere for AI": "Cohere",
    "DeepMind": "Google",
    "Facebook": "Meta",
    "Facebook AI": "Meta",
    "Facebook AI Research": "Meta",
    "Google Brain": "Google",
    "Google Research": "Google",
    "Huawei Noah's Ark Lab": "Huawei",
    "Inception G42": "Inception (G42)",
    "Kunlun Inc.": "Kunlun Tech (Skywork AI)",
    "Meituan Inc": "Meituan",
    "Meta AI": "Meta",
    "Microsoft Research": "Microsoft",
    "Microsoft Research Asia": "Microsoft",
    "Moonshot": "Moonshot AI",
    "Rednote": "RedNote (Xiaohongshu)",
    "Ant Group": "Ant Group",
    "Alibaba DAMO Academy": "Alibaba Cloud",
    "Salesforce Research": "Salesforce",
    "Saudi Data and Artificial Intelligence Authority": "Saudi Data and AI Authority (SDAIA)",
    "Sea AI Lab": "Sea AI Lab",
    "Technical University of Munich": "Technical University of Munich (Rostlab)",
    "Shanghai AI Lab": "Shanghai AI Laboratory",
    "University of Turku": "University of Turku (TurkuNLP)",
    "Zhejiang University (ZJU)": "Zhejiang University",
}


def developer_name(organisation: str) -> str:
    organisation = " ".join(organisation.split())
    return DEVELOPER_NAMES.get(organisation, organisation)


# ---------------------------------------------------------------------------------------------
# 4. Epoch organisations -> Hub namespaces (each entry a known fact: the organisation's own org on the Hub)
# ---------------------------------------------------------------------------------------------

ORGANIZATION_NAMESPACES = {
    "01.AI": ["01-ai"],
    "AI21 Labs": ["ai21labs"],
    "Alibaba": ["Qwen", "Alibaba-NLP", "Wan-AI"],
    "Alibaba DAMO Academy": ["alibaba-damo"],
    "Allen Institute for AI": ["allenai"],
    "Amazon": ["amazon"],
    "Ant Group": ["inclusionAI"],
    "Apple": ["apple"],
    "Baidu": ["baidu"],
    "Bayerische Staatsbibliothek Muenchen": ["dbmdz"],
    "Beijing Academy of Artificial Intelligence / BAAI": ["BAAI"],
    "BigScience": ["bigscience"],
    "ByteDance": ["ByteDance", "ByteDance-Seed"],
    "Cerebras Systems": ["cerebras"],
    "China Telecom": ["Tele-AI"],
    "Cohere": ["CohereLabs"],
    "Cohere for AI": ["CohereForAI"],
    "Databricks": ["databricks"],
    "DeepMind": ["deepmind"],
    "DeepSeek": ["deepseek-ai"],
    "EleutherAI": ["EleutherAI"],
    "Facebook": ["facebook"],
    "Facebook AI": ["facebook", "FacebookAI"],
    "Facebook AI Research": ["facebook"],
    "Google": ["google"],
    "Google Brain": ["google"],
    "Google DeepMind": ["google"],
    "Google Research": ["google"],
    "Huawei Noah's Ark Lab": ["huawei-noah"],
    "Hugging Face": ["HuggingFaceTB", "HuggingFaceH4", "HuggingFaceM4"],
    "IBM": ["ibm-granite"],
    "Inception G42": ["inceptionai"],
    "Kunlun Inc.": ["Skywork"],
    "LG AI Research": ["LGAI-EXAONE"],
    "Meituan Inc": ["meituan-longcat"],
    "Meta AI": ["meta-llama", "facebook"],
    "Microsoft": ["microsoft"],
    "Microsoft Research": ["microsoft"],
    "Microsoft Research Asia": ["microsoft"],
    "MiniMax": ["MiniMaxAI"],
    "Mistral AI": ["mistralai"],
    "Moonshot": ["moonshotai"],
    "NVIDIA": ["nvidia"],
    "OpenAI": ["openai", "openai-community"],
    "Prime Intellect": ["PrimeIntellect"],
    "Rednote": ["rednote-hilab"],
    "Reka AI": ["RekaAI"],
    "Salesforce": ["Salesforce"],
    "Salesforce Research": ["Salesforce"],
    "ServiceNow": ["ServiceNow-AI"],
    "Shanghai AI Lab": ["internlm", "OpenGVLab"],
    "Stability AI": ["stabilityai"],
    "Technical University of Munich": ["Rostlab"],
    "Technology Innovation Institute": ["tiiuae"],
    "Tencent": ["tencent"],
    "University of Turku": ["TurkuNLP"],
    "Zhipu AI": ["zai-org", "THUDM"],
    "deepset": ["deepset"],
    "rinna": ["rinna"],
    "xAI": ["xai-org"],
}

# ---------------------------------------------------------------------------------------------
# 5. Links that do not name the row's own developer
# ---------------------------------------------------------------------------------------------

# OSAI system/end-model links that point at another developer's repo (checked by hand).
OSAI_LINKS_EXCLUDED = {
    ("Saul.yaml", "jondurbin"): "weights_endmodel.link points at Jon Durbin's airoboros, not at Equall's Saul",
}

# Hub URLs in Epoch rows that are not the organisation's own namespace: personal accounts
# of authors, third-party mirrors, or another developer's repo cited in passing.
EPOCH_LINKS_EXCLUDED = {
    "Mizukiluke": "personal account of an mPLUG-Owl2 author (the row's organisation is Alibaba)",
    "NinedayWang": "personal account of a PolyCoder author (CMU)",
    "FoundationVision": "research org shared by ByteDance and HKU authors; ownership not stated by Epoch",
    "robotics-diffusion-transformer": "project org of the RDT authors; ownership not stated by Epoch",
    "nyu-visionx": "lab org; Epoch names the whole of NYU",
    "zjunlp": "lab org; Epoch names the whole of Zhejiang University",
    "google-bert": "SciBERT row's note cites Google's BERT, not an Allen AI repo",
    "openai-community": "GPT-2 FlashAttention row's note cites OpenAI's GPT-2",
}

# Epoch columns holding URLs that may name the model's Hub repo.
EPOCH_URL_COLUMNS = ["Link", "Accessibility notes"]

# ---------------------------------------------------------------------------------------------
# 6. Conflicts resolved by hand: namespace -> field -> (value, reason)
# ---------------------------------------------------------------------------------------------

# Applied whenever the namespace's field is chosen: where the sources disagree, where a
# source gives no country (International for a company), or where a source's category is
# contradicted by a stronger fact (a personal account tagged as an organisation).
RESOLUTIONS: dict[str, dict[str, tuple[str, str]]] = {
    # -- disagreements within the OSAI index (files tagging one namespace differently) --
    "stabilityai": {"country": ("GB", "Stability AI Ltd is a London company: 3 of 4 OSAI files (stable-diffusion, Arabic StableLM, Stable Beluga) and Epoch say United Kingdom; StableAudio.yaml's United States / American Big Tech is the outlier")},
    "zai-org": {"country": ("CN", "Zhipu AI is a Beijing company: 4 of 5 OSAI files (GLM, CogView, CodeGeeX, LongAlign) and Epoch say China; CogVideoX.yaml's United States is the outlier")},
    "togethercomputer": {"country": ("US", "Together AI (Together Computer Inc.) is a San Francisco company: GPT-NeoXT, RedPajama, StripedHyena say United States; Pythia.yaml's International reflects its joint EleutherAI/Together attribution")},
    # -- disagreements between OSAI and Epoch AI, or within Epoch --
    "ai21labs": {"country": ("IL", "AI21 Labs is headquartered in Tel Aviv: Epoch says Israel; OSAI Jamba.yaml says International")},
    "allenai": {"type": ("nonprofit", "Ai2 is a non-profit research institute founded by Paul Allen (allenai.org): OSAI says academic research institution, Epoch says research collective; neither is a university or a collective")},
    "BAAI": {"type": ("nonprofit", "BAAI is a non-profit, non-university research institute in Beijing: five OSAI files say Non-academic (Research institution); Epoch's Academia is the outlier")},
    "bigscience": {"country": ("INTL", "BigScience was a one-year open research workshop of 1,000+ researchers with no legal entity (a collective with no legal home): OSAI says International; Epoch's France is where BLOOM was trained (Jean Zay)")},
    "HuggingFaceH4": {"country": ("US", "Hugging Face Inc. is a US company (New York): Epoch says United States; OSAI StarChat/Zephyr say International")},
    "HuggingFaceTB": {"country": ("US", "Hugging Face Inc. is a US company (New York): Epoch says United States; OSAI smollm.yaml says International")},
    "inceptionai": {"type": ("industry", "Inception is a G42 company (Abu Dhabi): Epoch says Industry; OSAI Jais/Llama-Sherkala say academic research institution")},
    "microsoft": {"country": ("US", "Microsoft Corporation is based in Redmond, WA: OSAI and Epoch's Microsoft rows say United States; Epoch's Microsoft Research Asia rows give the Beijing lab's country")},
    "RekaAI": {"country": ("US", "Reka AI is a US company: Epoch says United States; OSAI Reka Flash.yaml says International")},
    "Skywork": {"country": ("CN", "Skywork is the AI brand of Kunlun Tech (Beijing, listed in Shenzhen): Epoch's Kunlun Inc. rows say China; OSAI SkyReels/SkyWorks-OR1 say United States")},
    "tiiuae": {"type": ("government", "TII is the applied-research arm of Abu Dhabi's Advanced Technology Research Council, a government body: Epoch says Government; OSAI Falcon.yaml says academic research institution")},
    "ALLaM-AI": {"type": ("government", "SDAIA is the Saudi Data and AI Authority, a government authority: Epoch lists its categories as Industry,Government for one organisation (first listed would be Industry)")},
    # -- OSAI 'International' for an organisation with a legal home --
    "black-forest-labs": {"country": ("DE", "Black Forest Labs is headquartered in Freiburg, Germany (bfl.ai); OSAI FLUX.yaml says International")},
    "briaai": {"country": ("IL", "BRIA AI is a Tel Aviv company (bria.ai); OSAI Bria.yaml says International")},
    "h2oai": {"country": ("US", "H2O.ai is headquartered in Mountain View, California (h2o.ai); OSAI H2O-Danube.yaml says International")},
    "hpcai-tech": {"country": ("SG", "HPC-AI Tech is a Singapore company (hpc-ai.com); OSAI Open-Sora.yaml says International")},
    "lmsys": {"country": ("US", "LMSYS began as a UC Berkeley-led student/faculty collaboration (lmsys.org); OSAI Vicuna/FastChat-T5 say International")},
    "TildeAI": {"country": ("LV", "Tilde is headquartered in Riga, Latvia (tilde.ai); OSAI TildeOpen.yaml says International")},
    "upstage": {"country": ("KR", "Upstage is a South Korean company (upstage.ai); OSAI Solar.yaml says International")},
    "WizardLM": {"country": ("US", "the WizardLM team was at Microsoft (OSAI: Microsoft and Peking University, American Big Tech): Microsoft is US-based; OSAI says International")},
    "LeoLM": {
        "country": ("DE", "LeoLM was built by LAION e.V. (a registered association in Hamburg) with hessian.AI (Darmstadt): it has a legal home; OSAI leo.yaml says International"),
        "type": ("nonprofit", "LAION e.V. is a German registered non-profit (laion.ai); OSAI says academic research community"),
    },
    # -- personal accounts tagged as organisations --
    "BlinkDL": {"type": ("individual", "BlinkDL is the personal Hub account of Bo Peng, RWKV's author; the RWKV project itself is the RWKV namespace")},
    "juyongjiang": {"type": ("individual", "juyongjiang is the personal Hub account of Juyong Jiang (CodeUp author); OSAI's organisation 'John' is not an organisation")},
    "OrionZheng": {"type": ("individual", "OrionZheng is a personal Hub account: OSAI's organisation 'Zheng Zian' names a person (an OpenMoE author), not an organisation")},
}

# ---------------------------------------------------------------------------------------------
# 7. Where the seed and the curated registry.csv disagree: why the curated row stands
# ---------------------------------------------------------------------------------------------

# namespace -> field -> reason. The loader lets curated rows win; every disagreement on
# developer, country or type (naming differences are aligned in DEVELOPER_NAMES) must be
# explained here, or the script refuses to write. If the sources proved a curated row wrong,
# the fix goes into registry.csv and the entry here says so with CURATED_FIXED.
CURATED_FIXED = "curated fixed"
CURATED_WINS = {
    "AI-Sweden-Models": {"type": "AI Sweden is Sweden's national centre for applied AI, a non-profit (ai.se), not a university; OSAI's 'Academic (Research institution)' is a looser category"},
    "AIDC-AI": {"developer": "the namespace is Alibaba International Digital Commerce's (Ovis, Marco papers); OSAI names only 'Alibaba', which our mapping reads as Alibaba Cloud"},
    "DeepFloyd": {
        "country": "DeepFloyd was a research lab at Stability AI (stability.ai/news/deepfloyd-if-text-to-image-model), a London company; OSAI tags the multi-party release International",
        "type": "the lab was Stability AI's (a company); OSAI tags the DeepFloyd/Stability/LAION release as a research community",
    },
    "deepmind": {"country": "DESIGN attributes DeepMind's namespace to Google (Alphabet Inc., US); Epoch's United Kingdom is the London lab's own country"},
    "EleutherAI": {"type": "EleutherAI is a US-registered non-profit institute (eleuther.ai; DESIGN §3); Epoch's 'Research collective' describes its volunteer origins"},
    "LLM360": {
        "developer": "LLM360 is MBZUAI's open-model initiative (its K2 models come from MBZUAI's Institute of Foundation Models); OSAI names the project itself",
        "country": "MBZUAI is in Abu Dhabi; OSAI's United States reflects early US partners (Petuum, Cerebras)",
        "type": "MBZUAI is a university; OSAI's 'Non-academic (Research institution)' describes the project",
    },
    "lmsys": {"type": "Vicuna and FastChat-T5 came from the UC Berkeley-led LMSYS collaboration of university researchers; OSAI's 'Non-academic (Research institution)' maps to nonprofit"},
    "Nanbeige": {"type": "the Nanbeige LLM Lab belongs to Kanzhun (BOSS Zhipin), a company; OSAI tags it an academic research institution"},
    "NousResearch": {
        "country": "Nous Research is a US company (nousresearch.com); OSAI tags it International",
        "type": "Nous Research is a venture-funded company; OSAI tags it a research community",
    },
    "openbmb": {"type": "OpenBMB's Hub releases are run by ModelBest Inc. with Tsinghua NLP; OSAI tags the Eurus/UltraLM work academic"},
    "speakleash": {"type": "SpeakLeash is a registered foundation (Fundacja SpeakLeash, speakleash.org); OSAI tags it a research community"},
}

# ---------------------------------------------------------------------------------------------
# Reading the sources
# ---------------------------------------------------------------------------------------------

HEADER_TAG = re.compile(r"^#\s*-\s*(National origin|Contributor type):\s*(.*?)\s*$", re.M)
HUB_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
HUB_URL = re.compile(r"https?://(?:www\.)?huggingface\.co/[^\s,;)\]\"'>]+")
NON_NAMESPACE_PATHS = {"docs", "blog", "papers", "models", "spaces", "datasets", "organizations", "learn", "api", "settings", "join", "login", "tasks"}


def hub_namespace(url) -> str | None:
    """The namespace of a huggingface.co model or collection URL; None for anything else."""
    if not isinstance(url, str) or not url.strip():
        return None
    parsed = urlparse(url.strip())
    if parsed.netloc.lower() not in HUB_HOSTS:
        return None
    parts = [part for part in parsed.path.split("/") if part]
    if parts and parts[0] == "collections":
        parts = parts[1:]
    if not parts or parts[0] in NON_NAMESPACE_PATHS:
        return None
    return parts[0]


class Claim(NamedTuple):
    namespace: str
    source: str  # "OSAI index" or "Epoch AI"
    developer: str
    country: str | None  # ISO code; None = source gave no usable country
    type: str
    evidence: str  # one source fact, e.g. "OSAI index: Qwen.yaml (National origin: China; ...)"
    international: bool = False  # the source said International/Multinational


def osai_claims(folder: Path) -> list[Claim]:
    import yaml  # pyyaml: needed to regenerate the seed only (the tests import this module's tables without it)

    claims = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        tags = dict(HEADER_TAG.findall(text))
        if "National origin" not in tags or "Contributor type" not in tags:
            continue  # the template, and files without organisation tags (KimiK2.5.yaml, VGen.yaml)
        data = yaml.safe_load(text) or {}
        org = data.get("org") if isinstance(data.get("org"), dict) else {}
        organisation = (org.get("name") or "").strip()

        def link(section: str) -> str | None:
            value = data.get(section)
            return hub_namespace(value.get("link")) if isinstance(value, dict) else None

        own = {link("system"), link("weights_endmodel")} - {None}
        base = link("weights_basemodel")
        # A base-model link names the family's own namespace only when the system or end-model
        # link agrees; otherwise it is another developer's base model (Llama, Mistral, ...).
        namespaces = sorted(ns for ns in own | ({base} & own) if (path.name, ns) not in OSAI_LINKS_EXCLUDED)
        kind = OSAI_CONTRIBUTOR_TYPES[tags["Contributor type"]]
        origin = tags["National origin"]
        code = country_code(origin)
        evidence = f"OSAI index: {path.name} (National origin: {origin}; Contributor type: {tags['Contributor type']})"
        for namespace in namespaces:
            # the YAML's org.name; without one, the namespace itself (the header names no organisation)
            developer = namespace if kind == "individual" or not organisation else developer_name(organisation)
            claims.append(Claim(namespace, "OSAI index", developer, code, kind, evidence, international=code is None and origin != "Undisclosed"))
    return claims


def split_cell(value) -> list[str]:
    return [part.strip() for part in value.split(",")] if isinstance(value, str) and value.strip() else []


def epoch_claims(path: Path) -> list[Claim]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    by_namespace_org: dict[tuple[str, str], list[tuple[str, str, str, str]]] = defaultdict(list)
    for _, row in frame.iterrows():
        organisations = split_cell(row["Organization"])
        countries = split_cell(row["Country (of organization)"])
        categories = split_cell(row["Organization categorization"])
        if not organisations or not countries or not categories:
            continue
        if len(organisations) == len(countries) == len(categories):
            aligned = list(zip(organisations, countries, categories))
        else:
            aligned = [(organisations[0], countries[0], categories[0])]
        linked = []
        for column in EPOCH_URL_COLUMNS:
            linked += [hub_namespace(url) for url in HUB_URL.findall(row[column])]
        linked = sorted({ns for ns in linked if ns and ns not in EPOCH_LINKS_EXCLUDED})
        for organisation, country, category in aligned:
            namespaces = set(ORGANIZATION_NAMESPACES.get(organisation, []))
            # A Hub link names the organisation's namespace only on a single-organisation row
            # (on a joint row the link does not say whose org it is), unless the table above says so.
            if len(organisations) == 1:
                namespaces |= set(linked)
            for namespace in namespaces:
                by_namespace_org[(namespace, organisation)].append((namespace in linked, row["Publication date"], row["Model"], country, category))
    claims = []
    for (namespace, organisation), rows in sorted(by_namespace_org.items()):
        # One claim per distinct (country, category) the organisation's rows give; the evidence
        # cites the most recent such row, preferring a row whose own link names the namespace.
        seen = {}
        for _, date, model, country, category in sorted(rows, reverse=True):
            seen.setdefault((country, category), (date, model))
        for (country, category), (date, model) in sorted(seen.items()):
            code = country_code(country)
            evidence = f"Epoch AI: {model} row ({organisation}; Country: {country}; Organization categorization: {category})"
            claims.append(Claim(namespace, "Epoch AI", developer_name(organisation), code, epoch_type(category), evidence, international=code is None))
    return claims


# ---------------------------------------------------------------------------------------------
# Combining the claims
# ---------------------------------------------------------------------------------------------


def curated_namespaces() -> dict[str, str]:
    """lower-case namespace -> spelling in the curated registry (the seed follows its spelling)."""
    if not CURATED.exists():
        return {}
    with open(CURATED, newline="", encoding="utf-8") as handle:
        return {row["namespace"].lower(): row["namespace"] for row in csv.DictReader(handle)}


def choose(namespace: str, field: str, values: set, problems: list[str], used: set) -> str | None:
    resolution = RESOLUTIONS.get(namespace, {}).get(field)
    if resolution is not None:
        used.add((namespace, field))
        if values == {resolution[0]}:
            problems.append(f"stale resolution (the sources already agree on {resolution[0]}): {namespace}.{field}")
        return resolution[0]
    if len(values) == 1 and None not in values:
        return next(iter(values))
    problems.append(f"{namespace}: {field} unresolved: sources say {sorted(values, key=str)}")
    return None


def seed_rows(claims: list[Claim]) -> tuple[list[dict], list[str], list[dict]]:
    spelling = curated_namespaces()
    grouped: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        grouped[spelling.get(claim.namespace.lower(), claim.namespace)].append(claim)
    rows, problems, conflicts, used = [], [], [], set()
    for namespace in sorted(grouped, key=str.lower):
        group = grouped[namespace]
        kind = choose(namespace, "type", {claim.type for claim in group}, problems, used)
        developer = choose(namespace, "developer", {claim.developer for claim in group}, problems, used)
        if kind == "individual":
            country = ""
            developer = namespace
        else:
            # A source's International/Multinational tag is INTL for a collective (no legal
            # home); for anyone else it is no country and needs a hand resolution.
            countries = {claim.country if claim.country or not claim.international or kind != "community" else INTERNATIONAL for claim in group if claim.type != "individual"}
            country = choose(namespace, "country", countries, problems, used)
        for field in ("type", "developer", "country"):
            values = {getattr(claim, field) for claim in group}
            if field == "country":
                values = {claim.country or ("International" if claim.international else "none") for claim in group}
            if len(values) > 1 and namespace in RESOLUTIONS and field in RESOLUTIONS[namespace]:
                conflicts.append({"namespace": namespace, "field": field, "values": sorted(values, key=str), "chosen": RESOLUTIONS[namespace][field]})
        evidence = "; ".join(sorted({claim.evidence for claim in group}, key=lambda e: (not e.startswith("OSAI"), e)))
        reasons = [f"{field}: {value} ({reason})" for field, (value, reason) in sorted(RESOLUTIONS.get(namespace, {}).items())]
        rows.append(
            {
                "namespace": namespace,
                "developer": developer or "",
                "country": country or "",
                "type": kind or "",
                "evidence": evidence,
                "note": ("resolved by hand: " + "; ".join(reasons)) if reasons else "",
            }
        )
    stale = sorted(f"{namespace}.{field}" for namespace, fields in RESOLUTIONS.items() for field in fields if (namespace, field) not in used or namespace not in grouped)
    problems += [f"stale resolution (namespace or field no longer drawn from the sources): {item}" for item in stale]
    return rows, problems, conflicts


def curated_rows() -> dict[str, dict]:
    if not CURATED.exists():
        return {}
    with open(CURATED, newline="", encoding="utf-8") as handle:
        return {row["namespace"]: row for row in csv.DictReader(handle)}


def disagreements(seed: dict, curated: dict) -> list[str]:
    """Fields on which a seed row and the curated row of the same namespace disagree."""
    fields = [field for field in ("country", "type") if seed[field] != curated[field]]
    both_organisations = seed["type"] not in ("individual", "unknown") and curated["type"] not in ("individual", "unknown")
    if both_organisations and seed["developer"] != curated["developer"]:
        fields.insert(0, "developer")
    return fields


def conflict_rows(rows: list[dict], source_conflicts: list[dict]) -> tuple[list[dict], list[str]]:
    curated = curated_rows()
    out, problems = [], []
    for conflict in source_conflicts:
        namespace, field = conflict["namespace"], conflict["field"]
        value, reason = conflict["chosen"]
        out.append(
            {
                "namespace": namespace,
                "field": field,
                "seed_value": value,
                "curated_value": curated.get(namespace, {}).get(field, ""),
                "resolution": "sources disagree (" + " vs ".join(conflict["values"]) + f"): seed takes {value} by hand",
                "reason": reason,
            }
        )
    for row in rows:
        if row["namespace"] not in curated:
            continue
        for field in disagreements(row, curated[row["namespace"]]):
            reason = CURATED_WINS.get(row["namespace"], {}).get(field)
            if reason is None:
                problems.append(f"{row['namespace']}: {field}: seed '{row[field]}' vs curated '{curated[row['namespace']][field]}'")
                continue
            out.append(
                {
                    "namespace": row["namespace"],
                    "field": field,
                    "seed_value": row[field],
                    "curated_value": curated[row["namespace"]][field],
                    "resolution": "curated wins",
                    "reason": reason,
                }
            )
    explained = {(namespace, field) for namespace, fields in CURATED_WINS.items() for field in fields}
    actual = {(row["namespace"], field) for row in rows if row["namespace"] in curated for field in disagreements(row, curated[row["namespace"]])}
    problems += [f"stale CURATED_WINS entry (no disagreement): {namespace}.{field}" for namespace, field in sorted(explained - actual)]
    return sorted(out, key=lambda row: (row["namespace"].lower(), row["field"], row["resolution"])), problems


def write_conflicts(conflicts: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CONFLICT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(conflicts)
    CONFLICTS.write_text(buffer.getvalue(), encoding="utf-8")


def render(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python scripts/seed_registry.py ../shared/data", file=sys.stderr)
        return 2
    data = Path(argv[1])
    claims = osai_claims(data / "osai_index") + epoch_claims(data / "epoch_ai" / "notable_ai_models.csv")
    rows, problems, source_conflicts = seed_rows(claims)
    if problems:
        print(f"refusing to write {SEED.relative_to(ROOT)}: {len(problems)} unresolved conflict(s); resolve them in RESOLUTIONS", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 1
    conflicts, problems = conflict_rows(rows, source_conflicts)
    if problems:
        print(f"refusing to write {SEED.relative_to(ROOT)}: {len(problems)} seed/curated disagreement(s) without a reason in CURATED_WINS", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 1
    SEED.write_text(render(rows), encoding="utf-8")
    write_conflicts(conflicts)
    added = len({row["namespace"] for row in rows} - set(curated_rows()))
    print(f"wrote {SEED.relative_to(ROOT)}: {len(rows)} namespaces from {len(claims)} source facts ({added} not in registry.csv)")
    print(f"wrote {CONFLICTS.relative_to(ROOT)}: {len(conflicts)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
