"""Planning an import (the dry run) and applying it in one transaction, recorded for undo.

Planning works on an in-memory view of the book (:class:`ImportBook`): existing
accounts matched by external id of the same source, then domain or CNPJ, then
normalised name, plus the accounts the file creates. Every row ends created,
updated, unchanged or rejected. Applying writes with bulk Core statements,
inside the same transaction as the planning, and records an ImportRun, the
before-values of every updated row (ImportChange) and ``import_run_id`` on
every created row, so :func:`csdesk.importing.runs.undo` restores it all.

Revenue: every change of MRR or status is a movement decided by the revenue
ledger (:mod:`csdesk.ledger`), the same rule as every other path:
- a new account with MRR: "new" revenue at its contract start (if known and
  not after the as-of date), else an opening balance at the as-of date;
- in a newer export, MRR up / down = expansion / contraction at the as-of
  date; status to churned (or MRR to 0) = churn of the last MRR above zero at
  the file's churn date, else the as-of date; churned to active = reactivation;
  a newly known contract start re-dates the account's first movement; an export
  older than an account's movements leaves its MRR and status alone;
- a won deal for an unknown organisation creates the account with "new"
  revenue at the won date; for an existing account it is expansion (or the
  reactivation of a churned one) at the won date only if won after the
  account's MRR was last set (``mrr_as_of``, its revenue history, or its
  creation): older won deals are already in that MRR and go on the timeline
  only. Lost and open deals never change MRR: they go on the timeline of
  existing accounts as expansion opportunities;
- an MRR history is merged into the account's movements (dated history wins,
  ``ledger.merge_history``) and sets the account's MRR and status from its
  latest point.
Each revenue change is also a timeline event (kind revenue_change, source import).
"""

from csdesk.importing.plan.accounts import plan_accounts
from csdesk.importing.plan.activities import plan_activities
from csdesk.importing.plan.contacts import plan_contacts
from csdesk.importing.plan.deals import plan_deals
from csdesk.importing.plan.mrr import plan_mrr
from csdesk.importing.plan.surveys import plan_surveys
from csdesk.importing.plan.usage import plan_usage

PLANNERS = {
    "accounts": plan_accounts,
    "contacts": plan_contacts,
    "deals": plan_deals,
    "activities": plan_activities,
    "surveys": plan_surveys,
    "usage": plan_usage,
    "mrr": plan_mrr,
}
