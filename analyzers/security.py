"""Security rules over functions."""

from __future__ import annotations

from collections.abc import Iterable

from analyzers.context import Context
from analyzers.registry import Hit, rule
from studio.sql import qualified


@rule(
    "security-definer-search-path",
    severity="error",
    category="security",
    title="SECURITY DEFINER function without a pinned search_path",
    explanation="""A SECURITY DEFINER function runs with its owner's rights but resolves unqualified names
    through the caller's search_path. A caller who can create objects in any schema on that path can plant a
    same-named function or table and have it run with the owner's privileges. Pinning search_path on the
    function closes that hole.""",
)
def security_definer_search_path(ctx: Context) -> Iterable[Hit]:
    """
    Bad:
        CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric NOT NULL);
        CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
            AS 'SELECT count(*) FROM public.accounts';

    Good:
        CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric NOT NULL);
        CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS 'SELECT count(*) FROM public.accounts';
    """
    for function in ctx.catalog.functions:
        if not function.security_definer or function.kind not in ("function", "procedure"):
            continue
        if any(setting.lower().startswith("search_path=") for setting in function.config):
            continue
        signature = f"{qualified(function.schema, function.name)}({function.arguments})"
        keyword = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
        yield Hit(
            f"{function.schema}.{function.name}",
            f"SECURITY DEFINER {function.kind} {function.schema}.{function.name}({function.arguments})"
            " does not pin search_path",
            fix="\n".join(
                [
                    "-- The body must then name every table and function with its schema (or add that trusted",
                    "-- schema before pg_temp below).",
                    f"ALTER {keyword} {signature} SET search_path = pg_catalog, pg_temp;",
                ]
            ),
        )
