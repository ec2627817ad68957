"""Bulk grants of administrative points from a CSV file (``grant import``).

The file has the header ``mykey_id,points,reason[,event][,id]`` (UTF-8, a BOM is fine).
Every row is validated first; when any row is wrong nothing is granted (a fixed file
has another SHA-256, so its rows would get new transfer ids — see below — and rows
granted by a partial run could be granted twice).  Then each row is granted in its own
transaction.  A row without an ``id`` gets the transfer id
``uuid5(NAMESPACE, f"{sha256 of the file}:{line}")``, so running the same file again
grants nothing twice (``already_done``).  Rows above the municipality's threshold await
a second staff member's approval like any grant.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TextIO

from sqlalchemy.orm import Session

from server.api.schemas import GrantReason, GrantStatus
from server.db import Database
from server.errors import OperatorError, PlatformError
from server.identity.mykey import find_mykey
from server.ledger import admin
from server.ledger.grants import Actor, describe, grant_points
from server.ledger.models import Transfer
from server.ledger.rules import event_by_code
from server.ledger.transfers import replayed, request_digest
from server.text import csv_cell

#: namespace of the transfer ids derived from a file's digest and a line number
NAMESPACE = uuid.UUID("6f0b8a52-4a41-5c36-9d3e-2b6f3c1e7a10")
REQUIRED = ("mykey_id", "points", "reason")
OPTIONAL = ("event", "id")
MAX_POINTS = 10**12


class RowStatus(StrEnum):
    OK = "ok"  # valid (a dry run)
    GRANTED = "granted"
    AWAITING_APPROVAL = "awaiting_approval"
    ALREADY_DONE = "already_done"
    ERROR = "error"


@dataclass
class Row:
    """One data line of the file and what became of it."""

    line: int
    mykey_id: str
    points_text: str
    reason: str
    event: str | None
    id_text: str | None
    transfer_id: uuid.UUID | None = None
    points: int = 0
    status: RowStatus = RowStatus.OK
    message: str = ""

    def fail(self, message: str) -> None:
        if self.status is not RowStatus.ERROR:
            self.status, self.message = RowStatus.ERROR, message
        else:
            self.message += "; " + message


@dataclass
class ImportReport:
    """Every row's outcome and the totals."""

    rows: list[Row] = field(default_factory=list)
    dry_run: bool = False

    @property
    def errors(self) -> int:
        return sum(r.status is RowStatus.ERROR for r in self.rows)

    @property
    def granted_points(self) -> int:
        return sum(r.points for r in self.rows if r.status is RowStatus.GRANTED)

    @property
    def awaiting(self) -> list[Row]:
        return [r for r in self.rows if r.status is RowStatus.AWAITING_APPROVAL]

    @property
    def already_done(self) -> int:
        return sum(r.status is RowStatus.ALREADY_DONE for r in self.rows)


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def derived_id(digest: str, line: int) -> uuid.UUID:
    """The transfer id of a row without one: stable for the same file and line."""
    return uuid.uuid5(NAMESPACE, f"{digest}:{line}")


def parse(data: bytes) -> list[Row]:
    """The data rows of the file; ``OperatorError`` when it is not such a CSV at all."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OperatorError(f"the file is not UTF-8 (byte {error.start})") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise OperatorError(
            "the file is empty: expected the header mykey_id,points,reason"
        ) from None
    except csv.Error as error:
        raise OperatorError(f"line 1: {error}") from error
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        raise OperatorError(
            "line 1: the header must be mykey_id,points,reason[,event][,id], "
            f"not {','.join(header)}"
        )
    rows: list[Row] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines
            rows.append(_row(reader.line_num, header, cells))
    except csv.Error as error:
        raise OperatorError(f"line {reader.line_num}: {error}") from error
    if not rows:
        raise OperatorError("the file has a header but no rows")
    return rows


def _row(line: int, header: list[str], cells: list[str]) -> Row:
    values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
    row = Row(
        line=line,
        mykey_id=values.get("mykey_id", ""),
        points_text=values.get("points", ""),
        reason=values.get("reason", ""),
        event=values.get("event") or None,
        id_text=values.get("id") or None,
    )
    if len(cells) != len(header):
        row.fail(f"{len(cells)} fields, the header has {len(header)}")
    return row


def _grant_digest(municipality: str, row: Row) -> str:
    # the staff member is not part of it: whoever runs the same file again changes nothing
    return request_digest(
        "grant-import",
        municipality=municipality,
        mykey=row.mykey_id,
        points=row.points,
        reason=row.reason,
        event=row.event,
    )


def _check_fields(row: Row, file_sha256: str) -> None:
    try:
        row.points = int(row.points_text)
    except ValueError:
        row.fail(f"points {row.points_text!r} is not a whole number")
    else:
        if not 0 < row.points <= MAX_POINTS:
            row.fail(f"points must be a positive whole number, not {row.points}")
    if row.reason not in {r.value for r in GrantReason}:
        row.fail(
            f"unknown reason {row.reason!r} (one of {', '.join(r.value for r in GrantReason)})"
        )
    if row.id_text is None:
        row.transfer_id = derived_id(file_sha256, row.line)
        return
    try:
        row.transfer_id = uuid.UUID(row.id_text)
    except ValueError:
        row.fail(f"id {row.id_text!r} is not a UUID")


def _check_duplicates(rows: list[Row]) -> None:
    lines: dict[uuid.UUID, list[int]] = defaultdict(list)
    for row in rows:
        if row.transfer_id is not None:
            lines[row.transfer_id].append(row.line)
    for row in rows:
        if row.transfer_id is not None and len(lines[row.transfer_id]) > 1:
            others = [str(n) for n in lines[row.transfer_id] if n != row.line]
            row.fail(f"the same id as line {', '.join(others)}")


def _check_in_ledger(session: Session, municipality_code: str, row: Row) -> None:
    """What only the database can tell: the MyKey ID, the event, an id used before."""
    municipality = admin.municipality(session, municipality_code)
    if find_mykey(session, row.mykey_id) is None:
        row.fail(f"unknown MyKey ID {row.mykey_id!r}")
    if row.event is not None:
        try:
            event_by_code(session, municipality, row.event)
        except PlatformError:
            row.fail(f"unknown event {row.event!r} of {municipality_code}")
    if row.status is RowStatus.ERROR or row.transfer_id is None:
        return
    try:
        done = replayed(session, row.transfer_id, _grant_digest(municipality_code, row))
    except PlatformError:
        row.fail(f"id {row.transfer_id} was already used for another transfer")
        return
    if done is not None:
        row.status = RowStatus.ALREADY_DONE
        row.message = _done_message(session, done)


def _done_message(session: Session, transfer: Transfer) -> str:
    return f"already imported ({describe(session, transfer).status.value})"


def validate(db: Database, data: bytes, municipality_code: str) -> ImportReport:
    """Check every row (writes nothing)."""
    rows = parse(data)
    digest = file_digest(data)
    for row in rows:
        _check_fields(row, digest)
    _check_duplicates(rows)

    def work(session: Session) -> None:
        admin.municipality(session, municipality_code)  # an unknown code fails the whole file
        for row in rows:
            _check_in_ledger(session, municipality_code, row)

    db.transaction(work)
    return ImportReport(rows=rows, dry_run=True)


def run_import(
    db: Database,
    data: bytes,
    municipality_code: str,
    by: Actor,
    now: dt.datetime,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Validate the file, then (unless ``dry_run`` or a row is wrong) grant each row in its
    own transaction, by ``by`` (a staff account, or the operator recorded as such)."""
    report = validate(db, data, municipality_code)
    report.dry_run = dry_run
    if dry_run or report.errors:
        return report
    for row in report.rows:
        if row.status is RowStatus.OK:
            _grant_row(db, municipality_code, by, row, now)
    return report


def _grant_row(
    db: Database, municipality_code: str, by: Actor, row: Row, now: dt.datetime
) -> None:
    assert row.transfer_id is not None
    transfer_id = row.transfer_id

    def work(session: Session) -> tuple[RowStatus, str]:
        municipality = admin.municipality(session, municipality_code)
        digest = _grant_digest(municipality_code, row)
        done = replayed(session, transfer_id, digest)
        if done is not None:
            return RowStatus.ALREADY_DONE, _done_message(session, done)
        mykey = find_mykey(session, row.mykey_id)
        if mykey is None:
            raise OperatorError(f"unknown MyKey ID {row.mykey_id!r}")
        transfer = grant_points(
            session,
            transfer_id=transfer_id,
            digest=digest,
            mykey_pk=mykey.id,
            municipality=municipality,
            points=row.points,
            reason=row.reason,
            by=by,
            event=event_by_code(session, municipality, row.event) if row.event else None,
            now=now,
        )
        if describe(session, transfer).status is GrantStatus.AWAITING_APPROVAL:
            return RowStatus.AWAITING_APPROVAL, f"grant {transfer.id} awaits a second approval"
        return RowStatus.GRANTED, f"grant {transfer.id}"

    try:
        row.status, row.message = db.transaction(work)
    except (OperatorError, PlatformError) as error:
        row.fail(str(error) if isinstance(error, OperatorError) else error.message)


def write_report(report: ImportReport, out: TextIO) -> None:
    """The per-row report as CSV: line, mykey_id, points, status, message."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("line", "mykey_id", "points", "status", "message"))
    for row in report.rows:
        cells = (row.line, row.mykey_id, row.points_text, row.status.value, row.message)
        writer.writerow([csv_cell(cell) for cell in cells])
