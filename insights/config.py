"""The pipeline file (``pipelines/weekly.toml``): settings with defaults, checked at the edge."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from insights.errors import InsightsError
from insights.parse import DEFAULT_MAX_BYTES
from insights.records import INSIGHT_KINDS

DEFAULT_PIPELINE = Path("pipelines") / "weekly.toml"


@dataclass
class PipelineConfig:
    sources: list[str] = field(default_factory=lambda: ["sample_transcripts"])
    inbox: str = ""
    max_file_bytes: int = DEFAULT_MAX_BYTES
    db: str = "insights.sqlite"
    company_names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=lambda: list(INSIGHT_KINDS))
    min_confidence: float = 0.0
    catalogue: str = "pipelines/personas.toml"
    out: str = "reports"
    week: str = ""
    templates: str = ""
    top_themes: int = 5
    redact_contacts: bool = True
    redact_names: bool = False
    workers: int = 0                        # processes for the per-call analysis (0 = one per core)
    path: str = ""                          # the file these settings came from


_SECTIONS = {
    "sources": {"paths": "sources", "inbox": "inbox", "max_file_bytes": "max_file_bytes"},
    "corpus": {"db": "db"},
    "run": {"workers": "workers"},
    "company": {"names": "company_names"},
    "extract": {"kinds": "kinds", "min_confidence": "min_confidence"},
    "personas": {"catalogue": "catalogue"},
    "report": {"out": "out", "week": "week", "templates": "templates", "top_themes": "top_themes",
               "redact_contacts": "redact_contacts", "redact_names": "redact_names"},
}


def load_pipeline(path: str | Path | None = None) -> PipelineConfig:
    """Settings from a pipeline file; unknown sections or keys are errors (a typo must not pass silently)."""
    path = Path(path) if path else DEFAULT_PIPELINE
    config = PipelineConfig(path=str(path))
    if not path.exists():
        if path == DEFAULT_PIPELINE:
            return config   # running outside a checkout: the defaults
        raise InsightsError.make("E101", "no such pipeline file", file=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InsightsError.make("E501", f"{exc}", file=str(path))
    types = {f.name: f.type for f in fields(PipelineConfig)}
    for section, values in data.items():
        if section not in _SECTIONS or not isinstance(values, dict):
            raise InsightsError.make("E501", f"unknown section [{section}]; known: {', '.join(_SECTIONS)}",
                                     file=str(path))
        for key, value in values.items():
            attr = _SECTIONS[section].get(key)
            if attr is None:
                raise InsightsError.make("E501", f"unknown setting {section}.{key}; known: "
                                         f"{', '.join(_SECTIONS[section])}", file=str(path))
            expected = {"list[str]": list, "str": str, "int": int, "float": (int, float), "bool": bool}[types[attr]]
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise InsightsError.make("E501", f"{section}.{key} = {value!r} should be a {types[attr]}",
                                         file=str(path))
            setattr(config, attr, float(value) if types[attr] == "float" else value)
    base = path.parent
    config.catalogue = _relative(base, data.get("personas", {}).get("catalogue", "personas.toml"))
    if config.templates:
        config.templates = _relative(base, config.templates)
    bad = [k for k in config.kinds if k not in INSIGHT_KINDS]
    if bad:
        raise InsightsError.make("E501", f"extract.kinds has {bad}; valid: {', '.join(INSIGHT_KINDS)}", file=str(path))
    if config.workers < 0:
        raise InsightsError.make("E501", "run.workers must be 0 (one per core) or a number of processes",
                                 file=str(path))
    if not 0 <= config.min_confidence <= 1:
        raise InsightsError.make("E501", "extract.min_confidence must be between 0 and 1", file=str(path))
    return config


def _relative(base: Path, value: str) -> str:
    p = Path(value)
    return str(p if p.is_absolute() else base / p)
