"""Bundle a subset of a multi-file OpenAPI description into one self-contained YAML file.

Used once to make the DigitalOcean definition in the field data's `schemas/` (kept outside
the repository: tests/field_data.py) from a checkout of the provider's public description
(github.com/digitalocean/openapi, Apache-2.0):

    python scripts/bundle_openapi.py CHECKOUT/specification/DigitalOcean-public.v2.yaml \
        OUT.yaml /v2/droplets /v2/volumes /v2/account/keys ...

Only the paths starting with one of the given prefixes are kept; every `$ref` to another
file is inlined (a reference cycle is cut with an empty schema); descriptions, operation ids,
request bodies and enums are kept as published, responses and examples are dropped (the
importer does not read them). The output is sorted and stable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

_DROP = {"responses", "examples", "example", "x-codeSamples", "security", "tags", "links"}


def _load(path: Path, cache: dict[Path, Any]) -> Any:
    if path not in cache:
        cache[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return cache[path]


def _pointer(document: Any, fragment: str) -> Any:
    node = document
    for part in [p for p in fragment.split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _inline(node: Any, base: Path, cache: dict[Path, Any], stack: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            file_part, _, fragment = ref.partition("#")
            target = (base.parent / file_part).resolve() if file_part else base
            key = f"{target}#{fragment}"
            if key in stack or len(stack) > 40:
                return {}
            resolved = _pointer(_load(target, cache), fragment)
            return _inline(resolved, target, cache, (*stack, key))
        return {
            k: _inline(v, base, cache, stack)
            for k, v in node.items()
            if k not in _DROP or not isinstance(v, dict | list)
        }
    if isinstance(node, list):
        return [_inline(v, base, cache, stack) for v in node]
    return node


def main(argv: list[str]) -> int:
    source, out, *prefixes = argv
    root_path = Path(source).resolve()
    cache: dict[Path, Any] = {}
    root = _load(root_path, cache)
    paths = {
        p: _inline(item, root_path, cache, ())
        for p, item in root["paths"].items()
        if any(p == prefix or p.startswith(prefix + "/") for prefix in prefixes)
    }
    bundled = {
        "openapi": root["openapi"],
        "info": {k: root["info"][k] for k in ("title", "version", "license") if k in root["info"]},
        "servers": root.get("servers", []),
        "paths": dict(sorted(paths.items())),
    }
    Path(out).write_text(
        yaml.safe_dump(bundled, sort_keys=True, allow_unicode=True, width=100), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
