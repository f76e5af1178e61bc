"""Enforcement points in the data path: the HTTP/GraphQL reverse proxy (`proxy.http`) and the
PostgreSQL wire-protocol proxy (`proxy.pg`). Each keeps its protocol logic sans-I/O and its
sockets in one asyncio shell."""
