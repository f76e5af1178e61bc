"""Shell classifier latency: a typical one-line command and a three-stage pipeline.

The module's `classify` is called directly, so the registry's LRU cache never answers:
every call parses and classifies from scratch (the cold path a new command line takes).
"""

from __future__ import annotations

from benchmarks._timing import percentiles_us
from interlock.classify.shell import classify

TYPICAL = "git push origin feature/login --set-upstream"
PIPELINE = "kubectl get pods -n prod -o wide | grep -v Running | awk '{print $1}'"
# A provider CLI judged through the verb lexicon (nouns skipped, options applied).
PROVIDER = "gcloud --project p compute instances delete vm-1 --zone europe-west1-b --quiet"


def run() -> dict[str, float]:
    typical = percentiles_us(lambda: classify(TYPICAL, 0), iterations=5000)
    pipeline = percentiles_us(lambda: classify(PIPELINE, 0), iterations=3000)
    provider = percentiles_us(lambda: classify(PROVIDER, 0), iterations=3000)
    return {
        "classify_shell_p50_us": typical["p50"],
        "classify_shell_p99_us": typical["p99"],
        "classify_shell_pipeline_p50_us": pipeline["p50"],
        "classify_shell_provider_p50_us": provider["p50"],
    }
