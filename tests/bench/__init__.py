"""`make bench`: the list-page bars (P1-P3, docs/quality.md) on a 5k and a 500k database.

databases.py builds and caches the two databases (SQLite under var/bench/, or on the PostgreSQL
server DATABASE_URL names: docs/bench.md, On PostgreSQL); pages.py is the
list of pages; measure.py times one database in its own process; __main__ runs both,
interleaved, and prints the table.
"""
