"""Openness class and data transparency (DESIGN.md §3, Openness) on real models of the embedded data.

Each label below was worked out by hand from the model's raw fields (licence,
`dataset:` tags, card `datasets`, parents) and, where it covers the model, the
OSAI index entry (osai-index.eu) named in the comment.
"""

import pandas as pd
import pytest

from conftest import run_cli
from hubecon.enrich.openness import osai_facts, transparency

DA, DN, UN = "disclosed & available", "disclosed, not available", "undisclosed"
OS, OW = "open source", "open weights"

LABELLED = [
    # model, own step, full stack, class — reason
    ("allenai/OLMo-2-1124-7B", DA, DA, OS),  # apache-2.0; dataset tags olmo-mix-1124, dolmino-mix-1124
    ("allenai/OLMo-2-1124-7B-Instruct", DA, UN, OW),  # tag RLVR-GSM, but its parent (…-DPO) is not in the data and not in OSAI
    ("meta-llama/Llama-3.1-8B-Instruct", UN, UN, OW),  # OSAI "Llama 3" (meta-llama): end-model data closed; llama3.1 licence
    ("meta-llama/Llama-3.1-8B", UN, UN, OW),  # OSAI Tülu's base link Llama-3.1-405B: base data closed
    ("Qwen/Qwen2.5-7B-Instruct", UN, UN, OW),  # apache-2.0 but no dataset named anywhere
    ("google/gemma-3-27b-it", UN, UN, OW),  # OSAI Gemma (exact end link): data closed
    ("deepseek-ai/DeepSeek-V3", UN, UN, OW),  # no dataset named; OSAI links only DeepSeek-V3-Base and V3.2
    ("openai/gpt-oss-20b", UN, UN, OW),  # OSAI GPT OSS (openai/gpt-oss-120b): data closed; apache-2.0
    ("bigscience/bloom-560m", DA, DA, OW),  # OSAI BLOOMZ base link bigscience/bloom: open; but RAIL licence is not OSI
    ("EleutherAI/pythia-160m", DA, DA, OS),  # tag EleutherAI/pile; OSAI pythia base data open; apache-2.0
    ("sentence-transformers/all-MiniLM-L6-v2", DA, DA, OS),  # dataset tags s2orc, ms_marco, …; apache-2.0
    ("google-bert/bert-base-uncased", DA, DA, OS),  # dataset tags bookcorpus, wikipedia; apache-2.0
    ("openai/whisper-large-v3", UN, UN, OW),  # OSAI Whisper (exact base link): data closed
    ("swiss-ai/Apertus-8B-Instruct-2509", DA, DA, OS),  # OSAI Apertus: base and end data open; apache-2.0
    ("speakleash/Bielik-11B-v2.3-Instruct", UN, UN, OW),  # OSAI Bielik: data closed
    ("unsloth/Llama-3.2-1B-Instruct", UN, UN, OW),  # a re-upload of Meta's model, no dataset named
    ("microsoft/phi-2", UN, UN, OW),  # OSAI Fietje's base link microsoft/phi-2: base data closed; MIT
    ("bigcode/starcoder2-3b", DA, DA, OW),  # tag the-stack-v2-train, OSAI starcoder2 base data open; OpenRAIL-M is not OSI
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", DA, DA, OS),  # tags SlimPajama, starcoderdata, ultrachat; apache-2.0
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", UN, UN, OW),  # a quantization: its own step is its parent's (undisclosed)
    ("stabilityai/stable-diffusion-xl-base-1.0", DN, DN, OW),  # OSAI SDXL-Lightning's base link: base data partial
    ("HuggingFaceTB/SmolLM3-3B", DA, DA, OS),  # OSAI SmolLM (exact end link): base and end data open; apache-2.0
]


@pytest.fixture(scope="module")
def facts(embedded):
    return embedded.enriched.facts.set_index("model_id")


@pytest.mark.parametrize("model_id,own,full,kind", LABELLED)
def test_hand_labelled_real_models_get_their_class_and_transparency(facts, model_id, own, full, kind):
    row = facts.loc[model_id]
    assert (row["data_own"], row["data_full_stack"], row["openness"]) == (own, full, kind)


def test_osai_links_come_only_from_system_and_weights_links():
    links = osai_facts()
    assert set(links["link_kind"]) == {"system", "base", "end"}
    apertus = links[links["family"] == "Apertus"]
    assert set(zip(apertus["link_kind"], apertus["namespace"], apertus["name"])) == {
        ("system", "swiss-ai", ""),  # a collection link: namespace only
        ("base", "swiss-ai", "Apertus-70B-2509"),
        ("end", "swiss-ai", "Apertus-70B-Instruct-2509"),
    }
    assert (apertus["datasources_basemodel"] == "open").all() and (apertus["datasources_endmodel"] == "open").all()


def test_full_stack_is_the_lower_of_own_and_root_and_quantizations_inherit():
    # lab/base names a dataset; lab/tuned (its finetune) names none; x/quant quantizes lab/base;
    # y/ft-of-closed names a dataset but fine-tunes a root that names none.
    models = pd.DataFrame(
        {
            "model_id": ["lab/base", "lab/tuned", "x/quant", "y/closed-root", "y/ft-of-closed"],
            "tags": [["dataset:lab/corpus"], [], [], [], ["dataset:y/sft"]],
            "card_data": [None, None, None, None, None],
        }
    )
    parents = {"lab/tuned": ["lab/base"], "x/quant": ["lab/base"], "y/ft-of-closed": ["y/closed-root"]}
    credit = pd.DataFrame(
        {
            "model_id": ["lab/base", "lab/tuned", "x/quant", "y/closed-root", "y/ft-of-closed"],
            "root_id": ["lab/base", "lab/base", "lab/base", "y/closed-root", "y/closed-root"],
            "fraction": [1.0] * 5,
        }
    )
    quantized = pd.Series([False, False, True, False, False])
    levels = transparency(models, parents, credit, quantized, links=({}, {})).set_index("model_id")
    assert levels.loc["lab/base", "data_full_stack"] == DA
    assert (levels.loc["lab/tuned", "data_own"], levels.loc["lab/tuned", "data_full_stack"]) == (UN, UN)
    assert (levels.loc["x/quant", "data_own"], levels.loc["x/quant", "data_full_stack"]) == (DA, DA)
    assert (levels.loc["y/ft-of-closed", "data_own"], levels.loc["y/ft-of-closed", "data_full_stack"]) == (DA, UN)


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_openness_end_to_end_on_the_embedded_data(fmt):
    completed = run_cli("openness", "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    if fmt == "json":
        import json

        document = json.loads(completed.stdout)
        assert document["command"] == "openness" and document["params"]["period_kind"] == "creation cohort"
        rows = pd.DataFrame(document["rows"])
        classes = rows[(rows["metric"] == "openness") & (rows["weighting"] == "downloads")]
        # Every creation year's two classes sum to 1, by downloads.
        assert classes.groupby("period")["value"].sum().tolist() == pytest.approx([1.0] * classes["period"].nunique())
        assert set(classes["period"]) == {"2022", "2023", "2024", "2025", "2026"}
        unknown = rows[rows["period"] == "unknown creation date"]
        assert len(unknown) == 1 and unknown["n"].iloc[0] > 0
        assert {item["metric"] for item in document["multipliers"]} >= {"openness", "data_own", "data_full_stack", "licence_family"}
    elif fmt == "csv":
        assert completed.stdout.splitlines()[0].startswith("period,period_start,period_end,period_kind,metric")
    else:
        assert "creation cohort" in completed.stdout and "First → last" in completed.stdout
