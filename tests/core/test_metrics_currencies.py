"""Portfolio metrics in the base currency: US$ are converted at a dated rate, never summed as R$."""

from __future__ import annotations

import json
from datetime import date

from cli.main import main
from csdesk import accounts, currency, metrics

START = date(2025, 1, 15)
PERIOD = (date(2026, 1, 1), date(2026, 3, 31))


def _book(db):
    reais = accounts.create_account(
        db, accounts.AccountData(name="Padaria Sol", mrr_cents=1_000_000, contract_start=START)
    )
    dollars = accounts.create_account(
        db,
        accounts.AccountData(name="Acme Inc", mrr_cents=200_000, currency="USD", contract_start=START),
    )
    return reais.id, dollars.id


def test_without_a_rate_the_dollar_account_is_left_out_and_named(db):
    _book(db)
    m = metrics.compute(db, *PERIOD)
    assert (m.mrr_start, m.mrr_end, m.accounts_start) == (1_000_000, 1_000_000, 1)
    assert m.unconverted == (("USD", 1),) and m.base_currency == "BRL"
    assert m.bridge_end == m.mrr_end


def test_with_a_rate_dollars_count_in_reais_at_the_periods_end(db):
    reais, dollars = _book(db)
    currency.set_rate(db, "USD", "5.00", date(2025, 1, 1))
    currency.set_rate(db, "USD", "5.50", date(2026, 3, 1))
    data = accounts.get_account(db, dollars)
    fields = {k: getattr(data, k) for k in accounts.AccountData.__dataclass_fields__}
    accounts.update_account(
        db, accounts.AccountData(**{**fields, "mrr_cents": 300_000}), effective=date(2026, 2, 10)
    )
    m = metrics.compute(db, *PERIOD)
    # US$ 2.000 -> 3.000, both at the rate of the period's end (5,50): a R$ 5.500 expansion.
    assert m.unconverted == ()
    assert m.mrr_start == 1_000_000 + 1_100_000 and m.mrr_end == 1_000_000 + 1_650_000
    assert m.expansion_mrr == 550_000 and m.bridge_end == m.mrr_end
    assert m.grr == 1.0 and m.nrr == (m.mrr_end / m.mrr_start)


def test_the_cli_says_which_accounts_have_no_rate(db, db_path, capsys):
    _book(db)
    db.dispose()
    code = main(["--db", str(db_path), "metrics", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json"])
    record = json.loads(capsys.readouterr().out)
    assert code == 0 and record["base_currency"] == "BRL"
    assert record["accounts_without_rate"] == {"USD": 1} and record["mrr_end"] == 10_000.0
