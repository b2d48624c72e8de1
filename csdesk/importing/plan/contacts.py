"""Planning a contacts file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csdesk.i18n import tr
from csdesk.importing.plan.base import Planner
from csdesk.rules.names import fold
from db.models import Contact

CONTACT_FIELDS = ("email", "phone", "job_title", "role", "is_primary")


def plan_contacts(p: Planner) -> None:
    existing: dict[int, dict[str, Any]] = {}
    by_email: dict[str, int] = {}
    by_external: dict[str, int] = {}
    by_name: dict[tuple[int, str], int] = {}
    cols = (
        "id",
        "account_id",
        "name",
        "email",
        "phone",
        "job_title",
        "role",
        "is_primary",
        "external_id",
        "source",
    )
    for values in p.session.execute(select(*[getattr(Contact, c) for c in cols])):
        row = dict(zip(cols, values, strict=True))
        existing[row["id"]] = row
        if row["email"]:
            by_email[row["email"].lower()] = row["id"]
        if row["external_id"] and row["source"] == p.source:
            by_external[row["external_id"]] = row["id"]
        by_name[(row["account_id"], fold(row["name"]).strip())] = row["id"]
    new_by_key: dict[Any, int] = {}
    for i in p.rows(tr("Matching contacts…")):
        email = p.col("email")[i]
        target = p.resolve_account(i, email)
        if target is None:
            continue
        name = p.col("name")[i] or " ".join(x for x in (p.col("first_name")[i], p.col("last_name")[i]) if x)
        last = p.col("last_name")[i]
        if p.col("name")[i] and last and not name.endswith(last):
            name = f"{name} {last}"  # "Nome" beside "Sobrenome" is the first name
        name = name.strip() or (email.split("@")[0] if email else "")
        if not name:
            p.reject(i, "name", tr("The contact has no name or e-mail."), "")
            continue
        ext = p.col("external_id")[i]
        account_id = target if isinstance(target, int) else None
        contact_id = (
            (by_external.get(ext) if ext else None)
            or (by_email.get(email) if email else None)
            or (by_name.get((account_id, fold(name).strip())) if account_id else None)
        )
        values = {f: p.col(f)[i] for f in CONTACT_FIELDS if p.has(f) and p.col(f)[i] is not None}
        if contact_id is None:
            key = ext or email or (id(target), fold(name))
            if key in new_by_key:
                p.reject(i, "name", tr("The same contact as row {row}.", row=new_by_key[key]))
                continue
            new_by_key[key] = p.table.row_numbers[i]
            p.plan.inserts["contacts"].append(
                {
                    "account_id": target,
                    "name": name,
                    "role": None,
                    "job_title": None,
                    "email": None,
                    "phone": None,
                    "is_primary": False,
                    "external_id": ext,
                    "source": p.source if ext else None,
                    **values,
                }
            )
            p.plan.touched.add(target)
            p.plan.count("created")
            continue
        row = existing[contact_id]
        changes = {f: v for f, v in values.items() if row.get(f) != v}
        if name != row["name"]:
            changes["name"] = name
        if changes:
            p.plan.updates.append(("contacts", contact_id, changes, {f: row.get(f) for f in changes}))
            row.update(changes)
            p.plan.touched.add(row["account_id"])
            p.plan.count("updated")
        else:
            p.plan.count("unchanged")
