"""Statement files, from the upload to the stored lines.

A file Finance sends becomes a :class:`StatementImport` and is kept in the documents
storage under ``finance/statements/{YYYY}/…`` (it is the bank's record). It is read by the
parsers (``billing.statements``) into one statement per account it holds; each goes to the
program's bank account it names (or to the one chosen, for files that name none), is
checked against its balances, and its new lines are stored; then the automatic matches are
applied and the proposals stored — all in one transaction: a refused file keeps no line,
only the import row with the reason. A small file is imported during the request; a large
one by a Celery task, the import row saying where it stands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext

from avataq.money import format_money
from avataq.queue import publish_on_commit
from billing.models import BankAccount, BankStatement, StatementImport, StatementLine
from billing.statements import ParsedStatement, StatementError, dedup_keys, read_file
from documents.storage import document_storage

# Up to this size a file is imported while Finance waits (well under a second); above it,
# by a task, so the request never nears the web server's timeout.
IMPORT_NOW_MAX_BYTES = 512 * 1024
STORAGE_PREFIX = "finance/statements"
logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    statements: list[BankStatement] = field(default_factory=list)
    lines_read: int = 0
    lines_new: int = 0
    reconciled: int = 0
    notes: list[str] = field(default_factory=list)


# --- which account --------------------------------------------------------------------------
def _digits(text: str) -> str:
    """An account as a file prints it, reduced to its digits (branch, dashes, an IBAN's
    country letters or Desjardins' account type dropped): what the last digits match."""
    return re.sub(r"[^0-9]", "", text or "")


def _named(statement: ParsedStatement) -> str:
    digits = _digits(statement.account)
    shown = f"…{digits[-4:]}" if digits else gettext("an unnamed account")
    return f"{shown} {statement.currency}".strip()


def _route(
    parsed: ParsedStatement, chosen: BankAccount | None, accounts: list[BankAccount]
) -> BankAccount:
    """The program's account this statement is for, or :class:`StatementError` naming it."""
    if not parsed.account:
        if chosen is None:
            raise StatementError(
                gettext("this file does not say which account it is for: choose the account")
            )
        if parsed.currency and parsed.currency != chosen.currency:
            raise StatementError(
                gettext("the file is in %(file)s but %(account)s is in %(currency)s")
                % {"file": parsed.currency, "account": chosen, "currency": chosen.currency}
            )
        return chosen
    printed = _digits(parsed.account)
    fits = [
        account
        for account in accounts
        if printed.endswith(account.account_number)
        and (not parsed.currency or parsed.currency == account.currency)
    ]
    if chosen is not None:
        if chosen in fits:
            return chosen
        raise StatementError(
            gettext("this file is the statement of account %(named)s, not of %(chosen)s")
            % {"named": _named(parsed), "chosen": chosen}
        )
    if len(fits) == 1:
        return fits[0]
    raise StatementError(
        gettext(
            "the file holds the statement of account %(named)s, which is not one of the "
            "program's bank accounts; add it under Bank accounts first"
        )
        % {"named": _named(parsed)}
    )


# --- balances ----------------------------------------------------------------------------
def _expected_closing(
    account: BankAccount, parsed: ParsedStatement, total: Decimal
) -> Decimal | None:
    """The parsers refuse a file whose opening and closing balances disagree with its
    lines; a file printing only its closing balance is compared with the account's
    previous statement (a warning, not a refusal: statements may overlap)."""
    if parsed.closing is None or parsed.opening is not None:
        return None
    previous = (
        BankStatement.objects.filter(account=account, closing_balance__isnull=False)
        .order_by("-last_date", "-pk")
        .first()
    )
    return None if previous is None else previous.closing_balance + total


def balance_warning(statement: BankStatement) -> str:
    """What a person should know of the statement's balance, in their language."""
    gap = statement.balance_gap
    if not gap:
        return ""
    return gettext(
        "With the previous statement and these lines, this one should close at "
        "%(expected)s, but it says %(closing)s (a difference of %(difference)s). Check for "
        "a missing or overlapping statement."
    ) % {
        "expected": format_money(statement.expected_closing, get_language() or "en"),
        "closing": format_money(statement.closing_balance, get_language() or "en"),
        "difference": format_money(gap, get_language() or "en"),
    }


# --- storing ------------------------------------------------------------------------------
def _store(
    *,
    account: BankAccount,
    parsed: ParsedStatement,
    source: StatementImport | None,
    source_format: str,
    filename: str,
    sha256: str,
    by: AbstractBaseUser | None,
) -> BankStatement:
    lines = parsed.lines
    statement = BankStatement.objects.create(
        account=account,
        source=source,
        source_format=source_format,
        filename=filename,
        sha256=sha256,
        currency=parsed.currency or account.currency,
        account_identifier=_digits(parsed.account)[-12:],
        opening_balance=parsed.opening,
        closing_balance=parsed.closing,
        expected_closing=_expected_closing(
            account, parsed, sum((x.amount for x in lines), Decimal(0))
        ),
        imported_by=by,
        lines_read=len(lines),
        first_date=min((line.booked_on for line in lines), default=None),
        last_date=max((line.booked_on for line in lines), default=None),
    )
    rows = [
        StatementLine(
            account=account,
            statement=statement,
            booked_on=line.booked_on,
            amount=line.amount,
            # The parsers refuse a longer reference, counterparty or bank id (cut, two could
            # collide); a description may be cut, ``raw`` keeps the source.
            description=line.description[:500],
            reference=line.reference,
            counterparty=line.counterparty,
            bank_id=line.bank_id,
            dedup_key=key,
            raw=line.raw,
            return_reason=line.return_reason[:300],
        )
        for line, key in zip(lines, dedup_keys(lines), strict=True)
    ]
    StatementLine.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    statement.lines_new = StatementLine.objects.filter(statement=statement).count()
    statement.save(update_fields=["lines_new"])
    return statement


def _clean_name(filename: str) -> str:
    return PurePosixPath((filename or "").replace("\\", "/")).name.replace("\x00", "")[:255]


def _mapping(account: BankAccount | None, source_format: str) -> dict:
    return account.statement_mapping() if account and source_format in {"csv", "xlsx"} else {}


@transaction.atomic
def statements_store(
    *,
    parsed: list[ParsedStatement],
    data: bytes,
    filename: str,
    source_format: str,
    account: BankAccount | None,
    by: AbstractBaseUser | None,
    source: StatementImport | None = None,
    reconcile: bool = True,
) -> ImportResult:
    """Store each statement read from a file in its account, apply the automatic matches
    (unless ``reconcile`` is off) and store the proposals — all or nothing
    (:class:`StatementError` naming the problem, nothing kept)."""
    from billing import reconciliation
    from billing.payments import returns

    accounts = list(BankAccount.objects.order_by("pk"))
    routed = [(_route(p, account, accounts), p) for p in parsed]
    result = ImportResult()
    sha256 = hashlib.sha256(data).hexdigest()
    for target, statement in routed:
        stored = _store(
            account=target,
            parsed=statement,
            source=source,
            source_format=source_format,
            filename=_clean_name(filename),
            sha256=sha256,
            by=by,
        )
        result.statements.append(stored)
        result.lines_read += stored.lines_read
        result.lines_new += stored.lines_new
        result.notes += statement.notes
        if warning := balance_warning(stored):
            result.notes.append(warning)
        if reconcile:
            result.reconciled += reconciliation.statement_auto_reconcile(statement=stored, by=by)
            returned = returns.statement_returns_apply(statement=stored, by=by)
            result.notes += [returns.returned_note(ref, why) for ref, why in returned]
        reconciliation.proposals_refresh(statement=stored)
    if (
        BankStatement.objects.filter(sha256=sha256)
        .exclude(pk__in=[s.pk for s in result.statements])
        .exists()
    ):
        result.notes.append(gettext("This file was imported before: only new lines are added."))
    return result


def statement_file_import(
    *,
    data: bytes,
    filename: str,
    source_format: str,
    account: BankAccount | None,
    by: AbstractBaseUser | None,
    source: StatementImport | None = None,
    reconcile: bool = True,
) -> ImportResult:
    """Read a file (the parsers touch no database) and store what it holds."""
    parsed = read_file(data, source_format=source_format, mapping=_mapping(account, source_format))
    return statements_store(
        parsed=parsed,
        data=data,
        filename=filename,
        source_format=source_format,
        account=account,
        by=by,
        source=source,
        reconcile=reconcile,
    )


# --- a file Finance sends -----------------------------------------------------------------------
def _storage_key(job: StatementImport) -> str:
    suffix = PurePosixPath(job.filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"
    return f"{STORAGE_PREFIX}/{job.created_at:%Y}/{job.pk}-{job.sha256[:12]}{suffix}"


def statement_file_receive(
    *,
    data: bytes,
    filename: str,
    source_format: str,
    account: BankAccount | None,
    by: AbstractBaseUser | None,
) -> StatementImport:
    """Keep the file and its import row; import it now when it is small, else queue the
    task (after the commit). The row says how it went."""
    from billing.tasks import statement_file_import_task

    with transaction.atomic():
        job = StatementImport.objects.create(
            filename=_clean_name(filename) or "statement",
            source_format=source_format.replace("\x00", "")[:8],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            account=account,
            created_by=by,
        )
        key = _storage_key(job)
        storage = document_storage()
        storage.save_exact(key, ContentFile(data))
        try:
            StatementImport.objects.filter(pk=job.pk).update(file_key=key)
        except Exception:
            storage.delete(key)  # no object without its row
            raise
        job.file_key = key
        if len(data) > IMPORT_NOW_MAX_BYTES:
            # The broker down: the file waits for the sweep (every minute).
            publish_on_commit(statement_file_import_task, job.pk)
            return job
    return statement_file_run(job_id=job.pk, data=data)


def statement_file_run(*, job_id: int, data: bytes | None = None) -> StatementImport:
    """Import a received file (once: a finished one is left as it is). Its failure is
    recorded on the row, with the reason, and keeps nothing else."""
    claimed = StatementImport.objects.filter(
        pk=job_id, status=StatementImport.Status.QUEUED
    ).update(status=StatementImport.Status.RUNNING)
    job = StatementImport.objects.select_related("account", "created_by").get(pk=job_id)
    if not claimed:
        return job
    if data is None:
        with document_storage().open(job.file_key, "rb") as stored:
            data = stored.read()
    from billing.reconciliation import ReconciliationConflict

    try:
        parsed = read_file(
            data, source_format=job.source_format, mapping=_mapping(job.account, job.source_format)
        )
        # Said before the (long) storing transaction, so the file's page can show it.
        StatementImport.objects.filter(pk=job.pk).update(
            lines_read=sum(len(statement.lines) for statement in parsed)
        )
        result = statements_store(
            parsed=parsed,
            data=data,
            filename=job.filename,
            source_format=job.source_format,
            account=job.account,
            by=job.created_by,
            source=job,
        )
    except (StatementError, ReconciliationConflict) as exc:
        job.status, job.error = StatementImport.Status.FAILED, str(exc)
    except Exception:
        # Not the file's fault: say so, keep nothing, and let ops see the trace.
        logger.exception("statement file %s could not be imported", job.pk)
        job.status = StatementImport.Status.FAILED
        job.error = gettext(
            "The import failed for a reason of ours, not the file's; ops were told."
        )
    else:
        job.status = StatementImport.Status.DONE
        job.lines_read, job.lines_new = result.lines_read, result.lines_new
        job.reconciled, job.notes = result.reconciled, "\n".join(result.notes)
    if job.status == StatementImport.Status.FAILED and job.file_key:
        document_storage().delete(job.file_key)  # a refused file is not kept either
        job.file_key = ""
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "error",
            "lines_read",
            "lines_new",
            "reconciled",
            "notes",
            "finished_at",
            "file_key",
        ]
    )
    return job


# A file whose task was never delivered (the broker was down) is imported by the sweep;
# one still "importing" long after any import could take was interrupted (its transaction
# rolled back): it is marked refused, to be sent again.
SWEEP_AFTER = dt.timedelta(minutes=1)
INTERRUPTED_AFTER = dt.timedelta(hours=2)


def statement_files_sweep(*, now: dt.datetime | None = None) -> int:
    """Import the files left waiting; close the interrupted ones. How many were imported."""
    now = now or timezone.now()
    StatementImport.objects.filter(
        status=StatementImport.Status.RUNNING, created_at__lt=now - INTERRUPTED_AFTER
    ).update(
        status=StatementImport.Status.FAILED,
        error=gettext("The import was interrupted; nothing of it was kept. Send the file again."),
        finished_at=now,
    )
    waiting = StatementImport.objects.filter(
        status=StatementImport.Status.QUEUED, created_at__lt=now - SWEEP_AFTER
    ).values_list("pk", flat=True)
    done = 0
    for job_id in list(waiting[:20]):
        statement_file_run(job_id=job_id)
        done += 1
    return done
