"""Scrapy commands of this project (``COMMANDS_MODULE``): Scrapy names each after its module."""
