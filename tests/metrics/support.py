"""Reading metrics back the way Prometheus does: through bot.metrics.exposition()."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import exposition


def sample(name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (0.0 when the series does not exist yet)."""
    body, _content_type = exposition()
    for family in text_string_to_metric_families(body.decode()):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0
