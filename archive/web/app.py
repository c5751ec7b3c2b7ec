"""create_app: the Starlette application around one open Archive."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from archive.core.archive import Archive
from archive.models import FACETS
from archive.web import (
    account_pages,
    api,
    api_lists,
    api_write,
    auth,
    browse_display,
    bulk_actions,
    cite,
    copies_display,
    curation,
    curation_display,
    display,
    exports,
    feeds,
    oai,
    openapi,
    opensearch,
    pages,
    params,
    passages,
    security,
)
from archive.web.errors import EXCEPTION_HANDLERS

# templates/ at the top of a checkout (an editable install), else inside the installed package
# (pyproject maps it to archive.templates)
_CHECKOUT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES_DIR = (
    _CHECKOUT_TEMPLATES
    if _CHECKOUT_TEMPLATES.is_dir()
    else Path(__file__).resolve().parents[1] / "templates"
)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # everything a user wrote is escaped unless marked safe on purpose
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly in tests
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        thousands=display.thousands,
        human_date=display.human_date,
        language_name=display.language_name,
        facet_label=display.facet_label,
    )
    env.globals.update(
        FACETS=FACETS,
        search_url=params.search_url,
        toggle_url=params.toggle_url,
        clear_facet_url=params.clear_facet_url,
        clear_all_url=params.clear_all_url,
        is_filtered=params.is_filtered,
        document_url=params.document_url,
        page_links=params.page_links,
        sort_options=params.sort_options,
        per_page_options=params.per_page_options,
        facet_param=params.PARAM_OF_FACET.__getitem__,
        facet_value_label=display.facet_value_label,
        split_facet=display.split_facet,
        ambiguity_note=display.ambiguity_note,
        hit_readings=display.hit_readings,
        block_tag=display.block_tag,
        passage_path=passages.passage_path,
        twin_urls=feeds.twin_urls,
        export_urls=exports.export_urls,
        export_limit=exports.export_limit,
        current_user=auth.current_user,
        csrf_field=auth.csrf_field,
    )
    env.globals.update(curation_display.GLOBALS, can_curate=curation.can_curate)
    env.globals.update(browse_display.GLOBALS)
    env.globals.update(copies_display.GLOBALS)
    env.filters.update(curation_display.FILTERS)
    return Jinja2Templates(env=env)


def create_app(archive: Archive) -> Starlette:
    """The web app; the caller owns the Archive and closes it after the server stops."""
    app = Starlette(
        routes=[
            *pages.ROUTES,
            *cite.ROUTES,
            *passages.ROUTES,
            *api.ROUTES,
            *api_lists.ROUTES,
            *account_pages.ROUTES,
            *curation.ROUTES,
            *api_write.ROUTES,
            *bulk_actions.ROUTES,
            *openapi.ROUTES,
            *oai.ROUTES,
            *feeds.ROUTES,
            *exports.ROUTES,
            *opensearch.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    app.state.archive = archive
    app.state.templates = make_templates()
    auth.protect(app)  # after every route is in: permissions.TABLE guards them all
    security.secure(app)  # CSP and friends on every response; the rate limits the gate applies
    return app
