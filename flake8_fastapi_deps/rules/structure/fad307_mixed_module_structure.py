"""FAD307 mixed-module-structure: routes, schemas and ORM models in one module, or a crowded app module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Union

from ...base import Finding, Rule, finding
from ...model import FunctionNode
from ._common import creations, model_kind

if TYPE_CHECKING:
    from ...context import FileContext

RULE = Rule(
    "FAD307",
    "mixed-module-structure",
    "{what}",
    "One module mixes routes, schemas and ORM models, or the app module holds too many routes.",
    default_on=False,
)


def check(ctx: FileContext) -> Iterator[Finding]:
    if ctx.is_test or not ctx.mentions_fastapi:
        return
    routes = ctx.routes
    made = creations(ctx)
    if not routes:
        return
    limit = ctx.options.max_routes_per_module
    apps = [call for call, _, is_app in made if is_app]
    if apps and len(routes) > limit:
        yield finding(
            apps[0],
            RULE,
            what=f"the module creating the app defines {len(routes)} routes (limit {limit}); "
            "move them to APIRouter modules",
        )
        return
    schema = orm = None
    for stmt in ctx.module.tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        kind = model_kind(ctx.project, ctx.module, stmt)
        if kind == "schema" and schema is None:
            schema = stmt.name
        elif kind == "orm" and orm is None:
            orm = stmt.name
    if schema is None or orm is None:
        return
    where: Union[ast.Call, FunctionNode]
    if made:
        where = made[0][0]
    else:
        where = min((r.func for r in routes.values()), key=lambda f: (f.lineno, f.col_offset))
    yield finding(
        where,
        RULE,
        what=f"module mixes routes, Pydantic schemas ({schema}) and ORM models ({orm}); "
        "split them into separate modules",
    )
