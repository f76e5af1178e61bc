"""The vocabulary the MCP classifier reads tool names and argument keys with.

Tools are named after what they do (`delete_database`, `listTables`, `volume.delete`), so a
verb *word* anywhere in the name is the strongest general signal there is. The sets below
are data, not logic: add a word here and every tool name, `action` argument and flag key
that uses it is classified accordingly. A word that is in no set says nothing, and a tool
with no recognised verb is `unknown` (fail closed).

Past participles (`deleted`, `removed`) are deliberately absent: `list_deleted_items` reads.
"""

from __future__ import annotations

from interlock.model import Verb


def word_set(text: str) -> frozenset[str]:
    """A set of words written as whitespace-separated text, so the tables read as prose."""
    return frozenset(text.split())


# Irreversible or data-losing operations.
DESTRUCTIVE: frozenset[str] = word_set(
    """
    delete del drop destroy remove rm rmdir rmi unlink purge wipe truncate reset erase
    terminate kill revoke uninstall flush prune clear clean cleanup nuke obliterate annihilate
    eradicate shred expunge evict decommission deprovision dismantle demolish teardown tear
    dispose discard trash empty undeploy unpublish deregister unregister unset zap recreate
    reinitialize reinit reformat shutdown poweroff halt retire disown
    """
)

# State-changing operations that are ordinary work (and mostly reversible).
WRITE: frozenset[str] = word_set(
    """
    create new make update upsert insert write set put add edit modify change patch send post
    publish push commit merge rebase squash cherry checkout stash tag label assign unassign
    close reopen lock unlock pin unpin transfer rename move mv copy cp duplicate upload import
    save store append prepend build compile generate init initialize setup configure register
    enroll provision allocate attach detach mount unmount link connect disconnect login logout
    authenticate authorize grant deny block unblock ban unban mute enable disable activate
    deactivate toggle mark flag archive unarchive restore cancel abort void refund charge pay
    order buy sell purchase book schedule reschedule trigger dispatch enqueue submit apply
    deploy redeploy release rollout ship install reinstall upgrade downgrade migrate seed sign
    rotate renew extend increment decrement fill type press click drag resolve complete finish
    confirm accept decline reject approve vote like bookmark favorite favourite star unstar
    follow unfollow subscribe unsubscribe react reply comment notify email mail message tweet
    broadcast share invite mention fork clone pull sync refresh reload reindex rebuild replace
    overwrite rollback revert promote start stop restart reboot resume pause suspend scale
    resize drain cordon uncordon vacuum compact expire record track annotate review rerun
    retry train upgrade backup snapshot format rewrite dismiss prioritize reprioritize hide
    unhide acknowledge ack snooze reorder rank switch finalize prepare incr decr touch cas quit
    containerize
    """
)

# Operations that only look.
READ: frozenset[str] = word_set(
    """
    get list ls read cat head tail search find grep lookup look query describe desc show
    fetch view display count status stat stats info inspect check verify validate explain
    analyze analyse diff compare browse navigate goto visit open preview peek watch poll ping
    health print echo summarize summarise retrieve scan audit lint test whoami history log
    logs blame tree dump export download estimate calculate calc compute convert translate
    render select exists has is wait sleep hover scroll screenshot capture plan think ask
    explore discover trace profile debug help version metrics details summary detail
    recommend suggest tree outline schema usage quota aggregate top troubleshoot diagnose
    scrape simulate
    """
)

# Verbs that run something named by the arguments: the content decides, not the verb.
EXECUTE: frozenset[str] = word_set("run execute exec eval evaluate invoke call perform")

# Words naming a language whose text the tool runs. Alone (`shell`, `bash`, `execute_sql`)
# they make the tool a carrier: its arguments are classified, and without them it is unknown.
LANGUAGE_SQL: frozenset[str] = word_set("sql psql mysql sqlite postgres postgresql")
LANGUAGE_SHELL: frozenset[str] = word_set(
    "shell bash sh zsh fish terminal console cmd command commands powershell pwsh cli"
)
LANGUAGE_CODE: frozenset[str] = word_set(
    "code script python py javascript js node ruby perl php repl lua applescript"
)
LANGUAGE_HTTP: frozenset[str] = word_set("http https request curl wget rest api")
LANGUAGE_GRAPHQL: frozenset[str] = word_set("graphql gql")

# Words that only make a write irreversible when they appear with one (`force_push`).
MODIFIERS: frozenset[str] = word_set("force forced hard permanent permanently cascade")

# Writes that destroy what they land on. `format_code` formats text but `format_disk`
# destroys a filesystem; `restore_file` undeletes but `restore_backup` onto a database
# replaces it; `disable_alerts` is a write but `disable_backups` removes the safety net the
# incident Interlock exists for lacked. Each entry: (verbs, nouns) -> destructive.
_DATA_STORES = word_set(
    "database databases db dbs volume volumes table tables bucket buckets disk disks drive "
    "cluster clusters schema dataset datasets backup backups snapshot snapshots partition "
    "filesystem fs device instance instances environment env"
)
DESTRUCTIVE_PAIRS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (word_set("format"), word_set("disk drive volume partition filesystem fs device dev sd nvme")),
    (word_set("overwrite replace restore recreate reimage rollback"), _DATA_STORES),
    # Moving a file replaces whatever was at the destination and removes the source.
    (word_set("move mv"), word_set("file files directory directories folder object objects blob")),
    # Merging or rebasing a branch rewrites what everyone builds on.
    (word_set("merge rebase squash"), word_set("branch branches pull pr prs request mr")),
    (word_set("cancel terminate"), word_set("subscription subscriptions plan contract")),
    (word_set("detach"), word_set("policy policies role roles volume volumes disk disks")),
    (word_set("scale"), word_set("zero down")),
    (
        word_set("disable deactivate stop pause suspend turn"),
        word_set(
            "backup backups protection pitr versioning retention snapshot snapshots "
            "replication audit"
        ),
    ),
)


# Writes that replace what is running or cut it off, unless the name leads with a read
# (`deploy_worker` replaces production code; `list_deploys`, `get_deploy_status` read).
DISRUPTIVE: frozenset[str] = word_set(
    "deploy redeploy rollout stop shutdown halt poweroff signal rebuild reimage void redact "
    "regenerate undo evict rebase pause suspend"
)


def destructive_pair(words: tuple[str, ...]) -> tuple[str, str] | None:
    """The (verb, noun) of a write that destroys its object, if `words` holds one."""
    for verbs, nouns in DESTRUCTIVE_PAIRS:
        verb = next((word for word in words if word in verbs), None)
        if verb is None:
            continue
        noun = next((word for word in words if word in nouns), None)
        if noun is not None:
            return verb, noun
    return None


# Search-like tools: their `query` argument is text to look for, not code to run.
NATURAL_LANGUAGE: frozenset[str] = word_set(
    """
    search find grep lookup look ask chat question answer web docs documentation knowledge
    semantic vector similar recommend suggest research google bing brave perplexity tavily
    exa help lookup
    """
)

# HTTP methods as they appear in names and `method` arguments.
HTTP_METHODS: dict[str, Verb] = {
    "get": Verb.READ,
    "head": Verb.READ,
    "options": Verb.READ,
    "trace": Verb.READ,
    "post": Verb.WRITE,
    "put": Verb.WRITE,
    "patch": Verb.WRITE,
    "delete": Verb.DESTRUCTIVE,
}

# Programs whose MCP wrappers take an argv list (`{"tool": "kubectl", "args": [...]}`).
KNOWN_CLIS: frozenset[str] = word_set(
    """
    kubectl helm docker podman git gh glab terraform tofu pulumi aws gcloud gsutil az doctl
    flyctl fly railway vercel netlify heroku supabase neonctl psql mysql sqlite3 mongosh mongo
    redis npm npx yarn pnpm pip cargo make ansible systemctl rm cp mv dd curl wget ssh scp
    rsync s3cmd rclone wrangler firebase eksctl oc nomad consul vault etcdctl crontab kill
    pkill chmod chown
    """
)

# Words that are verbs but, after a leading read verb, name a thing: `get_commit`,
# `list_releases`, `get_pull_request_review` read; `status_update` still writes.
NOUN_LIKE: frozenset[str] = word_set(
    """
    post type comment message order record note flag tag label release schedule book review
    backup snapshot commit merge change patch link mark lock pin star like reply email mail
    tweet share invite mention grant block ban build upload import archive store copy checkout
    sync restore trigger dispatch charge refund purchase vote install format track stash set
    compile release deploy rollout pull push
    """
)

# Nouns that, after `run`/`execute`, mean "the arguments hold code": `run_query`.
CARRIER_NOUNS: frozenset[str] = word_set(
    "query queries statement statements stmt command commands script snippet code program "
    "expression tool tools"
)

# Well-known tools the word rule gets wrong. Kept small on purpose: the words carry the
# load. Only tools whose names have no verb word or a misleading one belong here.
KNOWN_TOOLS: dict[str, Verb] = {
    "directory_tree": Verb.READ,
    "list_allowed_directories": Verb.READ,
    "browser_console_messages": Verb.READ,
    "browser_network_requests": Verb.READ,
    "browser_handle_dialog": Verb.WRITE,
    "browser_take_screenshot": Verb.READ,
    "browser_tab_list": Verb.READ,
    "sequentialthinking": Verb.READ,
    "sequential_thinking": Verb.READ,
    "collection_schema": Verb.READ,
    "collection_indexes": Verb.READ,
    "collection_storage_size": Verb.READ,
    "db_stats": Verb.READ,
    "get_tiny_image": Verb.READ,
    "print_env": Verb.READ,
}


def verb_of_word(word: str) -> Verb | None:
    """The verb class of one word (with a plural `s` tolerated), or None."""
    for candidate in (word, word[:-1] if len(word) > 3 and word.endswith("s") else ""):
        if not candidate:
            continue
        if candidate in DESTRUCTIVE:
            return Verb.DESTRUCTIVE
        if candidate in WRITE:
            return Verb.WRITE
        if candidate in READ:
            return Verb.READ
    return None


# Stems long enough to recognise inside glued names (`dropdatabase`, `volumedelete`).
_GLUED_DESTRUCTIVE: tuple[str, ...] = (
    *sorted((w for w in DESTRUCTIVE if len(w) >= 4), key=len, reverse=True),
    "rm",
    "del",
    "rmi",
)


def glued_destructive(word: str) -> str | None:
    """A destructive stem that `word` starts or ends with, for names written without
    separators. Only used when no word of the name is recognised, so it can only turn
    `unknown` into `destructive`, never vouch for anything."""
    if len(word) < 5:
        return None
    for stem in _GLUED_DESTRUCTIVE:
        if word.startswith(stem) or (len(stem) >= 4 and word.endswith(stem)):
            return stem
    return None
