"""SQLModel persistence on PostgreSQL (psycopg 3) and SQLite (aiosqlite), fully async."""
