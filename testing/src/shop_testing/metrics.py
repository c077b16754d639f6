"""Reading a service's `/metrics` the way Prometheus would, for tests of any service."""

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape_metrics(client: Client) -> list[Sample]:
    """Every sample `/metrics` shows now; fails unless it answers in the Prometheus format."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = text_string_to_metric_families(response.content.decode())
    return [sample for family in families for sample in family.samples]


def metric_value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def metric_growth(before: list[Sample], after: list[Sample], name: str, **labels: str) -> float:
    """How much `metric_value` grew between two scrapes (counters live for the process)."""
    return metric_value(after, name, **labels) - metric_value(before, name, **labels)
