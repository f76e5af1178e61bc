"""The workspace the everyday corpus runs in: a small git project as agents leave it.

Scripts the agent wrote (`reproduce.py`, `check_fix.py`), project programs
(`tests/runtests.py`, `bin/test`), a Makefile, a package.json with scripts, a conftest.py
and a Django-style manage.py, so that commands which run repository code can be judged by
that code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES: dict[str, str] = {
    "README.md": "# app\n",
    "setup.py": "from setuptools import setup\nsetup(name='app')\n",
    "pyproject.toml": "[project]\nname = 'app'\n",
    "requirements.txt": "requests\n",
    ".gitignore": "build/\ndist/\n*.egg-info/\n.venv/\nnode_modules/\n__pycache__/\n",
    ".env.example": "DATABASE_URL=postgres://localhost/app\n",
    "src/app/__init__.py": "",
    "src/app/models.py": "def resolve(path):\n    return path.rsplit('/', 1)[-1]\n",
    "src/app/views.py": (
        "from app.models import resolve\n\n\ndef index():\n    return resolve('a/b')\n"
    ),
    "tests/test_models.py": (
        "from app.models import resolve\n\n\ndef test_resolve():\n"
        "    assert resolve('a/b') == 'b'\n"
    ),
    "conftest.py": (
        "import os\nimport sys\n\nimport pytest\n\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'src'))\n\n\n"
        "@pytest.fixture\ndef workdir(tmp_path):\n    os.chdir(tmp_path)\n    return tmp_path\n"
    ),
    "reproduce.py": (
        "import os\nimport sys\nimport tempfile\n\n"
        "sys.path.insert(0, 'src')\nfrom app.models import resolve\n\n"
        "tmp = tempfile.mkdtemp()\npath = os.path.join(tmp, 'out.txt')\n"
        "with open(path, 'w') as handle:\n    handle.write(resolve('x/y'))\n"
        "print(open(path).read())\n"
        "import shutil\nshutil.rmtree(tmp)\n"
    ),
    "check_fix.py": (
        "import subprocess\nimport sys\n\n"
        "result = subprocess.run([sys.executable, '-m', 'pytest', '-q', 'tests'],"
        " capture_output=True, text=True)\n"
        "print(result.stdout[-2000:])\n"
        "with open('check_output.txt', 'w') as f:\n    f.write(result.stdout)\n"
        "sys.exit(result.returncode)\n"
    ),
    "app.py": (
        "from http.server import HTTPServer, SimpleHTTPRequestHandler\n\n"
        "HTTPServer(('127.0.0.1', 8000), SimpleHTTPRequestHandler).serve_forever()\n"
    ),
    "tests/runtests.py": (
        "#!/usr/bin/env python3\nimport argparse\nimport os\nimport subprocess\nimport sys\n\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('labels', nargs='*')\n"
        "args = parser.parse_args()\n"
        "os.environ.setdefault('APP_SETTINGS', 'tests.settings')\n"
        "sys.exit(subprocess.call(['python', '-m', 'pytest', *args.labels]))\n"
    ),
    "bin/test": '#!/bin/sh\nset -e\ncd "$(dirname "$0")/.."\nexec python -m pytest "$@"\n',
    "build.sh": (
        "#!/bin/bash\nset -euo pipefail\nrm -rf build\nmkdir -p build\ncp -r src build/\n"
        "echo built\n"
    ),
    "scripts/setup.sh": (
        "#!/bin/sh\npython -m venv .venv\n.venv/bin/pip install -e .\n"
        "cp -n .env.example .env || true\n"
    ),
    "scripts/check.js": "const fs = require('fs');\nconsole.log(fs.existsSync('package.json'));\n",
    "manage.py": (
        "#!/usr/bin/env python\nimport os\nimport sys\n\n"
        "if __name__ == '__main__':\n"
        "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "    from django.core.management import execute_from_command_line\n"
        "    execute_from_command_line(sys.argv)\n"
    ),
    "Makefile": (
        "PY ?= python3\n\n.PHONY: build test lint clean\n\n"
        "all: build\n\n"
        "build:\n\tmkdir -p build\n\t$(PY) -m compileall -q src\n\n"
        "test: build\n\t$(PY) -m pytest -q\n\n"
        "lint:\n\truff check src tests\n\n"
        "clean:\n\trm -rf build dist *.egg-info\n"
        "\tfind . -name __pycache__ -type d -exec rm -rf {} +\n"
    ),
    "package.json": (
        '{\n  "name": "web",\n  "version": "1.0.0",\n  "scripts": {\n'
        '    "build": "tsc -p . && vite build",\n    "dev": "vite",\n'
        '    "start": "node server.js",\n    "test": "vitest run",\n'
        '    "lint": "eslint src",\n    "typecheck": "tsc --noEmit",\n'
        '    "pretest": "npm run lint"\n  }\n}\n'
    ),
    "server.js": "require('http').createServer((q, s) => s.end('ok')).listen(3000);\n",
    "data.csv": "a,1\nb,2\n",
    "a.txt": "a\n",
    "b.txt": "b\n",
    "list.txt": "one\ntwo\n",
    "input.txt": "in\n",
    "logs/app.log": "started\n",
}
EXECUTABLES = ("tests/runtests.py", "bin/test", "build.sh", "scripts/setup.sh", "manage.py")


def build(root: Path) -> Path:
    """Write the workspace under `root` and commit it; return `root`."""
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for executable in EXECUTABLES:
        (root / executable).chmod(0o755)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(root)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "initial"], check=True)
    return root


def commands() -> list[str]:
    """The corpus: one command line per non-comment line, `\\n` standing for a newline."""
    text = (Path(__file__).parent / "everyday.txt").read_text()
    return [
        line.replace("\\n", "\n")
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
