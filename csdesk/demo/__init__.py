"""A realistic, deterministic pt-BR book of business for demos, tests and benchmarks.

``generate(db, accounts=200, seed=1)`` fills an empty database with Brazilian
companies (valid CNPJs, domains, contacts), their MRR history as revenue
changes, two years of timeline events, survey answers, weekly usage measures
and a few open tasks. The same seed and ``today`` always give the same data.

Each account has a hidden "propensity" (0..1) that drives everything about it:
usage, NPS, tickets, expansions, and whether it churns; so health scores and
metrics computed from the demo data tell a coherent story.

Speed matters (benchmarks use 50,000 accounts): rows are built as plain dicts
and written with Core ``insert()`` executemany in one transaction, a chunk of
accounts at a time. Touch-light segments get fewer events and sparser
measures, as they would in real life.

The package, by step: ``words`` (the pt-BR texts), ``accounts`` (companies,
people, MRR history), ``activity`` (timeline, surveys, usage, tasks), ``write``
(the bulk step), ``plans`` (the demo's success and get-well plans) and ``book``
(the whole demo book, as the CLI and the welcome screen create it).
"""

from csdesk.demo.accounts import make_cnpj
from csdesk.demo.book import create_book
from csdesk.demo.plans import add_demo_plans
from csdesk.demo.rows import SOURCE
from csdesk.demo.write import DemoSummary, generate

__all__ = ["SOURCE", "DemoSummary", "add_demo_plans", "create_book", "generate", "make_cnpj"]
