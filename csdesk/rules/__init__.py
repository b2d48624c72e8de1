"""The domain's rules, each written once: every path (window, command line, importer, documents) calls these.

- :mod:`csdesk.rules.names`: accent folding and the keys that match names, words and domains;
- :mod:`csdesk.rules.cnpj`: the CNPJ (numeric and alphanumeric), its check digits and its format;
- :mod:`csdesk.rules.calendar`: month and quarter arithmetic.

Money and its compact forms are :mod:`csdesk.formatting`'s, the NPS groups :mod:`csdesk.nps`'s,
revenue movements :mod:`csdesk.ledger`'s. A fast path over a column is the same rule vectorised
here, not a second copy elsewhere.
"""
