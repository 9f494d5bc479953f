"""Pure domain model: entities, value objects, status machine, rules and errors (stdlib only)."""
