"""The web app: HTML pages for readers, JSON for scripts, both over one Archive."""

from archive.web.app import create_app

__all__ = ["create_app"]
