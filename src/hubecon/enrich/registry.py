"""The developer registry: namespace -> developer -> country and type, every row with evidence.

Rules (DESIGN.md §3, Entities): an organisation has one ISO 3166-1 alpha-2
country or `INTL`; a personal account is `individual` and has no country (its
downloads form the `USER` row); a namespace not in the registry, or listed as
`unknown`, is unattributed. Contested builders carry an alternative row that
the `alternative` variant uses.

The package ships `data/registry_seed.csv` (generated from the OSAI index and
Epoch AI by scripts/seed_registry.py) and `data/registry.csv` (curated by hand;
its rows replace seed rows of the same namespace). A user's override file in
the same format adds rows or replaces rows of the same namespace.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pycountry

from hubecon.errors import InputError

PACKAGE_REGISTRY = Path(str(files("hubecon") / "data" / "registry.csv"))
PACKAGE_SEED = Path(str(files("hubecon") / "data" / "registry_seed.csv"))
COLUMNS = ["namespace", "developer", "country", "type", "evidence", "alt_developer", "alt_country", "alt_type", "alt_evidence", "note"]
REQUIRED_COLUMNS = ["namespace", "developer", "country", "type", "evidence"]
TYPES = ("industry", "academia", "nonprofit", "government", "community", "individual", "unknown")
VARIANTS = ("primary", "alternative")

INTERNATIONAL = "INTL"
INDIVIDUALS = "USER"
UNATTRIBUTED = "_unattributed"
OTHER = "_other"


def is_country_code(code: str) -> bool:
    return code == INTERNATIONAL or (len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None)


def country_label(key: str) -> str:
    special = {
        INTERNATIONAL: "International (no legal home)",
        INDIVIDUALS: "Individual accounts (country unknown)",
        UNATTRIBUTED: "Unattributed namespaces",
        OTHER: "Other",
    }
    if key in special:
        return special[key]
    country = pycountry.countries.get(alpha_2=key) if len(key) == 2 else None
    return getattr(country, "common_name", None) or country.name if country else key


def validate_row(path: Path, line: int, row: dict, prefix: str = "") -> None:
    """Check one registry entry (or its alternative, with prefix 'alt_')."""
    kind = row[f"{prefix}type"]
    country = row[f"{prefix}country"]
    if kind not in TYPES:
        raise InputError(path, f"type '{kind}' is not one of {', '.join(TYPES)}", row=line, field=f"{prefix}type")
    if not row[f"{prefix}developer"] and kind != "unknown":
        raise InputError(path, "developer is empty", row=line, field=f"{prefix}developer")
    if not row[f"{prefix}evidence"]:
        raise InputError(path, "evidence is empty: every row needs it (for unknown rows, what was checked)", row=line, field=f"{prefix}evidence")
    if kind in ("individual", "unknown"):
        if country:
            raise InputError(path, f"an {kind} row has no country, found '{country}'", row=line, field=f"{prefix}country")
    elif not is_country_code(country):
        raise InputError(path, f"'{country}' is not an ISO 3166-1 alpha-2 country code or INTL", row=line, field=f"{prefix}country")


def read_registry_file(path: Path) -> pd.DataFrame:
    """Read and validate one registry file; errors name the file, line and field."""
    if not path.exists():
        raise InputError(path, "no such registry file")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in REQUIRED_COLUMNS if column not in header]
            if missing:
                raise InputError(path, f"missing column(s) {', '.join(missing)}; the header must include {', '.join(REQUIRED_COLUMNS)}", row=1)
            rows, seen = [], {}
            for line, raw in enumerate(reader, start=2):
                if None in raw:
                    raise InputError(path, "more fields than the header has", row=line)
                row = {column: (raw.get(column) or "").strip() for column in COLUMNS}
                if not row["namespace"]:
                    raise InputError(path, "namespace is empty", row=line, field="namespace")
                if row["namespace"] in seen:
                    raise InputError(path, f"namespace '{row['namespace']}' already listed on line {seen[row['namespace']]}", row=line, field="namespace")
                seen[row["namespace"]] = line
                validate_row(path, line, row)
                if any(row[f"alt_{field}"] for field in ("developer", "country", "type", "evidence")):
                    validate_row(path, line, row, prefix="alt_")
                row["line"] = line
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise InputError(path, f"not valid CSV ({exc})") from None
    return pd.DataFrame(rows, columns=COLUMNS + ["line"])


@dataclass
class Registry:
    entries: pd.DataFrame  # one row per namespace, override rows already applied
    sources: list[Path]
    sha256: str

    def attribution(self, variant: str = "primary") -> pd.DataFrame:
        """namespace -> developer, country key (ISO code, INTL or USER), type; attributed namespaces only."""
        rows = self.entries
        if variant == "alternative":
            contested = rows["alt_type"] != ""
            rows = rows.copy()
            for field in ("developer", "country", "type"):
                rows.loc[contested, field] = rows.loc[contested, f"alt_{field}"]
        attributed = rows[rows["type"] != "unknown"]
        country = attributed["country"].where(attributed["type"] != "individual", INDIVIDUALS)
        return pd.DataFrame(
            {
                "namespace": attributed["namespace"].to_numpy(),
                "developer": attributed["developer"].to_numpy(),
                "country": country.to_numpy(),
                "developer_type": attributed["type"].to_numpy(),
            }
        )


def load_registry(override: Path | str | None = None) -> Registry:
    """The seed, then the curated registry, then the user's override: later files win per namespace."""
    layers = [path for path in (PACKAGE_SEED, PACKAGE_REGISTRY) if path.exists()]
    if override is not None:
        layers.append(Path(override))
    entries = pd.DataFrame(columns=COLUMNS + ["line"])
    digest = hashlib.sha256()
    for path in layers:
        rows = read_registry_file(path)
        entries = pd.concat([entries[~entries["namespace"].isin(rows["namespace"])], rows], ignore_index=True)
        digest.update(path.read_bytes())
    return Registry(entries.sort_values("namespace", key=lambda s: s.str.lower(), ignore_index=True), layers, digest.hexdigest())
