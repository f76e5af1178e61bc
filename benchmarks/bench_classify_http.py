"""HTTP classification cost: a typical REST GET through URL normalisation and route packs,
and the incident's GraphQL POST (body parsed, GraphQL document cache warm)."""

from __future__ import annotations

from benchmarks._timing import percentiles_us
from interlock.classify import http

_GET = {
    "method": "GET",
    "url": "https://api.example.com/v1/projects/p-42/volumes?page=2&per_page=50",
    "headers": {"Authorization": "Bearer x", "Accept": "application/json"},
}
_GRAPHQL = {
    "method": "POST",
    "url": "https://backboard.railway.app/graphql/v2",
    "headers": {"Authorization": "Bearer x", "Content-Type": "application/json"},
    "body": '{"query":"mutation { volumeDelete(volumeId: \\"vol-prod-123\\") }"}',
}


def run() -> dict[str, float]:
    rest = percentiles_us(lambda: http.classify(_GET, 0), iterations=20_000)
    gql = percentiles_us(lambda: http.classify(_GRAPHQL, 0), iterations=10_000)
    return {
        "classify_http_p50_us": rest["p50"],
        "classify_http_p99_us": rest["p99"],
        "classify_http_graphql_p50_us": gql["p50"],
    }
