"""The fleet's roles beside `hoerclub bot`: `web` (webhook intake) and `worker` (rendering)."""
