"""Project commands for `scrapy` (settings.COMMANDS_MODULE)."""
