"""Schemathesis hooks for jianfu's API fuzzing (scripts/fuzz-api.sh).

A parameter set is uploaded as TOML text (`application/toml`), which
schemathesis has no serializer for: the generated string is sent as is.
"""

import os
import random

import schemathesis


@schemathesis.serializer("application/toml")
def toml_text(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


# A real household and person of the demo database (found by the script
# through the API), so most generated calls reach past the 404 of a
# made-up address into the code behind it.
_REAL = {
    "county": os.environ.get("FUZZ_COUNTY"),
    "no": os.environ.get("FUZZ_HOUSEHOLD"),
    "person": os.environ.get("FUZZ_PERSON"),
}


@schemathesis.hook
def map_path_parameters(ctx, path):
    if not path or not all(_REAL.values()) or random.random() < 0.3:
        return path
    for name in ("county", "no", "person"):
        if name in path:
            path[name] = _REAL[name]
    return path
