"""The hook command: a tiny standard-library client, run as

    <venv>/bin/python -I -S <this file> AGENT [--home DIR]
    <venv>/bin/python -I -S <this file> AGENT --socket PATH --peer-uid UID   (service mode)

It relays the event on stdin, as raw bytes, to the resident process on
<home>/state/hooks.sock (or the service's socket) and writes back its answer. Only built-in
modules are imported (`_socket`, `posix`, `_signal`, not `socket`, `os`, `struct` or `json`),
so the process starts in about a dozen milliseconds. When there is no resident process, or it
does not answer in time, or its answer is malformed, the event is evaluated in this process
instead (importing Interlock). When that fails too, the agent gets its explicit deny and exit
status 2: coding agents run the tool when a hook crashes, so no failure here may end any
other way.

In service mode the daemon runs as another OS user, and an answer is trusted only from a
process of that user (the peer's uid, from SO_PEERCRED or LOCAL_PEERCRED, must be UID).
Without such an answer the fallback allows read-only actions only: the service's home, its
policies and its approvals are out of this user's reach, and an agent that could make the
service fall silent must not gain anything by it.
"""

import _signal  # type: ignore[import-not-found]  # (no stubs; `signal` would import enum)
import _socket
import posix
import sys

PROTOCOL = b"interlock-hook/1"
SOCKET_NAME = "hooks.sock"
OPTIONS = ("--home", "--socket", "--peer-uid")
MAX_EVENT = 8 * 1024 * 1024
MAX_ANSWER = 1024 * 1024
SOCKET_TIMEOUT = 5.0  # the daemon bounds its own decisions well below this
TOTAL_BUDGET = 20  # seconds; installed hooks give the agent's timeout 30 s
AGENTS = (b"claude-code", b"cursor", b"codex", b"gemini")
REASON = b"Interlock: the hook could not reach a decision; refused (fail closed)"


class _Expired(Exception):
    pass


def deny(agent: bytes) -> tuple[int, bytes, bytes]:
    """The agent's explicit deny, byte for byte what the full implementation renders."""
    reason = REASON.decode()
    if agent == b"cursor":
        body = (
            '{"permission": "deny", "user_message": "'
            + reason
            + '", "agent_message": "'
            + reason
            + '"}'
        )
    elif agent == b"gemini":
        body = '{"decision": "deny", "reason": "' + reason + '"}'
    else:
        body = (
            '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": '
            '"deny", "permissionDecisionReason": "' + reason + '"}}'
        )
    return 2, body.encode() + b"\n", REASON


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = posix.write(fd, data)
        data = data[written:]


def _read_stdin() -> bytes:
    chunks = []
    size = 0
    while size <= MAX_EVENT:
        chunk = posix.read(0, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _is_file(path: str) -> bool:
    try:
        return posix.stat(path).st_mode & 0o170000 == 0o100000
    except OSError:
        return False


def _is_dir(path: str) -> bool:
    try:
        return posix.stat(path).st_mode & 0o170000 == 0o040000
    except OSError:
        return False


def find_home(explicit: str | None) -> str | None:
    """--home, then $INTERLOCK_HOME, then .interlock/ here or in a parent, or a home itself
    (its interlock.toml next to its keys/), then the user's default home: as the CLI does."""
    if explicit:
        return explicit
    env = posix.environ.get(b"INTERLOCK_HOME")
    if env:
        return env.decode()
    here = posix.getcwd()
    while True:
        base = here.rstrip("/")
        candidate = base + "/.interlock"
        if _is_file(candidate + "/interlock.toml"):
            return candidate
        if _is_file(base + "/interlock.toml") and _is_dir(base + "/keys"):
            return here
        if here in ("", "/"):
            break
        here = here.rsplit("/", 1)[0] or "/"
    config = posix.environ.get(b"XDG_CONFIG_HOME", b"").decode().strip()
    if not config.startswith("/"):
        user = posix.environ.get(b"HOME", b"").decode()
        config = user.rstrip("/") + "/.config" if user.startswith("/") else ""
    default = config.rstrip("/") + "/interlock" if config else ""
    return default if default and _is_file(default + "/interlock.toml") else None


def peer_uid(sock: _socket.socket) -> int | None:
    """The uid of the process listening on the other end of `sock`, as the kernel saw it."""
    try:
        if hasattr(_socket, "SO_PEERCRED"):  # Linux: struct ucred {pid_t; uid_t; gid_t}
            raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
        elif sys.platform == "darwin" or sys.platform.startswith("freebsd"):
            # LOCAL_PEERCRED (1) at SOL_LOCAL (0): struct xucred {u_int version; uid_t; ...}
            raw = sock.getsockopt(0, 1, 76)
            if raw[:4] != b"\0\0\0\0":  # XUCRED_VERSION 0, whatever the byte order
                return None
        else:
            return None
    except OSError:
        return None
    if len(raw) < 8:
        return None
    return int.from_bytes(raw[4:8], sys.byteorder)


def ask_daemon(
    directory: str,
    agent: bytes,
    event: bytes,
    *,
    name: str = SOCKET_NAME,
    expected_uid: int | None = None,
) -> tuple[int, bytes, bytes] | None:
    """The daemon's (exit status, stdout, stderr), or None when it cannot be trusted: with
    `expected_uid`, an answer counts only from a process of that user."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(SOCKET_TIMEOUT)
        # Connect by a relative name: socket paths are limited to ~100 bytes, homes are not.
        here = posix.getcwd()
        posix.chdir(directory)
        try:
            sock.connect(name)
        finally:
            posix.chdir(here)
        if expected_uid is not None and peer_uid(sock) != expected_uid:
            return None  # not the service: whatever it would say is not an answer
        sock.sendall(PROTOCOL + b" " + agent + b"\n" + event)
        sock.shutdown(_socket.SHUT_WR)
        chunks = []
        size = 0
        while size <= MAX_ANSWER:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return None
    finally:
        sock.close()
    return parse_answer(b"".join(chunks))


def parse_answer(data: bytes) -> tuple[int, bytes, bytes] | None:
    """`<status> <stdout length> <stderr length>\\n<stdout><stderr>`, checked strictly."""
    header, newline, rest = data.partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 3 or not all(f.isdigit() and len(f) < 9 for f in fields):
        return None
    code, out_len, err_len = int(fields[0]), int(fields[1]), int(fields[2])
    if code not in (0, 2) or out_len + err_len != len(rest):
        return None
    out, err = rest[:out_len], rest[out_len:]
    if not out.startswith(b"{") or not out.rstrip().endswith(b"}"):
        return None
    if code == 2 and not err:
        return None
    return code, out, err


def evaluate_here(
    agent: bytes, event: bytes, home: str | None, *, read_only: bool = False
) -> tuple[int, bytes, bytes] | None:
    """Evaluate in this process: make the virtualenv importable, then ask Interlock itself
    (with `read_only`, the built-in policies, and only reads may pass)."""
    import site

    site.main()
    from pathlib import Path

    from interlock.hooks._local import evaluate, evaluate_read_only

    if read_only:
        answer = evaluate_read_only(agent.decode(), event)
    else:
        answer = evaluate(agent.decode(), event, Path(home) if home else None)
    if answer.exit_code not in (0, 2) or not answer.stdout.startswith(b"{"):
        return None
    return answer.exit_code, answer.stdout, answer.stderr.encode()


def _on_alarm(signum: int, frame: object) -> None:
    raise _Expired()


def parse_options(args: list[str]) -> dict[str, str] | None:
    """`--home DIR`, `--socket PATH`, `--peer-uid UID`, each at most once; None when the
    command line is anything else (a hook written wrongly refuses rather than guesses)."""
    if len(args) % 2:
        return None
    options: dict[str, str] = {}
    for i in range(0, len(args), 2):
        key, value = args[i], args[i + 1]
        if key not in OPTIONS or key in options or not value:
            return None
        options[key] = value
    service = "--socket" in options
    if service != ("--peer-uid" in options) or (service and "--home" in options):
        return None  # service mode needs both, and never reads a home of its own
    uid = options.get("--peer-uid", "0")
    if not uid.isdigit() or len(uid) > 10:
        return None
    return options


def run(argv: list[str]) -> tuple[int, bytes, bytes]:
    agent = argv[1].encode() if len(argv) > 1 else b""
    options = parse_options(argv[2:])
    if agent not in AGENTS or options is None:
        return deny(agent)
    event = _read_stdin()
    if len(event) > MAX_EVENT:
        return deny(agent)
    service = options.get("--socket")
    if service is not None:
        directory, slash, name = service.rpartition("/")
        uid = int(options["--peer-uid"])
        answer = ask_daemon(directory or slash or ".", agent, event, name=name, expected_uid=uid)
        if answer is None:
            answer = evaluate_here(agent, event, None, read_only=True)
        return answer if answer is not None else deny(agent)
    home = find_home(options.get("--home"))
    answer = None
    if home:
        answer = ask_daemon(home.rstrip("/") + "/state", agent, event)
    if answer is None:
        answer = evaluate_here(agent, event, home)
    return answer if answer is not None else deny(agent)


def main(argv: list[str]) -> int:
    agent = argv[1].encode() if len(argv) > 1 else b""
    try:
        _signal.signal(_signal.SIGALRM, _on_alarm)
        _signal.alarm(TOTAL_BUDGET)
        code, out, err = run(argv)
        _signal.alarm(0)
    except BaseException:  # anything at all: an explicit deny, never a silent exit
        code, out, err = deny(agent)
    try:
        _write_all(1, out)
        if err:
            _write_all(2, err + b"\n")
    except BaseException:
        code = 2
    return code


if __name__ == "__main__":
    posix._exit(main(sys.argv))
