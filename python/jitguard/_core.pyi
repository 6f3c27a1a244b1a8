# Type stubs for the extension module jitguard._core (the thin C++ binding).
# Each component keeps its own section; edit only yours.

# --- base ---
def _raise_status(domain: str, reason: str, message: str) -> None: ...
