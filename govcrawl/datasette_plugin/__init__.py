"""govcrawl's Datasette plugin: its hooks in hooks/ (loaded with --plugins-dir), pages and templates."""
