"""The office's page (``afterschool serve``): see ``app.py`` and docs/web.md."""
