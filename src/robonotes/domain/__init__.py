"""Pure domain model: entities, value objects, the status machine, rules and errors (stdlib only)."""
