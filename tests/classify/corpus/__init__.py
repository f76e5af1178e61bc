"""A realistic everyday corpus of coding-agent commands and the workspace they run in."""
