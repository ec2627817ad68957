"""One screen per file; each renders a ``flow.View`` and emits intents as signals."""
