"""The shell command classifier: a bash command line in, one `Action` per command it runs.

See docs/classifiers/shell.md. The pieces, each one idea:

- `_parse`: tree-sitter-bash → every simple command, with statically resolved words
  (`_words`), redirections and where its standard input comes from;
- `_wrappers`: commands that run another command (`sudo`, `env`, `xargs`, `bash -c`,
  `ssh host CMD`, `find -exec`, …), unwrapped in a loop;
- `_table` + `commands.toml`: the known-command table and its rule engine;
- `_carriers`: commands that carry another language (`psql -c`, `curl -d`, `redis-cli`, …),
  handed to that language's classifier;
- `_handlers`: the few commands whose meaning lives in their argument syntax (`find`,
  `dd`, `kill`, `awk`, interpreters);
- `_classify`: puts them together and turns verdicts into `Action`s.
"""

from __future__ import annotations

from interlock.classify.paths import is_critical_path
from interlock.classify.shell._classify import classify
from interlock.classify.shell._parse import Command, Script, parse
from interlock.classify.shell._words import Word

__all__ = ["Command", "Script", "Word", "classify", "is_critical_path", "parse"]
