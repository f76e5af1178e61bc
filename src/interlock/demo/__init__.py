"""The incident replay behind `interlock demo` / `make demo` (see docs/demo.md)."""

from interlock.demo._replay import replay

__all__ = ["replay"]
