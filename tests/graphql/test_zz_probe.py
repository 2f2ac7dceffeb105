from __future__ import annotations
import json
from graphql import get_introspection_query, parse
from neighbor_api.graphql.limits import measure
from neighbor_api.schema import build_schema
from tests.conftest import OPERATIONS_DIR, make_settings, Api
from neighbor_api.settings import Environment
import neighbor_api.places.service as ps

async def test_probe(api, demo, schema, command_counter, deps, monkeypatch):
    def show(label, r):
        print("\n==", label, json.dumps(r.data, ensure_ascii=False)[:300], [e.formatted for e in (r.errors or [])])
    show("tokens", await api.execute("{ " + "__typename " * 3000 + "}"))
    show("depth", await api.execute("{ viewer { memberships { community { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } }"))
    show("suggest", await api.execute("{ viewr }"))
    dev = Api(build_schema(make_settings(environment=Environment.DEVELOPMENT)), deps)
    show("suggest dev", await dev.execute("{ viewr }"))
    async def boom(*a, **k):
        raise RuntimeError("secret kaboom")
    monkeypatch.setattr(ps, "communities", boom)
    r = await api.execute("{ communities { edges { node { name } } } }")
    show("internal", r)
    print(r.errors[0].original_error, r.errors[0].__traceback__)
    show("internal en", await api.execute("{ communities { edges { node { name } } } }", locale="en"))
