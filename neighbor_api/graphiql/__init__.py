"""GraphiQL served by the server itself, so it works where unpkg.com cannot be reached: the
pinned browser assets of static/ (listed with their versions, licences and checksums in
static/manifest.json; `scripts/update-graphiql` re-fetches them) and the page that loads them.

The page sends the headers pane's `Authorization` over HTTP and, for subscriptions, in the
graphql-transport-ws `connection_init` payload, as `authorization`.
"""

from neighbor_api.graphiql.assets import STATIC_PATH, manifest, static_app
from neighbor_api.graphiql.page import page

__all__ = ["STATIC_PATH", "manifest", "page", "static_app"]
