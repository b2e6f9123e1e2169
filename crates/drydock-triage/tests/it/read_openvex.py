"""Reads OpenVEX documents with vexipy (a second OpenVEX v0.2.0 implementation) and prints what
it understood, one JSON object per document: the document's id, author, version and, per
statement, the vulnerability, status, justification, statements and products as vexipy parsed
them. A document vexipy refuses prints {"error": ...} and the script exits 1.
Usage: python read_openvex.py DOC.json..."""

import json
import sys
import warnings

from vexipy import Document


def product(p):
    return {
        "id": p.id,
        "purl": (p.identifiers or {}).get("purl"),
        "subcomponents": [s.id for s in (p.subcomponents or ())],
    }


def main():
    failed = False
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                doc = Document.from_json(text)
            except Exception as e:  # pydantic's ValidationError and anything else
                print(json.dumps({"error": str(e).splitlines()[0]}))
                failed = True
                continue
        print(
            json.dumps(
                {
                    "id": doc.id,
                    "author": doc.author,
                    "version": doc.version,
                    "warnings": [str(w.message) for w in caught],
                    "statements": [
                        {
                            "vulnerability": s.vulnerability.name,
                            "status": s.status.value,
                            "justification": s.justification.value if s.justification else None,
                            "impact_statement": s.impact_statement,
                            "action_statement": s.action_statement,
                            "status_notes": s.status_notes,
                            "timestamp": s.timestamp.isoformat() if s.timestamp else None,
                            "products": [product(p) for p in (s.products or ())],
                        }
                        for s in doc.statements
                    ],
                }
            )
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
