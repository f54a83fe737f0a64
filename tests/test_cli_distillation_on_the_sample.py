"""distillation end to end through the real CLI on the embedded sample: JSON parses and invariants hold."""

import json

import pandas as pd

from conftest import run_cli


def cli_json(*args: str) -> dict:
    completed = run_cli(*args, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_distillation_names_deepseek_r1_as_teacher_of_its_qwen_distillations():
    document = cli_json("distillation")
    rows = pd.DataFrame(document["rows"]).set_index("model_id")
    qwen = rows[rows.index.str.startswith("deepseek-ai/DeepSeek-R1-Distill-Qwen-")]
    assert len(qwen) >= 4
    assert set(qwen["teacher"]) == {"DeepSeek-R1"} and set(qwen["base"]) == {"Qwen"}
    assert set(qwen["teacher_country"]) == {"CN"} and set(qwen["base_country"]) == {"CN"}
    by_country = pd.DataFrame(document["by_country"])
    assert by_country["models"].sum() == document["n"]["distillations"]


def test_distillation_renders_as_a_table_with_its_country_summary():
    completed = run_cli("distillation", "--format", "table")
    assert completed.returncode == 0, completed.stderr
    assert "Distillations by teacher and base origin country" in completed.stdout and "Who distils from whom" in completed.stdout
