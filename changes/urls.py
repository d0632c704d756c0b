"""The changes pages, mounted at /changes/ (filled by the issue that brings its records)."""

app_name = "changes"

urlpatterns: list = []
