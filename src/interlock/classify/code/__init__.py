"""Reading the code a command will run, and what the places it touches mean.

- `Workspace`: the command's working directory, with bounded reads of files and git facts;
  set for a whole classification with `using_workspace` (the registry does this when a check
  carries a `cwd`) and read with `current_workspace`.
- `judge_python`: Python source judged with `ast` (commands it runs, files it deletes or
  writes, SQL and HTTP it sends, dynamic features that make it unknown); `judge_javascript`
  the same for JavaScript with tree-sitter's grammar (when `tree-sitter-javascript` is
  installed; otherwise JavaScript is unknown).
- `target_facts`: the facts the target resolver (`interlock.targets`) asks about a working
  directory (env files, the kube context, the Terraform workspace), read lazily and bounded.
- `judge_delete` / `judge_overwrite`: what deleting or overwriting a path can lose (scratch,
  recoverable from git, the workspace's own work, home-directory data, system paths).

See docs/classifiers/code.md.
"""

from __future__ import annotations

from interlock.classify.code._facts import WorkspaceFacts, parse_env_file, target_facts
from interlock.classify.code._findings import CodeSink
from interlock.classify.code._javascript import javascript_available, judge_javascript
from interlock.classify.code._places import (
    Place,
    judge_delete,
    judge_overwrite,
    kept,
    regenerable,
)
from interlock.classify.code._python import framework_command, judge_python
from interlock.classify.code._workspace import (
    Workspace,
    command_line_state,
    current_workspace,
    using_workspace,
)

__all__ = [
    "CodeSink",
    "Place",
    "Workspace",
    "WorkspaceFacts",
    "command_line_state",
    "current_workspace",
    "framework_command",
    "javascript_available",
    "judge_delete",
    "judge_javascript",
    "judge_overwrite",
    "judge_python",
    "kept",
    "parse_env_file",
    "regenerable",
    "target_facts",
    "using_workspace",
]
