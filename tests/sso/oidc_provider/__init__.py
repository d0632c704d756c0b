"""A small OpenID Connect provider for the tests: django-oauth-toolkit with OIDC switched on, its
own SQLite database, served by `serve.py` in a process of its own. Its people and their groups
are made by `serve.seed`."""
