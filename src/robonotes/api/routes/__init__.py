"""Route modules; `create_app` includes each module's `router` (add new ones to ROUTERS there)."""
