"""The database: opening a registry, its schema, migrations and PostgreSQL roles."""
