"""The HTTP API: FastAPI app, routes, schemas, Bearer auth and RFC 9457 problem+json errors."""
