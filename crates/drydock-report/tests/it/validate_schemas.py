"""Validates JSON documents against JSON schemas, for drydock-report's schema test.

usage: validate_schemas.py SCHEMA DOCUMENT [SCHEMA DOCUMENT ...] [--resources DIR ...]

Every schema file in a --resources directory is registered under its `$id` and under the
`*.SNAPSHOT.schema.json` name CycloneDX's bom schema refers to it by, so `$ref`s between the
official schemas resolve offline. Prints one line per document; exits 1 if any is invalid.
"""

import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import specification_with


def main(argv):
    pairs, resource_dirs = [], []
    it = iter(argv)
    for arg in it:
        if arg == "--resources":
            resource_dirs.append(pathlib.Path(next(it)))
        else:
            pairs.append((pathlib.Path(arg), pathlib.Path(next(it))))
    resources = []
    for d in resource_dirs:
        for path in sorted(d.glob("*.schema.json")):
            contents = json.loads(path.read_text())
            spec = specification_with(contents.get("$schema", ""))
            res = Resource(contents=contents, specification=spec)
            uri = contents.get("$id", path.name)
            resources.append((uri, res))
            base = uri.rsplit("/", 1)[0]
            snapshot = path.name.replace(".schema.json", ".SNAPSHOT.schema.json")
            resources.append((f"{base}/{snapshot}", res))
    registry = Registry().with_resources(resources)
    failed = False
    for schema_path, doc_path in pairs:
        schema = json.loads(schema_path.read_text())
        doc = json.loads(doc_path.read_text())
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            failed = True
            for e in errors[:20]:
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"INVALID {doc_path.name} at /{where}: {e.message[:300]}")
        else:
            print(f"valid {doc_path.name} against {schema_path.name} ({cls.__name__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
