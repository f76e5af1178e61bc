"""The control plane: REST API (OpenAPI at /openapi.json), approvals with notifications,
and the web console, served by `interlock serve`. See docs/control-plane.md.

    _app            create_app(home): routers, error shapes, security headers, lifecycle
    _plane          what the routes share (stores, registries, policies, metrics, …)
    _auth           sessions, CSRF, login throttling, agent vs human principals
    _login          the login itself (API and console)
    _api_*          one router per area: session, decide, approvals, registry (agents,
                    resources, webhooks), policies, audit (+ health, metrics)
    _console        server-rendered pages (templates/, static/)
    _events         the audit follower: live streams, metrics, webhook triggers
    _webhooks       signed outgoing notifications, retried in the background
    _metrics        Prometheus text format
    _settings       `[server]` in interlock.toml
"""

from interlock.server._app import create_app
from interlock.server._plane import ControlPlane
from interlock.server._settings import ServerSettings, load_server_settings

__all__ = ["ControlPlane", "ServerSettings", "create_app", "load_server_settings"]
