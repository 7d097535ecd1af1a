"""Extensions a DDL file asks for: which the sandbox may create, and stand-ins for missing ones.

A stand-in is a small, safe imitation that lets the objects using an extension load (a citext
column, a default calling gen_random_bytes) when the server does not ship the extension. It is
always reported as an approximation.
"""

from __future__ import annotations

import re

from studio.sql import ident, qualified

# Extensions the sandbox administrator creates on the file's behalf when the server has them:
# ordinary data types, index support and functions. Never file, network or language access
# (adminpack, file_fdw, dblink, postgres_fdw, untrusted languages).
SAFE = frozenset(
    """btree_gin btree_gist citext cube earthdistance fuzzystrmatch hstore intarray isn lo ltree
    pg_trgm pgcrypto plpgsql seg tablefunc tcn tsm_system_rows tsm_system_time unaccent uuid-ossp
    vector postgis postgis_topology pg_partman pg_uuidv7 hypopg""".split()
)


def _sql_function(schema: str, signature: str, returns: str, body: str, volatility: str = "VOLATILE") -> str:
    name, _, args = signature.partition("(")
    return (
        f"CREATE FUNCTION {qualified(schema, name)}({args} RETURNS {returns} "
        f"LANGUAGE sql {volatility} AS $standin$ {body} $standin$"
    )


# citext's regular-expression and LIKE operators, kept case-insensitive: (operator, text operator, name)
_CITEXT_OPERATORS = (
    ("~", "~*", "regexmatch"),
    ("~*", "~*", "regexmatch_i"),
    ("!~", "!~*", "regexnomatch"),
    ("!~*", "!~*", "regexnomatch_i"),
    ("~~", "~~*", "like"),
    ("~~*", "~~*", "like_i"),
    ("!~~", "!~~*", "notlike"),
    ("!~~*", "!~~*", "notlike_i"),
)


def _citext(schema: str) -> list[str]:
    citext = qualified(schema, "citext")
    statements = [f"CREATE DOMAIN {citext} AS text"]
    for operator, text_operator, name in _CITEXT_OPERATORS:
        function = f"citext_standin_{name}"
        statements.append(
            _sql_function(
                schema, f"{function}({citext}, {citext})", "boolean",
                f"SELECT $1::text {text_operator} $2::text", "IMMUTABLE",
            )
        )  # fmt: skip
        statements.append(
            f"CREATE OPERATOR {ident(schema)}.{operator} (LEFTARG = {citext}, RIGHTARG = {citext}, "
            f"FUNCTION = {qualified(schema, function)})"
        )
    return statements


def _pgcrypto(schema: str) -> list[str]:
    hexbytes = "SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') "
    return [
        _sql_function(schema, "gen_random_bytes(integer)", "bytea", hexbytes + "FROM generate_series(1, $1)"),
        _sql_function(schema, "gen_salt(text)", "text", "SELECT md5(random()::text)"),
        _sql_function(schema, "gen_salt(text, integer)", "text", "SELECT md5(random()::text)"),
        _sql_function(schema, "crypt(text, text)", "text", "SELECT md5($2 || $1)", "IMMUTABLE"),
        _sql_function(
            schema, "digest(text, text)", "bytea", "SELECT sha256(convert_to($1, 'UTF8'))", "IMMUTABLE"
        ),
        _sql_function(schema, "digest(bytea, text)", "bytea", "SELECT sha256($1)", "IMMUTABLE"),
        _sql_function(
            schema,
            "hmac(text, text, text)",
            "bytea",
            "SELECT sha256(convert_to($2 || $1, 'UTF8'))",
            "IMMUTABLE",
        ),
        _sql_function(schema, "hmac(bytea, bytea, text)", "bytea", "SELECT sha256($2 || $1)", "IMMUTABLE"),
    ]


def _uuid_ossp(schema: str) -> list[str]:
    return [
        _sql_function(schema, f"{name}()", "uuid", "SELECT gen_random_uuid()")
        for name in ("uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4")
    ] + [
        _sql_function(
            schema, "uuid_nil()", "uuid", "SELECT '00000000-0000-0000-0000-000000000000'::uuid", "IMMUTABLE"
        )
    ]


def _unaccent(schema: str) -> list[str]:
    return [_sql_function(schema, "unaccent(text)", "text", "SELECT $1", "IMMUTABLE")]


# name -> (what the stand-in is, statements for a schema)
STANDINS = {
    "citext": ("citext is a text domain (comparisons are no longer case-insensitive)", _citext),
    "pgcrypto": (
        "gen_random_bytes, gen_salt, crypt, digest and hmac are SQL stand-ins (not cryptographically equivalent)",
        _pgcrypto,
    ),
    "uuid-ossp": ("uuid_generate_v1/v1mc/v4 return gen_random_uuid(); uuid_nil() is kept", _uuid_ossp),
    "unaccent": ("unaccent(text) returns its input unchanged", _unaccent),
}

# Objects that betray which extension a failed statement needed.
PROVIDED_BY = {
    "gin_trgm_ops": "pg_trgm",
    "gist_trgm_ops": "pg_trgm",
    "gin_bigm_ops": "pg_bigm",
    "similarity": "pg_trgm",
    "word_similarity": "pg_trgm",
    "citext": "citext",
    "gen_random_bytes": "pgcrypto",
    "crypt": "pgcrypto",
    "gen_salt": "pgcrypto",
    "digest": "pgcrypto",
    "hmac": "pgcrypto",
    "uuid_generate_v1": "uuid-ossp",
    "uuid_generate_v4": "uuid-ossp",
    "unaccent": "unaccent",
    "hstore": "hstore",
    "ltree": "ltree",
    "gist_ltree_ops": "ltree",
    "cube": "cube",
    "earth": "earthdistance",
    "geometry": "postgis",
    "geography": "postgis",
    "vector": "vector",
}

_CREATE_EXTENSION = re.compile(
    r"""\ACREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>"(?:[^"]|"")+"|[\w$-]+)
        (?:\s+WITH)?(?:\s+SCHEMA\s+(?P<schema>"(?:[^"]|"")+"|[\w$]+))?
        (?:\s+VERSION\s+(?:'[^']*'|\S+))?(?:\s+CASCADE)?\s*\Z""",
    re.I | re.X,
)


def unquote(name: str) -> str:
    if name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def parse_create(sql: str) -> tuple[str, str | None] | None:
    """(extension, schema or None) of a CREATE EXTENSION statement, None if it is not one we read."""
    m = _CREATE_EXTENSION.match(sql.strip())
    if not m:
        return None
    return unquote(m.group("name")), unquote(m.group("schema")) if m.group("schema") else None


def create_statement(name: str, schema: str | None) -> str:
    """The administrator's own CREATE EXTENSION, built from parsed names (never the file's text)."""
    sql = f"CREATE EXTENSION IF NOT EXISTS {ident(name)}"
    return sql + (f" SCHEMA {ident(schema)}" if schema else "")
